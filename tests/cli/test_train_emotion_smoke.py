"""`mescreen train emotion` end to end on a tiny real subset: one epoch, saved, reloaded, used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from mescreen.cli import evaluate_emotion, train_emotion


def _parse(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


@pytest.mark.parametrize("kind", ["flow", "apex"])
def test_one_epoch_on_a_tiny_subset_trains_saves_and_loads(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from mescreen.core.emotion.micro.classifier import EmotionClassifier

    args = _parse(train_emotion, ["--input", kind, "--size", "28", "--epochs", "1", "--limit", "24",
                                  "--out", str(tmp_path)])
    assert train_emotion.run(args) == 0
    meta = json.loads((tmp_path / "emotion_cnn.json").read_text())
    assert meta["input_kind"] == kind and meta["n_samples"] == 24
    assert "--limit 24" in meta["command"]
    clf = EmotionClassifier.load(tmp_path)
    crop = np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8)
    assert sum(clf.predict(crop, crop).values()) == pytest.approx(1.0, abs=1e-4)


def test_reprocessed_requires_apex_input(data_dir: Path) -> None:
    from mescreen.core.errors import InputError

    with pytest.raises(InputError):
        evaluate_emotion.run(_parse(evaluate_emotion, ["--input", "flow", "--reprocessed"]))
