"""Runtime AU stage: person normalisation, missing faces, resets, loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mescreen.core.au import AUStage
from mescreen.core.au_model import AUDetector
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import AU_NAMES

MODELS = Path(__file__).resolve().parents[2] / "models"


class TableDetector(AUDetector):
    """A detector whose raw probability is read from the crop's first pixels (known inputs)."""

    def __init__(self) -> None:
        super().__init__(["AU4", "AU12"])
        self.thresholds_ = np.array([0.5, 0.5], np.float32)
        self.neutral_level_ = np.array([0.1, 0.1], np.float32)

    def predict_proba(self, crops: np.ndarray) -> np.ndarray:
        crops = np.asarray(crops)
        crops = crops[None] if crops.ndim == 2 else crops
        return (crops[:, 0, :2].astype(np.float32) / 100.0).reshape(-1, 2)


def crop(p4: float, p12: float) -> np.ndarray:
    c = np.zeros((128, 128), np.uint8)
    c[0, 0], c[0, 1] = round(p4 * 100), round(p12 * 100)
    return c


def test_a_resting_face_that_reads_as_au4_is_brought_back_to_neutral() -> None:
    stage = AUStage(TableDetector(), window=50, warmup=10)
    for _ in range(40):  # this person's resting face reads AU4 at 0.7 (e.g. low brows)
        out = stage.update(crop(0.7, 0.1))
    assert out[0] == pytest.approx(0.1, abs=1e-6)  # shifted onto the population's resting level
    assert stage.active(out) == []
    smile = stage.update(crop(0.7, 0.9))  # a real change on top of the baseline still shows
    assert smile[1] == pytest.approx(0.9, abs=1e-6) and stage.active(smile) == ["AU12"]


def test_warmup_phases_the_correction_in() -> None:
    stage = AUStage(TableDetector(), window=50, warmup=10)
    first = stage.update(crop(0.7, 0.1))
    assert first[0] == pytest.approx(0.7 - 0.1 * (0.7 - 0.1), abs=1e-6)


def test_window_forgets_old_frames_and_memory_is_fixed() -> None:
    stage = AUStage(TableDetector(), window=20, warmup=1)
    for _ in range(20):
        stage.update(crop(0.9, 0.1))
    for _ in range(20):
        out = stage.update(crop(0.3, 0.1))
    assert out[0] == pytest.approx(0.1, abs=1e-6)  # baseline is now the recent 0.3, not 0.9
    assert stage._history.shape == (20, 2)


def test_missing_face_gives_nan_and_does_not_enter_the_baseline() -> None:
    stage = AUStage(TableDetector(), window=50, warmup=1)
    stage.update(crop(0.5, 0.1))
    gap = stage.update(None)
    assert gap.shape == (2,) and gap.dtype == np.float32 and np.isnan(gap).all()
    assert stage._seen == 1


def test_reset_forgets_the_person() -> None:
    stage = AUStage(TableDetector(), window=50, warmup=1)
    for _ in range(10):
        stage.update(crop(0.8, 0.1))
    stage.reset()
    out = stage.update(crop(0.2, 0.1))
    assert out[0] == pytest.approx(0.1, abs=1e-6)  # only the new person's frame counts


def test_raw_proba_is_batched_and_unnormalised() -> None:
    stage = AUStage(TableDetector())
    raw = stage.raw_proba(np.stack([crop(0.2, 0.3), crop(0.6, 0.0)]))
    np.testing.assert_allclose(raw, [[0.2, 0.3], [0.6, 0.0]], atol=1e-6)


def test_missing_model_names_the_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="mescreen train au"):
        AUStage.load(tmp_path)


def test_unreadable_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "au_detector.npz").write_bytes(b"not an npz")
    (tmp_path / "au_detector.json").write_text('{"format": "mescreen-au-detector/1"}')
    with pytest.raises(ModelMissingError, match="could not be read"):
        AUStage.load(tmp_path)


def test_shipped_stage_loads_with_version_and_thresholds() -> None:
    stage = AUStage.load(MODELS)
    assert stage.au_names == AU_NAMES
    assert stage.version.startswith("au_detector.npz@")
    assert stage.thresholds.shape == (len(AU_NAMES),)
    out = stage.update(np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8))
    assert out.shape == (len(AU_NAMES),) and np.all((out >= 0) & (out <= 1))
