"""Macro-expressions from the per-frame emotion trace, and each episode's emotion with a confidence.

Why a second spotter: the movement spotter (mescreen.core.episodes.spotting) finds the onset of a movement,
so a laugh held for ten seconds is, at best, a short episode where it starts. A clinician means by
"she laughed from 10 to 19 s" a stretch of time in which the face SHOWS one emotion. That is read
from the per-frame emotion model (mescreen.core.emotion.frame.model), whose trace is kept unsmoothed in
the series:

1. the trace is smoothed with a centred moving mean over `smooth_s` (detection only);
2. a frame is expressive when its strongest smoothed emotion is not neutral and at least
   `min_level`;
3. runs of expressive frames with the same emotion, bridging gaps up to `bridge_s`, lasting more
   than MICRO_MAX_SECONDS, are macro-expressions (onset, offset = the run's ends; apex = the
   frame where that emotion is strongest).

Emotion of an episode (documented in docs/clinical_figures.md):
- macro: the mean per-frame probabilities over the episode, over the seven emotions (neutral left
  out, the rest renormalised);
- micro: a product of experts at the apex: p(e) ∝ frame(e) × cnn(FINE_TO_3[e]) × (mapper(e) + 0.1),
  where `cnn` is the micro-expression network's negative/positive/surprise reading of the onset→apex
  flow and `mapper` the AU→emotion mapping of the apex's active AUs (the 0.1 keeps an AU
  combination the mapping has never seen from vetoing the other two).
The confidence is the probability of the chosen emotion; below figures.UNCERTAIN_BELOW the episode
is shown as uncertain and left out of the emotion shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mescreen.core.labels import EMOTIONS_FINE, FINE_TO_3, FRAME_EMOTIONS
from mescreen.core.result import MICRO_MAX_SECONDS, Episode

#: Added to the AU mapping's probabilities in the micro-expression product (see the docstring).
MAPPER_FLOOR = 0.1


@dataclass(frozen=True)
class MacroParams:
    """smooth_s: moving-mean window; min_level: the strongest emotion's smoothed probability a
    frame needs to count as expressive; bridge_s: gaps this short inside a run are bridged."""

    smooth_s: float = 0.5
    min_level: float = 0.45
    bridge_s: float = 0.5


def smooth(prob: np.ndarray, window: int) -> np.ndarray:
    """Centred moving mean over `window` frames per column, ignoring NaN rows (NaN stays NaN)."""
    prob = np.asarray(prob, np.float64)
    valid = np.isfinite(prob).all(axis=1)
    if window <= 1 or not valid.any():
        return prob.copy()
    filled = np.where(valid[:, None], prob, 0.0)
    n, half = len(prob), window // 2
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) - half + window, 0, n)
    cum = np.vstack([np.zeros((1, prob.shape[1])), np.cumsum(filled, axis=0)])
    counts = np.concatenate([[0.0], np.cumsum(valid)])
    out = (cum[hi] - cum[lo]) / np.maximum(counts[hi] - counts[lo], 1.0)[:, None]
    out[~valid] = np.nan
    return out


def fine_probabilities(frame_row: np.ndarray) -> dict[str, float]:
    """Per-frame probabilities (FRAME_EMOTIONS order) over the seven emotions, neutral left out."""
    values = {e: float(frame_row[FRAME_EMOTIONS.index(e)]) for e in EMOTIONS_FINE}
    total = sum(v for v in values.values() if np.isfinite(v))
    return {e: (v / total if total > 0 and np.isfinite(v) else 0.0) for e, v in values.items()}


def macro_episodes(prob: np.ndarray, time_s: np.ndarray, frame_index: np.ndarray, fps: float,
                   params: MacroParams | None = None) -> list[Episode]:
    """Macro-expressions of a per-frame emotion trace (n, 8) in FRAME_EMOTIONS order, NaN where no
    face; each with its emotion, probabilities and confidence."""
    p = params or MacroParams()
    n = len(time_s)
    if n == 0 or fps <= 0:
        return []
    smoothed = smooth(prob, max(1, int(round(p.smooth_s * fps))))
    valid = np.isfinite(smoothed).all(axis=1)
    top = np.where(valid, np.argmax(np.nan_to_num(smoothed, nan=-1.0), axis=1), -1)
    level = np.where(valid, np.take_along_axis(np.nan_to_num(smoothed), top.clip(0)[:, None], 1)[:, 0], 0.0)
    neutral = FRAME_EMOTIONS.index("neutral")
    label = np.where(valid & (top != neutral) & (level >= p.min_level), top, -1)
    bridge = int(round(p.bridge_s * fps))
    episodes = []
    for start, end, j in _runs(label, bridge):
        if float(time_s[end] - time_s[start]) <= MICRO_MAX_SECONDS:
            continue
        window = slice(start, end + 1)
        apex = start + int(np.nanargmax(smoothed[window, j]))
        mean = np.nanmean(np.asarray(prob, np.float64)[window], axis=0)
        fine = fine_probabilities(mean)
        emotion = max(fine, key=fine.get)
        episodes.append(Episode(
            onset_frame=int(frame_index[start]), apex_frame=int(frame_index[apex]), offset_frame=int(frame_index[end]),
            onset_s=float(time_s[start]), apex_s=float(time_s[apex]), offset_s=float(time_s[end]), kind="macro",
            score=round(float(np.nanmean(smoothed[window, j])), 3), emotion=emotion, emotion_prob=fine,
            confidence=round(fine[emotion], 4),
        ))
    return episodes


def _runs(label: np.ndarray, bridge: int) -> list[tuple[int, int, int]]:
    """(start, end, label) of runs of equal labels >= 0, bridging gaps of up to `bridge` frames
    between two runs of the same label."""
    runs: list[tuple[int, int, int]] = []
    i, n = 0, len(label)
    while i < n:
        if label[i] < 0:
            i += 1
            continue
        j = i
        while j + 1 < n and label[j + 1] == label[i]:
            j += 1
        if runs and runs[-1][2] == label[i] and i - runs[-1][1] - 1 <= bridge:
            runs[-1] = (runs[-1][0], j, int(label[i]))
        else:
            runs.append((i, j, int(label[i])))
        i = j + 1
    return runs


def micro_emotion(frame_row: np.ndarray, cnn3: dict[str, float], mapper: dict[str, float]) -> dict[str, float]:
    """The micro-expression product of experts (module docstring); all zero stays all zero."""
    frame = fine_probabilities(frame_row) if np.isfinite(frame_row).all() else {e: 1.0 for e in EMOTIONS_FINE}
    raw = {e: frame[e] * float(cnn3.get(FINE_TO_3[e], 0.0)) * (float(mapper.get(e, 0.0)) + MAPPER_FLOOR)
           for e in EMOTIONS_FINE}
    total = sum(raw.values())
    return {e: (v / total if total > 0 else 0.0) for e, v in raw.items()}
