"""Upload & analyse: a recording is checked, registered, and analysed in the background."""

from __future__ import annotations

from datetime import date

import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import ui
from mescreen.app.auth import actor
from mescreen.app.progress_panel import jobs_panel
from mescreen.app.settings import load_settings
from mescreen.app.upload_check import ACCEPTED_EXTENSIONS, check_upload

st.title("Upload & analyse")
try:
    settings = load_settings()
except MescreenError as exc:
    ui.error(exc)
    st.stop()
code = ui.choose_patient()
if code is None:
    st.stop()

with st.form("upload", clear_on_submit=True):
    uploaded = st.file_uploader(
        f"Interview recording or photo ({', '.join(e.lstrip('.') for e in ACCEPTED_EXTENSIONS)}; "
        f"up to {settings.max_upload_mb} MB)",
        max_upload_size=settings.max_upload_mb, key="recording",
    )
    recorded_on = st.date_input("Recording date", value=date.today(), max_value=date.today(),
                                key="recorded_on")
    consent = st.checkbox("The patient consented to this recording being analysed.", key="consent")
    submitted = st.form_submit_button("Analyse", type="primary")

st.caption(
    "The video is deleted once it has been analysed." if not settings.keep_videos
    else f"Videos are kept after analysis (MESCREEN_KEEP_VIDEOS) in {settings.video_dir}."
)

if submitted:
    if uploaded is None:
        st.error("Choose a recording to upload first.")
    elif not consent:
        st.error("Confirm the patient's consent before the recording is analysed.")
    else:
        try:
            with st.spinner("Checking the recording..."):
                checked = check_upload(uploaded.name, uploaded.getvalue(), settings.upload_dir,
                                       settings.max_upload_bytes)
        except MescreenError as exc:
            ui.error(exc)
        else:
            try:
                ui.registry().submit(
                    patient_code=code, upload=checked.path, file_name=checked.file_name,
                    content_hash=checked.content_hash, recorded_on=recorded_on, uploader=actor(),
                    keep_video_in=settings.video_dir if settings.keep_videos else None,
                )
            except MescreenError as exc:
                checked.path.unlink(missing_ok=True)
                ui.error(exc)
            else:
                st.success(f"{ui.md(checked.file_name)} ({checked.info.duration_s:.1f} s) is being analysed. "
                           "You can keep working on other pages; the result appears here and under "
                           "Session when done.")

st.subheader("Analyses")
jobs_panel(code)
