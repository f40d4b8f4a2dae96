"""ME spotting on synthetic signals with known movements."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.face.crop import CROP_SIZE
from mescreen.core.episodes.spotting import (
    APPEARANCE_BLOCKS, FEATURE_SIZE, Spotter, SpotterParams, appearance_feature, feature_difference, robust_z,
)

FPS = 30.0


def _series(n: int, seed: int = 0, noise: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, noise, (n, FEATURE_SIZE)).astype(np.float32)


def _move(features: np.ndarray, start: int, stop: int, blocks: slice = slice(0, 8), size: float = 12.0) -> None:
    """A local movement: some blocks change, ramping up to the middle and back (onset-apex-offset)."""
    cells = features.reshape(len(features), APPEARANCE_BLOCKS, -1)
    length = stop - start
    for i in range(start, stop):
        cells[i, blocks] += size * (1.0 - abs((i - start) - length / 2) / (length / 2))


def _spot(features: np.ndarray, params: SpotterParams | None = None):
    n = len(features)
    return Spotter(params).spot(features, np.arange(n) / FPS, np.arange(n) + 100, FPS, n_blocks=APPEARANCE_BLOCKS)


def test_noise_alone_gives_no_episode() -> None:
    result = _spot(_series(600))
    assert result.episodes == []
    assert result.signal.shape == (600,) and np.isfinite(result.signal[12:-12]).all()  # 2k of the short scale


def test_a_short_movement_is_one_micro_episode_with_its_apex() -> None:
    features = _series(600)
    _move(features, 300, 310)  # 0.33 s, apex at 305
    result = _spot(features)
    assert len(result.episodes) == 1
    ep = result.episodes[0]
    assert ep.kind == "micro"
    assert 300 + 100 <= ep.onset_frame <= ep.apex_frame <= ep.offset_frame <= 310 + 100  # frame_index offset
    assert abs(ep.apex_frame - 405) <= 2
    assert ep.apex_s == pytest.approx((ep.apex_frame - 100) / FPS)
    assert ep.duration_s <= 0.5
    assert ep.score >= SpotterParams().peak_z


def test_a_long_movement_is_macro() -> None:
    features = _series(900)
    _move(features, 300, 390, size=15.0)  # 3 s
    result = _spot(features)
    assert result.episodes, "a 3-second movement must be found"
    longest = max(result.episodes, key=lambda e: e.duration_s)
    assert longest.kind == "macro" and longest.duration_s > 0.5
    assert 300 + 100 <= longest.apex_frame <= 390 + 100


def test_two_separate_movements_are_two_episodes_in_order() -> None:
    features = _series(900)
    _move(features, 200, 208)
    _move(features, 600, 608, blocks=slice(30, 40))
    apexes = [e.apex_frame - 100 for e in _spot(features).episodes]
    assert len(apexes) == 2 and abs(apexes[0] - 204) <= 2 and abs(apexes[1] - 604) <= 2


def test_frames_without_a_face_cannot_hold_episodes() -> None:
    features = _series(600)
    _move(features, 300, 310)
    features[295:315] = np.nan
    result = _spot(features)
    assert all(not (295 <= e.apex_frame - 100 < 315) for e in result.episodes)
    assert np.isnan(result.signal[295:315]).all()


def test_too_few_face_frames_or_no_rate_give_nothing() -> None:
    assert _spot(_series(5)).episodes == []
    features = _series(100)
    assert Spotter().spot(features, np.zeros(100), np.arange(100), 0.0).episodes == []
    assert Spotter().spot(np.zeros((0, FEATURE_SIZE)), np.zeros(0), np.zeros(0, int), FPS).episodes == []


def test_threshold_is_relative_to_the_recordings_own_noise() -> None:
    quiet, noisy = _series(600, noise=0.2), _series(600, noise=3.0)
    _move(quiet, 300, 310, size=3.0)
    _move(noisy, 300, 310, size=3.0)
    assert len(_spot(quiet).episodes) == 1
    assert _spot(noisy).episodes == []


def test_columns_as_blocks_for_other_features() -> None:
    rng = np.random.default_rng(1)
    aus = rng.normal(0.0, 0.02, (300, 17)).astype(np.float32)
    aus[150:156, 3] += 0.8
    result = Spotter().spot(aus, np.arange(300) / FPS, np.arange(300), FPS)
    assert [abs(e.apex_frame - 152) <= 3 for e in result.episodes] == [True]


def test_feature_difference_matches_the_definition() -> None:
    f = np.zeros((5, 4), np.float32)
    f[2] = [4, 0, 0, 0]
    fd = feature_difference(f, 1, top_fraction=0.25)  # each column a block, the top block only
    assert np.isnan(fd[0]) and np.isnan(fd[4])
    assert fd[2] == pytest.approx(4.0) and fd[1] == pytest.approx(2.0)


def test_robust_z_ignores_outliers_and_nan() -> None:
    x = np.array([0.0, 1.0, -1.0, 0.0, 100.0, np.nan])
    z = robust_z(x)
    assert np.isnan(z[-1]) and z[4] > 50 and abs(z[0]) < 1


def test_appearance_feature_ignores_global_brightness() -> None:
    rng = np.random.default_rng(2)
    crop = rng.integers(40, 200, (CROP_SIZE, CROP_SIZE), np.uint8)
    a = appearance_feature(crop)
    b = appearance_feature((crop + 30).astype(np.uint8))
    assert a.shape == (FEATURE_SIZE,) and a.dtype == np.float32
    assert np.abs(a - b).max() < 1e-3
