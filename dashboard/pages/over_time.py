"""Patient over time: indicators and emotion shares across sessions, and change from the
patient's own first sessions."""

from __future__ import annotations

import streamlit as st

from core.screening import load_config
from dashboard import charts, timeline, ui
from dashboard.auth import actor
from dashboard.store import db
from db import repository

st.title("Patient over time")
code = ui.choose_patient()
if code is None:
    st.stop()

with db() as session:
    views = repository.patient_timeline(session, code, actor=actor())
finished = timeline.done(views)
if not finished:
    st.info(f"Patient {code} has no analysed sessions yet.")
    st.stop()

ui.intended_use()
st.caption(f"{len(finished)} analysed session(s). Change is measured from the mean of the patient's "
           f"first {timeline.BASELINE_SESSIONS} analysed sessions, so each patient is compared with "
           "themselves.")
if len(finished) < 2:
    st.info("A second analysed session is needed before change over time can be shown.")

rules = {r["key"]: r["label"] for r in load_config()["rules"]}
indicators = timeline.indicator_frame(finished, rules)
indicators = indicators[indicators["metric"].isin(set(rules.values()))]
shown = st.multiselect("Indicators", list(rules.values()), default=list(rules.values())[:4],
                       key="trend_indicators")
indicators = indicators[indicators["metric"].isin(shown)]
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.trend(indicators, "Screening indicators per session"), key="trend_ind")
with right:
    st.plotly_chart(charts.trend(indicators, "Indicators: change from first sessions", change=True),
                    key="trend_ind_change")

shares = timeline.emotion_share_frame(finished)
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.trend(shares, "Emotion share of micro-expressions per session"), key="trend_em")
with right:
    st.plotly_chart(charts.trend(shares, "Emotion shares: change from first sessions", change=True),
                    key="trend_em_change")

st.subheader("Sessions")
st.dataframe(timeline.sessions_table(views, rules), hide_index=True, width="stretch")
