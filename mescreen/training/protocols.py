"""Protocols that measure whether an emotion model holds on people and recordings it never saw.

- LOSO over the 278 MEGC2019 samples: every person is left out once (mescreen/training/loso.py).
- Cross-dataset: train on all of CASME II, test on all of SAMM, and the reverse. Other people,
  another lab, camera, frame rate and coding team: the closest the data comes to a clinic.

Each protocol scores the model beside two baselines trained and tested identically on the raw
flow pixels (class-balanced logistic regression and RBF SVM, scikit-learn), so a figure says how
much the network adds. Nothing is chosen on test subjects here: every estimator trains with
fixed settings and a fixed number of epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from mescreen.core.labels import EMOTIONS_3
from mescreen.training.loso import EstimatorFactory, Views, fit_fold, out_of_fold_views
from mescreen.training.megc import MegcSet
from mescreen.training.metrics import ClassificationReport, classification_report

#: (train dataset, test dataset) pairs of the cross-dataset protocol.
CROSS_DATASET: tuple[tuple[str, str], ...] = (("casme2", "samm"), ("samm", "casme2"))
DATASET_NAMES = {"casme2": "CASME II", "samm": "SAMM"}
LOSO = "LOSO (278 samples, 52 people)"


def within_name(n_folds: int | None) -> str:
    """Name of the within-set protocol: LOSO, or k subject-grouped folds (quicker, for checks)."""
    return LOSO if n_folds is None else f"{n_folds} subject-grouped folds"


def _flatten(X: np.ndarray) -> np.ndarray:
    return X.reshape(len(X), -1)


def pixel_classifier(estimator: Any) -> Any:
    """A classical classifier on standardised raw pixels (the images flattened)."""
    return make_pipeline(FunctionTransformer(_flatten), StandardScaler(), clone(estimator))


def pixel_baselines() -> dict[str, EstimatorFactory]:
    """The two baselines every protocol reports beside the model (both class-balanced)."""
    return {
        "logistic regression (raw pixels)": partial(
            pixel_classifier, LogisticRegression(class_weight="balanced", max_iter=5000)),
        "RBF SVM (raw pixels)": partial(pixel_classifier, SVC(class_weight="balanced")),
    }


def label_views(estimator: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    """The estimator's predicted labels as one-hot rows (an SVM's own decision, not Platt scaling)."""
    predicted = np.asarray(estimator.predict(X))
    return {"": (predicted[:, None] == np.asarray(estimator.classes_)[None, :]).astype(float)}


def protocol_name(train: str, test: str) -> str:
    return f"{DATASET_NAMES[train]} -> {DATASET_NAMES[test]}"


def cross_dataset(
    data: MegcSet, X: np.ndarray, make_estimator: EstimatorFactory, train: str, test: str, *,
    views: Views = label_views, labels: list[str] | None = None, fit_params: dict[str, np.ndarray] | None = None,
) -> dict[str, ClassificationReport]:
    """Fit on every sample of dataset `train`, score each named view on every sample of `test`."""
    labels = labels or list(EMOTIONS_3)
    fit_rows, test_rows = data.dataset == train, data.dataset == test
    params = {name: np.asarray(values)[fit_rows] for name, values in (fit_params or {}).items()}
    classes, fold_views = fit_fold(make_estimator, views, X[fit_rows], data.label3[fit_rows], X[test_rows], params)
    return {name: classification_report(data.label3[test_rows], np.asarray(classes)[np.argmax(p, axis=1)], labels)
            for name, p in fold_views.items()}


@dataclass
class ProtocolRow:
    """One model's pooled figures under one protocol."""

    protocol: str
    model: str
    report: ClassificationReport


def baseline_rows(data: MegcSet, X: np.ndarray, *, n_folds: int | None = None, n_jobs: int = 1) -> list[ProtocolRow]:
    """Both pixel baselines under LOSO (or `n_folds` grouped folds) and both cross-dataset directions."""
    rows = []
    for name, make in pixel_baselines().items():
        oof = out_of_fold_views(make, X, data.label3, data.subject, classes=list(EMOTIONS_3), views=label_views,
                                n_folds=n_folds, n_jobs=n_jobs)[""]
        rows.append(ProtocolRow(within_name(n_folds), name,
                                classification_report(data.label3, oof.y_pred, list(EMOTIONS_3))))
        for train, test in CROSS_DATASET:
            rows.append(ProtocolRow(protocol_name(train, test), name, cross_dataset(data, X, make, train, test)[""]))
    return rows


def protocol_table(rows: list[ProtocolRow]) -> str:
    """Markdown: one row per protocol and model, in protocol order, with per-class recall."""
    order = [protocol_name(a, b) for a, b in CROSS_DATASET]
    lines = ["| protocol | model | n | UF1 | UAR | accuracy | recall negative / positive / surprise |",
             "|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: order.index(r.protocol) + 1 if r.protocol in order else 0):
        r = row.report
        recall = " / ".join(f"{v:.2f}" for v in r.recall_per_class.values())
        lines.append(f"| {row.protocol} | {row.model} | {r.n} | {r.uf1:.3f} | {r.uar:.3f} | {r.accuracy:.3f} | {recall} |")
    return "\n".join(lines)


def bar_check(rows: list[ProtocolRow], model: str, *, margin: float = 0.03, loso_uf1: float = 0.78) -> str:
    """Plain-words check of the issue's bar: the model beats logistic regression by `margin` UF1 in
    both cross-dataset directions, and its LOSO UF1 is at least `loso_uf1`."""
    uf1 = {(r.protocol, r.model): r.report.uf1 for r in rows}
    baseline = next(name for name in pixel_baselines() if name.startswith("logistic"))
    parts, passed = [], True
    for train, test in CROSS_DATASET:
        name = protocol_name(train, test)
        gain = uf1[(name, model)] - uf1[(name, baseline)]
        passed &= gain >= margin
        parts.append(f"{name}: {gain:+.3f} UF1 over logistic regression (needs {margin:+.3f})")
    loso = uf1.get((LOSO, model))
    passed &= loso is not None and loso >= loso_uf1
    parts.append(f"LOSO UF1 {loso:.3f} (needs {loso_uf1:.2f})" if loso is not None else "no LOSO run")
    return f"Bar {'MET' if passed else 'NOT met'}: " + "; ".join(parts) + "."
