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


def _with_meta(tmp_path: Path, **changes: object) -> FrameEmotionModel:
    """The shipped model from a copy of its files whose JSON has `changes`."""
    import json
    import shutil

    for name in ("frame_emotion.weights.npz", "frame_emotion.tflite"):
        shutil.copy(models_dir() / name, tmp_path)
    meta = json.loads((models_dir() / "frame_emotion.json").read_text())
    meta.pop("logit_offsets", None)
    meta.pop("test_time_flip", None)
    (tmp_path / "frame_emotion.json").write_text(json.dumps({**meta, **changes}))
    return FrameEmotionModel.load(tmp_path)


def test_logit_offsets_from_the_json_shift_the_probabilities_towards_their_classes(tmp_path: Path) -> None:
    plain_dir, offset_dir = tmp_path / "plain", tmp_path / "offsets"
    plain_dir.mkdir(), offset_dir.mkdir()
    plain = _with_meta(plain_dir)
    shifted = _with_meta(offset_dir, logit_offsets={"disgust": 1.5, "contempt": 0.7})
    crops = _crops(6, seed=4)
    p, q = plain.predict(crops), shifted.predict(crops)
    offsets = np.array([0, 0, 0, 0, 0, 1.5, 0, 0.7], np.float32)
    expected = p * np.exp(offsets)
    np.testing.assert_allclose(q, expected / expected.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
    assert (q[:, 5] > p[:, 5]).all() and (q[:, 0] < p[:, 0]).all()
    # the face features are the network's, untouched by the offsets; the version names them
    np.testing.assert_allclose(shifted.predict_with_features(crops)[1], plain.predict_with_features(crops)[1])
    assert "+offsets@" in shifted.version and plain.version == shifted.version.split("+")[0]


def test_unknown_emotions_in_the_offsets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="unknown emotions"):
        _with_meta(tmp_path, logit_offsets={"boredom": 1.0})


def test_test_time_flip_averages_the_probabilities_of_the_face_and_its_mirror(tmp_path: Path) -> None:
    plain_dir, flip_dir = tmp_path / "plain", tmp_path / "flip"
    plain_dir.mkdir(), flip_dir.mkdir()
    plain = _with_meta(plain_dir)
    flipped = _with_meta(flip_dir, test_time_flip=True)
    faces = to_fer_framing(_crops(5, seed=5))
    probs, features = plain._read(faces, 256)
    mirror_probs, mirror_features = plain._read(faces[:, :, ::-1], 256)
    got_probs, got_features = flipped._read(faces, 256)
    np.testing.assert_allclose(got_probs, (probs + mirror_probs) / 2, atol=1e-5)
    # the AU detector reads the features: they, and the version it is tied to, are the face's as seen
    np.testing.assert_allclose(got_features, features, atol=1e-5)
    assert not np.allclose(features, mirror_features, atol=1e-3)
    assert flipped.version == plain.version + "+flip" and flipped.features_version == plain.version
    # a face and its mirror now read the same
    np.testing.assert_allclose(flipped._read(faces[:, :, ::-1], 256)[0], got_probs, atol=1e-5)
