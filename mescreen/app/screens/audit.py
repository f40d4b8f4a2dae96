"""Audit log (administrators only): who did what to which patient or session, when, and with
what outcome. Read-only: the app offers no way to change or delete a row. Viewing and exporting
the log are themselves audited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from mescreen.app import exports
from mescreen.app.auth import actor, is_admin
from mescreen.app.plain_words import action_words
from mescreen.app.store import db, sessions
from mescreen.store.audit import audit_actions, audit_entries, record_apart

ANY = "(any)"
SHOWN = 500

st.title("Audit log")
if not is_admin():
    st.error("Only administrators read the audit log.")
    st.stop()
st.caption("Every sign-in, account change, patient read, export, download, import and erasure, "
           "newest first. Rows cannot be changed or deleted here.")

with db() as session:
    actions = audit_actions(session)
c1, c2, c3, c4 = st.columns(4)
patient = c1.text_input("Patient code", key="audit_patient").strip() or None
who = c2.text_input("User", key="audit_user").strip() or None
action = c3.selectbox("Action", [ANY, *actions], key="audit_action",
                      format_func=lambda a: a if a == ANY else action_words(a))
days = c4.date_input("Dates", value=(date.today() - timedelta(days=30), date.today()), key="audit_dates")
start, end = (days if isinstance(days, tuple) and len(days) == 2 else (days, days)) if days else (None, None)
filters = dict(
    patient_code=patient, actor=who, action=None if action == ANY else action,
    since=datetime.combine(start, time.min, timezone.utc) if start else None,
    until=datetime.combine(end + timedelta(days=1), time.min, timezone.utc) if end else None,
)
described = ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "no filter"
with db() as session:
    entries = audit_entries(session, limit=SHOWN, **filters)
    record_apart(session, actor(), "read_audit", detail=described[:500])

rows = pd.DataFrame(exports.audit_rows(entries), columns=list(exports.AUDIT_COLUMNS))
rows["what"] = rows["what"].map(action_words)
st.dataframe(rows, hide_index=True, width="stretch", column_config={"what": st.column_config.TextColumn(
    "what", help="The action in words; the CSV export below names each by its technical name.")})
st.caption(f"{len(entries)} row(s) shown" + (f" (the newest {SHOWN})" if len(entries) == SHOWN else "") + ".")
st.download_button(
    "Export these rows (CSV)",
    exports.audited(sessions(), lambda: exports.audit_csv(entries), actor=actor(),
                    action="download_audit_csv"),
    file_name="mescreen_audit.csv", mime="text/csv", key="download_audit", on_click="ignore",
)
