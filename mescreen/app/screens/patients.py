"""Patients: search, create, open, and erase (with confirmation) a patient and all their data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import exports, ui
from mescreen.app.auth import actor
from mescreen.app.store import db, sessions
from mescreen.store.erasure import delete_patient
from mescreen.store.patients import create_patient, list_patients
from mescreen.store.teams import usable_teams

st.title("Patients")
st.caption("Patients are identified by a pseudonymous code; avoid names in codes and notes. You see the "
           "patients of your care teams (administrators see every team's).")
ui.show_flash()

search = st.text_input("Search by code or name", key="patient_search")
with db() as session:
    patients = list_patients(session, search, actor=actor())

if patients:
    st.dataframe(pd.DataFrame(exports.patient_rows(patients), columns=list(exports.PATIENT_COLUMNS)),
                 hide_index=True, width="stretch")
    # The table's own CSV button is switched off (client.disableDataExport): it cannot be audited.
    st.download_button(
        "Download this table (CSV)",
        exports.audited(sessions(), lambda: exports.patients_csv(patients), actor=actor(),
                        action="download_patients_csv"),
        file_name="mescreen_patients.csv", mime="text/csv", key="download_patients", on_click="ignore",
    )
elif search:
    st.info(f"No patient matches “{ui.md(search)}”.")
else:
    st.info("No patients yet: create the first one below.")

left, right = st.columns(2)
with left:
    st.subheader("Open a patient")
    if patients:
        codes = [p.code for p in patients]
        current = st.session_state.get(ui.PATIENT_KEY)
        code = st.selectbox("Patient", codes, index=codes.index(current) if current in codes else 0,
                            key="open_code")
        go_upload, go_session, go_time = st.columns(3)
        if go_upload.button("Upload a recording", key="open_upload"):
            st.session_state[ui.PATIENT_KEY] = code
            st.switch_page("screens/upload.py")
        if go_session.button("Latest session", key="open_session"):
            st.session_state[ui.PATIENT_KEY] = code
            st.session_state.pop(ui.SESSION_KEY, None)
            st.switch_page("screens/session.py")
        if go_time.button("Over time", key="open_time"):
            st.session_state[ui.PATIENT_KEY] = code
            st.switch_page("screens/over_time.py")

with right:
    st.subheader("New patient")
    with db() as session:
        teams = usable_teams(session, actor())
    if not teams:
        st.info("You are not in any care team yet, so you cannot create patients. An administrator adds you "
                "to a team on the **Users** page.")
    with st.form("new_patient", clear_on_submit=True):
        new_code = st.text_input("Patient code", help="A pseudonymous identifier, e.g. P-0042")
        display_name = st.text_input("Display name (optional)")
        notes = st.text_area("Notes (optional)")
        # One team: it is the patient's team. Several: the user chooses (only their own teams).
        team = st.selectbox("Care team", teams, key="new_patient_team") if len(teams) > 1 else None
        create = st.form_submit_button("Create patient", type="primary", disabled=not teams)
    if create:
        try:
            with db() as session:
                created = create_patient(session, new_code, display_name=display_name or None,
                                                    notes=notes or None, actor=actor(), team=team)
        except MescreenError as exc:
            ui.error(exc)
        else:
            st.session_state[ui.PATIENT_KEY] = created.code
            ui.flash(f"Patient {created.code} created in care team {created.team}.")
            st.rerun()

if patients:
    st.divider()
    with st.expander("Delete a patient and everything about them"):
        st.warning("This erases the patient, every session, every result and any kept video. "
                   "It cannot be undone.")
        victim = st.selectbox("Patient to delete", [p.code for p in patients], key="delete_code")
        typed = st.text_input("Type the patient code to confirm", key="delete_confirm")
        if st.button("Delete permanently", type="primary", key="delete_button",
                     disabled=typed.strip() != victim):
            try:
                with db() as session:
                    delete_patient(session, victim, actor=actor())
            except MescreenError as exc:
                ui.error(exc)
            else:
                ui.registry().forget_patient(victim)
                if st.session_state.get(ui.PATIENT_KEY) == victim:
                    st.session_state.pop(ui.PATIENT_KEY, None)
                    st.session_state.pop(ui.SESSION_KEY, None)
                st.session_state.pop("delete_confirm", None)
                ui.flash(f"Patient {victim} and all their data were deleted.")
                st.rerun()
