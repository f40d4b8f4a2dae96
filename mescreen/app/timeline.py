"""A patient's sessions as tables for the over-time charts, with change from their own baseline.

Change is mescreen.core.figures.change_over_time, the same figure the screening judges: a
session's value against the mean of all the patient's earlier sessions, shown only once
MIN_EARLIER_SESSIONS earlier values exist. Each patient is compared with themselves, not with a
population norm mescreen does not have. Missing values stay missing (gaps, not zeros).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mescreen.core.figures import MIN_EARLIER_SESSIONS, changes_along
from mescreen.core.labels import EMOTIONS_FINE
from mescreen.store.repository import SessionView

__all__ = ["MIN_EARLIER_SESSIONS", "done", "emotion_share_frame", "indicator_frame", "sessions_table"]
_COLUMNS = ["session", "recorded_on", "metric", "value", "change"]


def _long(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["session", "recorded_on", "metric", "value"])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame["recorded_on"] = pd.to_datetime(frame["recorded_on"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.sort_values(["recorded_on", "session"]).reset_index(drop=True)
    changes = []
    for _, group in frame.groupby("metric", sort=False):
        values = [None if pd.isna(v) else float(v) for v in group["value"]]
        changes.append(pd.Series(changes_along(values), index=group.index, dtype=float))
    frame["change"] = pd.concat(changes).sort_index() if changes else []
    return frame[_COLUMNS]


def done(views: Sequence[SessionView]) -> list[SessionView]:
    return [v for v in views if v.status == "done"]


def indicator_frame(views: Sequence[SessionView], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Each screening indicator's value per completed session (long format)."""
    labels = labels or {}
    return _long([
        {"session": v.id, "recorded_on": v.recorded_on, "metric": labels.get(k, k), "value": value}
        for v in done(views) for k, value in v.indicators.items()
    ])


def emotion_share_frame(views: Sequence[SessionView]) -> pd.DataFrame:
    """Each fine emotion's share of the labelled episodes per completed session
    (mescreen.core.figures.emotion_shares); a session without labelled episodes has no share
    (a gap), not a share of 0."""
    sessions = done(views)
    emotions = [e for e in EMOTIONS_FINE if any(v.emotion_shares.get(e) for v in sessions)]
    return _long([
        {"session": v.id, "recorded_on": v.recorded_on, "metric": e, "value": v.emotion_shares.get(e)}
        for v in sessions for e in emotions
    ])


def sessions_table(views: Sequence[SessionView], labels: dict[str, str] | None = None) -> pd.DataFrame:
    labels = labels or {}
    return pd.DataFrame([{
        "session": v.id, "recorded on": v.recorded_on, "status": v.status,
        "screening level": v.level or "-",
        "raised indicators": "; ".join(labels.get(k, k.replace("_", " ")) for k in v.raised) or "-",
        "episodes": v.summary.get("n_episodes", "-"), "file": v.file_name, "error": v.error or "",
    } for v in views])
