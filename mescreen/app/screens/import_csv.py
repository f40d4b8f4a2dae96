"""Import: an OpenFace 2 or py-feat per-frame CSV, run through mescreen's spotting, emotion,
ME sub-division and screening, and saved as a session of the patient.

Like an upload: the same consent tick, then a background job with progress and cancel in the
analyses panel. The file is read (and a malformed one refused, storing nothing) before the job is
queued; its times are checked for plausibility by mescreen.core.io.peer_import, which asks for the
frame rate when they cannot be right. The form keeps its values when the file is refused.
"""

from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from mescreen.app import ui
from mescreen.app.auth import actor
from mescreen.app.progress_panel import analysing_banner, jobs_panel
from mescreen.core.errors import MescreenError
from mescreen.core.io.peer_import import PLAUSIBLE_FPS, TimingError, read_peer_csv
from mescreen.service import PeerCsvSource

FORM_KEY = "import_form_round"  # bumped after a submission: new widget keys empty the form
BANNER_KEY = "import_banner_job"  # the job whose "being analysed" message is shown

st.title("Import OpenFace or py-feat output")
st.caption("For researchers who already ran OpenFace 2 (FeatureExtraction) or py-feat on a recording: "
           "mescreen reads their per-frame action units and runs its own micro-expression spotting, "
           "emotion, ME clusters and screening on them.")
code = ui.choose_patient()
if code is None:
    st.stop()

ui.show_flash()
round_ = st.session_state.get(FORM_KEY, 0)
with st.form("import"):
    uploaded = st.file_uploader("Per-frame CSV (OpenFace 2 or py-feat)", key=f"peer_csv_{round_}")
    recorded_on = st.date_input("Recording date", value=date.today(), max_value=date.today(),
                                key=f"peer_date_{round_}")
    fps = st.number_input(
        "Frame rate of the recording (frames per second)", min_value=PLAUSIBLE_FPS[0], max_value=PLAUSIBLE_FPS[1],
        value=None, placeholder="leave empty to use the file's own times",
        help="When given, it defines the times: frame number divided by the frame rate. Needed when the "
             "file's times cannot be right; a file without times is otherwise read at 30 frames per second.",
        key=f"peer_fps_{round_}",
    )
    consent = st.checkbox("The patient consented to this recording being analysed.", key=f"peer_consent_{round_}")
    submitted = st.form_submit_button("Import and analyse", type="primary")

if submitted:
    if uploaded is None:
        st.error("Choose a CSV file first.")
    elif not consent:
        st.error("Confirm the patient's consent before the file is analysed. The chosen file, date and frame "
                 "rate are kept.")
    else:
        data = uploaded.getvalue()
        try:
            peer = read_peer_csv(data, name=uploaded.name, fps=fps)  # a malformed file stores nothing
            job = ui.registry().submit_import(
                patient_code=code, source=PeerCsvSource(peer, hashlib.sha256(data).hexdigest()),
                recorded_on=recorded_on, uploader=actor(),
            )
        except TimingError as exc:
            ui.error(exc)
            st.info("Enter the recording's frame rate above and press **Import and analyse** again.",
                    icon=":material/speed:")
        except MescreenError as exc:
            ui.error(exc)
        else:
            st.session_state[FORM_KEY] = round_ + 1
            st.session_state[BANNER_KEY] = job.id
            ui.flash(f"{peer.describe()}.")
            st.rerun()

analysing_banner(BANNER_KEY)
st.subheader("Analyses")
jobs_panel(code)
