"""Sign-in accounts: clinicians and administrators, with Argon2-hashed passwords.

Every sign-in (success, failure, lock-out) and every account change (create, role, password,
delete; done or refused) is an audit row naming who did it. Refusals are written in their own
transaction, since the refused change rolled back.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mescreen.store.audit import as_utc, audited_change, record
from mescreen.store.errors import (
    DuplicateUserError,
    InvalidValueError,
    SignInThrottledError,
    UnknownUserError,
)
from mescreen.store.models import USER_ROLES, User, utcnow
from mescreen.store.passwords import hash_password, needs_rehash, verify_password
from mescreen.store.sign_in_throttle import SIGN_IN, wait_before_sign_in
from mescreen.store.teams import join_teams
from mescreen.store.transactions import transaction

log = logging.getLogger(__name__)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class UserView:
    username: str
    role: str
    created_at: datetime
    last_login_at: datetime | None
    session_version: int = 0  # changes when the password is set; see mescreen/app/auth.py


def _view(user: User) -> UserView:
    last = as_utc(user.last_login_at) if user.last_login_at is not None else None
    return UserView(user.username, user.role, as_utc(user.created_at), last, user.session_version or 0)


def _check_role(role: str) -> None:
    if role not in USER_ROLES:
        raise InvalidValueError(f"unknown role {role!r}: use one of {', '.join(USER_ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValueError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UnknownUserError(f"no user named {username!r}")
    return user


def create_user(
    session: Session, username: str, password: str, role: str = "clinician", *, actor: str,
    teams: Sequence[str] | None = None,
) -> UserView:
    """A new account. A clinician joins `teams` (default: the only care team, when there is
    exactly one); an administrator sees every team and joins none."""
    username = username.strip()

    def change() -> UserView:
        if not username:
            raise InvalidValueError("user name is empty")
        _check_role(role)
        _check_password(password)
        duplicate = DuplicateUserError(f"a user named {username!r} already exists")
        with transaction(session, conflict=duplicate):
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise duplicate
            user = User(username=username, password_hash=hash_password(password), role=role)
            session.add(user)
            session.flush()
            joined = join_teams(session, user, teams) if role == "clinician" else []
            record(session, actor, "create_user", detail=f"account {username!r} as {role}"
                   + (f", care teams {', '.join(repr(n) for n in joined)}" if joined else ""))
            session.flush()
            return _view(user)

    return audited_change(session, actor, "create_user", f"account {username!r}", change)


def get_user(session: Session, username: str) -> UserView | None:
    """The account as stored now (the dashboard re-reads it on every click), None if deleted."""
    with transaction(session):
        user = session.scalar(select(User).where(User.username == username))
        return _view(user) if user is not None else None


def authenticate(
    session: Session, username: str, password: str, *, client: str | None = None
) -> UserView | None:
    """The user when name and password match, else None (same time taken either way).

    Raises SignInThrottledError, without checking the password, after repeated failures for this
    name or from this client (mescreen/store/sign_in_throttle.py). Every outcome is audited."""
    name = username.strip()
    now = utcnow()
    with transaction(session):
        wait = wait_before_sign_in(session, name, client, now)
        if wait:
            record(session, name, SIGN_IN, outcome="locked", client=client, at=now,
                   detail=f"refused for {wait.total_seconds():.0f} s after repeated failures")
    if wait:
        log.warning("sign-in locked for %r from %s for %.0f s", name, client or "unknown client",
                    wait.total_seconds())
        raise SignInThrottledError(
            "Too many failed sign-ins for this user name or from this computer. Try again in "
            f"{_minutes(wait.total_seconds())}.", retry_after_s=wait.total_seconds())
    with transaction(session):
        user = session.scalar(select(User).where(User.username == name))
        if not verify_password(user.password_hash if user else None, password) or user is None:
            record(session, name, SIGN_IN, outcome="failed", client=client, at=now)
            log.warning("failed sign-in for %r from %s", name, client or "unknown client")
            return None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now
        record(session, name, SIGN_IN, client=client, at=now)
        session.flush()
        return _view(user)


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{math.ceil(seconds)} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def list_users(session: Session) -> list[UserView]:
    with transaction(session):
        return [_view(u) for u in session.scalars(select(User).order_by(User.username))]


def count_users(session: Session) -> int:
    with transaction(session):
        return int(session.scalar(select(func.count(User.id))) or 0)


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to demote or delete the last administrator: nobody could manage accounts after."""
    if user.role == "admin" and session.scalar(select(func.count(User.id)).where(User.role == "admin")) == 1:
        raise InvalidValueError(f"{user.username!r} is the last administrator: make another admin first")


def set_role(session: Session, username: str, role: str, *, actor: str) -> None:
    """Takes effect at the user's next click (the dashboard re-reads the role every run)."""
    def change() -> None:
        _check_role(role)
        with transaction(session):
            user = _get(session, username)
            if role != "admin":
                _keep_an_admin(session, user)
            user.role = role
            record(session, actor, "set_role", detail=f"account {username!r} to {role}")

    audited_change(session, actor, "set_role", f"account {username!r}", change)


def set_password(session: Session, username: str, password: str, *, actor: str) -> None:
    """New password; browser sessions signed in with the old one end at their next click."""
    def change() -> None:
        _check_password(password)
        with transaction(session):
            user = _get(session, username)
            user.password_hash = hash_password(password)
            user.session_version = (user.session_version or 0) + 1
            record(session, actor, "set_password", detail=f"account {username!r}")

    audited_change(session, actor, "set_password", f"account {username!r}", change)


def delete_user(session: Session, username: str, *, actor: str) -> None:
    """Remove an account; audit rows keep the name they were written with."""
    def change() -> None:
        with transaction(session):
            user = _get(session, username)
            _keep_an_admin(session, user)
            session.delete(user)
            record(session, actor, "delete_user", detail=f"account {username!r}")

    audited_change(session, actor, "delete_user", f"account {username!r}", change)
