"""Generalisation protocols: cross-dataset never trains on the test dataset; baselines and the bar check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mescreen.training.metrics import classification_report
from mescreen.training.protocols import (
    LOSO, ProtocolRow, bar_check, cross_dataset, label_views, pixel_baselines, protocol_table,
)


class _SubjectRecorder:
    """Remembers which samples (first pixel = sample index) it was trained on; predicts "negative"."""

    fitted: list[np.ndarray] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> "_SubjectRecorder":
        _SubjectRecorder.fitted.append(X[:, 0].astype(int))
        self.classes_ = np.array(["negative", "positive", "surprise"])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), "negative")


@pytest.mark.realdata
def test_cross_dataset_trains_on_one_dataset_and_tests_on_all_of_the_other(data_dir: Path) -> None:
    from mescreen.training.megc import load_megc

    data = load_megc(data_dir)
    X = np.arange(len(data), dtype=float)[:, None]
    _SubjectRecorder.fitted.clear()
    report = cross_dataset(data, X, _SubjectRecorder, "casme2", "samm")[""]
    trained_on = _SubjectRecorder.fitted[0]
    assert set(data.dataset[trained_on]) == {"casme2"} and len(trained_on) == (data.dataset == "casme2").sum()
    assert report.n == (data.dataset == "samm").sum()
    assert report.recall_per_class["negative"] == 1.0 and report.recall_per_class["positive"] == 0.0


def test_baselines_are_class_balanced_pixel_classifiers() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((60, 4, 4, 3))
    y = np.array(["negative"] * 40 + ["positive"] * 12 + ["surprise"] * 8)
    X[y == "positive", 0, 0, 0] += 3  # a single informative pixel
    for name, make in pixel_baselines().items():
        est = make().fit(X, y)
        assert est[-1].class_weight == "balanced", name
        one_hot = label_views(est, X)[""]
        assert one_hot.shape == (60, 3) and np.all(one_hot.sum(axis=1) == 1)
        assert np.mean(est.predict(X)[y == "positive"] == "positive") > 0.9


def _row(protocol: str, model: str, correct: int) -> ProtocolRow:
    y = np.array(["negative", "positive", "surprise"] * 10)
    pred = y.copy()
    pred[correct:] = "negative"
    return ProtocolRow(protocol, model, classification_report(y, pred, ["negative", "positive", "surprise"]))


def test_bar_check_needs_both_directions_and_loso() -> None:
    lr = "logistic regression (raw pixels)"
    rows = [_row(LOSO, "m", 30), _row("CASME II -> SAMM", "m", 25), _row("CASME II -> SAMM", lr, 20),
            _row("SAMM -> CASME II", "m", 25), _row("SAMM -> CASME II", lr, 20)]
    assert bar_check(rows, "m").startswith("Bar MET")
    rows[4] = _row("SAMM -> CASME II", lr, 25)  # no gain in one direction
    assert bar_check(rows, "m").startswith("Bar NOT met")
    rows[4] = _row("SAMM -> CASME II", lr, 20)
    rows[0] = _row(LOSO, "m", 20)  # LOSO below 0.78
    assert bar_check(rows, "m").startswith("Bar NOT met")
    table = protocol_table(rows)
    assert table.index(LOSO) < table.index("CASME II -> SAMM") < table.index("SAMM -> CASME II")
