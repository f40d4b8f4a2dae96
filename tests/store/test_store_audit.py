"""Issue 15, items 4 and 7 in the store: every sign-in and account change is an audit row with
its outcome, ids are never reused after erasure, and repeated wrong passwords lock a name (or a
client) without saying whether the account exists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

import mescreen.store.users
from mescreen.store.audit import audit_entries
from mescreen.store.erasure import delete_patient
from mescreen.store.patients import create_patient
from mescreen.store.recordings import save_session
from mescreen.store.users import authenticate, create_user, delete_user, get_user, set_password, set_role
from mescreen.store.errors import InvalidValueError, SignInThrottledError, StoreError
from mescreen.store.models import utcnow
from mescreen.store.sign_in_throttle import FREE_CLIENT_FAILURES, FREE_FAILURES
from tests.synthetic import synthetic_result


def _rows(db: Session, action: str) -> list[tuple[str, str, str]]:
    return [(a.actor, a.outcome, a.detail) for a in reversed(audit_entries(db, action=action))]


def test_sign_ins_and_account_changes_are_audited_with_their_outcome(db: Session) -> None:
    create_user(db, "root", "admin password", "admin", actor="installer")
    create_user(db, "doc", "doctor password", "clinician", actor="root")
    assert authenticate(db, "doc", "doctor password", client="10.0.0.7") is not None
    assert authenticate(db, "doc", "wrong password", client="10.0.0.7") is None
    set_role(db, "doc", "admin", actor="root")
    set_password(db, "doc", "a new password", actor="root")
    with pytest.raises(StoreError):
        set_role(db, "nobody", "admin", actor="root")
    delete_user(db, "doc", actor="root")
    with pytest.raises(InvalidValueError, match="last administrator"):
        delete_user(db, "root", actor="root")

    assert [(a, o) for a, o, _ in _rows(db, "sign_in")] == [("doc", "ok"), ("doc", "failed")]
    assert {a.client for a in audit_entries(db, action="sign_in")} == {"10.0.0.7"}
    assert [(a, o) for a, o, _ in _rows(db, "create_user")] == [("installer", "ok"), ("root", "ok")]
    assert [(a, o) for a, o, _ in _rows(db, "set_role")] == [("root", "ok"), ("root", "refused")]
    assert _rows(db, "set_password") == [("root", "ok", "account 'doc'")]
    assert [(a, o) for a, o, _ in _rows(db, "delete_user")] == [("root", "ok"), ("root", "refused")]


def test_password_change_bumps_the_session_version(db: Session) -> None:
    create_user(db, "doc", "doctor password", "clinician", actor="root")
    before = get_user(db, "doc").session_version
    set_role(db, "doc", "admin", actor="root")
    assert get_user(db, "doc").session_version == before
    set_password(db, "doc", "a new password", actor="root")
    assert get_user(db, "doc").session_version == before + 1
    assert get_user(db, "gone") is None


def test_session_and_patient_ids_are_never_reused(db: Session) -> None:
    ids = []
    for code in ("A", "B"):
        create_patient(db, code, actor="dr")
        ids.append(save_session(db, code, synthetic_result(50, seed=1), recorded_on=date(2026, 1, 1),
                                     uploader="dr", file_name="v.mp4", content_hash="h"))
        delete_patient(db, code, actor="dr")  # the newest rows go: a rowid table reuses their ids
    assert ids[1] > ids[0]
    create_patient(db, "C", actor="dr")
    assert save_session(db, "C", synthetic_result(50, seed=1), recorded_on=date(2026, 1, 1),
                             uploader="dr", file_name="v.mp4", content_hash="h") > ids[1]
    reads = {a.patient_code for a in audit_entries(db) if a.session_id == ids[0]}
    assert reads == {"A"}


def _fail(db: Session, name: str, times: int, client: str | None = None) -> None:
    for _ in range(times):
        assert authenticate(db, name, "wrong password", client=client) is None


def test_repeated_failures_lock_the_name_whether_or_not_it_exists(db: Session, monkeypatch) -> None:
    create_user(db, "doc", "doctor password", "clinician", actor="root")
    messages = []
    for name in ("doc", "nobody"):
        _fail(db, name, FREE_FAILURES)
        with pytest.raises(SignInThrottledError) as locked:
            authenticate(db, name, "doctor password")
        messages.append(str(locked.value))
    # says nothing about which account exists (only the seconds left may differ)
    assert messages[0].split(" Try again")[0] == messages[1].split(" Try again")[0]
    assert [outcome for who, outcome, _ in _rows(db, "sign_in") if who == "doc"][-1] == "locked"
    # once the wait is over, the right password works and starts the count again
    later = utcnow() + timedelta(minutes=1)
    monkeypatch.setattr(mescreen.store.users, "utcnow", lambda: later)
    assert authenticate(db, "doc", "doctor password") is not None
    assert authenticate(db, "doc", "wrong password") is None
    assert authenticate(db, "doc", "doctor password") is not None


def test_many_names_from_one_client_lock_that_client(db: Session) -> None:
    create_user(db, "doc", "doctor password", "clinician", actor="root")
    for i in range(FREE_CLIENT_FAILURES):
        _fail(db, f"guess{i}", 1, client="203.0.113.9")
    with pytest.raises(SignInThrottledError):
        authenticate(db, "doc", "doctor password", client="203.0.113.9")
    assert authenticate(db, "doc", "doctor password", client="198.51.100.1") is not None
