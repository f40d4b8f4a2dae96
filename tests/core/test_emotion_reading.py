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


def test_episode_figures_count_expressions_false_alarms_and_end_errors():
    from mescreen.training.emotion_reading import episode_figures, episode_figures_markdown, expressions_of

    segments = [Segment(0.0, 4.9, "neutral", ()), Segment(5.0, 5.4, "surprise", ()), Segment(5.5, 9.9, "neutral", ()),
                Segment(10.0, 12.0, "sadness", ()), Segment(12.1, 14.0, "sadness", ()), Segment(14.1, 16.0, "mixed", ()),
                Segment(16.1, 17.0, "happiness", ())]
    assert [s.name for s in expressions_of(segments)] == ["surprise 5.0-5.4 s", "sadness 10.0-14.0 s",
                                                          "happiness 16.1-17.0 s"]
    episodes = [Episode(0, 0, 0, 5.1, 5.2, 5.6, "micro", 1.0),  # the surprise, ending 0.2 s late
                Episode(0, 0, 0, 2.0, 2.1, 2.2, "micro", 1.0),  # inside neutral: a false alarm
                Episode(0, 0, 0, 9.8, 11.0, 13.5, "macro", 1.0),  # the crying, 0.2 s early
                Episode(0, 0, 0, 7.0, 7.5, 8.0, "macro", 1.0)]  # a second false alarm
    figures = episode_figures(episodes, segments)
    (surprise, a, b), (sad, c, d), (happy, e, f) = figures["expressions"]
    assert (a, b) == pytest.approx((0.1, 0.2)) and (c, d) == pytest.approx((-0.2, -0.5)) and e is None
    assert [ep.onset_s for ep in figures["alarms"]] == [2.0, 7.0]
    assert figures["alarms_per_minute"] == pytest.approx(2 / ((4.9 + 4.4) / 60))
    text = episode_figures_markdown("clip", figures)
    assert "expressions with an episode: 2 of 3" in text and "both ends within 0.3 s: 1 of 2" in text
