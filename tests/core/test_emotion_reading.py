"""The per-frame emotion check of bench/face_reading.py on a constructed session."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.labels import AU_NAMES, FRAME_EMOTIONS
from mescreen.core.result import Episode, FrameSeries
from tests.synthetic import synthetic_result
from mescreen.training.emotion_reading import emotion_markdown, emotion_rows
from mescreen.training.face_reading import Segment


def _result():
    result = synthetic_result(200, n_episodes=0, fps=10.0)
    series = FrameSeries.empty(AU_NAMES, FRAME_EMOTIONS)
    n = 200
    series.frame_index, series.time_s = np.arange(n, dtype=np.int32), np.arange(n) / 10.0
    series.face_found = np.ones(n, bool)
    prob = np.full((n, 8), 0.01, np.float32)
    prob[:100, FRAME_EMOTIONS.index("sadness")] = 0.9  # 0-9.9 s sad
    prob[100:150, FRAME_EMOTIONS.index("fear")] = 0.9  # 10-14.9 s fear
    prob[150:, FRAME_EMOTIONS.index("neutral")] = 0.9  # 15-19.9 s neutral
    series.emotion_prob = prob
    result.series = series
    result.episodes = [Episode(0, 30, 60, 0.0, 3.0, 6.0, "macro", 1.0, emotion="sadness", confidence=0.9),
                       Episode(160, 161, 163, 16.0, 16.1, 16.3, "micro", 5.0, emotion="anger", confidence=0.3)]
    return result


def test_rows_count_matches_negatives_and_false_alarms():
    segments = [Segment(0.0, 14.9, "sadness", ()), Segment(15.0, 19.9, "neutral", ())]
    sad, neutral = emotion_rows(_result(), segments)
    assert sad["match"] == pytest.approx(100 / 150) and sad["negative"] == pytest.approx(1.0)
    assert sad["episodes"] == ["macro sadness 0.0-6.0 s"]
    assert neutral["episodes"] == ["micro undetermined 16.0-16.3 s"]  # uncertain (0.3)
    assert neutral["episodes_per_minute"] == pytest.approx(1 / (4.9 / 60))
    text = emotion_markdown("clip", _result(), segments)
    assert "Session emotion shares (episodes): sadness 1.00" in text
