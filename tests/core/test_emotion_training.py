"""EmotionCNN estimator: save/load round trip, seed ensembles in one file, test-time mirroring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mescreen.training.emotion import EmotionCNN, augment


def _data(n: int = 24, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, size, size, 3), dtype=np.float32), np.array(["negative", "positive", "surprise"] * (n // 3))


def test_save_load_round_trip_of_a_seed_ensemble(tmp_path: Path) -> None:
    members = 2
    X, y = _data()
    model = EmotionCNN(epochs=1, batch_size=8, n_members=members, flip="flow").fit(X, y)
    model.save(tmp_path / "m", extra={"input_kind": "flow"})
    loaded, meta = EmotionCNN.load(tmp_path / "m")
    assert meta["input_kind"] == "flow" and meta["config"]["n_members"] == members
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert list(loaded.predict(X[:3])) == list(model.predict(X[:3]))


def test_test_time_mirroring_makes_predictions_mirror_invariant() -> None:
    X, y = _data()
    model = EmotionCNN(epochs=1, batch_size=8, flip="flow", tta=True).fit(X, y)
    mirrored = augment(X, np.zeros(len(X), int), "flow")[0][len(X):]
    assert np.allclose(model.predict_proba(X), model.predict_proba(mirrored), atol=1e-5)
    views = model.proba_views(X)
    assert set(views) == {"plain", "mirrored"} and not np.allclose(views["plain"], views["mirrored"])


def test_flow_mirroring_negates_u_only() -> None:
    X = np.random.default_rng(1).random((2, 4, 4, 3), dtype=np.float32)
    out, t = augment(X, np.array([0, 1]), "flow")
    assert out.shape == (4, 4, 4, 3) and list(t) == [0, 1, 0, 1]
    assert np.allclose(out[2, :, :, 0], 1 - X[0, :, ::-1, 0])
    assert np.allclose(out[2, :, :, 1:], X[0, :, ::-1, 1:])
    with pytest.raises(ValueError):
        augment(X, np.array([0, 1]), "rotate")


def test_cosine_decay_brings_the_learning_rate_to_zero() -> None:
    X, y = _data()
    model = EmotionCNN(epochs=2, batch_size=8, lr_decay=True).fit(X, y)
    optimizer = model.model_.optimizer
    assert float(optimizer.learning_rate) < 1e-6  # decayed to ~0 after all planned steps
    assert model.predict_proba(X).shape == (len(X), 3)


def test_training_is_reproducible_and_shift_augmentation_changes_it() -> None:
    X, y = _data()
    first = EmotionCNN(epochs=2, batch_size=8, seed=3).fit(X, y)
    again = EmotionCNN(epochs=2, batch_size=8, seed=3).fit(X, y)
    shifted = EmotionCNN(epochs=2, batch_size=8, seed=3, shift=2).fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(first.model_.get_weights(), again.model_.get_weights()))
    assert not np.allclose(first.predict_proba(X), shifted.predict_proba(X))


def test_an_ensemble_reports_each_member_beside_the_average() -> None:
    X, y = _data()
    model = EmotionCNN(epochs=1, batch_size=8, n_members=2, flip="flow").fit(X, y)
    views = model.proba_views(X)
    assert set(views) == {"plain", "mirrored", "member 0 plain", "member 0 mirrored", "member 1 plain", "member 1 mirrored"}
    assert np.allclose(views["plain"], (views["member 0 plain"] + views["member 1 plain"]) / 2, atol=1e-6)


@pytest.mark.parametrize("change", [{"rotate": 10.0}, {"zoom": 0.1}, {"magnitude": 0.3}, {"mixup": 0.4}])
def test_each_augmentation_is_reproducible_and_changes_training(change: dict) -> None:
    X, y = _data()
    plain = EmotionCNN(epochs=2, batch_size=8, seed=3).fit(X, y)
    first = EmotionCNN(epochs=2, batch_size=8, seed=3, **change).fit(X, y)
    again = EmotionCNN(epochs=2, batch_size=8, seed=3, **change).fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(first.model_.get_weights(), again.model_.get_weights()))
    assert not np.allclose(plain.predict_proba(X), first.predict_proba(X))


def test_ststnet_is_small_and_trains() -> None:
    X, y = _data(size=28)
    model = EmotionCNN(architecture="ststnet", epochs=1, batch_size=8).fit(X, y)
    assert model.model_.count_params() < 5000
    assert model.predict_proba(X).shape == (len(X), 3)


def test_region_input_keeps_brows_eyes_and_mouth_only_and_commutes_with_mirroring() -> None:
    from mescreen.core.emotion.micro.estimator import region_input

    X = np.random.default_rng(2).random((3, 28, 28, 3), dtype=np.float32)
    out = region_input(X)
    assert np.array_equal(out[:, 5, 10], X[:, 5, 10]) and np.array_equal(out[:, 20, 14], X[:, 20, 14])
    assert np.allclose(out[:, 14, 14], np.median(X.reshape(3, -1, 3), axis=1))  # nose: no movement
    mirror = lambda a: augment(a, np.zeros(len(a), int), "flow")[0][len(a):]  # noqa: E731
    assert np.allclose(region_input(mirror(X)), mirror(out), atol=1e-6)


def test_auxiliary_au_loss_needs_the_aus_and_ships_the_emotion_output_only(tmp_path: Path) -> None:
    X, y = _data()
    au = np.random.default_rng(4).integers(0, 2, (len(X), 5)).astype(np.float32)
    with pytest.raises(ValueError, match="au_weight"):
        EmotionCNN(epochs=1, batch_size=8, au_weight=0.5).fit(X, y)
    plain = EmotionCNN(epochs=2, batch_size=8, flip="flow").fit(X, y)
    multi = EmotionCNN(epochs=2, batch_size=8, flip="flow", au_weight=0.5).fit(X, y, au=au)
    assert not np.allclose(plain.predict_proba(X), multi.predict_proba(X))
    multi.save(tmp_path / "m")
    loaded, _ = EmotionCNN.load(tmp_path / "m")
    assert np.allclose(loaded.predict_proba(X), multi.predict_proba(X), atol=1e-6)


def test_the_stst_candidate_ensemble_saves_loads_and_predicts_through_the_runtime(tmp_path: Path) -> None:
    """What `mescreen train emotion --arch ststnet --shift 2` writes (five members in one file) loads
    in the runtime classifier and reads as the trained estimator did."""
    import argparse

    from mescreen.cli.train_emotion import add_arguments, config_from_args
    from mescreen.core.emotion.micro.classifier import MODEL_STEM, EmotionClassifier

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--arch", "ststnet", "--shift", "2", "--epochs", "1"]))
    assert (config.architecture, config.shift, config.n_members, config.tta) == ("ststnet", 2, 5, True)
    X, y = _data(size=28)
    model = EmotionCNN(config).fit(X, y)
    model.save(tmp_path / MODEL_STEM, extra={"input_kind": "flow"})
    runtime = EmotionClassifier.load(tmp_path)
    assert len(runtime.estimator.members_) == 5 and runtime.estimator.model_.count_params() < 5 * 2000
    images = (X * 255).astype(np.uint8)
    expected = model.predict_proba(images.astype(np.float32) / 255.0)
    assert np.allclose(runtime.predict_images(images), expected[:, [list(model.classes_).index(c)
                                                                   for c in runtime.labels]], atol=1e-5)
