import numpy as np
import pytest

from mescreen.core.aus.activity import DEFAULT_THRESHOLD, active_mask, active_names, thresholds_or_default


def test_nan_and_unreliable_aus_are_never_active():
    prob = np.array([[0.9, np.nan, 0.99], [0.2, 0.8, 0.3]])
    mask = active_mask(prob, [0.5, 0.5, 2.0])
    assert mask.tolist() == [[True, False, False], [False, True, False]]


def test_threshold_is_inclusive_and_names_follow():
    assert active_names([0.5, 0.49], ["AU4", "AU12"], [0.5, 0.5]) == ["AU4"]


def test_default_and_shape_checks():
    assert thresholds_or_default(None, 3).tolist() == [DEFAULT_THRESHOLD] * 3
    assert thresholds_or_default([], 2).tolist() == [DEFAULT_THRESHOLD] * 2
    with pytest.raises(ValueError):
        thresholds_or_default([0.5], 2)
