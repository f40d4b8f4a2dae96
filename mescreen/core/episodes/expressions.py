"""Expression episodes from the per-frame emotion trace and the AUs, and each episode's emotion
with a confidence.

What an episode is (issue 26): an expression with an onset, an apex and an offset, from 0.2 s up,
that the face SHOWS: the per-frame emotion model (mescreen.core.emotion.frame.model) reads it, or
the AU stage reads an expression AU. Movement alone is not an expression: talking, blinking and
head turns move the face too (the movement spotter, mescreen.core.episodes.spotting, raised 8
episodes a minute on a neutral face and 2 on a talking one; docs/spotting.md).

1. The trace and the AU probabilities are smoothed with a centred moving median over
   `smooth_s` (3 frames at 24-30 fps): one misread frame neither starts nor ends an episode,
   and a 0.3 s expression keeps its height (a moving mean over 0.5 s halved it).
2. The person's neutral: each signal's median over the frames the emotion model calls neutral
   (its strongest emotion), so a face that always looks a little sad is not always "sad".
3. Cores. The trace reads an emotion when that emotion is the strongest, not neutral and at least
   `high`; `trace_min_s` of it (gaps up to `bridge_s` bridged) is an expression. An expression
   AU active (mescreen.core.aus.activity) for `au_min_s` is one too. The lips and jaw of speech
   and closed eyes (`SPEECH_AND_BLINK_AUS`) never make a core: they move in every conversation.
4. Ends. From each core the episode extends either side while its signal (the emotion's
   probability, or the AU's) stays above the person's neutral plus `return_share` of the
   signal's rise at the core: the expression has not yet gone back to neutral (an emotion's
   episode also ends where another emotion becomes the strongest). No fixed padding.
5. Merging. Pieces of the same emotion that touch or are at most `bridge_s` apart are one
   episode; an AU core that overlaps an emotion episode is that expression and adds nothing;
   AU cores that overlap each other are one episode. The apex is the frame where the signal is
   highest; onset->offset up to MICRO_MAX_SECONDS is micro, longer macro.

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

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from mescreen.core.aus.activity import active_mask
from mescreen.core.labels import EMOTIONS_FINE, FINE_TO_3, FRAME_EMOTIONS
from mescreen.core.result import MICRO_MAX_SECONDS, Episode

#: Added to the AU mapping's probabilities in the micro-expression product (see the docstring).
MAPPER_FLOOR = 0.1

#: AUs that never make an episode on their own: lips apart, jaw drop and mouth stretch move with
#: every syllable of speech, and closed eyes are a blink (or eyes shut).
SPEECH_AND_BLINK_AUS = ("AU25", "AU26", "AU27", "AU43")

_NEUTRAL = FRAME_EMOTIONS.index("neutral")
_MIN_NEUTRAL_FRAMES = 5  # fewer frames read as neutral: the person's neutral is a low quantile instead


@dataclass(frozen=True)
class ExpressionParams:
    """What makes an expression episode (module docstring). Set before any clip was read
    (bench/RESULTS.md, "Episodes a clinician can trust"): `high` is the point where the emotion
    is more likely than all others together, `trace_min_s` and `au_min_s` the issue's shortest
    expressions, `return_share` the share of its rise at which a signal counts as back at neutral."""

    smooth_s: float = 0.1
    high: float = 0.5
    trace_min_s: float = 0.3
    au_min_s: float = 0.2
    bridge_s: float = 0.1
    return_share: float = 0.2


def moving_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving median over `window` frames (odd) per column, ignoring NaN rows (no face);
    NaN rows stay NaN."""
    values = np.asarray(values, np.float32)
    if window <= 1 or len(values) == 0:
        return values.copy()
    half = window // 2
    padded = np.pad(values, ((half, half), (0, 0)), constant_values=np.nan)
    stacked = np.stack([padded[k:k + len(values)] for k in range(window)], axis=1)
    with warnings.catch_warnings():  # all-NaN windows (no face) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanmedian(stacked, axis=1)
    out[~np.isfinite(values).all(axis=1)] = np.nan
    return out


def person_neutral(signal: np.ndarray, calm: np.ndarray) -> np.ndarray:
    """Each column's level on the person's neutral frames (`calm`); with too few of them, its
    10th percentile over all frames with a face."""
    valid = np.isfinite(signal).all(axis=1)
    if int((calm & valid).sum()) >= _MIN_NEUTRAL_FRAMES:
        return np.median(signal[calm & valid], axis=0)
    if not valid.any():
        return np.zeros(signal.shape[1], np.float32)
    return np.percentile(signal[valid], 10, axis=0)


@dataclass
class _Piece:
    """A core grown to where its signal returns to neutral: frame positions [start, end], the
    signal's column, its kind ("emotion" or "au") and the apex position."""

    start: int
    end: int
    column: int
    kind: str
    apex: int
    height: float


