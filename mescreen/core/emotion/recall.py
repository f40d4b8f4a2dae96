"""The one answer to "how well does the per-frame emotion model read this emotion?".

Why it matters: the screening counts emotions (shares of episodes, shares of face-visible time),
and an emotion the model hardly ever recognises cannot be counted. The measure is the model's
recall per emotion on the FER+ test faces (of the test faces showing that emotion, the share it
named right), which the model's JSON holds under `per_class_recall` (written with the model; see
its card). The pipeline copies it into each session's series (`FrameSeries.emotion_recall`), so a
session keeps reading the way its own model read, whatever ships later.

An emotion below `READ_LIMIT` is "not read": no screening rule judges an indicator that counts it,
as for AUs the detector cannot read (mescreen.core.aus.activity). Where the recall is unknown (a
session analysed before it was recorded, a model JSON without it, figures from another tool) the
indicators are judged as before and say that how well the emotion is read is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Key of the per-emotion recall in models/frame_emotion.json.
RECALL_KEY = "per_class_recall"

#: Below this recall on FER+ test an emotion is "not read" (no rule judges it).
READ_LIMIT = 0.35
#: Below this it is read poorly (its share is shown, with a caution); from `WELL_FROM` it is read well.
POOR_BELOW = 0.60
WELL_FROM = 0.80


def recall_from_meta(meta: Mapping[str, Any]) -> dict[str, float]:
    """The per-emotion recall a model's JSON records ({} when it records none)."""
    recall = meta.get(RECALL_KEY) or {}
    out = {str(emotion): float(value) for emotion, value in recall.items()}
    bad = [e for e, v in out.items() if not 0.0 <= v <= 1.0]
    if bad:
        raise ValueError(f"{RECALL_KEY} must lie in [0, 1]; got {', '.join(f'{e}={out[e]}' for e in bad)}")
    return out


def not_read(emotions: Sequence[str], recall: Mapping[str, float]) -> list[str]:
    """The emotions among `emotions` whose recall is known and below READ_LIMIT."""
    return [e for e in emotions if e in recall and recall[e] < READ_LIMIT]


def _joined(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def not_judged_text(unread: Sequence[str]) -> str:
    """Evidence ending of an indicator left unjudged because it counts emotions that are not read."""
    verb = "is" if len(unread) == 1 else "are"
    return (f"Not judged: {_joined(list(unread))} {verb} not read by the emotion model used for this session "
            f"(it recognised fewer than {READ_LIMIT:.0%} of such faces in a test set).")


def reading_sentence(emotion: str, recall: Mapping[str, float]) -> str:
    """How well one emotion is read, in a clinician's words."""
    if emotion not in recall:
        return f"How well {emotion} is read: unknown."
    value = recall[emotion]
    shown = f"it recognised {value:.0%} of the {emotion} faces in a test set"
    if value < READ_LIMIT:
        return f"{emotion.capitalize()} is not read by this version ({shown}): no rule judges it."
    if value < POOR_BELOW:
        return f"{emotion.capitalize()} is read poorly by this version ({shown}): treat its share with care."
    if value < WELL_FROM:
        return f"{emotion.capitalize()} is read fairly well by this version ({shown})."
    return f"{emotion.capitalize()} is read well by this version ({shown})."


def reading_text(emotions: Sequence[str], recall: Mapping[str, float]) -> str:
    """How well each of `emotions` is read; one sentence when none of them is known."""
    if not any(e in recall for e in emotions):
        noun = "this emotion is" if len(emotions) == 1 else "these emotions are"
        return f"How well {noun} read: unknown (the emotion model of this session recorded no test figures)."
    return " ".join(reading_sentence(e, recall) for e in emotions)
