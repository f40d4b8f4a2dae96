"""Per-class logit offsets of the per-frame emotion model, fitted on FER+ valid.

Why: FER+ train holds 8,739 neutral faces and 119 disgusted ones, so the network's argmax seldom
says disgust, contempt or fear even where they are its second reading (version 3 on FER+ test:
disgust 1 of 13, contempt 0 of 14). Adding an offset to each class's log-probability moves the
decisions towards the rare classes at no run-time cost (post-hoc logit adjustment, Menon et al.,
ICLR 2021); mescreen.core.emotion.frame.model applies them.

Two forms, both fitted on FER+ valid only:
- "prior": offset = -tau * log(class prior of the training votes), one parameter (tau) on a grid;
  the textbook adjustment, hard to overfit.
- "per-class": one offset per class (neutral fixed at 0), by coordinate ascent on a grid; more
  freedom, but valid has only 24 disgusted and 13 contempt faces (before removing duplicates).
The objective is the mean of macro-F1 and macro recall (UAR), the two figures the issue's targets
name, with accuracy held within `max_accuracy_drop` of the unadjusted model's (a model that buys
rare-class recall with everyday faces read wrong is no better for a clinician).

`cross_fitted` says how much of a fit's gain is real: the offsets are fitted on one half of valid
and scored on the other, both ways, so the figure is not flattered by fitting and scoring on the
same faces. The selection rule (bench/RESULTS.md) reads that figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from mescreen.core.emotion.frame.model import adjust
from mescreen.core.labels import FRAME_EMOTIONS

FORMS = ("none", "prior", "per-class")
#: Grid of each per-class offset and of tau.
OFFSET_GRID = np.round(np.arange(-4.0, 4.0001, 0.05), 2)
TAU_GRID = np.round(np.arange(0.0, 2.0001, 0.05), 2)


@dataclass(frozen=True)
class Scores:
    """Metrics of argmax predictions (macro averages over the classes present, as
    mescreen.training.metrics.classification_report computes them)."""

    uf1: float
    uar: float
    accuracy: float

    @property
    def objective(self) -> float:
        return (self.uf1 + self.uar) / 2


def scores(y: np.ndarray, predicted: np.ndarray, n_classes: int = len(FRAME_EMOTIONS)) -> Scores:
    """Fast metrics of integer labels and predictions (a few microseconds; the fit calls it thousands of times)."""
    cm = np.bincount(y * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    true, said, hit = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm).astype(float)
    present = true > 0
    recall = hit[present] / true[present]
    precision = np.divide(hit, said, out=np.zeros_like(hit), where=said > 0)[present]
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(recall), where=precision + recall > 0)
    return Scores(float(f1.mean()), float(recall.mean()), float(hit.sum() / len(y)))


def _score(log_proba: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> Scores:
    return scores(y, np.argmax(log_proba + offsets, axis=1))


def fit_offsets(proba: np.ndarray, y: np.ndarray, form: str, prior: np.ndarray,
                max_accuracy_drop: float = 0.02, sweeps: int = 3) -> np.ndarray:
    """(8,) float32 offsets of `form` maximising Scores.objective on (proba, y) with accuracy at
    least the unadjusted accuracy - `max_accuracy_drop`; zeros for "none" (or when nothing helps)."""
    n_classes = proba.shape[1]
    best = np.zeros(n_classes)
    if form == "none":
        return best.astype(np.float32)
    log_proba = np.log(np.maximum(proba, 1e-12))
    floor = _score(log_proba, y, best).accuracy - max_accuracy_drop

    def value(offsets: np.ndarray) -> float:
        s = _score(log_proba, y, offsets)
        return s.objective if s.accuracy >= floor else -1.0

    best_value = value(best)
    if form == "prior":
        log_prior = np.log(np.maximum(prior, 1e-12))
        for tau in TAU_GRID:
            v = value(-tau * log_prior)
            if v > best_value + 1e-12:
                best, best_value = -tau * log_prior, v
        return (best - best[0]).astype(np.float32)
    if form != "per-class":
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    for _ in range(sweeps):
        changed = False
        for k in range(1, n_classes):  # class 0 (neutral) is the reference
            trial = best.copy()
            for b in OFFSET_GRID:
                trial[k] = b
                v = value(trial)
                if v > best_value + 1e-12:
                    best, best_value, changed = trial.copy(), v, True
        if not changed:
            break
    return best.astype(np.float32)


def cross_fitted(proba: np.ndarray, y: np.ndarray, form: str, prior: np.ndarray, seed: int = 0) -> np.ndarray:
    """(n,) predictions with offsets fitted on one half of the faces (stratified by class) and
    applied to the other, both ways: their scores are an honest estimate of what fitting `form`
    on all of the faces gains."""
    predicted = np.empty_like(y)
    folds = StratifiedKFold(2, shuffle=True, random_state=seed)
    for fit_rows, score_rows in folds.split(proba, y):
        offsets = fit_offsets(proba[fit_rows], y[fit_rows], form, prior)
        predicted[score_rows] = np.argmax(adjust(proba[score_rows], offsets), axis=1)
    return predicted


def as_mapping(offsets: np.ndarray) -> dict[str, float]:
    """The JSON form (emotion -> offset, rounded as fitted on the grid)."""
    return {name: round(float(b), 4) for name, b in zip(FRAME_EMOTIONS, offsets)}


def fit_reading(proba: np.ndarray, y: np.ndarray, form: str, prior: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
    """The offsets of `form` fitted on all of (proba, y) (the valid faces' readings, flip applied
    if the model flips), and what the model JSON records of the fit: valid scores unadjusted,
    adjusted with these offsets (flattered: fitted there) and cross-fitted (honest)."""
    offsets = fit_offsets(proba, y, form, prior)
    as_dict = lambda s: {"uf1": round(s.uf1, 4), "uar": round(s.uar, 4), "accuracy": round(s.accuracy, 4)}  # noqa: E731
    summary = {"form": form, "faces": int(len(y)),
               "unadjusted": as_dict(scores(y, np.argmax(proba, axis=1))),
               "fitted": as_dict(scores(y, np.argmax(adjust(proba, offsets), axis=1))),
               "cross_fitted": as_dict(scores(y, cross_fitted(proba, y, form, prior)))}
    return offsets, summary
