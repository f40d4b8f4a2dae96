"""A session's number is given once, at upload, and never changes (issue 27, the blocker): back-dated
uploads, deletions, export and import, and stores upgraded from before numbers were stored."""

from __future__ import annotations

from datetime import date, datetime, timezone

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from mescreen.store.erasure import delete_patient, delete_session
from mescreen.store.patients import create_patient
from mescreen.store.recordings import create_session, record_failed_session, save_session, session_number
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.transfer import export_patient, import_patient
from mescreen.store.engine import _alembic_config, _sqlite_foreign_keys, make_engine, session_factory, upgrade
from tests.synthetic import synthetic_result
from tests.store.test_store_migrations import _insert_old_session

ACTOR = "dr.who"


def _upload(db: Session, code: str, day: date, name: str) -> int:
    return create_session(db, code, recorded_on=day, uploader=ACTOR, file_name=name, content_hash=name)


def _numbers(db: Session, code: str) -> dict[str, int]:
    return {v.file_name: v.number for v in patient_timeline(db, code, actor=ACTOR)}


def test_three_uploads_two_back_dated_keep_the_numbers_they_were_given(db: Session) -> None:
    create_patient(db, "P-1", actor=ACTOR)
    create_patient(db, "P-2", actor=ACTOR)
    first = _upload(db, "P-1", date(2026, 6, 1), "june.mp4")
    assert session_number(db, first) == 1
    _upload(db, "P-2", date(2026, 6, 1), "other.mp4")  # another patient counts apart
    _upload(db, "P-1", date(2026, 3, 1), "march.mp4")
    _upload(db, "P-1", date(2026, 4, 1), "april.mp4")
    timeline = patient_timeline(db, "P-1", actor=ACTOR)
    assert [v.file_name for v in timeline] == ["march.mp4", "april.mp4", "june.mp4"]  # recording order
    assert _numbers(db, "P-1") == {"june.mp4": 1, "march.mp4": 2, "april.mp4": 3}
    assert _numbers(db, "P-2") == {"other.mp4": 1}
    view, _ = load_session(db, first, actor=ACTOR)
    assert view.number == 1


def test_a_deleted_sessions_number_is_never_given_again(db: Session) -> None:
    create_patient(db, "P-1", actor=ACTOR)
    ids = [save_session(db, "P-1", synthetic_result(30, seed=k), recorded_on=date(2026, 1, 1 + k),
                             uploader=ACTOR, file_name=f"s{k}.mp4", content_hash=f"h{k}") for k in range(3)]
    delete_session(db, ids[2], actor=ACTOR)
    record_failed_session(db, "P-1", "no face", recorded_on=date(2026, 1, 9), uploader=ACTOR,
                               file_name="s3.mp4", content_hash="h3")
    assert _numbers(db, "P-1") == {"s0.mp4": 1, "s1.mp4": 2, "s3.mp4": 4}


def test_export_and_import_keep_the_numbers(db: Session) -> None:
    create_patient(db, "P-1", actor=ACTOR)
    for k, day in enumerate((5, 2, 3)):
        save_session(db, "P-1", synthetic_result(30, seed=k), recorded_on=date(2026, 1, day), uploader=ACTOR,
                          file_name=f"s{k}.mp4", content_hash=f"h{k}")
    removed = patient_timeline(db, "P-1", actor=ACTOR)[0]  # s1, recorded first, number 2
    delete_session(db, removed.id, actor=ACTOR)
    exported = export_patient(db, "P-1", actor=ACTOR)
    delete_patient(db, "P-1", actor=ACTOR)
    import_patient(db, exported, actor=ACTOR)
    assert _numbers(db, "P-1") == {"s0.mp4": 1, "s2.mp4": 3}
    _upload(db, "P-1", date(2026, 2, 1), "next.mp4")
    assert _numbers(db, "P-1")["next.mp4"] == 4  # 2 was given before the export: not again


def test_an_export_made_before_numbers_were_stored_is_numbered_in_recording_order(db: Session) -> None:
    create_patient(db, "P-1", actor=ACTOR)
    for k, day in enumerate((5, 2)):
        save_session(db, "P-1", synthetic_result(30, seed=k), recorded_on=date(2026, 1, day), uploader=ACTOR,
                          file_name=f"s{k}.mp4", content_hash=f"h{k}")
    old = export_patient(db, "P-1", actor=ACTOR)
    old["format_version"] = 1
    del old["patient"]["last_session_number"]
    for s in old["sessions"]:
        del s["number"]
    delete_patient(db, "P-1", actor=ACTOR)
    import_patient(db, old, actor=ACTOR)
    assert _numbers(db, "P-1") == {"s1.mp4": 1, "s0.mp4": 2}


def test_upgrade_numbers_existing_sessions_as_the_session_page_showed_them(db_url: str) -> None:
    engine = make_engine(db_url)
    now = datetime.now(timezone.utc)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            _sqlite_foreign_keys(connection, on=False)
        with connection.begin():
            command.upgrade(_alembic_config(connection), "0005")
            team = connection.execute(text("SELECT id FROM care_teams")).scalar_one()
            connection.execute(text("INSERT INTO patients (id, code, team_id, created_at, updated_at) "
                                    "VALUES (1, 'P1', :t, :n, :n)"), {"t": team, "n": now})
            for session_id in (1, 2, 3):
                _insert_old_session(connection, session_id, "au_detector.npz@unknown")
            # the first upload was recorded last: the session page called it session 3
            connection.execute(text("UPDATE sessions SET recorded_on = '2026-01-09' WHERE id = 1"))
            if engine.dialect.name == "postgresql":  # rows inserted with their ids: move the sequence on
                connection.execute(text("SELECT setval(pg_get_serial_sequence('sessions', 'id'), 3)"))
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as db:
        assert {v.id: v.number for v in patient_timeline(db, "P1", actor=ACTOR)} == {2: 1, 3: 2, 1: 3}
        assert _upload(db, "P1", date(2026, 1, 1), "new.mp4") and _numbers(db, "P1")["new.mp4"] == 4
    engine.dispose()
