"""Logit offsets of the per-frame emotion model: fast metrics, the two fitted forms, cross-fitting."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.emotion.frame.model import adjust
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.training.frame_emotion_offsets import as_mapping, cross_fitted, fit_offsets, fit_reading, scores
from mescreen.training.metrics import classification_report


def _under_called(n: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Readings of a model that knows the classes but under-calls the rare ones (as a network
    trained on FER+'s prior does): each face's true class gets a bonus, its prior's log is added."""
    rng = np.random.default_rng(seed)
    prior = np.array([0.35, 0.29, 0.12, 0.12, 0.08, 0.01, 0.02, 0.01])
    y = rng.choice(8, n, p=np.full(8, 1 / 8))  # balanced faces, so the prior is wrong for them
    logits = rng.normal(0, 1, (n, 8)) + np.log(prior) + 2.2 * np.eye(8)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return proba.astype(np.float32), y, prior


def test_fast_scores_match_the_classification_report() -> None:
    proba, y, _ = _under_called()
    predicted = np.argmax(proba, axis=1)
    names = np.array(FRAME_EMOTIONS)
    ref = classification_report(names[y], names[predicted], FRAME_EMOTIONS)
    fast = scores(y, predicted)
    assert fast.uf1 == pytest.approx(ref.uf1) and fast.uar == pytest.approx(ref.uar)
    assert fast.accuracy == pytest.approx(ref.accuracy)
    assert fast.objective == pytest.approx((ref.uf1 + ref.uar) / 2)


@pytest.mark.parametrize("form", ["prior", "per-class"])
def test_fitted_offsets_raise_the_rare_classes_recall_and_the_objective(form: str) -> None:
    proba, y, prior = _under_called()
    offsets = fit_offsets(proba, y, form, prior)
    before, after = scores(y, np.argmax(proba, axis=1)), scores(y, np.argmax(adjust(proba, offsets), axis=1))
    assert after.objective > before.objective + 0.05
    assert offsets[0] == 0.0 and offsets[5] > 0 and offsets[7] > 0  # neutral is the reference
    rare = np.isin(y, [5, 7])
    assert np.mean(np.argmax(adjust(proba, offsets), axis=1)[rare] == y[rare]) > np.mean(np.argmax(proba, axis=1)[rare] == y[rare])
    assert not fit_offsets(proba, y, "none", prior).any()


def test_accuracy_may_fall_by_at_most_the_allowed_drop() -> None:
    proba, y, prior = _under_called()
    base = scores(y, np.argmax(proba, axis=1)).accuracy
    for drop in (0.0, 0.02):
        offsets = fit_offsets(proba, y, "per-class", prior, max_accuracy_drop=drop)
        assert scores(y, np.argmax(adjust(proba, offsets), axis=1)).accuracy >= base - drop - 1e-9


def test_cross_fitting_scores_faces_the_offsets_were_not_fitted_on() -> None:
    proba, y, prior = _under_called(n=400, seed=1)
    predicted = cross_fitted(proba, y, "per-class", prior)
    assert predicted.shape == y.shape
    offsets, summary = fit_reading(proba, y, "per-class", prior)
    assert summary["faces"] == 400 and summary["form"] == "per-class"
    # fitted and scored on the same faces flatters the fit; the cross-fitted figure is the honest one
    assert summary["fitted"]["uf1"] >= summary["cross_fitted"]["uf1"]
    assert summary["cross_fitted"]["uf1"] == pytest.approx(round(scores(y, predicted).uf1, 4))
    assert set(as_mapping(offsets)) == set(FRAME_EMOTIONS)


def test_an_unknown_form_is_refused() -> None:
    proba, y, prior = _under_called(n=100)
    with pytest.raises(ValueError, match="form"):
        fit_offsets(proba, y, "squared", prior)
