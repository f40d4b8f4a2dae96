"""Streaming person levels: the neutral-face weighted mean with its prior, and the low quantile,
both in fixed memory with slow forgetting."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.aus.baseline import NeutralBaseline, NeutralFaceLevel


def test_matches_the_exact_quantile_to_a_histogram_cell() -> None:
    rng = np.random.default_rng(0)
    values = rng.beta(2, 5, (3000, 3)).astype(np.float32)
    base = NeutralBaseline(3, quantile=0.1, half_life=1e9)
    for row in values:
        base.add(row)
    np.testing.assert_allclose(base.value(), np.quantile(values, 0.1, axis=0), atol=1.0 / base.bins)


def test_expression_held_nine_times_longer_than_rest_is_still_not_the_baseline() -> None:
    base = NeutralBaseline(1, quantile=0.1, half_life=1e9)
    for _ in range(110):
        base.add(np.array([0.2]))
    for _ in range(900):
        base.add(np.array([0.9]))
    assert base.value()[0] == pytest.approx(0.2, abs=0.005)


def test_nan_is_skipped_per_value_and_empty_is_nan() -> None:
    base = NeutralBaseline(2)
    assert np.isnan(base.value()).all()
    base.add(np.array([0.4, np.nan]))
    value = base.value()
    assert value[0] == pytest.approx(0.4, abs=0.005) and np.isnan(value[1])


def test_prior_holds_until_the_persons_own_frames_outweigh_it() -> None:
    base = NeutralBaseline(1, quantile=0.9, half_life=1e9, prior=np.array([0.36]), prior_frames=30)
    assert base.value()[0] == pytest.approx(0.36, abs=0.005)  # nothing seen: the prior
    for _ in range(200):  # shut eyes first: fewer than 9 x 30 frames do not move the 90% quantile
        base.add(np.array([0.05]))
    assert base.value()[0] == pytest.approx(0.36, abs=0.005)
    for _ in range(30):  # eyes wider than the prior take over once they are a tenth of what was seen
        base.add(np.array([0.45]))
    assert base.value()[0] == pytest.approx(0.45, abs=0.005)
    base.reset()
    assert base.value()[0] == pytest.approx(0.36, abs=0.005)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        NeutralBaseline(2, quantile=1.0)
    with pytest.raises(ValueError):
        NeutralBaseline(2, half_life=0)
    with pytest.raises(ValueError):
        NeutralBaseline(2, prior=np.array([0.3, 0.3]), prior_frames=-1)


def test_neutral_level_is_the_neutral_weighted_mean_shrunk_to_the_prior() -> None:
    level = NeutralFaceLevel(np.array([0.1, 0.5]), prior_frames=20, half_life=1e9)
    np.testing.assert_allclose(level.value(), [0.1, 0.5])  # nothing seen: the prior
    for _ in range(60):
        level.add(np.array([0.4, 0.5]), neutral=1.0)  # neutral-looking frames
    for _ in range(500):
        level.add(np.array([0.95, 0.0]), neutral=0.0)  # an expression: no weight at all
    assert level.neutral_frames == pytest.approx(60.0)
    np.testing.assert_allclose(level.value(), [(60 * 0.4 + 20 * 0.1) / 80, 0.5], atol=1e-9)


def test_neutral_weight_is_clipped_and_nan_weight_counts_nothing() -> None:
    level = NeutralFaceLevel(np.array([0.0]), prior_frames=1, half_life=1e9)
    level.add(np.array([1.0]), neutral=3.0)
    level.add(np.array([1.0]), neutral=float("nan"))
    assert level.neutral_frames == pytest.approx(1.0) and level.seen == 2
    with pytest.raises(ValueError):
        level.add(np.array([np.nan]), neutral=1.0)
    with pytest.raises(ValueError):
        NeutralFaceLevel(np.array([0.0]), prior_frames=0)
