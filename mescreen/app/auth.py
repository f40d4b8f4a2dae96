"""Who is signed in to this browser session, and what they may see.

Passwords are checked by the store (Argon2 via argon2-cffi, mescreen/store/passwords.py); this module only keeps
the signed-in user in Streamlit's per-browser session state, so nothing leaks between browsers.
"""

from __future__ import annotations

import streamlit as st

from mescreen.store import repository
from mescreen.store.repository import UserView
from mescreen.app.store import db

_KEY = "signed_in_user"


def current_user() -> UserView | None:
    return st.session_state.get(_KEY)


def sign_in(username: str, password: str) -> UserView | None:
    """Check the password; on success remember the user for this browser session."""
    if not username.strip() or not password:
        return None
    with db() as session:
        user = repository.authenticate(session, username, password)
    if user is not None:
        st.session_state[_KEY] = user
    return user


def sign_out() -> None:
    """Forget the user and everything the session selected (patient, session, jobs shown)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def actor() -> str:
    """The signed-in user's name, for the audit log; pages are only reachable when signed in."""
    user = current_user()
    if user is None:
        st.stop()
    return user.username


def is_admin() -> bool:
    user = current_user()
    return user is not None and user.role == "admin"
