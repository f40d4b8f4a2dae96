"""Screening v2: whole-interview figures with 95% intervals, on constructed sessions."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.labels import AU_NAMES, FRAME_EMOTIONS
from mescreen.core.result import Episode, FrameSeries, SessionClusters
from mescreen.core.screening.indicators import load_config, screen

FPS = 10.0


def make_series(seconds: float = 300.0, sad_share: float = 0.4, au12_starts: int = 0,
                au_thresholds: dict[str, float] | None = None, head_speed: float | None = 5.0) -> FrameSeries:
    n = int(seconds * FPS)
    series = FrameSeries.empty(AU_NAMES, FRAME_EMOTIONS)
    series.frame_index = np.arange(n, dtype=np.int32)
    series.time_s = np.arange(n) / FPS
    series.face_found = np.ones(n, bool)
    au = np.full((n, len(AU_NAMES)), 0.1, np.float32)
    for k in range(au12_starts):  # 1-s smiles, spread out
        start = int(k * n / max(au12_starts, 1))
        au[start:start + 10, AU_NAMES.index("AU12")] = 0.9
    series.au_prob = au
    thresholds = {a: 0.5 for a in AU_NAMES} | (au_thresholds or {})
    series.au_thresholds = [thresholds[a] for a in AU_NAMES]
    emotions = np.full((n, len(FRAME_EMOTIONS)), 0.02, np.float32)
    emotions[:, FRAME_EMOTIONS.index("neutral")] = 0.9
    sad = np.arange(n) < int(sad_share * n)
    emotions[sad, FRAME_EMOTIONS.index("sadness")] = 0.95
    series.emotion_prob = emotions
    if head_speed is not None:  # yaw swings at head_speed degrees per second
        yaw = np.cumsum(np.where(np.arange(n) % 20 < 10, 1, -1)) * head_speed / FPS
        series.head_pose = np.stack([yaw, np.zeros(n), np.zeros(n)], 1).astype(np.float32)
    return series


def _episodes(micro: int, macro: int) -> list[Episode]:
    out = []
    for i in range(micro + macro):
        kind = "micro" if i < micro else "macro"
        out.append(Episode(i * 10, i * 10 + 2, i * 10 + 4, i, i + 0.2, i + (0.4 if kind == "micro" else 2.0), kind,
                           5.0, emotion="sadness", confidence=0.9))
    return out


def _by_key(result):
    return {i.key: i for i in result.indicators}


def test_time_share_is_the_share_of_face_frames_with_a_wilson_interval():
    ind = _by_key(screen(make_series(sad_share=0.4), _episodes(3, 3), SessionClusters()))["time_share_sadness"]
    assert ind.value == pytest.approx(0.4)
    assert ind.low < 0.4 < ind.high and ind.high - ind.low < 0.1  # 3000 frames: a narrow interval
    assert ind.raised and "1200 of 3000 frames" in ind.evidence


def test_au_starts_per_minute_with_an_exact_poisson_interval():
    ind = _by_key(screen(make_series(au12_starts=10), _episodes(0, 0), SessionClusters()))["au12_per_minute"]
    assert ind.value == pytest.approx(2.0)  # 10 starts in 5 minutes
    assert ind.low == pytest.approx(0.959, abs=1e-3) and ind.high == pytest.approx(3.678, abs=1e-3)
    assert not ind.raised  # fewer smiles than 0.5 a minute would raise it
    none = _by_key(screen(make_series(au12_starts=0), _episodes(0, 0), SessionClusters()))["au12_per_minute"]
    assert none.value == 0.0 and none.low == 0.0 and none.raised


def test_an_au_the_detector_does_not_read_is_not_judged():
    series = make_series(au_thresholds={"AU14": 2.0})
    ind = _by_key(screen(series, _episodes(0, 0), SessionClusters()))["au14_per_minute"]
    assert ind.value is None and not ind.raised and "not read" in ind.evidence


def test_episode_rates_keep_micro_and_macro_apart():
    result = _by_key(screen(make_series(), _episodes(micro=5, macro=10), SessionClusters()))
    assert result["micro_per_minute"].value == pytest.approx(1.0)
    assert result["macro_per_minute"].value == pytest.approx(2.0)
    assert result["micro_per_minute"].threshold is None and not result["micro_per_minute"].raised


def test_head_motion_reads_the_pose_and_is_absent_without_it():
    moving = _by_key(screen(make_series(head_speed=5.0), _episodes(0, 0), SessionClusters()))["head_motion"]
    assert moving.value == pytest.approx(5.0, rel=0.05) and not moving.raised
    still = _by_key(screen(make_series(head_speed=None), _episodes(0, 0), SessionClusters()))["head_motion"]
    assert still.value is None and "no head-pose" in still.evidence


def test_thin_evidence_is_insufficient_in_plain_words():
    result = screen(make_series(seconds=20.0), _episodes(1, 1), SessionClusters())
    assert result.level == "insufficient"
    assert "Too little face evidence" in result.reasons[0]
    assert all(i.value is None for i in result.indicators if i.key.endswith("_per_minute"))


def test_v2_rules_cite_their_literature_and_girard_directions():
    rules = {r["key"]: r for r in load_config()["rules"]}
    assert load_config()["version"] == "screening_v2"
    assert rules["au12_per_minute"]["direction"] == "low" and "Girard" in rules["au12_per_minute"]["reference"]
    assert rules["au15_per_minute"]["direction"] == "low"
    assert rules["au14_per_minute"]["direction"] == "high"
    assert rules["head_motion"]["direction"] == "low"
    assert "Sharma" in rules["time_share_sharma_emotions"]["reference"]
