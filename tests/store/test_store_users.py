"""Sign-in accounts: Argon2 hashes, roles, and the last administrator kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import mescreen.store.repository as repo
from mescreen.store.errors import DuplicateUserError, InvalidValueError, UnknownUserError
from mescreen.store.models import User


def test_create_and_authenticate(db: Session) -> None:
    assert repo.count_users(db) == 0
    created = repo.create_user(db, "alice", "correct horse", "admin", actor="root")
    assert (created.username, created.role, created.last_login_at) == ("alice", "admin", None)
    stored = db.scalar(select(User.password_hash))
    db.rollback()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    signed_in = repo.authenticate(db, "alice", "correct horse")
    assert signed_in is not None and signed_in.last_login_at is not None
    assert repo.authenticate(db, "alice", "wrong password") is None
    assert repo.authenticate(db, "nobody", "correct horse") is None
    assert repo.count_users(db) == 1


def test_bad_user_input_is_refused(db: Session) -> None:
    repo.create_user(db, "bob", "long enough", "clinician", actor="root")
    with pytest.raises(DuplicateUserError):
        repo.create_user(db, "bob", "another one", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="too short"):
        repo.create_user(db, "carol", "short", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="role"):
        repo.create_user(db, "carol", "long enough", "superuser", actor="root")
    with pytest.raises(UnknownUserError):
        repo.set_role(db, "nobody", "admin", actor="root")
    assert [u.username for u in repo.list_users(db)] == ["bob"]


def test_roles_passwords_and_deletion(db: Session) -> None:
    repo.create_user(db, "root", "admin password", "admin", actor="root")
    repo.create_user(db, "doc", "doctor password", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="last administrator"):
        repo.set_role(db, "root", "clinician", actor="root")
    with pytest.raises(InvalidValueError, match="last administrator"):
        repo.delete_user(db, "root", actor="root")
    repo.set_role(db, "doc", "admin", actor="root")
    repo.set_role(db, "root", "clinician", actor="root")
    repo.set_password(db, "doc", "a new password", actor="root")
    assert repo.authenticate(db, "doc", "doctor password") is None
    assert repo.authenticate(db, "doc", "a new password").role == "admin"
    repo.delete_user(db, "root", actor="root")
    assert [(u.username, u.role) for u in repo.list_users(db)] == [("doc", "admin")]
