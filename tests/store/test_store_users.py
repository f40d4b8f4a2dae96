"""Sign-in accounts: Argon2 hashes, roles, and the last administrator kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.store.users import (
    authenticate,
    count_users,
    create_user,
    delete_user,
    list_users,
    set_password,
    set_role,
)
from mescreen.store.errors import DuplicateUserError, InvalidValueError, UnknownUserError
from mescreen.store.models import User


def test_create_and_authenticate(db: Session) -> None:
    assert count_users(db) == 0
    created = create_user(db, "alice", "correct horse", "admin", actor="root")
    assert (created.username, created.role, created.last_login_at) == ("alice", "admin", None)
    stored = db.scalar(select(User.password_hash))
    db.rollback()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    signed_in = authenticate(db, "alice", "correct horse")
    assert signed_in is not None and signed_in.last_login_at is not None
    assert authenticate(db, "alice", "wrong password") is None
    assert authenticate(db, "nobody", "correct horse") is None
    assert count_users(db) == 1


def test_bad_user_input_is_refused(db: Session) -> None:
    create_user(db, "bob", "long enough", "clinician", actor="root")
    with pytest.raises(DuplicateUserError):
        create_user(db, "bob", "another one", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="too short"):
        create_user(db, "carol", "short", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="role"):
        create_user(db, "carol", "long enough", "superuser", actor="root")
    with pytest.raises(UnknownUserError):
        set_role(db, "nobody", "admin", actor="root")
    assert [u.username for u in list_users(db)] == ["bob"]


def test_roles_passwords_and_deletion(db: Session) -> None:
    create_user(db, "root", "admin password", "admin", actor="root")
    create_user(db, "doc", "doctor password", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="last administrator"):
        set_role(db, "root", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="last administrator"):
        delete_user(db, "root", actor="root")
    set_role(db, "doc", "admin", actor="root")
    set_role(db, "root", "clinician", actor="root")
    set_password(db, "doc", "a new password", actor="root")
    assert authenticate(db, "doc", "doctor password") is None
    assert authenticate(db, "doc", "a new password").role == "admin"
    delete_user(db, "root", actor="root")
    assert [(u.username, u.role) for u in list_users(db)] == [("doc", "admin")]
