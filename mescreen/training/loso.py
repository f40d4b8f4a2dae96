"""Subject-independent out-of-fold predictions for any scikit-learn-style estimator.

Leave-one-subject-out (MEGC2019's protocol) or k folds grouped by subject. Every sample is
predicted by a model that never saw its subject; metrics are then computed on the pooled
predictions (mescreen/training/metrics.py), as MEGC2019 does.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
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


#: Maps a fitted estimator and test inputs to named probability arrays (in estimator.classes_ order).
Views = Callable[[Any, np.ndarray], dict[str, np.ndarray]]


def _predict_proba(estimator: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    return {"": np.asarray(estimator.predict_proba(X))}


def fit_fold(
    make_estimator: EstimatorFactory, views: Views, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
    fit_params: dict[str, np.ndarray] | None = None,
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Fit one fold's estimator; its classes and named test probabilities (runs in a worker too;
    also the one fit of a train-on-one-set, test-on-another protocol)."""
    estimator = make_estimator()
    estimator.fit(X_train, y_train, **(fit_params or {}))
    return [str(c) for c in estimator.classes_], views(estimator, X_test)


def out_of_fold_views(
    make_estimator: EstimatorFactory,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    classes: list[str],
    views: Views = _predict_proba,
    n_folds: int | None = None,
    on_fold: Callable[[int, int], None] | None = None,
    n_jobs: int = 1,
    worker_init: Callable[[], None] | None = None,
    fit_params: dict[str, np.ndarray] | None = None,
) -> dict[str, OutOfFold]:
    """Like `out_of_fold`, with several predictions per fitted model (e.g. with and without
    test-time augmentation), so comparing them costs no extra training.

    `n_jobs` > 1 fits folds in that many fresh ("spawn") processes, each first running
    `worker_init` (e.g. to pin its thread count); the estimator factory and `views` must then be
    picklable (module-level functions, functools.partial). Results do not depend on `n_jobs`.
    `fit_params`: per-sample arrays passed to `fit` by name, each sliced to the fold's training rows
    (e.g. auxiliary targets), as scikit-learn's cross_validate(params=...) does.
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    splitter = LeaveOneGroupOut() if n_folds is None else GroupKFold(n_splits=n_folds)
    splits = list(splitter.split(X, y, groups))
    probas: dict[str, np.ndarray] = {}

    def params(train: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.asarray(values)[train] for name, values in (fit_params or {}).items()}

    def collect(test: np.ndarray, fold_classes: list[str], fold_views: dict[str, np.ndarray]) -> None:
        for name, fold_proba in fold_views.items():
            proba = probas.setdefault(name, np.zeros((len(y), len(classes)), dtype=np.float64))
            for j, cls in enumerate(fold_classes):
                proba[test, classes.index(cls)] = fold_proba[:, j]

    def fold_results() -> Iterator[tuple[np.ndarray, tuple[list[str], dict[str, np.ndarray]]]]:
        """(test indices, fitted fold's result), in order, or as the workers finish them."""
        if n_jobs <= 1:
            for train, test in splits:
                yield test, fit_fold(make_estimator, views, X[train], y[train], X[test], params(train))
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(n_jobs, mp_context=context, initializer=worker_init) as pool:
            futures = {pool.submit(fit_fold, make_estimator, views, X[train], y[train], X[test], params(train)): test
                       for train, test in splits}
            for future in as_completed(futures):
                yield futures[future], future.result()

    for i, (test, (fold_classes, fold_views)) in enumerate(fold_results()):
        collect(test, fold_classes, fold_views)
        if on_fold is not None:
            on_fold(i + 1, len(splits))
    return {name: OutOfFold(np.asarray(classes)[np.argmax(p, axis=1)], p, list(classes), len(splits))
            for name, p in probas.items()}


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
    return out_of_fold_views(make_estimator, X, y, groups, classes=classes, n_folds=n_folds, on_fold=on_fold)[""]
