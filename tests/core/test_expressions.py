"""Expression episodes from the per-frame emotion trace and the AUs (issue 26), on constructed
series with known expressions."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.episodes.expressions import (
    SPEECH_AND_BLINK_AUS, ExpressionParams, expression_episodes, moving_median, person_neutral,
)
from mescreen.core.labels import AU_NAMES, FRAME_EMOTIONS

FPS = 30.0
NAMES = AU_NAMES + ["AU43"]  # the shipped detector also reads closed eyes
THRESHOLDS = np.full(len(NAMES), 0.5)


def _neutral(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A calm face: the trace reads neutral at 0.85-0.95, every AU well below its threshold."""
    rng = np.random.default_rng(seed)
    prob = np.full((n, len(FRAME_EMOTIONS)), 0.01, np.float32)
    prob[:, 0] = rng.uniform(0.85, 0.95, n)
    au = rng.uniform(0.0, 0.2, (n, len(NAMES))).astype(np.float32)
    return prob, au


def _express(prob: np.ndarray, start: int, stop: int, emotion: str, peak: float = 0.95, ramp: int = 3) -> None:
    """An onset-apex-offset of `emotion` over frames [start, stop): rising over `ramp` frames."""
    j = FRAME_EMOTIONS.index(emotion)
    for i in range(start, stop):
        level = peak * min(1.0, (i - start + 1) / ramp, (stop - i) / ramp)
        prob[i, j] = level
        prob[i, 0] = 1.0 - level


def _spot(prob: np.ndarray, au: np.ndarray, params: ExpressionParams | None = None):
    n = len(prob)
    return expression_episodes(prob, au, NAMES, THRESHOLDS, np.arange(n) / FPS, np.arange(n) + 50, FPS, params)


def test_a_calm_face_gives_no_episode() -> None:
    assert _spot(*_neutral(900)) == []


def test_an_expression_the_trace_reads_for_0_4_s_is_one_micro_episode_with_its_ends() -> None:
    prob, au = _neutral(300)
    _express(prob, 150, 162, "surprise")  # 0.4 s: 3 frames up, 6 at the apex, 3 down
    (ep,) = _spot(prob, au)
    assert ep.kind == "micro" and ep.emotion == ""  # the pipeline gives a micro episode its emotion
    assert abs(ep.onset_s - 150 / FPS) <= 0.07 and abs(ep.offset_s - 161 / FPS) <= 0.07
    assert 150 + 50 <= ep.apex_frame <= 161 + 50  # frame_index offset


def test_the_trace_must_read_the_expression_for_0_3_s() -> None:
    short, au = _neutral(300)
    _express(short, 150, 157, "surprise", ramp=1)  # 7 frames: 0.23 s
    assert _spot(short, au) == []
    weak, au = _neutral(300)
    _express(weak, 150, 170, "surprise", peak=0.4)  # long, but never the stronger reading
    assert _spot(weak, au) == []


def test_ends_follow_the_return_to_neutral_not_a_padding() -> None:
    prob, au = _neutral(600)
    _express(prob, 200, 260, "happiness", ramp=15)  # 2 s with half-second onset and offset
    (ep,) = _spot(prob, au)
    assert ep.kind == "macro" and ep.emotion == "happiness" and ep.confidence > 0.8
    # the trace passes 20% of its rise on the onset's third frame and the offset's third-last
    assert ep.onset_s == pytest.approx(203 / FPS, abs=1.5 / FPS)
    assert ep.offset_s == pytest.approx(256 / FPS, abs=1.5 / FPS)


def test_one_misread_frame_neither_ends_nor_starts_an_episode() -> None:
    prob, au = _neutral(600)
    _express(prob, 200, 290, "happiness")
    prob[245] = prob[100]  # one neutral-looking frame in the smile
    prob[400, FRAME_EMOTIONS.index("anger")], prob[400, 0] = 0.9, 0.1  # one angry-looking frame
    (ep,) = _spot(prob, au)
    assert ep.onset_frame - 50 <= 201 and ep.offset_frame - 50 >= 288


def test_an_expression_au_held_0_2_s_is_an_episode_even_when_the_trace_stays_neutral() -> None:
    prob, au = _neutral(300)
    brow = NAMES.index("AU1")
    au[150:158, brow] = 0.8  # 0.27 s of inner brow raise
    (ep,) = _spot(prob, au)
    assert ep.kind == "micro" and 148 + 50 <= ep.onset_frame and ep.offset_frame <= 159 + 50
    au[150:154, brow] = 0.2  # 4 frames (0.13 s) left: too short
    assert _spot(prob, au) == []


def test_talking_and_blinking_alone_raise_no_episode() -> None:
    prob, au = _neutral(1800)
    t = np.arange(1800) / FPS
    syllables = np.sin(2 * np.pi * 4.0 * t) ** 2  # lips and jaw open and close 8 times a second
    for name in ("AU25", "AU26", "AU27"):
        au[:, NAMES.index(name)] = 0.9 * syllables
    for start in range(60, 1800, 120):  # a 0.3-s blink every 4 s
        au[start:start + 9, NAMES.index("AU43")] = 0.95
    assert set(SPEECH_AND_BLINK_AUS) == {"AU25", "AU26", "AU27", "AU43"}
    assert _spot(prob, au) == []


def test_an_au_during_an_expression_is_that_expression() -> None:
    prob, au = _neutral(300)
    _express(prob, 100, 130, "happiness")
    au[98:132, NAMES.index("AU12")] = 0.9
    (ep,) = _spot(prob, au)
    assert ep.emotion == "happiness" and ep.kind == "macro"


def test_two_emotions_one_after_the_other_are_two_episodes() -> None:
    prob, au = _neutral(400)
    _express(prob, 100, 130, "surprise", ramp=2)
    _express(prob, 130, 200, "happiness", ramp=2)
    first, second = _spot(prob, au)
    assert first.offset_frame < second.onset_frame
    assert second.emotion == "happiness" and abs(first.offset_s - 129 / FPS) <= 2 / FPS


def test_frames_without_a_face_end_an_episode() -> None:
    prob, au = _neutral(300)
    _express(prob, 100, 160, "happiness")
    prob[130:140], au[130:140] = np.nan, np.nan
    episodes = _spot(prob, au)
    assert [(e.onset_frame - 50 <= 101, e.offset_frame - 50 <= 129) for e in episodes][0] == (True, True)
    assert all(not (130 <= e.onset_frame - 50 <= 139 or 130 <= e.offset_frame - 50 <= 139) for e in episodes)


def test_moving_median_and_person_neutral() -> None:
    x = np.array([[0.0], [9.0], [0.0], [0.0], [np.nan], [1.0]], np.float32)
    m = moving_median(x, 3)
    assert m[1, 0] == 0.0 and np.isnan(m[4, 0]) and m[5, 0] == pytest.approx(1.0)
    calm = np.array([True] * 5 + [False] * 3)
    assert person_neutral(np.array([[1.0], [2.0], [3.0], [2.0], [2.0], [9.0], [9.0], [9.0]]), calm)[0] == 2.0
    few = np.array([True] * 4 + [False] * 4)  # too few frames read as neutral: a low quantile instead
    assert person_neutral(np.arange(8.0)[:, None], few)[0] == pytest.approx(0.7)
