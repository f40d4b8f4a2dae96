"""`mescreen train frame-emotion` end to end on a tiny real subset: one epoch, saved, reloaded, used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mescreen.cli import train_frame_emotion


def test_one_epoch_on_a_tiny_subset_trains_saves_and_loads(data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.emotion.frame.model import FrameEmotionModel

    parser = argparse.ArgumentParser()
    train_frame_emotion.add_arguments(parser)
    args = parser.parse_args(["--architecture", "table3", "--epochs", "1", "--limit", "200", "--threads", "1",
                              "--out", str(tmp_path)])
    assert train_frame_emotion.run(args) == 0
    meta = json.loads((tmp_path / "frame_emotion.json").read_text())
    assert meta["architecture"] == "table3" and meta["n_train"] == 200 and meta["best_epoch"] == 1
    assert "--limit 200" in meta["command"]
    model = FrameEmotionModel.load(tmp_path)
    crops = np.random.default_rng(0).integers(0, 256, (3, 128, 128), dtype=np.uint8)
    proba = model.predict(crops)
    assert proba.shape == (3, 8) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)
