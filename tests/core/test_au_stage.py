"""Runtime AU stage: person normalisation, missing faces, resets, loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mescreen.core.aus.activity import active_names
from mescreen.core.aus.stage import AUStage
from mescreen.core.aus.detector import AUDetector
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import AU_NAMES
from mescreen.core.face.mesh_track import MEASURES


def active(stage: AUStage, p_norm: np.ndarray) -> list[str]:
    """The AUs the one owner of "active" calls active in one frame of the stage's output."""
    return active_names(p_norm, stage.au_names, stage.thresholds)


MODELS = Path(__file__).resolve().parents[2] / "models"


class TableDetector(AUDetector):
    """A detector whose raw probability is read from the crop's first pixels (known inputs)."""

    def __init__(self) -> None:
        super().__init__(["AU4", "AU12"], resting_quantile=0.1)
        self.thresholds_ = np.array([0.5, 0.5], np.float32)
        self.neutral_level_ = np.array([0.1, 0.1], np.float32)

    def predict_proba(self, crops: np.ndarray, shape: np.ndarray | None = None,
                      embedding: np.ndarray | None = None) -> np.ndarray:
        crops = np.asarray(crops)
        crops = crops[None] if crops.ndim == 2 else crops
        return (crops[:, 0, :2].astype(np.float32) / 100.0).reshape(-1, 2)


def crop(p4: float, p12: float) -> np.ndarray:
    c = np.zeros((128, 128), np.uint8)
    c[0, 0], c[0, 1] = round(p4 * 100), round(p12 * 100)
    return c


def test_a_resting_face_that_reads_as_au4_is_brought_back_to_neutral() -> None:
    stage = AUStage(TableDetector(), prior_frames=10)
    for _ in range(990):  # this person's neutral face reads AU4 at 0.7 (e.g. low brows)
        out = stage.update(crop(0.7, 0.1), neutral=1.0)
    assert out[0] == pytest.approx(0.1 + 0.6 * 10 / 1000, abs=0.002)  # onto the resting level, less the prior's pull
    assert active(stage, out) == []
    smile = stage.update(crop(0.7, 0.9), neutral=0.0)  # a real change on top of the baseline still shows
    assert smile[1] == pytest.approx(0.9, abs=0.005) and active(stage, smile) == ["AU12"]


def test_a_sustained_smile_stays_active_throughout() -> None:
    """5 s neutral then a 15-s smile at 30 frames/s: the smile must never be normalised away
    (the previous 10-s running median lost it after about 5 s)."""
    rng = np.random.default_rng(0)
    stage = AUStage(TableDetector(), prior_frames=30)
    for _ in range(150):  # neutral face, this person's AU12 reads a little high (0.2 +- noise)
        neutral = stage.update(crop(0.3, 0.2 + rng.uniform(-0.05, 0.05)), neutral=0.9)
        assert "AU12" not in active(stage, neutral)
    smiling = [stage.update(crop(0.3, 0.85 + rng.uniform(-0.05, 0.05)), neutral=0.05) for _ in range(450)]
    assert all("AU12" in active(stage, p) for p in smiling)
    assert min(p[1] for p in smiling) > 0.6  # not eroded towards the end of the 15 s
    back = stage.update(crop(0.3, 0.2), neutral=0.9)
    assert "AU12" not in active(stage, back)  # and the neutral face still reads neutral afterwards


def test_a_clip_without_a_neutral_face_is_read_as_it_is() -> None:
    """6 s of crying (AU4) then 10 s of laughing (AU12), no neutral stretch: the person's own 10%
    quantile (the method before) took the cry as this person's neutral and erased the laugh's
    start; the neutral level must stay at the population's resting level instead."""
    stage = AUStage(TableDetector(), prior_frames=300)
    crying = [stage.update(crop(0.9, 0.3), neutral=0.02) for _ in range(180)]
    laughing = [stage.update(crop(0.2, 0.95), neutral=0.01) for _ in range(300)]
    assert all(active(stage, p) == ["AU4"] for p in crying)
    assert all(active(stage, p) == ["AU12"] for p in laughing)
    assert laughing[-1][1] > 0.9


def test_the_prior_holds_the_level_until_neutral_face_is_seen() -> None:
    stage = AUStage(TableDetector(), prior_frames=10)
    first = stage.update(crop(0.7, 0.1), neutral=1.0)  # one neutral frame against 10 prior frames
    assert first[0] == pytest.approx(0.7 - (0.7 - 0.1) / 11, abs=1e-5)
    stage.reset()
    unweighted = stage.update(crop(0.7, 0.1))  # no emotion reading: no neutral weight
    assert unweighted[0] == pytest.approx(0.7, abs=1e-6)


def test_neutral_level_follows_a_lasting_change_slowly_with_fixed_memory() -> None:
    stage = AUStage(TableDetector(), prior_frames=1, half_life=20)
    for _ in range(20):
        stage.update(crop(0.9, 0.1), neutral=1.0)
    for _ in range(200):
        out = stage.update(crop(0.3, 0.1), neutral=1.0)
    # the level is now the recent 0.3, not 0.9 (the prior frame pulls 1 part in about 30)
    assert out[0] == pytest.approx(0.1 + 0.2 / 30, abs=0.002)
    assert stage.baseline.value().shape == (2,)


