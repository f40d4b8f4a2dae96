"""Who is signed in to this browser session, and what they may see.

Passwords are checked by the store (Argon2 via argon2-cffi, mescreen/store/passwords.py). The
browser session keeps only the user name and the account's session version; `refresh()` re-reads
the account from the store at the start of every run, so a user who is deleted or whose password
is reset is signed out at their next click, and a demoted admin loses admin pages at once.
A reload or a new tab stays signed in through the signed, expiring token of mescreen/app/remember.py.
"""

from __future__ import annotations

import streamlit as st

from mescreen.store.users import authenticate, get_user
from mescreen.store.users import UserView
from mescreen.app import remember
from mescreen.app.store import db

_KEY = "signed_in_as"  # (user name, session version) as of sign-in
_USER = "signed_in_user"  # the account as re-read at the start of this run
_COOKIE_OUT = "signin_cookie_to_write"  # token to store in the browser (None: delete the cookie)
_SIGNED_OUT = "signed_out_here"  # this browser session signed out: its old cookie no longer counts


def _from_cookie() -> tuple[str, int] | None:
    """The user a reloaded page or new tab brings in its sign-in cookie, if the token is genuine."""
    if st.session_state.get(_SIGNED_OUT):
        return None
    try:
        token = st.context.cookies.get(remember.COOKIE)
    except (AttributeError, RuntimeError):
        return None
    return remember.read_token(token if isinstance(token, str) else None, key=remember.secret())


def write_cookie() -> None:
    """Store (or delete) the sign-in cookie when sign-in or sign-out asked for it."""
    if _COOKIE_OUT in st.session_state:
        st.html(remember.cookie_script(st.session_state.pop(_COOKIE_OUT)), unsafe_allow_javascript=True)


def refresh() -> UserView | None:
    """Re-read the signed-in account; sign out when it is gone or its password was reset."""
    signed = st.session_state.get(_KEY)
    if signed is None:
        signed = _from_cookie()
        if signed is None:
            return None
        st.session_state[_KEY] = signed
    name, version = signed
    with db() as session:
        user = get_user(session, name)
    if user is None or user.session_version != version:
        sign_out()
        return None
    st.session_state[_USER] = user
    return user


def current_user() -> UserView | None:
    """The account as re-read by `refresh()` at the start of this run."""
    return st.session_state.get(_USER) if _KEY in st.session_state else None


def client_address() -> str | None:
    """The browser's address, for sign-in throttling and the audit log (None when unknown)."""
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        return None
    return address if isinstance(address, str) and address else None  # AppTest gives a mock


def sign_in(username: str, password: str) -> UserView | None:
    """Check the password; on success remember the user for this browser session. Raises
    SignInThrottledError after repeated failures."""
    if not username.strip() or not password:
        return None
    with db() as session:
        user = authenticate(session, username, password, client=client_address())
    if user is not None:
        st.session_state[_KEY] = (user.username, user.session_version)
        st.session_state[_USER] = user
        st.session_state[_COOKIE_OUT] = remember.make_token(user.username, user.session_version,
                                                            key=remember.secret())
    return user


def sign_out() -> None:
    """Forget the user and everything the session selected (patient, session, jobs shown)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[_SIGNED_OUT] = True
    st.session_state[_COOKIE_OUT] = None


def actor() -> str:
    """The signed-in user's name, for the audit log; pages are only reachable when signed in."""
    user = current_user()
    if user is None:
        st.stop()
    return user.username


def is_admin() -> bool:
    user = current_user()
    return user is not None and user.role == "admin"
