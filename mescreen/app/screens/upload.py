"""Upload & analyse: a recording is checked, registered, and analysed in the background.

The form keeps the chosen file and date when it is refused (e.g. the consent box was not ticked);
it is cleared only once a recording has been handed to the analysis. A recording already analysed
for this patient (same content) is analysed again only after the user says so.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import ui
from mescreen.app.auth import actor
from mescreen.app.progress_panel import analysing_banner, jobs_panel
from mescreen.app.settings import load_settings
from mescreen.app.store import db
from mescreen.app.upload_check import ACCEPTED_EXTENSIONS, CheckedUpload, check_upload
from mescreen.store.session_queries import patient_timeline

FORM_KEY = "upload_form_round"  # bumped after a submission: new widget keys empty the form
PENDING_KEY = "upload_pending"  # (patient, checked upload, date) waiting for "analyse again?"
BANNER_KEY = "upload_banner_job"  # the job whose "being analysed" message is shown

st.title("Upload & analyse")
try:
    settings = load_settings()
except MescreenError as exc:
    ui.error(exc)
    st.stop()
code = ui.choose_patient()
if code is None:
    st.stop()


def submit(checked: CheckedUpload, recorded_on: date) -> None:
    """Hand a checked upload to the analysis; the form is emptied for the next one."""
    try:
        job = ui.registry().submit(
            patient_code=code, upload=checked.path, file_name=checked.file_name,
            content_hash=checked.content_hash, recorded_on=recorded_on, uploader=actor(),
            keep_video_in=settings.video_dir if settings.keep_videos else None,
        )
    except MescreenError as exc:
        checked.path.unlink(missing_ok=True)
        ui.error(exc)
        return
    st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 0) + 1
    st.session_state[BANNER_KEY] = job.id
    st.rerun()


analysing_banner(BANNER_KEY)
round_ = st.session_state.get(FORM_KEY, 0)
# Outside the form, so the chosen file can be named in full below it (the widget shortens long names).
uploaded = st.file_uploader(
    f"Interview recording or photo ({', '.join(e.lstrip('.') for e in ACCEPTED_EXTENSIONS)}; "
    f"up to {settings.max_upload_words})",
    max_upload_size=settings.max_upload_mb, key=f"recording_{round_}",
)
chosen = st.empty()  # always there, so the form below keeps its place when a file is chosen (no stale copy)
if uploaded is not None:
    chosen.caption(f"Chosen: {ui.md(uploaded.name)}")  # no size: the widget writes its own, in other units
with st.form("upload"):
    recorded_on = st.date_input("Recording date", value=date.today(), max_value=date.today(),
                                key=f"recorded_on_{round_}")
    consent = st.checkbox("The patient consented to this recording being analysed.", key=f"consent_{round_}")
    submitted = st.form_submit_button("Analyse", type="primary")

st.caption(
    "The video is deleted once it has been analysed." if not settings.keep_videos
    else f"Videos are kept after analysis (MESCREEN_KEEP_VIDEOS) in {settings.video_dir}."
)

if submitted:
    if uploaded is None:
        st.error("Choose a recording to upload first.")
    elif not consent:
        st.error("Confirm the patient's consent before the recording is analysed. The chosen file and date "
                 "are kept.")
    else:
        try:
            with st.spinner("Checking the recording..."):
                checked = check_upload(uploaded.name, uploaded.getvalue(), settings.upload_dir,
                                       settings.max_upload_bytes)
        except MescreenError as exc:
            ui.error(exc)
        else:
            with db() as session:
                views = patient_timeline(session, code, actor=actor())
            if any(v.content_hash == checked.content_hash and v.status == "done" for v in views):
                st.session_state[PENDING_KEY] = (code, checked, recorded_on)
            else:
                submit(checked, recorded_on)

pending = st.session_state.get(PENDING_KEY)
if pending is not None and pending[0] == code:
    _, checked, pending_date = pending
    with db() as session:
        views = patient_timeline(session, code, actor=actor())
    earlier = [v for v in views if v.content_hash == checked.content_hash and v.status == "done"]
    st.warning(
        f"{ui.md(checked.file_name)} was already analysed for patient {ui.md(code)}: "
        + ", ".join(f"session {v.number} (recorded {v.recorded_on})" for v in earlier)
        + ". Analyse it again as a new session?", icon=":material/content_copy:")
    again, cancel = st.columns(2)
    if again.button("Analyse again", key="upload_again", type="primary"):
        st.session_state.pop(PENDING_KEY, None)
        submit(checked, pending_date)
    if cancel.button("Do not analyse", key="upload_cancel"):
        st.session_state.pop(PENDING_KEY, None)
        checked.path.unlink(missing_ok=True)
        st.rerun()

st.subheader("Analyses")
jobs_panel(code)
