"""Patient over time: indicators and emotion shares across sessions, and change from the
patient's own first sessions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mescreen.core.screening import load_config
from mescreen.app import charts, timeline, ui
from mescreen.app.auth import actor
from mescreen.app.store import db
from mescreen.store import repository

st.title("Patient over time")
code = ui.choose_patient()
if code is None:
    st.stop()

with db() as session:
    views = repository.patient_timeline(session, code, actor=actor())
finished = timeline.done(views)
if not finished:
    st.info(f"Patient {ui.md(code)} has no analysed sessions yet.")
    st.stop()

ui.intended_use()
st.caption(f"{len(finished)} analysed session(s). Change compares each session with the mean of all the "
           f"patient's earlier analysed sessions (the baseline), once at least "
           f"{timeline.MIN_EARLIER_SESSIONS} earlier sessions exist, so each patient is compared with "
           "themselves.")
if len(finished) <= timeline.MIN_EARLIER_SESSIONS:
    st.info(f"Change over time is shown from the session that has {timeline.MIN_EARLIER_SESSIONS} analysed "
            "sessions before it.")


def trend_pair(frame: pd.DataFrame, title: str, change_title: str, key: str) -> None:
    """Values per session beside their change from the patient's first sessions."""
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.trend(frame, title), key=key)
    with right:
        st.plotly_chart(charts.trend(frame, change_title, change=True), key=f"{key}_change")


rules = {r["key"]: r["label"] for r in load_config()["rules"]}
shown = st.multiselect("Indicators", list(rules.values()), default=list(rules.values())[:4],
                       key="trend_indicators")
indicators = timeline.indicator_frame(finished, rules)
# `shown` only offers rule labels, so this also drops indicators the rules no longer name.
indicators = indicators[indicators["metric"].isin(shown)]
trend_pair(indicators, "Screening indicators per session", "Indicators: change from the earlier sessions' mean",
           "trend_ind")
trend_pair(timeline.emotion_share_frame(finished), "Emotion share of expression episodes per session",
           "Emotion shares: change from the earlier sessions' mean", "trend_em")

st.subheader("Sessions")
st.dataframe(timeline.sessions_table(views, rules), hide_index=True, width="stretch")
