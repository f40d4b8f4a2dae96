"""Patient over time: indicators and emotion shares across sessions, change from the patient's own
baseline, two sessions side by side, and the patient-level PDF report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mescreen.app import charts, exports, summary, timeline, ui
from mescreen.app.auth import actor
from mescreen.app.store import db, sessions
from mescreen.store.patients import get_patient
from mescreen.store.session_queries import load_session, patient_timeline

st.title("Patient over time")
code = ui.choose_patient()
if code is None:
    st.stop()

with db() as session:
    views = patient_timeline(session, code, actor=actor())
finished = timeline.done(views)
if not finished:
    st.info(f"Patient {ui.md(code)} has no analysed sessions yet.")
    st.stop()

ui.intended_use()
st.caption(f"{len(finished)} analysed session(s), drawn in recording order. Each keeps the number it was given "
           "at upload, also when it was recorded before earlier uploads. A session without a value is a gap "
           "in the line, never a zero.")
st.markdown(f"**Baseline:** each session's change is measured from {timeline.BASELINE_WORDS}, so the patient "
            "is compared with themselves, not with a population norm.")
if len(finished) <= timeline.MIN_EARLIER_SESSIONS:
    st.info(f"No change is shown yet: change needs a session with at least {timeline.MIN_EARLIER_SESSIONS} "
            f"analysed sessions before it ({len(finished)} analysed so far).")


def trend_pair(frame: pd.DataFrame, title: str, change_title: str, key: str) -> None:
    """Values per session beside their change from the patient's first sessions."""
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.trend(frame, title), key=key)
    with right:
        st.plotly_chart(charts.trend(frame, change_title, change=True), key=f"{key}_change")


rules = summary.rule_labels()
# Offered: the indicators these sessions were screened with (today's rules first); shown at first:
# the first four that have a value, so the chart is not empty while there is something to draw.
present = [k for k in rules if any(k in v.indicators for v in finished)]
valued = [k for k in present if any(v.indicators.get(k) is not None for v in finished)]
if not valued:
    st.info(f"No screening indicator could be judged in any of the {len(finished)} analysed session(s), so none "
            "is drawn over time. Each session's page says why (for example, too little visible face).")
else:
    shown = st.multiselect("Indicators", [rules[k] for k in present], default=[rules[k] for k in valued[:4]],
                           key="trend_indicators")
    indicators = timeline.indicator_frame(finished, rules)
    # `shown` only offers rule labels, so this also drops indicators the rules no longer name.
    indicators = indicators[indicators["metric"].isin(shown)]
    if shown:
        trend_pair(indicators, "Screening indicators per session", "Indicators: change from the baseline",
                   "trend_ind")
    else:
        st.caption("Choose one or more indicators above to draw them.")
trend_pair(timeline.emotion_share_frame(finished), "Emotion share of expression episodes per session",
           "Emotion shares: change from the baseline", "trend_em")

st.subheader("Sessions")
ui.table(timeline.sessions_table(views, rules))  # full file names, shown as typed

st.subheader("Compare two sessions")
if len(finished) < 2:
    st.caption("Two analysed sessions are needed for a comparison.")
else:
    ids = [v.id for v in finished]
    by_id = {v.id: v for v in finished}

    def name(i: int) -> str:
        return f"Session {by_id[i].number} - recorded {by_id[i].recorded_on}"

    left, right = st.columns(2)
    first = left.selectbox("First session", ids, index=len(ids) - 2, format_func=name, key="compare_first")
    second = right.selectbox("Second session", ids, index=len(ids) - 1, format_func=name, key="compare_second")
    ui.table(timeline.compare(by_id[first], by_id[second], rules))
    with db() as session:
        pair = [load_session(session, i, actor=actor())[1] for i in (first, second)]
    for column, i, result in zip((left, right), (first, second), pair):
        if result is not None:
            column.plotly_chart(charts.emotion_distribution(result), key=f"compare_chart_{i}_{column is left}")

st.subheader("Patient report")
user = actor()
with db() as session:
    note = get_patient(session, code, actor=user).notes or ""
ui.pdf_font_notice(code, note, *(v.notes or "" for v in views), *(v.file_name for v in views))
report = exports.audited(sessions(), lambda: exports.patient_pdf_bytes(views, code, user, note), actor=user,
                         action="download_patient_pdf", patient_code=code)
st.download_button("PDF report of all sessions", report,
                   file_name=f"{exports.patient_file_stem(code)}.pdf", mime="application/pdf",
                   key="download_patient_pdf", on_click="ignore", type="primary")
