"""The shipped per-frame emotion model loads, predicts batches of face-stage crops and reads a
real smiling face as happiness."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.datapaths import models_dir
from mescreen.core.errors import InputError, ModelMissingError
from mescreen.core.face.crop import CROP_SIZE
from mescreen.core.face.haar import crop_still
from mescreen.core.emotion.frame.model import FrameEmotionModel, network_input, to_fer_framing
from mescreen.core.labels import FRAME_EMOTIONS


@pytest.fixture(scope="module")
def model() -> FrameEmotionModel:
    return FrameEmotionModel.load()


def _crops(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([cv2.GaussianBlur(rng.integers(0, 256, (CROP_SIZE, CROP_SIZE), dtype=np.uint8), (9, 9), 2.5)
                     for _ in range(n)])


def test_shipped_model_is_small_versioned_and_names_eight_emotions(model: FrameEmotionModel) -> None:
    weights = models_dir() / "frame_emotion.weights.npz"
    assert weights.stat().st_size < 5 * 1024 * 1024
    assert model.version.startswith("frame_emotion.weights.npz@")
    assert model.emotion_names == FRAME_EMOTIONS == ["neutral", "happiness", "surprise", "sadness", "anger",
                                                     "disgust", "fear", "contempt"]


def test_predict_returns_one_distribution_per_crop(model: FrameEmotionModel) -> None:
    proba = model.predict(_crops(5))
    assert proba.shape == (5, 8) and proba.dtype == np.float32
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    assert (proba >= 0).all()
    assert model.predict(np.zeros((0, CROP_SIZE, CROP_SIZE), np.uint8)).shape == (0, 8)


def test_batch_equals_one_by_one(model: FrameEmotionModel) -> None:
    crops = _crops(6, seed=1)
    batched = model.predict(crops)
    single = np.concatenate([model.predict(c[None]) for c in crops])
    assert np.allclose(batched, single, atol=1e-5)
    assert not np.allclose(batched[0], batched[1], atol=1e-4)  # the output depends on the input


def test_face_features_come_from_the_same_pass_as_the_emotions(model: FrameEmotionModel) -> None:
    crops = _crops(5, seed=3)
    probs, features = model.predict_with_features(crops)
    np.testing.assert_allclose(probs, model.predict(crops), atol=1e-6)
    assert features.shape == (5, model.feature_size) and np.isfinite(features).all()
    assert not np.allclose(features[0], features[1])  # per face, not a constant
    empty_probs, empty_features = model.predict_with_features(crops[:0])
    assert empty_probs.shape == (0, len(FRAME_EMOTIONS)) and empty_features.shape == (0, model.feature_size)


def test_bad_crops_are_a_clear_input_error(model: FrameEmotionModel) -> None:
    with pytest.raises(InputError):
        model.predict(np.zeros((2, CROP_SIZE, CROP_SIZE, 3), np.uint8))
    with pytest.raises(InputError):
        model.predict(np.zeros((2, 64, 64), np.uint8))


def test_missing_model_names_the_training_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="mescreen train frame-emotion"):
        FrameEmotionModel.load(tmp_path)


def test_network_input_is_standardised_per_face() -> None:
    faces = to_fer_framing(_crops(3))
    x = network_input(faces)
    assert x.shape == (3, 48, 48, 1)
    assert np.allclose(x.mean(axis=(1, 2, 3)), 0.0, atol=1e-4)
    dimmer = faces.astype(np.float32) * 0.4 + 30  # the same face under other lighting
    assert np.allclose(network_input(dimmer), x, atol=1e-3)


def test_a_smiling_real_face_is_read_as_happiness(model: FrameEmotionModel, data_dir: Path) -> None:
    face = crop_still(cv2.imread(str(data_dir / "images" / "single_face.jpg")))
    assert face is not None
    proba = model.predict(face.crop[None])[0]
    assert FRAME_EMOTIONS[int(np.argmax(proba))] == "happiness"


def test_every_batch_size_reads_as_one_by_one_through_the_converted_file(model: FrameEmotionModel) -> None:
    """The converted network takes any batch size (the last batch of a video is smaller)."""
    crops = _crops(7, seed=7)
    whole = model.predict(crops)
    for n in (64, 5, 1):
        np.testing.assert_allclose(model.predict(np.resize(crops, (n, CROP_SIZE, CROP_SIZE)))[: min(n, 7)],
                                   whole[: min(n, 7)], atol=1e-5)
