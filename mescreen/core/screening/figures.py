"""One definition of each clinical figure that more than one screen or report shows.

The store's session summary, the dashboard, the PDF report and the screening all call these
functions, so a figure cannot mean one thing on one page and another on the next. Each definition
is written out for clinicians in docs/clinical_figures.md; "is this AU active?" has its own owner,
mescreen.core.aus.activity.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mescreen.core.labels import EMOTIONS_FINE
from mescreen.core.result import Episode, FrameSeries

#: Episode kinds that count towards emotion shares unless a screening configuration says otherwise.
SHARE_KINDS = ("micro", "macro")

#: Earlier sessions needed before a change over time is shown or judged: with fewer, one unusual
#: session moves the baseline too much to read a change from it.
MIN_EARLIER_SESSIONS = 3

#: Label of an episode whose emotion was not determined, or is marked uncertain.
UNDETERMINED = "undetermined"

#: An episode whose emotion confidence is below this is shown as "uncertain" and left out of the
#: emotion shares (confidence: the probability of its emotion; see docs/clinical_figures.md).
UNCERTAIN_BELOW = 0.5


def is_uncertain(episode: Episode, min_confidence: float = UNCERTAIN_BELOW) -> bool:
    """An episode whose emotion reading is below `min_confidence` (when a confidence is known)."""
    return episode.confidence is not None and episode.confidence < min_confidence


def episode_emotion(episode: Episode, min_confidence: float = UNCERTAIN_BELOW) -> str:
    """The emotion an episode counts as: its fine emotion, or UNDETERMINED when it has none or
    the reading is uncertain."""
    if episode.emotion in EMOTIONS_FINE and not is_uncertain(episode, min_confidence):
        return episode.emotion
    return UNDETERMINED


def labelled_episodes(episodes: Iterable[Episode], kinds: Sequence[str] = SHARE_KINDS,
                      min_confidence: float = UNCERTAIN_BELOW) -> list[Episode]:
    """Episodes of the given kinds that count towards emotion shares (a determined, certain emotion)."""
    return [e for e in episodes if e.kind in kinds and episode_emotion(e, min_confidence) != UNDETERMINED]


def emotion_shares(episodes: Iterable[Episode], kinds: Sequence[str] = SHARE_KINDS,
                   min_confidence: float = UNCERTAIN_BELOW) -> dict[str, float]:
    """Share of each fine emotion among the labelled episodes (0 for an emotion not seen); empty
    when no episode is labelled: the share is then unknown, not zero."""
    counts, n = emotion_counts(episodes, kinds, min_confidence)
    if not n:
        return {}
    return {emotion: counts[emotion] / n for emotion in EMOTIONS_FINE}


def emotion_counts(episodes: Iterable[Episode], kinds: Sequence[str] = SHARE_KINDS,
                   min_confidence: float = UNCERTAIN_BELOW) -> tuple[Counter[str], int]:
    """How many labelled episodes count as each fine emotion, and how many are labelled: the counts
    behind every emotion share (one emotion's, or a screening rule's group of emotions)."""
    labelled = labelled_episodes(episodes, kinds, min_confidence)
    return Counter(e.emotion for e in labelled), len(labelled)


@dataclass(frozen=True)
class Change:
    """A value against the mean of the same patient's earlier sessions."""

    value: float
    baseline: float
    earlier: int  # earlier sessions the baseline averages

    @property
    def change(self) -> float:
        return self.value - self.baseline


def change_over_time(value: float | None, earlier: Sequence[float | None],
                     min_earlier: int = MIN_EARLIER_SESSIONS) -> Change | None:
    """The change of `value` against the mean of all earlier sessions' values (oldest first,
    missing values skipped); None when the value is missing or fewer than `min_earlier` earlier
    values exist."""
    past = [float(v) for v in earlier if v is not None and math.isfinite(v)]
    if value is None or not math.isfinite(value) or len(past) < min_earlier:
        return None
    return Change(float(value), float(np.mean(past)), len(past))


# --- per-frame figures of the whole interview (screening v2) ------------------------------------

#: Shortest run of active frames that counts as one AU event (shorter blips are detector noise).
MIN_EVENT_SECONDS = 0.2


def frame_step_s(series: FrameSeries) -> float:
    """Seconds per analysed frame (the median step; 0 for fewer than two frames)."""
    times = np.asarray(series.time_s, float)
    return float(np.median(np.diff(times))) if times.size >= 2 else 0.0


def face_minutes(series: FrameSeries) -> float:
    """Minutes of the recording with a visible face."""
    return float(np.count_nonzero(series.face_found)) * frame_step_s(series) / 60.0


def has_frame_emotions(series: FrameSeries) -> bool:
    """Whether the series carries the per-frame emotion trace (neutral + 7 emotions)."""
    return "neutral" in series.emotion_names


def top_frame_emotions(series: FrameSeries) -> np.ndarray:
    """(n,) index into `series.emotion_names` of each frame's most probable emotion; -1 where no
    face or no reading."""
    prob = np.asarray(series.emotion_prob, float)
    ok = np.asarray(series.face_found, bool) & np.isfinite(prob).all(axis=1) if prob.size else np.zeros(len(series), bool)
    out = np.full(len(series), -1, np.int64)
    if ok.any():
        out[ok] = np.argmax(prob[ok], axis=1)
    return out


def emotion_time_counts(series: FrameSeries) -> tuple[dict[str, int], int]:
    """Frames whose top emotion is each emotion, and frames with a reading (the time-share
    denominator: face-visible frames)."""
    top = top_frame_emotions(series)
    read = int(np.count_nonzero(top >= 0))
    return {name: int(np.count_nonzero(top == j)) for j, name in enumerate(series.emotion_names)}, read


def au_events(series: FrameSeries, aus: Sequence[str], active: np.ndarray | None = None) -> int:
    """Runs of consecutive frames with all of `aus` active, lasting at least MIN_EVENT_SECONDS;
    `active` is `series.au_active()` when the caller has it already."""
    cols = [series.au_names.index(a) for a in aus]
    active = series.au_active() if active is None else active
    active = np.all(active[:, cols], axis=1) if cols else np.zeros(len(series), bool)
    step = frame_step_s(series)
    min_frames = max(1, int(round(MIN_EVENT_SECONDS / step))) if step > 0 else 1
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int(np.count_nonzero(ends - starts >= min_frames))


def head_motion(series: FrameSeries) -> float | None:
    """Median angular speed of the head (degrees per second) between consecutive face frames, from
    the face stage's yaw, pitch and roll; None without head pose."""
    if series.head_pose is None:
        return None
    pose = np.asarray(series.head_pose, float)
    times = np.asarray(series.time_s, float)
    both = np.asarray(series.face_found[1:] & series.face_found[:-1], bool) & np.isfinite(pose[1:]).all(1) \
        & np.isfinite(pose[:-1]).all(1)
    dt = np.diff(times)
    keep = both & (dt > 0)
    if not keep.any():
        return None
    speed = np.linalg.norm(np.diff(pose, axis=0)[keep], axis=1) / dt[keep]
    return float(np.median(speed))
