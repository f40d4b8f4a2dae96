"""Users (administrators only): create accounts, change roles and passwords, remove accounts;
care teams: create them, put clinicians in them, move a patient to another team (all audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import ui
from mescreen.app.auth import actor, is_admin
from mescreen.app.store import db
from mescreen.store.patients import list_patients
from mescreen.store.teams import create_team, list_teams, move_patient, set_member
from mescreen.store.users import create_user, delete_user, list_users, set_password, set_role

ROLES = ["clinician", "admin"]

st.title("Users")
if not is_admin():
    st.error("Only administrators manage accounts.")
    st.stop()


def attempt(action, success: str) -> None:
    try:
        with db() as session:
            action(session)
    except MescreenError as exc:
        ui.error(exc)
    else:
        ui.flash(success)
        st.rerun()


ui.show_flash()
with db() as session:
    users = list_users(session)
    teams = list_teams(session)
team_names = [t.name for t in teams]
member_of = {u.username: [t.name for t in teams if u.username in t.members] for u in users}
st.dataframe(pd.DataFrame([{
    "user": u.username, "role": u.role,
    "care teams": "all (administrator)" if u.role == "admin" else ", ".join(member_of[u.username]) or "none",
    "created": u.created_at.strftime("%Y-%m-%d"),
    "last sign-in": u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "never",
} for u in users]), hide_index=True, width="stretch")

st.subheader("Add an account")
with st.form("add_user", clear_on_submit=True):
    name = st.text_input("User name")
    password = st.text_input("Initial password (at least 8 characters)", type="password")
    role = st.selectbox("Role", ROLES)
    joined = st.multiselect("Care teams (a clinician sees only these teams' patients)", team_names,
                            default=team_names[:1] if len(team_names) == 1 else [], key="add_user_teams")
    add = st.form_submit_button("Add account", type="primary")
if add:
    attempt(lambda s: create_user(s, name, password, role, actor=actor(), teams=joined),
            f"Account {name} created.")

names = [u.username for u in users]
st.subheader("Change an account")
target = st.selectbox("Account", names, key="user_target")
c1, c2, c3 = st.columns(3)
with c1:
    new_role = st.selectbox("New role", ROLES, key="user_role")
    if st.button("Set role", key="user_set_role"):
        attempt(lambda s: set_role(s, target, new_role, actor=actor()), f"{target} is now {new_role}.")
with c2:
    new_password = st.text_input("New password", type="password", key="user_password")
    if st.button("Set password", key="user_set_password"):
        attempt(lambda s: set_password(s, target, new_password, actor=actor()),
                f"Password of {target} changed.")
with c3:
    st.write("")
    if target == actor():
        st.caption("You cannot remove your own account while signed in.")
    elif st.button("Remove account", key="user_delete"):
        attempt(lambda s: delete_user(s, target, actor=actor()), f"Account {target} removed.")

st.divider()
st.header("Care teams")
st.caption("A clinician sees, exports and deletes only the patients of their care teams; administrators see "
           "every team. Each change below is in the audit log with who made it, and the before and after.")
st.dataframe(pd.DataFrame([{"care team": t.name, "members": ", ".join(t.members) or "none",
                            "patients": t.n_patients} for t in teams]), hide_index=True, width="stretch")

with st.form("add_team", clear_on_submit=True):
    team_name = st.text_input("New care team name")
    if st.form_submit_button("Create care team"):
        attempt(lambda s: create_team(s, team_name, actor=actor()), f"Care team {team_name} created.")

clinicians = [u.username for u in users if u.role == "clinician"]
left, right = st.columns(2)
with left:
    st.subheader("Team members")
    if not clinicians:
        st.caption("No clinician accounts yet.")
    else:
        member = st.selectbox("Clinician", clinicians, key="team_member_user")
        team = st.selectbox("Care team", team_names, key="team_member_team")
        st.caption(f"{ui.md(member)} is in: {ui.md(', '.join(member_of[member]) or 'no team')}.")
        put_in, take_out = st.columns(2)
        if put_in.button("Put in this team", key="team_member_add", disabled=team in member_of[member]):
            attempt(lambda s: set_member(s, team, member, True, actor=actor()),
                    f"{member} is now a member of {team}.")
        if take_out.button("Take out of this team", key="team_member_remove", disabled=team not in member_of[member]):
            attempt(lambda s: set_member(s, team, member, False, actor=actor()),
                    f"{member} is no longer a member of {team}.")
with right:
    st.subheader("Move a patient")
    with db() as session:
        patients = list_patients(session, actor=actor())
    if not patients:
        st.caption("No patients yet.")
    else:
        team_of = {p.code: p.team for p in patients}
        code = st.selectbox("Patient", list(team_of), key="move_patient_code")
        st.caption(f"{ui.md(code)} is in care team {ui.md(team_of[code])}.")
        target = st.selectbox("To care team", team_names, key="move_patient_team")
        if st.button("Move patient", key="move_patient_button", disabled=target == team_of[code]):
            attempt(lambda s: move_patient(s, code, target, actor=actor()),
                    f"Patient {code} moved from {team_of[code]} to {target}.")
