"""One definition of each clinical figure that more than one screen or report shows.

The store's session summary, the dashboard, the PDF report and the screening all call these
functions, so a figure cannot mean one thing on one page and another on the next. Each definition
is written out for clinicians in docs/clinical_figures.md; "is this AU active?" has its own owner,
mescreen.core.au_activity.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mescreen.core.labels import EMOTIONS_FINE
from mescreen.core.result import Episode

#: Episode kinds that count towards emotion shares unless a screening configuration says otherwise.
SHARE_KINDS = ("micro", "macro")

#: Earlier sessions needed before a change over time is shown or judged: with fewer, one unusual
#: session moves the baseline too much to read a change from it.
MIN_EARLIER_SESSIONS = 3

#: Label of an episode whose emotion was not determined, or is marked uncertain.
UNDETERMINED = "undetermined"


def is_uncertain(episode: Episode, min_confidence: float = 0.0) -> bool:
    """An episode whose emotion reading is below `min_confidence` (when a confidence is known)."""
    return episode.confidence is not None and episode.confidence < min_confidence


def episode_emotion(episode: Episode, min_confidence: float = 0.0) -> str:
    """The emotion an episode counts as: its fine emotion, or UNDETERMINED when it has none or
    the reading is uncertain."""
    if episode.emotion in EMOTIONS_FINE and not is_uncertain(episode, min_confidence):
        return episode.emotion
    return UNDETERMINED


def labelled_episodes(episodes: Iterable[Episode], kinds: Sequence[str] = SHARE_KINDS,
                      min_confidence: float = 0.0) -> list[Episode]:
    """Episodes of the given kinds that count towards emotion shares (a determined, certain emotion)."""
    return [e for e in episodes if e.kind in kinds and episode_emotion(e, min_confidence) != UNDETERMINED]


def emotion_shares(episodes: Iterable[Episode], kinds: Sequence[str] = SHARE_KINDS,
                   min_confidence: float = 0.0) -> dict[str, float]:
    """Share of each fine emotion among the labelled episodes (0 for an emotion not seen); empty
    when no episode is labelled: the share is then unknown, not zero."""
    labelled = labelled_episodes(episodes, kinds, min_confidence)
    if not labelled:
        return {}
    counts = Counter(e.emotion for e in labelled)
    return {emotion: counts[emotion] / len(labelled) for emotion in EMOTIONS_FINE}


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


def changes_along(values: Sequence[float | None], min_earlier: int = MIN_EARLIER_SESSIONS) -> list[float | None]:
    """`change_over_time` for every session of a series in recording order (None where not shown)."""
    out: list[float | None] = []
    for i, value in enumerate(values):
        found = change_over_time(value, values[:i], min_earlier)
        out.append(None if found is None else found.change)
    return out
