"""Small pieces every page shares: the intended-use notice, the current patient, the job registry,
and showing an expected error as a message instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from mescreen.core import INTENDED_USE
from mescreen.core.errors import MescreenError
from mescreen.app.auth import actor
from mescreen.app.jobs import JobRegistry
from mescreen.app.palette import LEVEL_COLOURS
from mescreen.app.pdf_fonts import code_point, unprintable
from mescreen.app.report_pdf import LEVEL_WORDS
from mescreen.app.summary import IndicatorTables
from mescreen.app.recovery import recover_after_restart
from mescreen.app.settings import load_settings
from mescreen.app.store import db, sessions
from mescreen.app.text import md
from mescreen.store.patients import get_patient, list_patients
from mescreen.store.session_queries import session_patient_code
from mescreen.store.engine import database_url
from mescreen.store.errors import UnknownSessionError

PATIENT_KEY = "patient_code"
SESSION_KEY = "session_id"
_ADDRESS_KEY = "session_in_address"  # (patient, session) this browser's address names
_FLASH_KEY = "flash_message"
_OPEN_KEY = "open_session_next"  # (?patient=&session=) to switch to on the next full run


def flash(message: str) -> None:
    """A success message that survives the rerun which follows an action (plain text: it is
    escaped when shown, so it may quote codes and names)."""
    st.session_state[_FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(md(message), icon=":material/check_circle:")


def intended_use() -> None:
    """The statement shown wherever results are: a screening aid, never a diagnosis."""
    st.info(f"**Screening aid, not a diagnosis.** {INTENDED_USE}", icon=":material/info:")


def level_badge(level: str | None) -> None:
    """The one HTML block of the app: `level` is one of the screening config's fixed words."""
    level = level or "insufficient"
    if level not in LEVEL_COLOURS:  # never put text of unknown origin into HTML
        level = "insufficient"
    colour = LEVEL_COLOURS.get(level, "#555")
    st.markdown(
        f"<div style='padding:0.6rem 1rem;border-left:6px solid {colour};background:#f7f7f9;"
        f"border-radius:4px'><b style='color:{colour}'>Screening level: {level}</b> &mdash; "
        f"{LEVEL_WORDS.get(level, level)}</div>",
        unsafe_allow_html=True,
    )


@st.cache_resource(show_spinner=False)
def _registry_for(url: str) -> JobRegistry:
    """Made once per server process: first clean up after a server killed mid-analysis, then
    start the analysis workers, which load the models in the background."""
    try:
        settings = load_settings()
    except MescreenError:  # the upload page shows what is wrong with the settings
        settings = None
    recover_after_restart(sessions(), settings.upload_dir if settings else None)
    if settings is None:
        return JobRegistry(sessions())
    return JobRegistry(sessions(), workers=settings.analysis_workers, warm=settings.warm_worker)


def registry() -> JobRegistry:
    """The server's one job registry for this database (survives reruns and page changes)."""
    return _registry_for(database_url())


def table(data: pd.DataFrame | list[dict[str, object]] | dict[str, list[object]]) -> None:
    """A full-text table (cells wrap, nothing is cut off). st.table renders its cells as Markdown,
    where a lone "-" becomes a bullet and a typed code could become a link: every cell and heading
    is shown literally (mescreen.app.text.md)."""
    frame = pd.DataFrame(data)
    st.table(frame.map(md).rename(columns=md), hide_index=True)


def indicator_tables(tables: IndicatorTables) -> None:
    """Judged indicators, then those not judged with the reason in its own column, then figures
    shown for information; full text (tables wrap, nothing is cut off), references behind an
    info control."""
    st.markdown("**Judged against a threshold**")
    if tables.judged.empty:
        st.caption("No indicator could be judged for this recording.")
    else:
        table(tables.judged)
    if not tables.not_judged.empty:
        st.markdown("**Not judged**")
        table(tables.not_judged)
    if not tables.described.empty:
        with st.expander("Emotion shares (for information, no threshold)"):
            table(tables.described)
    if tables.references:
        with st.popover("References behind the indicators", icon=":material/info:"):
            for i, reference in enumerate(tables.references, start=1):
                st.markdown(f"[{i}] {reference}")


