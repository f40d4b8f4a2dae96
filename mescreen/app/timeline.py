"""A patient's sessions as tables for the over-time charts, with change from their own baseline.

Change is mescreen.core.screening.figures.change_over_time, the same figure the screening judges: a
session's value against the mean of all the patient's earlier sessions, shown only once
MIN_EARLIER_SESSIONS earlier values exist. Each patient is compared with themselves, not with a
population norm mescreen does not have. Missing values stay missing (gaps, not zeros).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mescreen.core.screening.figures import MIN_EARLIER_SESSIONS, Change, change_over_time
from mescreen.core.labels import EMOTIONS_FINE
from mescreen.core.result import Indicator
from mescreen.app.au_words import in_words
from mescreen.app.summary import indicator_value
from mescreen.store.session_rows import SessionView

__all__ = ["BASELINE_WORDS", "MIN_EARLIER_SESSIONS", "compare", "done", "emotion_share_frame", "indicator_frame",
           "sessions_table"]
_COLUMNS = ["session", "number", "recorded_on", "metric", "value", "baseline", "earlier", "change"]

#: The baseline every change is measured against, named the same on the page and in the PDF.
BASELINE_WORDS = (f"the mean of all of the patient's earlier analysed sessions (shown once at least "
                  f"{MIN_EARLIER_SESSIONS} earlier sessions have a value)")


def _long(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows of (session id, its number, recording date, metric, value) in recording order, with
    each value's change from the baseline. `number` is the session's own number (given at upload:
    not the recording order when a recording was uploaded late)."""
    frame = pd.DataFrame(rows, columns=["session", "number", "recorded_on", "metric", "value"])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame["recorded_on"] = pd.to_datetime(frame["recorded_on"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.sort_values(["recorded_on", "session"]).reset_index(drop=True)
    found: dict[int, Change] = {}
    for _, group in frame.groupby("metric", sort=False):
        values = [None if pd.isna(v) else float(v) for v in group["value"]]
        for i, index in enumerate(group.index):
            change = change_over_time(values[i], values[:i])
            if change is not None:
                found[index] = change
    frame["baseline"] = [found[i].baseline if i in found else float("nan") for i in frame.index]
    frame["earlier"] = [found[i].earlier if i in found else 0 for i in frame.index]
    frame["change"] = [found[i].change if i in found else float("nan") for i in frame.index]
    return frame[_COLUMNS]


def done(views: Sequence[SessionView]) -> list[SessionView]:
    return [v for v in views if v.status == "done"]


def indicator_frame(views: Sequence[SessionView], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Each screening indicator's value per completed session (long format)."""
    labels = labels or {}
    return _long([
        {"session": v.id, "number": v.number, "recorded_on": v.recorded_on, "metric": labels.get(k, k), "value": value}
        for v in done(views) for k, value in v.indicators.items()
    ])


def emotion_share_frame(views: Sequence[SessionView]) -> pd.DataFrame:
    """Each fine emotion's share of the labelled episodes per completed session
    (mescreen.core.screening.figures.emotion_shares); a session without labelled episodes has no share
    (a gap), not a share of 0."""
    sessions = done(views)
    emotions = [e for e in EMOTIONS_FINE if any(v.emotion_shares.get(e) for v in sessions)]
    return _long([
        {"session": v.id, "number": v.number, "recorded_on": v.recorded_on, "metric": e,
         "value": v.emotion_shares.get(e)}
        for v in sessions for e in emotions
    ])


def sessions_table(views: Sequence[SessionView], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per session in recording order: its own number (given at upload) beside its place
    in the recording order, which differ when a recording was uploaded after later ones."""
    labels = labels or {}
    ordered = sorted(views, key=lambda v: (v.recorded_on, v.number))
    return pd.DataFrame([{
        "session": v.number, "recording order": place, "recorded on": v.recorded_on, "status": v.status,
        "screening level": v.level or "-",
        "raised indicators": "; ".join(labels.get(k, k.replace("_", " ")) for k in v.raised) or "-",
        "episodes": v.summary.get("n_episodes", "-"), "file": v.file_name, "error": v.error or "",
    } for place, v in enumerate(ordered, start=1)])


def compare(first: SessionView, second: SessionView, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Two sessions side by side: each screening figure and emotion share, in its unit, and the
    second minus the first ("-" where either session has no value: a missing value is not a zero).
    A figure neither session has is left out; the emotion shares come once, after the indicators."""
    labels = labels or {}
    rows = []
    keys = [k for k in dict.fromkeys([*first.indicators, *second.indicators]) if not k.startswith("share_")]
    for key in keys:
        name = labels.get(key) or first.indicator_labels.get(key) or second.indicator_labels.get(key) or key
        rows.append((key, in_words(name), first.indicators.get(key), second.indicators.get(key)))
    for emotion in EMOTIONS_FINE:
        rows.append((f"share_{emotion}", f"Share of episodes read as {emotion}", first.emotion_shares.get(emotion),
                     second.emotion_shares.get(emotion)))

    def text(key: str, value: float | None) -> str:
        return indicator_value(Indicator(key, "", value))

    return pd.DataFrame([{
        "figure": name, "first": text(key, a), "second": text(key, b),
        "second minus first": "-" if a is None or b is None else text(f"change_{key}", b - a),
    } for key, name, a, b in rows if a is not None or b is not None],
        columns=["figure", "first", "second", "second minus first"])