def expression_episodes(
    prob: np.ndarray, au: np.ndarray, au_names: Sequence[str], au_thresholds: Sequence[float],
    time_s: np.ndarray, frame_index: np.ndarray, fps: float, params: ExpressionParams | None = None,
) -> list[Episode]:
    """Expression episodes of a recording (module docstring): `prob` the per-frame trace (n, 8)
    in FRAME_EMOTIONS order, `au` the person-normalised AU probabilities (n, n_au), both NaN
    where no face. Macro episodes come with their emotion; micro ones get theirs from the
    pipeline (`micro_emotion`)."""
    p = params or ExpressionParams()
    n = len(time_s)
    if n == 0 or fps <= 0:
        return []
    window = 2 * (int(round(p.smooth_s * fps)) // 2) + 1
    trace = moving_median(prob, window)
    valid = np.isfinite(trace).all(axis=1)
    top = np.where(valid, np.argmax(np.nan_to_num(trace, nan=-1.0), axis=1), -1)
    calm = valid & (top == _NEUTRAL)
    bridge = int(round(p.bridge_s * fps))
    thresholds = np.asarray(au_thresholds, np.float64)
    pieces = _emotion_pieces(trace, top, valid, calm, time_s, fps, bridge, p)
    columns = [j for j, name in enumerate(au_names) if name not in SPEECH_AND_BLINK_AUS]
    if columns and au.shape[0] == n:
        aus = moving_median(np.asarray(au, np.float32)[:, columns], window)
        active = active_mask(aus, thresholds[columns])
        pieces += _au_pieces(aus, active, calm, time_s, fps, bridge, p, columns)
    return [_episode(group, prob, trace, time_s, frame_index) for group in _merge(pieces, bridge)]


def _emotion_pieces(trace: np.ndarray, top: np.ndarray, valid: np.ndarray, calm: np.ndarray, time_s: np.ndarray,
                    fps: float, bridge: int, p: ExpressionParams) -> list[_Piece]:
    level = np.where(valid, np.take_along_axis(np.nan_to_num(trace), top.clip(0)[:, None], 1)[:, 0], 0.0)
    label = np.where(valid & (top != _NEUTRAL) & (level >= p.high), top, -1)
    neutral = person_neutral(trace, calm)
    other = valid & (top != _NEUTRAL)  # an expression of one emotion ends where another one is the strongest
    return [_grow(trace[:, j], start, end, j, "emotion", neutral[j], p.return_share, stop=other & (top != j))
            for start, end, j in _runs(label, bridge) if _lasts(time_s, start, end, fps) >= p.trace_min_s]


def _au_pieces(aus: np.ndarray, active: np.ndarray, calm: np.ndarray, time_s: np.ndarray, fps: float, bridge: int,
               p: ExpressionParams, columns: list[int]) -> list[_Piece]:
    neutral = person_neutral(aus, calm)
    out = []
    for k, column in enumerate(columns):
        for start, end, _ in _runs(np.where(active[:, k], 0, -1), bridge):
            if _lasts(time_s, start, end, fps) >= p.au_min_s:
                out.append(_grow(aus[:, k], start, end, column, "au", neutral[k], p.return_share))
    return out


def _lasts(time_s: np.ndarray, start: int, end: int, fps: float) -> float:
    """How long frames start..end show something: from the first frame's time to the last one's end."""
    return float(time_s[end] - time_s[start]) + 1.0 / fps


def _grow(signal: np.ndarray, start: int, end: int, column: int, kind: str, neutral: float, share: float,
          stop: np.ndarray | None = None) -> _Piece:
    """The core [start, end] extended while the signal stays above neutral + share x its rise
    (and, for an emotion, until another emotion is the strongest: `stop`)."""
    core = signal[start:end + 1]
    apex = start + int(np.nanargmax(core))
    peak = float(signal[apex])
    level = neutral + share * (peak - neutral)
    above = np.isfinite(signal) & (signal > level)
    if stop is not None:
        above &= ~stop
    while start > 0 and above[start - 1]:
        start -= 1
    while end + 1 < len(signal) and above[end + 1]:
        end += 1
    return _Piece(start, end, column, kind, apex, peak)


def _merge(pieces: list[_Piece], bridge: int) -> list[list[_Piece]]:
    """Groups of pieces that are one expression (module docstring, step 5), in time order."""
    emotions: list[list[_Piece]] = []
    for piece in sorted((q for q in pieces if q.kind == "emotion"), key=lambda q: q.start):
        same = [g for g in emotions if g[0].column == piece.column and piece.start - max(q.end for q in g) - 1 <= bridge]
        if same:
            same[-1].append(piece)
        else:
            emotions.append([piece])
    spans = [(min(q.start for q in g), max(q.end for q in g)) for g in emotions]
    groups: list[list[_Piece]] = []
    for piece in sorted((q for q in pieces if q.kind == "au"), key=lambda q: q.start):
        if any(piece.start <= b and piece.end >= a for a, b in spans):
            continue
        if groups and piece.start <= max(q.end for q in groups[-1]):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return sorted(emotions + groups, key=lambda g: min(q.start for q in g))


def _episode(group: list[_Piece], prob: np.ndarray, trace: np.ndarray, time_s: np.ndarray,
             frame_index: np.ndarray) -> Episode:
    start, end = min(q.start for q in group), max(q.end for q in group)
    best = max(group, key=lambda q: q.height)
    duration = float(time_s[end] - time_s[start])
    ep = Episode(
        onset_frame=int(frame_index[start]), apex_frame=int(frame_index[best.apex]), offset_frame=int(frame_index[end]),
        onset_s=float(time_s[start]), apex_s=float(time_s[best.apex]), offset_s=float(time_s[end]),
        kind=Episode.kind_for(duration), score=round(best.height, 3),
    )
    if ep.kind == "macro":
        with warnings.catch_warnings():  # an episode has frames with a face: only their rows count
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(np.asarray(prob, np.float64)[start:end + 1], axis=0)
        ep.emotion_prob = fine_probabilities(mean)
        ep.emotion = max(ep.emotion_prob, key=ep.emotion_prob.get)
        ep.confidence = round(ep.emotion_prob[ep.emotion], 4)
    return ep


def fine_probabilities(frame_row: np.ndarray) -> dict[str, float]:
    """Per-frame probabilities (FRAME_EMOTIONS order) over the seven emotions, neutral left out."""
    values = {e: float(frame_row[FRAME_EMOTIONS.index(e)]) for e in EMOTIONS_FINE}
    total = sum(v for v in values.values() if np.isfinite(v))
    return {e: (v / total if total > 0 and np.isfinite(v) else 0.0) for e, v in values.items()}


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
