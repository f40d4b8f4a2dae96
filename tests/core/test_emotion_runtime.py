"""The shipped emotion model loads, reports its version and predicts on face-stage-style crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.datapaths import models_dir
from mescreen.core.emotion.micro.classifier import EmotionClassifier, network_input
from mescreen.core.errors import InputError, ModelMissingError
from mescreen.core.labels import EMOTIONS_3


@pytest.fixture(scope="module")
def classifier() -> EmotionClassifier:
    return EmotionClassifier.load()


def _crops(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    onset = cv2.GaussianBlur(rng.integers(0, 256, (128, 128), dtype=np.uint8), (9, 9), 2.5)
    return onset, np.roll(onset, 1 + seed % 3, axis=seed % 2)


def test_shipped_model_is_small_and_versioned(classifier: EmotionClassifier) -> None:
    weights = sorted(models_dir().glob("emotion_cnn.weights.*"))
    assert len(weights) == 1 and weights[0].stat().st_size < 100 * 1024 * max(1, classifier.estimator.config.n_members)
    assert classifier.version.startswith(weights[0].name + "@")
    assert classifier.labels == EMOTIONS_3
    assert classifier.input_kind in {"apex", "flow"}


def test_predict_returns_a_distribution_over_the_three_classes(classifier: EmotionClassifier) -> None:
    proba = classifier.predict(*_crops(0))
    assert list(proba) == EMOTIONS_3
    assert sum(proba.values()) == pytest.approx(1.0, abs=1e-4)
    assert all(0.0 <= p <= 1.0 for p in proba.values())


def test_predict_many_equals_one_by_one(classifier: EmotionClassifier) -> None:
    pairs = [_crops(s) for s in range(4)]
    batched = classifier.predict_many(pairs)
    assert len(batched) == 4
    for pair, row in zip(pairs, batched):
        single = classifier.predict(*pair)
        assert all(row[k] == pytest.approx(single[k], abs=1e-5) for k in EMOTIONS_3)
    assert classifier.predict_many([]) == []


def test_bad_crop_is_a_clear_input_error(classifier: EmotionClassifier) -> None:
    with pytest.raises(InputError):
        classifier.predict(np.zeros((128, 128, 3), np.uint8), np.zeros((128, 128, 3), np.uint8))


def test_missing_model_names_the_training_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="mescreen train emotion"):
        EmotionClassifier.load(tmp_path)


def test_network_input_shapes() -> None:
    crops = np.zeros((2, 128, 128), np.uint8)
    assert network_input("apex", crops, 64).shape == (2, 64, 64, 3)
    flows = np.full((2, 28, 28, 3), 255, np.uint8)
    out = network_input("flow", flows, 28)
    assert out.shape == (2, 28, 28, 3) and out.max() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        network_input("video", crops, 28)


def test_dataset_framing_cuts_the_measured_window() -> None:
    from mescreen.core.emotion.micro.classifier import DATASET_WINDOW, to_dataset_framing

    crop = np.zeros((128, 128), np.uint8)
    x0, y0, x1, y1 = DATASET_WINDOW
    crop[y0:y1, x0:x1] = 200  # the dataset's part of the face-stage crop
    framed = to_dataset_framing(crop)
    assert framed.shape == (128, 128)
    assert framed[2:-2, 2:-2].min() == 200  # nothing of the outside margin is left


def test_the_runtime_network_is_the_converted_file_with_tta_around_it(classifier: EmotionClassifier) -> None:
    """The runtime runs the converted file (no Keras); test-time mirroring averages the plain and the
    mirrored input's probabilities, as the Keras estimator did."""
    from mescreen.core.emotion.micro.estimator import ConvertedNetwork, mirrored

    estimator = classifier.estimator
    assert isinstance(estimator, ConvertedNetwork)
    X = np.random.default_rng(0).random((3, *estimator.input_shape_), dtype=np.float32)
    plain = estimator.model.run(X)["probabilities"]
    if estimator.config.tta and estimator.config.flip != "none":
        flipped = estimator.model.run(mirrored(X, estimator.config.flip))["probabilities"]
        np.testing.assert_allclose(estimator.predict_proba(X), (plain + flipped) / 2, atol=1e-6)
    else:
        np.testing.assert_allclose(estimator.predict_proba(X), plain, atol=1e-6)
