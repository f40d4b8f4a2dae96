"""Sign-in accounts: clinicians and administrators, with Argon2-hashed passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mescreen.store.audit import as_utc
from mescreen.store.errors import DuplicateUserError, InvalidValueError, UnknownUserError
from mescreen.store.models import USER_ROLES, User, utcnow
from mescreen.store.passwords import hash_password, needs_rehash, verify_password
from mescreen.store.transactions import transaction

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class UserView:
    username: str
    role: str
    created_at: datetime
    last_login_at: datetime | None


def _view(user: User) -> UserView:
    last = as_utc(user.last_login_at) if user.last_login_at is not None else None
    return UserView(user.username, user.role, as_utc(user.created_at), last)


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


def create_user(session: Session, username: str, password: str, role: str = "clinician") -> UserView:
    username = username.strip()
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
        return _view(user)


def authenticate(session: Session, username: str, password: str) -> UserView | None:
    """The user when name and password match, else None (same time taken either way)."""
    with transaction(session):
        user = session.scalar(select(User).where(User.username == username.strip()))
        if not verify_password(user.password_hash if user else None, password) or user is None:
            return None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        session.flush()
        return _view(user)


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


def set_role(session: Session, username: str, role: str) -> None:
    _check_role(role)
    with transaction(session):
        user = _get(session, username)
        if role != "admin":
            _keep_an_admin(session, user)
        user.role = role


def set_password(session: Session, username: str, password: str) -> None:
    _check_password(password)
    with transaction(session):
        _get(session, username).password_hash = hash_password(password)


def delete_user(session: Session, username: str) -> None:
    """Remove an account; audit rows keep the name they were written with."""
    with transaction(session):
        user = _get(session, username)
        _keep_an_admin(session, user)
        session.delete(user)
