"""Out-of-fold predictions never use a test subject for training."""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from mescreen.training.loso import out_of_fold, out_of_fold_views


class _Memorizer:
    """Predicts a training sample's own label exactly; anything unseen gets class "z"."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> "_Memorizer":
        self.seen = {float(x): label for x, label in zip(X[:, 0], y)}
        self.classes_ = np.array(["a", "b", "z"])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((len(X), 3))
        for i, x in enumerate(X[:, 0]):
            out[i, list(self.classes_).index(self.seen.get(float(x), "z"))] = 1
        return out


def test_loso_never_sees_the_test_subject() -> None:
    X = np.arange(12, dtype=float)[:, None]
    y = np.array(["a", "b"] * 6)
    groups = np.repeat(["s1", "s2", "s3", "s4"], 3)
    oof = out_of_fold(_Memorizer, X, y, groups, classes=["a", "b", "z"])
    assert oof.n_folds == 4
    assert (oof.y_pred == "z").all()


def test_grouped_folds_and_class_reordering() -> None:
    X = np.zeros((12, 1))
    y = np.array(["b", "b", "a"] * 4)  # every subject: two b, one a
    groups = np.repeat(["s1", "s2", "s3", "s4"], 3)
    # classes given in another order than the estimator's sorted classes_
    oof = out_of_fold(lambda: DummyClassifier(strategy="prior"), X, y, groups, classes=["b", "a"], n_folds=2)
    assert oof.n_folds == 2
    assert np.allclose(oof.proba, [[2 / 3, 1 / 3]] * 12)
    assert (oof.y_pred == "b").all()


def test_parallel_folds_give_the_same_predictions_as_serial() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] > 0, "a", "b")
    groups = np.repeat(np.arange(8), 5)
    make = partial(LogisticRegression, C=0.5)
    serial = out_of_fold(make, X, y, groups, classes=["a", "b"])
    parallel = out_of_fold_views(make, X, y, groups, classes=["a", "b"], n_jobs=2)[""]
    assert np.allclose(serial.proba, parallel.proba) and list(serial.y_pred) == list(parallel.y_pred)