def pdf_font_notice(*texts: object) -> None:
    """Say, beside a PDF download, which characters of these texts (the patient code, notes) the
    report cannot print with this server's fonts and writes as code points instead."""
    missing = list(dict.fromkeys(c for text in texts for c in unprintable(text)))
    if missing:
        st.warning(f"The PDF report cannot print {len(missing)} character(s) with this server's fonts and writes "
                   f"them as their code points: {', '.join(md(code_point(c)) for c in missing)}. An administrator "
                   "can add a font (MESCREEN_PDF_FONT, see the app's README).", icon=":material/warning:")


def video_frame(path: str, frame_index: int) -> np.ndarray | None:
    """One RGB frame of a kept video (None when the file is gone or the frame cannot be read)."""
    if not Path(path).is_file():
        return None
    capture = cv2.VideoCapture(path)
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
        ok, image = capture.read()
    finally:
        capture.release()
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if ok else None


def error(exc: MescreenError) -> None:
    """An expected error as a message; escaped, since messages quote codes and file names."""
    st.error(md(exc), icon=":material/error:")


def choose_patient(label: str = "Patient") -> str | None:
    """A patient picker that remembers the choice across pages; None when there are no patients."""
    with db() as session:
        patients = list_patients(session, actor=actor())
    if not patients:
        st.warning("There are no patients yet. Create one on the **Patients** page first.")
        return None
    codes = [p.code for p in patients]
    current = st.session_state.get(PATIENT_KEY)
    index = codes.index(current) if current in codes else 0
    names = {p.code: f"{p.code} - {p.display_name}" if p.display_name else p.code for p in patients}
    code = st.selectbox(label, codes, index=index, format_func=names.get, key="patient_picker")
    if code != current:
        st.session_state[PATIENT_KEY] = code
        st.session_state.pop(SESSION_KEY, None)
    return code


def session_link(patient_code: str, session_id: int, label: str) -> None:
    """A link to one session's results (read back by `follow_session_link` on the Session page)."""
    st.page_link("screens/session.py", label=md(label), icon=":material/monitoring:",
                 query_params={"patient": patient_code, "session": str(session_id)})


def open_session_next(patient_code: str, session_id: int) -> None:
    """Ask the next full run of the app to open this session (mescreen/app/app.py switches page)."""
    st.session_state[_OPEN_KEY] = {"patient": patient_code, "session": str(session_id)}


def session_to_open() -> dict[str, str] | None:
    """The session `open_session_next` asked for, once."""
    return st.session_state.pop(_OPEN_KEY, None)


def follow_session_link() -> None:
    """Select the patient and session a link names. The address then keeps naming the session
    shown (`show_session_in_address`), so a reload returns to it; a link is followed only when it
    differs from what this page last wrote, so a later choice on the page is not overridden. A link
    to a patient or session this user may not see stops the page with "not found or not yours"."""
    params = st.query_params
    if "patient" not in params:
        return
    named = (params["patient"], params.get("session", ""))
    if named == st.session_state.get(_ADDRESS_KEY):
        return
    st.session_state[_ADDRESS_KEY] = named
    session_id = int(named[1]) if named[1].isdigit() else None
    try:  # the store decides whether this user may see them (and audits a refusal)
        with db() as session:
            get_patient(session, named[0], actor=actor())
            if session_id is not None and session_patient_code(session, session_id,
                                                                          actor=actor()) != named[0]:
                raise UnknownSessionError(f"The session with the id {session_id} was not found among patient "
                                          f"{named[0]!r}'s sessions.")
    except MescreenError as exc:
        st.error(f"This link cannot be opened: {md(sentence(exc))} Choose a patient on the **Patients** page.",
                 icon=":material/block:")
        st.stop()
    st.session_state[PATIENT_KEY] = named[0]
    if session_id is None:
        st.session_state.pop(SESSION_KEY, None)
    else:
        st.session_state[SESSION_KEY] = session_id


def sentence(text: object) -> str:
    """`text` as a sentence: a capital first letter and a full stop (messages are joined to more words)."""
    words = str(text).strip()
    words = words[:1].upper() + words[1:]
    return words if words.endswith((".", "!", "?")) else words + "."


def show_session_in_address(patient_code: str, session_id: int) -> None:
    """Put the shown session in the address (?patient=&session=): a reload, a bookmark or a copied
    link opens the same session."""
    named = (patient_code, str(session_id))
    st.session_state[_ADDRESS_KEY] = named
    if (st.query_params.get("patient"), st.query_params.get("session")) != named:
        st.query_params.from_dict({"patient": named[0], "session": named[1]})