def test_missing_face_gives_nan_and_does_not_enter_the_baseline() -> None:
    stage = AUStage(TableDetector(), prior_frames=1)
    stage.update(crop(0.5, 0.1), neutral=1.0)
    gap = stage.update(None)
    assert gap.shape == (3,) and gap.dtype == np.float32 and np.isnan(gap).all()
    assert stage.baseline.seen == 1


def test_reset_forgets_the_person() -> None:
    stage = AUStage(TableDetector(), prior_frames=1)
    for _ in range(10):
        stage.update(crop(0.8, 0.1), neutral=1.0)
    stage.reset()
    out = stage.update(crop(0.2, 0.1), neutral=1.0)
    assert out[0] == pytest.approx(0.15, abs=0.005)  # only the new person's frame and the prior count


def measures(eye: float) -> np.ndarray:
    """A geometry row in MEASURES order with both eyes at `eye`."""
    row = np.full(len(MEASURES), np.nan, np.float32)
    row[MEASURES.index("eye_right")] = row[MEASURES.index("eye_left")] = eye
    return row


def test_eyes_closed_is_read_from_the_geometry_relative_to_the_persons_open_eyes() -> None:
    stage = AUStage(TableDetector(), prior_frames=1)
    assert stage.au_names == ["AU4", "AU12", "AU43"]
    for _ in range(100):  # this person's open eyes read 0.25 (narrower than the typical 0.3)
        out = stage.update(crop(0.1, 0.1), measures(0.25))
    assert "AU43" not in active(stage, out)
    closed = [stage.update(crop(0.1, 0.1), measures(0.04)) for _ in range(60)]  # a 2-s cry, eyes shut
    assert all("AU43" in active(stage, p) for p in closed)
    squint = stage.update(crop(0.1, 0.1), measures(0.18))  # narrowed, not closed
    assert "AU43" not in active(stage, squint)
    no_geometry = stage.update(crop(0.1, 0.1))
    assert np.isnan(no_geometry[2]) and "AU43" not in active(stage, no_geometry)


def test_a_recording_that_opens_on_shut_eyes_reads_them_closed() -> None:
    stage = AUStage(TableDetector(), prior_frames=1)
    closed = [stage.update(crop(0.1, 0.1), measures(0.04)) for _ in range(60)]  # opens crying, eyes shut
    assert all("AU43" in active(stage, p) for p in closed)
    opened = [stage.update(crop(0.1, 0.1), measures(0.4)) for _ in range(30)]
    assert not any("AU43" in active(stage, p) for p in opened)


def test_frames_read_together_equal_frames_read_one_by_one() -> None:
    rng = np.random.default_rng(1)
    frames = [crop(*rng.uniform(0, 1, 2)) for _ in range(12)]
    geometry = [measures(e) if i % 4 else None for i, e in enumerate(rng.uniform(0.05, 0.35, 12))]
    neutral = rng.uniform(0, 1, 12)
    one, many = AUStage(TableDetector(), prior_frames=3), AUStage(TableDetector(), prior_frames=3)
    singly = np.stack([one.update(c, g, w) for c, g, w in zip(frames, geometry, neutral)])
    np.testing.assert_allclose(many.update_many(np.stack(frames), geometry, neutral), singly, atol=1e-6)


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
    assert stage.au_names == AU_NAMES + ["AU43"]
    assert stage.version.startswith("au_detector.npz@")
    assert stage.thresholds.shape == (len(AU_NAMES) + 1,)
    out = stage.update(np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8), measures(0.3))
    assert out.shape == (len(AU_NAMES) + 1,) and np.all((out >= 0) & (out <= 1))


def test_shipped_stage_reads_a_batch_with_and_without_geometry_as_single_frames() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 128, 128), dtype=np.uint8)
    geometry = [measures(0.3), None, measures(0.1)]
    one, many = AUStage.load(MODELS), AUStage.load(MODELS)
    singly = np.stack([one.update(c, g, 0.5) for c, g in zip(frames, geometry)])
    np.testing.assert_allclose(many.update_many(frames, geometry, np.full(3, 0.5)), singly, atol=1e-5, equal_nan=True)


def test_a_detector_refuses_face_features_of_another_emotion_model() -> None:
    detector = TableDetector()
    detector.embedding_size = 4
    detector.metadata = {"embedding_model": "frame_emotion.weights.npz@aaaa"}
    stage = AUStage(detector)
    stage.check_embedding("frame_emotion.weights.npz@aaaa")
    with pytest.raises(ModelMissingError, match="mescreen train au"):
        stage.check_embedding("frame_emotion.weights.npz@bbbb")
    AUStage(TableDetector()).check_embedding("anything")  # a detector without face features reads any


def test_the_shipped_detector_matches_the_shipped_emotion_model() -> None:
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.pipeline import Models

    stage = AUStage.load(MODELS)
    assert stage.embedding_model == FrameEmotionModel.load(MODELS).features_version
    Models.load(MODELS)  # loads without a version error
