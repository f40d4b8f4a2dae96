"""Users (administrators only): create accounts, change roles and passwords, remove accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mescreen.core.errors import MescreenError
from mescreen.app import ui
from mescreen.app.auth import actor, is_admin
from mescreen.app.store import db
from mescreen.store import repository

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
    users = repository.list_users(session)
st.dataframe(pd.DataFrame([{
    "user": u.username, "role": u.role, "created": u.created_at.strftime("%Y-%m-%d"),
    "last sign-in": u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else "never",
} for u in users]), hide_index=True, width="stretch")

st.subheader("Add an account")
with st.form("add_user", clear_on_submit=True):
    name = st.text_input("User name")
    password = st.text_input("Initial password (at least 8 characters)", type="password")
    role = st.selectbox("Role", ROLES)
    add = st.form_submit_button("Add account", type="primary")
if add:
    attempt(lambda s: repository.create_user(s, name, password, role, actor=actor()), f"Account {name} created.")

names = [u.username for u in users]
st.subheader("Change an account")
target = st.selectbox("Account", names, key="user_target")
c1, c2, c3 = st.columns(3)
with c1:
    new_role = st.selectbox("New role", ROLES, key="user_role")
    if st.button("Set role", key="user_set_role"):
        attempt(lambda s: repository.set_role(s, target, new_role, actor=actor()), f"{target} is now {new_role}.")
with c2:
    new_password = st.text_input("New password", type="password", key="user_password")
    if st.button("Set password", key="user_set_password"):
        attempt(lambda s: repository.set_password(s, target, new_password, actor=actor()),
                f"Password of {target} changed.")
with c3:
    st.write("")
    if target == actor():
        st.caption("You cannot remove your own account while signed in.")
    elif st.button("Remove account", key="user_delete"):
        attempt(lambda s: repository.delete_user(s, target, actor=actor()), f"Account {target} removed.")
