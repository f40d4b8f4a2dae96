"""Subject-independent out-of-fold predictions for any scikit-learn-style estimator.

Leave-one-subject-out (MEGC2019's protocol) or k folds grouped by subject. Every sample is
predicted by a model that never saw its subject; metrics are then computed on the pooled
predictions (core/training/metrics.py), as MEGC2019 does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

EstimatorFactory = Callable[[], Any]


@dataclass
class OutOfFold:
    """Pooled out-of-fold predictions, aligned with the input samples."""

    y_pred: np.ndarray
    proba: np.ndarray  # (N, n_classes) in `classes` order
    classes: list[str]
    n_folds: int


def out_of_fold(
    make_estimator: EstimatorFactory,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    classes: list[str],
    n_folds: int | None = None,
    on_fold: Callable[[int, int], None] | None = None,
) -> OutOfFold:
    """Fit a fresh estimator per fold; `n_folds=None` is LOSO, otherwise GroupKFold(n_folds).

    The estimator must expose fit(X, y), predict_proba(X) and `classes_`; its probabilities are
    re-ordered into `classes` so folds whose training part lacks a class still line up.
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    splitter = LeaveOneGroupOut() if n_folds is None else GroupKFold(n_splits=n_folds)
    splits = list(splitter.split(X, y, groups))
    proba = np.zeros((len(y), len(classes)), dtype=np.float64)
    for i, (train, test) in enumerate(splits):
        estimator = make_estimator()
        estimator.fit(X[train], y[train])
        fold_proba = np.asarray(estimator.predict_proba(X[test]))
        for j, cls in enumerate(estimator.classes_):
            proba[test, classes.index(str(cls))] = fold_proba[:, j]
        if on_fold is not None:
            on_fold(i + 1, len(splits))
    y_pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    return OutOfFold(y_pred=y_pred, proba=proba, classes=list(classes), n_folds=len(splits))
