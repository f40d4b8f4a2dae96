"""A patient's sessions as tables for the over-time charts, with change from their own baseline.

The baseline is the mean of the patient's first BASELINE_SESSIONS completed sessions: each patient
is compared with themselves, not with a population norm mescreen does not have.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mescreen.store.repository import SessionView

BASELINE_SESSIONS = 2
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
        baseline = group["value"].dropna().head(BASELINE_SESSIONS).mean()
        changes.append(group["value"] - baseline)
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
    """Each fine emotion's share of the labelled micro-expressions per completed session; an emotion
    absent from a session counts as a share of 0 there."""
    sessions = done(views)
    emotions = sorted({e for v in sessions for e in v.emotion_shares})
    return _long([
        {"session": v.id, "recorded_on": v.recorded_on, "metric": e, "value": v.emotion_shares.get(e, 0.0)}
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
