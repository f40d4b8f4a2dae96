"""The analyses panel: a progress bar per job (stage, frames done, time left), cancel, and a link
to the results once done. Redrawn every second as a fragment, so only it refreshes."""

from __future__ import annotations

import streamlit as st

from mescreen.app.jobs import Job
from mescreen.app import ui
from mescreen.app.text import md


def waiting_text(before: int) -> str:
    """A queued job's place in the queue, in words."""
    if before == 0:
        return "Starting"
    return f"Waiting: {before} {'analysis' if before == 1 else 'analyses'} before this one"


def _no_bar_yet(job: Job) -> bool:
    """Waiting or loading models: words, not a bar that does not move."""
    return job.status == "queued" or job.stage == "loading"


def _state(job: Job) -> str:
    return waiting_text(ui.registry().analyses_before(job.id)) if job.status == "queued" else job.stage_label


def _progress_text(job: Job) -> str:
    if job.status == "queued":
        return _state(job)
    if job.stage == "loading":
        return "Loading models (once after a server start or restart)"
    parts = [job.stage_label]
    if job.total and job.total > 1:  # one-step stages (spotting, screening) report 0 of 1
        parts.append(f"{job.done} of {job.total} frames")
    left = job.seconds_left()
    if left is not None:
        parts.append(f"about {left:.0f} s left in this stage" if left >= 1 else "almost done")
    return " - ".join(parts)


def show_job(job: Job, *, key_prefix: str) -> None:
    """One job's state. Links, not buttons, lead to results: switching pages from inside a
    fragment that reruns itself on a timer leaves the new page blank."""
    title = f"**{md(job.file_name)}** for patient **{md(job.patient_code)}** (session {job.session_number})"
    if job.status in ("queued", "running"):
        st.markdown(title)
        if _no_bar_yet(job):
            st.info(_progress_text(job), icon=":material/hourglass_top:")
        else:
            st.progress(job.fraction, text=_progress_text(job))
        if job.cancel_requested:
            st.caption("Cancelling...")
        elif st.button("Cancel analysis", key=f"{key_prefix}cancel_{job.id}"):
            ui.registry().cancel(job.id)
            st.rerun(scope="fragment")
    elif job.status == "done":
        st.success(f"{title}: analysis finished.", icon=":material/check_circle:")
        if job.error:
            st.warning(md(job.error))
        ui.session_link(job.patient_code, job.session_id, "Open results")
    elif job.status == "cancelled":
        st.info(f"{title}: {md(job.error)}")
    else:
        st.error(f"{title}: the analysis failed. {md(job.error)}", icon=":material/error:")


@st.fragment(run_every=1.0)
def analysing_banner(key: str) -> None:
    """The "being analysed" message of the job whose id is in session state under `key`, shown
    until that job finishes, fails or is cancelled (the jobs panel then says which)."""
    job = ui.registry().get(st.session_state.get(key, ""))
    if job is None or job.finished:
        st.session_state.pop(key, None)
        return
    st.info(f"{md(job.file_name)} is being analysed. You can keep working on other pages; the result "
            "appears here and under Session when done.", icon=":material/hourglass_top:")


@st.fragment(run_every=1.0)
def jobs_panel(patient_code: str | None, *, key_prefix: str = "") -> None:
    """Every analysis of this patient started since the server began (all patients if None)."""
    jobs = ui.registry().jobs(patient_code)
    if not jobs:
        st.caption("No analyses started yet.")
        return
    for job in jobs:
        with st.container(border=True):
            show_job(job, key_prefix=key_prefix)


@st.fragment(run_every=2.0)
def sidebar_jobs(username: str, shown: int = 3) -> None:
    """The user's latest analyses on every page, so a running one is never out of sight."""
    jobs = [j for j in ui.registry().jobs() if j.owner == username][:shown]
    if not jobs:
        return
    st.divider()
    st.markdown("**Your analyses**")
    for job in jobs:
        label = f"{md(job.patient_code)}, session {job.session_number}"
        if job.finished:
            words = {"done": "finished", "failed": "failed", "cancelled": "cancelled"}[job.status]
            st.caption(f"{label}: {words}")
            if job.status == "done" and st.button("Open", key=f"sidebar_open_{job.id}"):
                # A button, not a link: every link to the Session page is drawn as the current page
                # there, so all of them lit up at once. The app switches page on the rerun (outside
                # this fragment: a switch from inside a timed fragment leaves the new page blank).
                ui.open_session_next(job.patient_code, job.session_id)
                st.rerun(scope="app")
        elif _no_bar_yet(job):
            st.caption(f"{label}: {_state(job)}")
        else:
            st.progress(job.fraction, text=f"{label}: {_state(job)}")
