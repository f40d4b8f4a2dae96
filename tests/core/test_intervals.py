import pytest

from mescreen.core.screening.intervals import poisson_rate, wilson


def test_wilson_matches_published_values():
    # Brown, Cai & DasGupta (2001), and the textbook 0/10 case.
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(3, 0) is None


def test_exact_poisson_matches_garwood_tables():
    assert poisson_rate(0, 1.0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert poisson_rate(10, 1.0) == pytest.approx((4.795, 18.390), abs=1e-3)
    assert poisson_rate(10, 5.0) == pytest.approx((0.959, 3.678), abs=1e-3)  # per unit of exposure
    assert poisson_rate(1, 0.0) is None
