"""Care teams on SQLite and PostgreSQL: a clinician sees, exports, changes and deletes only their
teams' patients; administrators see all; every assignment change and every refusal is audited."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from mescreen.store.erasure import delete_patient, delete_session
from mescreen.store.patients import create_patient, get_patient, list_patients, update_patient
from mescreen.store.recordings import create_session, save_session, set_session_note
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.teams import create_team, list_teams, move_patient, set_member, teams_of
from mescreen.store.transfer import export_patient, import_patient
from mescreen.store.users import create_user
from mescreen.store.engine import (
    _alembic_config, _sqlite_foreign_keys, current_revision, make_engine, session_factory, upgrade,
)
from mescreen.store.errors import DuplicateTeamError, InvalidValueError, UnknownPatientError, UnknownSessionError, UnknownTeamError
from mescreen.store.models import AuditLog
from tests.synthetic import synthetic_result
from tests.store.test_store_migrations import _insert_old_session

FIRST = "Care team 1"  # made by migration 0005
PASSWORD = "long enough password"


def _session(db: Session, code: str, actor: str) -> int:
    return save_session(db, code, synthetic_result(60, seed=1), recorded_on=date(2026, 1, 5), uploader=actor,
                             file_name="a.mp4", content_hash="h1")


@pytest.fixture
def two_teams(db: Session) -> Session:
    """An admin; ann in the first team with patient A-1; bob in team B with patient B-1."""
    create_user(db, "root", PASSWORD, "admin", actor="setup")
    create_user(db, "ann", PASSWORD, "clinician", actor="root")  # the only team: joins it
    create_team(db, "Team B", actor="root")
    create_user(db, "bob", PASSWORD, "clinician", actor="root", teams=["Team B"])
    create_patient(db, "A-1", actor="ann")
    create_patient(db, "B-1", actor="bob")
    return db


def _audit(db: Session, action: str) -> list[tuple[str, str | None, str, str]]:
    rows = db.execute(select(AuditLog.actor, AuditLog.patient_code, AuditLog.outcome, AuditLog.detail)
                      .where(AuditLog.action == action).order_by(AuditLog.id)).all()
    db.rollback()
    return [tuple(r) for r in rows]


def test_the_first_team_exists_and_a_lone_team_is_the_default(db: Session) -> None:
    assert [t.name for t in list_teams(db)] == [FIRST]
    create_user(db, "ann", PASSWORD, "clinician", actor="root")
    assert teams_of(db, "ann") == [FIRST]
    assert create_patient(db, "P-1", actor="ann").team == FIRST
    create_user(db, "root", PASSWORD, "admin", actor="setup")
    assert teams_of(db, "root") == []  # administrators see every team without joining one


def test_clinicians_see_only_their_teams_patients_and_admins_see_all(two_teams: Session) -> None:
    db = two_teams
    assert [p.code for p in list_patients(db, actor="ann")] == ["A-1"]
    assert [p.code for p in list_patients(db, actor="bob")] == ["B-1"]
    assert [(p.code, p.team) for p in list_patients(db, actor="root")] == [("A-1", FIRST), ("B-1", "Team B")]
    assert [p.code for p in list_patients(db, actor="cli:someone")] == ["A-1", "B-1"]  # no account: the CLI


@pytest.mark.parametrize("reach", [
    lambda db: get_patient(db, "B-1", actor="ann"),
    lambda db: patient_timeline(db, "B-1", actor="ann"),
    lambda db: export_patient(db, "B-1", actor="ann"),
    lambda db: update_patient(db, "B-1", notes="x", actor="ann"),
    lambda db: delete_patient(db, "B-1", actor="ann"),
    lambda db: create_session(db, "B-1", recorded_on=date(2026, 1, 6), uploader="ann", file_name="b.mp4",
                                   content_hash="h2"),
], ids=["get", "timeline", "export", "update", "delete", "upload"])
def test_another_teams_patient_is_not_found_or_not_yours_and_audited_as_denied(two_teams: Session, reach) -> None:
    db = two_teams
    with pytest.raises(UnknownPatientError, match="not found or is not one of your care team's patients"):
        reach(db)
    assert _audit(db, "access_patient") == [("ann", "B-1", "denied", "the patient is not in the user's care teams")]
    assert get_patient(db, "B-1", actor="root").notes is None  # nothing changed
    assert len(patient_timeline(db, "B-1", actor="root")) == 0


def test_an_unknown_code_reads_the_same_as_another_teams_and_is_not_audited(two_teams: Session) -> None:
    with pytest.raises(UnknownPatientError) as unknown:
        get_patient(two_teams, "NOPE", actor="ann")
    with pytest.raises(UnknownPatientError) as theirs:
        get_patient(two_teams, "B-1", actor="ann")
    assert str(unknown.value).replace("NOPE", "X") == str(theirs.value).replace("B-1", "X")
    assert [r[1] for r in _audit(two_teams, "access_patient")] == ["B-1"]


@pytest.mark.parametrize("reach", [
    lambda db, sid: load_session(db, sid, actor="ann"),
    lambda db, sid: set_session_note(db, sid, "note", actor="ann"),
    lambda db, sid: delete_session(db, sid, actor="ann"),
], ids=["open", "note", "delete"])
def test_another_teams_session_is_refused_by_id(two_teams: Session, reach) -> None:
    db = two_teams
    sid = _session(db, "B-1", "bob")
    with pytest.raises(UnknownSessionError, match="not found or is not one of your patients' sessions"):
        reach(db, sid)
    assert _audit(db, "access_patient")[0][:3] == ("ann", "B-1", "denied")
    view, result = load_session(db, sid, actor="bob")
    assert view.notes is None and result is not None


def test_moving_a_patient_and_membership_take_effect_at_once_and_are_audited(two_teams: Session) -> None:
    db = two_teams
    move_patient(db, "B-1", FIRST, actor="root")
    assert [p.code for p in list_patients(db, actor="ann")] == ["A-1", "B-1"]
    assert list_patients(db, actor="bob") == []
    set_member(db, FIRST, "bob", True, actor="root")
    assert [p.code for p in list_patients(db, actor="bob")] == ["A-1", "B-1"]
    set_member(db, FIRST, "ann", False, actor="root")
    assert list_patients(db, actor="ann") == []
    assert _audit(db, "move_patient") == [
        ("root", "B-1", "ok", "care team before: 'Team B'; after: 'Care team 1'")]
    assert [r[3] for r in _audit(db, "set_team_member")] == [
        "account 'bob' added to care team 'Care team 1'; teams before: 'Team B'; after: 'Care team 1', 'Team B'",
        "account 'ann' removed from care team 'Care team 1'; teams before: 'Care team 1'; after: none",
    ]


def test_refused_team_changes_are_audited_and_change_nothing(two_teams: Session) -> None:
    db = two_teams
    with pytest.raises(UnknownTeamError):
        move_patient(db, "A-1", "No such team", actor="root")
    with pytest.raises(DuplicateTeamError):
        create_team(db, "Team B", actor="root")
    assert list_patients(db, actor="ann")[0].team == FIRST
    assert [(r[0], r[2]) for r in _audit(db, "move_patient")] == [("root", "refused")]
    for change in (lambda: create_team(db, "Mine", actor="ann"),
                   lambda: set_member(db, "Team B", "ann", True, actor="ann"),
                   lambda: move_patient(db, "A-1", "Team B", actor="ann")):
        with pytest.raises(InvalidValueError, match="only administrators change care teams"):
            change()
    assert teams_of(db, "ann") == [FIRST] and list_patients(db, actor="ann")[0].team == FIRST
    assert [(r[0], r[2]) for r in _audit(db, "create_team")] == [("root", "ok"), ("root", "refused"),
                                                                 ("ann", "refused")]


def test_a_new_patients_team_is_chosen_when_there_is_a_choice(two_teams: Session) -> None:
    db = two_teams
    with pytest.raises(InvalidValueError, match="choose the patient's care team"):
        create_patient(db, "X-1", actor="root")
    with pytest.raises(UnknownTeamError, match="not a member"):
        create_patient(db, "X-1", actor="ann", team="Team B")
    assert create_patient(db, "X-1", actor="root", team="Team B").team == "Team B"
    set_member(db, "Team B", "ann", True, actor="root")
    with pytest.raises(InvalidValueError, match="'Care team 1', 'Team B'"):
        create_patient(db, "X-2", actor="ann")
    create_user(db, "cat", PASSWORD, "clinician", actor="root")  # two teams: joins none
    with pytest.raises(UnknownTeamError, match="not in any care team"):
        create_patient(db, "X-3", actor="cat")


def test_an_import_goes_into_the_importers_team(two_teams: Session) -> None:
    db = two_teams
    data = export_patient(db, "A-1", actor="ann")
    delete_patient(db, "A-1", actor="ann")
    assert import_patient(db, data, actor="bob") == "A-1"
    assert get_patient(db, "A-1", actor="bob").team == "Team B"


def test_migration_keeps_every_patient_and_clinician_visible_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0004")
        for i, code in enumerate(("P1", "P2"), start=1):
            connection.execute(text("INSERT INTO patients (id, code, created_at, updated_at) VALUES (:i, :c, :n, :n)"),
                               {"i": i, "c": code, "n": now})
        _insert_old_session(connection, 1, "au_detector.npz@unknown")  # of P1: must survive the rebuild
        for name, role in (("ann", "clinician"), ("root", "admin")):
            connection.execute(text("INSERT INTO users (username, password_hash, role, created_at) "
                                    "VALUES (:u, 'x', :r, :n)"), {"u": name, "r": role, "n": now})
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as db:
        assert [(p.code, p.team) for p in list_patients(db, actor="ann")] == [("P1", FIRST), ("P2", FIRST)]
        assert teams_of(db, "ann") == [FIRST] and teams_of(db, "root") == []
        assert [v.id for v in patient_timeline(db, "P1", actor="ann")] == [1]
    if engine.dialect.name == "sqlite":  # ids stay never reused (migration 0003)
        with engine.connect() as connection:
            assert "AUTOINCREMENT" in connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'patients'")).scalar_one()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            _sqlite_foreign_keys(connection, on=False)  # as mescreen.store.engine.upgrade does
        with connection.begin():
            command.downgrade(_alembic_config(connection), "0004")
        codes = connection.execute(text("SELECT code FROM patients ORDER BY code")).scalars().all()
        columns = [c["name"] for c in inspect(connection).get_columns("patients")]
    assert current_revision(engine) == "0004"
    engine.dispose()
    assert codes == ["P1", "P2"] and "team_id" not in columns
    upgrade(db_url)  # and up again
