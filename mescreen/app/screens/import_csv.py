"""Import: an OpenFace 2 or py-feat per-frame CSV, run through mescreen's spotting, emotion,
ME sub-division and screening, and saved as a session of the patient."""

from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import ui
from mescreen.app.auth import actor
from mescreen.app.store import sessions
from mescreen.core.peer_import import DEFAULT_FPS, TOOL_NAMES, read_peer_csv
from mescreen.service import PeerCsvSource, analyse_for_patient

st.title("Import OpenFace or py-feat output")
st.caption("For researchers who already ran OpenFace 2 (FeatureExtraction) or py-feat on a recording: "
           "mescreen reads their per-frame action units and runs its own micro-expression spotting, "
           "emotion, ME clusters and screening on them.")
code = ui.choose_patient()
if code is None:
    st.stop()

with st.form("import", clear_on_submit=True):
    uploaded = st.file_uploader("Per-frame CSV (OpenFace 2 or py-feat)", key="peer_csv")
    recorded_on = st.date_input("Recording date", value=date.today(), max_value=date.today(), key="peer_date")
    fps = st.number_input("Frame rate, used only when the file has no time column", min_value=1.0,
                          max_value=1000.0, value=DEFAULT_FPS, key="peer_fps")
    submitted = st.form_submit_button("Import and analyse", type="primary")

if submitted:
    if uploaded is None:
        st.error("Choose a CSV file first.")
        st.stop()
    data = uploaded.getvalue()
    try:
        with st.spinner("Reading the file and analysing..."):
            peer = read_peer_csv(data, name=uploaded.name, fps=fps)  # a malformed file stores nothing
            stored = analyse_for_patient(
                sessions(), code, PeerCsvSource(peer, hashlib.sha256(data).hexdigest()),
                recorded_on=recorded_on, uploader=actor(),
            )
    except MescreenError as exc:
        ui.error(exc)
    else:
        st.session_state[ui.SESSION_KEY] = stored.session_id
        st.success(f"{ui.md(uploaded.name)}: {TOOL_NAMES[peer.tool]} file with {len(peer.series)} frames imported "
                   f"as session {stored.session_id}; {len(stored.result.episodes)} episode(s) found.")
        st.page_link("screens/session.py", label="Open the session", icon=":material/monitoring:")
