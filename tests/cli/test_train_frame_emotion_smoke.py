"""`mescreen train frame-emotion` end to end on a tiny real subset: one epoch, saved, reloaded, used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mescreen.cli import train_frame_emotion
from mescreen.core.labels import FRAME_EMOTIONS


def test_one_epoch_on_a_tiny_subset_trains_saves_and_loads(data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.emotion.frame.model import FrameEmotionModel

    parser = argparse.ArgumentParser()
    train_frame_emotion.add_arguments(parser)
    args = parser.parse_args(["--architecture", "table3", "--epochs", "1", "--limit", "200", "--threads", "1",
                              "--no-flip", "--offsets", "none", "--out", str(tmp_path)])
    assert train_frame_emotion.run(args) == 0
    meta = json.loads((tmp_path / "frame_emotion.json").read_text())
    assert meta["architecture"] == "table3" and meta["n_train"] == 200 and meta["best_epoch"] == 1
    assert "--limit 200" in meta["command"] and "--no-flip --offsets none" in meta["command"]
    # FER+ test read once at the end: the per-class recall the screening's wording reads
    assert set(meta["per_class_recall"]) == set(FRAME_EMOTIONS) and set(meta["fer_test"]) == {"accuracy", "uf1", "uar"}
    assert meta["logit_offsets"] == {} and meta["test_time_flip"] is False
    model = FrameEmotionModel.load(tmp_path)
    crops = np.random.default_rng(0).integers(0, 256, (3, 128, 128), dtype=np.uint8)
    proba = model.predict(crops)
    assert proba.shape == (3, 8) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)


def test_the_logit_adjusted_loss_offsets_and_flip_reach_the_model(data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.emotion.frame.model import FrameEmotionModel

    parser = argparse.ArgumentParser()
    train_frame_emotion.add_arguments(parser)
    args = parser.parse_args(["--architecture", "table3", "--epochs", "1", "--limit", "200", "--threads", "1",
                              "--loss", "logit-adjusted", "--offsets", "prior", "--flip", "--no-test",
                              "--out", str(tmp_path)])
    assert train_frame_emotion.run(args) == 0
    meta = json.loads((tmp_path / "frame_emotion.json").read_text())
    assert meta["config"]["loss"] == "logit-adjusted" and meta["test_time_flip"] is True
    assert set(meta["logit_offsets"]) == set(FRAME_EMOTIONS) and meta["offset_fit"]["form"] == "prior"
    assert "per_class_recall" not in meta  # --no-test: a candidate does not read the test split
    assert "--loss logit-adjusted" in meta["command"] and "--flip --offsets prior" in meta["command"]
    assert FrameEmotionModel.load(tmp_path).version.split("+")[1] == "flip"


def test_reading_only_refits_flip_and_offsets_of_a_trained_network_and_keeps_its_weights(
        data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.emotion.frame.model import FrameEmotionModel

    parser = argparse.ArgumentParser()
    train_frame_emotion.add_arguments(parser)
    common = ["--architecture", "table3", "--epochs", "1", "--limit", "200", "--threads", "1", "--out", str(tmp_path)]
    assert train_frame_emotion.run(parser.parse_args(common + ["--no-test"])) == 0
    weights = (tmp_path / "frame_emotion.weights.npz").read_bytes()
    history = json.loads((tmp_path / "frame_emotion.json").read_text())["history"]
    assert train_frame_emotion.run(parser.parse_args(common + ["--reading-only", "--flip", "--offsets", "per-class"])) == 0
    meta = json.loads((tmp_path / "frame_emotion.json").read_text())
    assert (tmp_path / "frame_emotion.weights.npz").read_bytes() == weights and meta["history"] == history
    assert meta["test_time_flip"] is True and meta["offset_fit"]["form"] == "per-class"
    assert set(meta["per_class_recall"]) == set(FRAME_EMOTIONS)
    assert meta["reading_command"] == "mescreen train frame-emotion --reading-only --flip --offsets per-class"
    assert FrameEmotionModel.load(tmp_path).flip
