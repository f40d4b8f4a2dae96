"""`mescreen train au` end to end on a tiny real subset: evaluated, saved, reloaded, used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from mescreen.cli import evaluate_mapping, train_au


def _parse(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


@pytest.mark.realdata
def test_tiny_subset_trains_both_artefacts_and_they_load(data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.emotion.au_mapping import AUEmotionMapper
    from mescreen.core.labels import AU_NAMES

    args = _parse(train_au, ["--limit-subjects", "4", "--folds", "2", "--copies", "1", "--components", "20",
                             "--out", str(tmp_path)])
    assert train_au.run(args) == 0
    meta = json.loads((tmp_path / "au_detector.json").read_text())
    assert "--limit-subjects 4" in meta["metadata"]["command"] and "--seed 0" in meta["metadata"]["command"]
    evaluation = meta["metadata"]["evaluation"]
    assert evaluation["n_subjects"] == 8 and len(evaluation["per_au"]["rows"]) == len(AU_NAMES)
    assert set(evaluation["chain"]) <= {"ckplus", "casme2", "samm"} and "ckplus" in evaluation["chain"]
    assert (tmp_path / "cards" / "au_detector.md").is_file()
    stage = AUStage.load(tmp_path)
    out = stage.update(np.full((128, 128), 128, np.uint8))
    assert out.shape == (len(AU_NAMES) + 1,) and np.isfinite(out[:-1]).all()  # AU43 needs geometry
    assert "--weak-per-class" in meta["metadata"]["command"] and meta["metadata"]["data"]["weak"]["faces"]
    mapper = AUEmotionMapper.load(tmp_path)
    assert sum(mapper.predict_proba({"AU12"}).values()) == pytest.approx(1.0)
    assert (tmp_path / "cards" / "au_emotion.md").is_file()


@pytest.mark.realdata
def test_evaluate_mapping_prints_every_direction(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate_mapping.run(_parse(evaluate_mapping, [])) == 0
    printed = capsys.readouterr().out
    for direction in ("| casme2 | samm |", "| samm | ckplus |", "| ckplus | casme2 |", "| casme2+samm | ckplus |"):
        assert direction in printed
    assert "prototype rules" in printed
