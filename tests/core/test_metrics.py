"""UF1 / UAR against hand-computed values."""

import numpy as np
import pytest

from mescreen.training.metrics import classification_report

LABELS = ["negative", "positive", "surprise"]


def test_perfect_predictions():
    y = np.array(["negative", "positive", "surprise", "negative"])
    rep = classification_report(y, y, LABELS)
    assert rep.uf1 == rep.uar == rep.accuracy == 1.0
    assert rep.confusion == [[2, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_hand_computed():
    y_true = np.array(["negative"] * 4 + ["positive"] * 2)
    y_pred = np.array(["negative", "negative", "negative", "positive", "positive", "negative"])
    rep = classification_report(y_true, y_pred, LABELS)
    # negative: P=3/4 R=3/4 F=0.75; positive: P=1/2 R=1/2 F=0.5; surprise absent from y_true.
    assert rep.uar == pytest.approx((0.75 + 0.5) / 2)
    assert rep.uf1 == pytest.approx((0.75 + 0.5) / 2)
    assert rep.accuracy == pytest.approx(4 / 6)
    assert rep.confusion[2] == [0, 0, 0]


def test_all_one_class_predictions_score_low():
    y_true = np.array(["negative", "positive", "surprise"] * 3)
    rep = classification_report(y_true, np.array(["negative"] * 9), LABELS)
    assert rep.uar == pytest.approx(1 / 3)
    assert rep.uf1 < 0.2
