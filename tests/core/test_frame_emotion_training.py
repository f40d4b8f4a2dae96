"""Training helpers of the per-frame emotion model: class weights, augmentation, FER-like preparation."""

from __future__ import annotations

import numpy as np

from mescreen.training.frame_emotion import (VIDEO_FACE_SIZE, FrameEmotionConfig, augment, class_weights, dim_capture,
                                             prepare_faces)


def test_rare_classes_weigh_more_and_the_average_face_weighs_one() -> None:
    soft = np.zeros((110, 8), np.float32)
    soft[:100, 0] = 1.0  # 100 neutral faces
    soft[100:, 7] = 1.0  # 10 contempt faces
    weights = class_weights(soft, power=0.5)
    assert np.isclose(weights[7] / weights[0], np.sqrt(10.0))
    assert np.isclose((soft @ weights).mean(), 1.0)
    assert np.allclose(class_weights(soft, power=0.0)[[0, 7]], 1.0)


def test_augment_is_seeded_and_changes_the_faces() -> None:
    faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)
    a = augment(faces, np.random.default_rng(1), FrameEmotionConfig())
    b = augment(faces, np.random.default_rng(1), FrameEmotionConfig())
    assert a.shape == faces.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, faces)


def test_dim_capture_films_each_face_darker_and_noisier_at_video_scale() -> None:
    faces = np.full((6, 48, 48), 200, np.uint8)
    config = FrameEmotionConfig(dim_gain=(0.2, 0.5), dim_noise=(2.0, 4.0))
    dim = dim_capture(faces, np.random.default_rng(0), config)
    assert dim.shape == (6, VIDEO_FACE_SIZE, VIDEO_FACE_SIZE) and dim.dtype == np.uint8
    level = dim.mean(axis=(1, 2))
    assert np.all((level > 200 * 0.2 - 1) & (level < 200 * 0.5 + 1)) and np.ptp(level) > 5  # each its own gain
    noise = dim.std(axis=(1, 2))
    assert np.all((noise > 1.5) & (noise < 4.5))  # the flat face gains only the sensor noise
    assert np.array_equal(dim, dim_capture(faces, np.random.default_rng(0), config))


def test_prepared_faces_keep_their_size_and_gain_local_contrast() -> None:
    ramp = np.tile(np.linspace(100, 140, 48, dtype=np.float32), (48, 1)).astype(np.uint8)[None]
    prepared = prepare_faces(ramp, "window")
    assert prepared.shape == (1, 48, 48) and prepared.dtype == np.uint8
    assert prepared.std() > ramp.std()  # CLAHE stretches the flat ramp


def test_pixel_baseline_puts_its_probabilities_in_the_columns_of_its_classes() -> None:
    from mescreen.training.frame_emotion_eval import PixelBaseline, report

    rng = np.random.default_rng(0)
    dark = rng.integers(0, 256, (20, 48, 48), dtype=np.uint8)
    dark[:, :24] //= 4  # upper half dark: class 3 (sadness); lower half dark: class 0 (neutral)
    light = rng.integers(0, 256, (20, 48, 48), dtype=np.uint8)
    light[:, 24:] //= 4
    faces = np.concatenate([dark, light])
    y = np.array([3] * 20 + [0] * 20)
    proba = PixelBaseline(C=1.0).fit(faces, y).predict_proba(faces)
    assert proba.shape == (40, 8)
    assert np.allclose(proba[:, [1, 2, 4, 5, 6, 7]], 0.0)
    assert report(np.array(["sadness"] * 20 + ["neutral"] * 20), proba).accuracy == 1.0


def test_the_logit_adjusted_loss_is_least_for_the_balanced_answer() -> None:
    """Plain cross-entropy is least where the network repeats the votes; the logit-adjusted one
    where it divides them by the class prior (the balanced answer), so rare classes are read more."""
    import tensorflow as tf

    from mescreen.training.frame_emotion import class_prior, soft_cross_entropy

    votes = np.array([[0.6, 0.0, 0.0, 0.0, 0.0, 0.4, 0.0, 0.0]], np.float32)
    prior = class_prior(np.array([[0.9, 0.01, 0.01, 0.01, 0.01, 0.04, 0.01, 0.01]] * 10, np.float32))
    balanced = votes / prior
    balanced = (balanced / balanced.sum()).astype(np.float32)
    ones = tf.ones(8)
    margin = tf.constant(np.log(prior).astype(np.float32))

    def loss(q: np.ndarray, m: object) -> float:
        return float(soft_cross_entropy(tf.constant(np.clip(q, 1e-6, 1)), tf.constant(votes), ones, m))

    assert loss(votes, None) < loss(balanced, None)
    assert loss(balanced, margin) < loss(votes, margin)
    assert balanced[0, 5] > votes[0, 5]  # the rare class gains


def test_the_evaluation_names_the_reading_settings_and_the_command_that_fitted_them() -> None:
    from mescreen.training.frame_emotion_eval import reading_line

    assert reading_line({}) == "Reading: test-time flip off; logit offsets none."
    line = reading_line({"test_time_flip": True, "logit_offsets": {"neutral": 0.0, "disgust": 0.33},
                         "reading_command": "mescreen train frame-emotion --reading-only --flip --offsets prior"})
    assert line == ("Reading: test-time flip on; logit offsets disgust +0.33 (fitted on FER+ valid by "
                    "`mescreen train frame-emotion --reading-only --flip --offsets prior`).")
