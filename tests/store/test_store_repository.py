"""Repository behaviour on SQLite and PostgreSQL: round trip, transactions, longitudinal view,
erasure, export/import, audit, and clear errors that change nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mescreen.store.audit import audit_entries
from mescreen.store.erasure import delete_patient, delete_session
from mescreen.store.patients import create_patient, get_patient, list_patients, update_patient
from mescreen.store.recordings import (
    complete_session,
    create_session,
    find_done_session,
    find_session,
    mark_failed,
    mark_running,
    record_failed_session,
    save_session,
    set_session_note,
    set_video_path,
)
from mescreen.store.session_queries import later_sessions, load_session, patient_timeline, previous_screenings
from mescreen.store.transfer import export_patient, import_patient
from mescreen.store import session_rows
from mescreen.store import models
from mescreen.store.engine import make_engine, session_factory, upgrade
from mescreen.store.errors import (
    DuplicatePatientError,
    InvalidValueError,
    StoreError,
    UnknownPatientError,
    UnknownSessionError,
)
from tests.synthetic import synthetic_result

ACTOR = "dr.who"
STORED_TABLES = (models.Patient, models.RecordingSession, models.Indicator, models.EpisodeRow, models.FrameSeriesBlob)


def _counts(db: Session) -> dict[str, int]:
    counts = {m.__tablename__: db.scalar(select(func.count()).select_from(m)) for m in STORED_TABLES}
    db.rollback()
    return counts


def _save(db: Session, code: str, seed: int, *, on: date, n_frames: int = 120, **kw) -> int:
    return save_session(
        db, code, synthetic_result(n_frames, seed=seed, **kw), recorded_on=on, uploader=ACTOR,
        file_name=f"rec{seed}.mp4", content_hash=f"hash{seed}",
    )


def _actions(db: Session, code: str | None = None) -> list[str]:
    return [a.action for a in audit_entries(db, patient_code=code)]


def test_session_result_round_trips_unchanged(db: Session) -> None:
    create_patient(db, "P-001", actor=ACTOR)
    result = synthetic_result(3000, n_episodes=12, seed=3)
    result.episodes[0].score = float("nan")
    result.episodes[1].au_prob["AU4"] = float("nan")
    assert np.isnan(result.series.au_prob).any() and np.isnan(result.series.emotion_prob).any()
    session_id = save_session(
        db, "P-001", result, recorded_on=date(2026, 3, 1), uploader=ACTOR, file_name="a.mp4", content_hash="h1"
    )
    view, back = load_session(db, session_id, actor=ACTOR)
    assert back is not None and back.equals(result)
    assert back.series.au_prob.dtype == np.float32 and back.series.time_s.dtype == np.float64
    assert view.status == "done" and view.level == result.screening.level
    assert view.indicators == {i.key: i.value for i in result.screening.indicators}
    assert view.raised == [i.key for i in result.screening.indicators if i.raised]
    assert view.summary["n_frames"] == 3000 and view.summary["n_episodes"] == 12
    assert sum(view.emotion_shares.values()) == pytest.approx(1.0)


def test_patients_create_list_search_get(db: Session) -> None:
    create_patient(db, "A-7", display_name="Ada", notes="note", actor=ACTOR)
    create_patient(db, "B_8", actor=ACTOR)
    create_patient(db, "C%9", display_name="Bea", actor=ACTOR)
    _save(db, "A-7", 1, on=date(2026, 1, 5), level="watch")
    _save(db, "A-7", 2, on=date(2026, 2, 5), level="flag")
    assert [p.code for p in list_patients(db, actor=ACTOR)] == ["A-7", "B_8", "C%9"]
    assert [p.code for p in list_patients(db, "ada", actor=ACTOR)] == ["A-7"]
    assert [p.code for p in list_patients(db, "_", actor=ACTOR)] == ["B_8"]  # no LIKE wildcard
    assert [p.code for p in list_patients(db, "%", actor=ACTOR)] == ["C%9"]
    ada = get_patient(db, "A-7", actor=ACTOR)
    assert (ada.display_name, ada.notes, ada.n_sessions) == ("Ada", "note", 2)
    assert (ada.last_recorded_on, ada.last_level) == (date(2026, 2, 5), "flag")
    assert get_patient(db, "B_8", actor=ACTOR).last_level is None
    updated = update_patient(db, "B_8", display_name="Bob", actor=ACTOR)
    assert updated.display_name == "Bob" and updated.updated_at >= updated.created_at


def test_duplicate_and_unknown_patients_change_nothing(db: Session) -> None:
    create_patient(db, "P1", display_name="first", actor=ACTOR)
    before = _counts(db)
    with pytest.raises(DuplicatePatientError, match="P1"):
        create_patient(db, " P1 ", display_name="second", actor=ACTOR)
    with pytest.raises(UnknownPatientError, match="NOPE"):
        get_patient(db, "NOPE", actor=ACTOR)
    with pytest.raises(UnknownPatientError):
        _save(db, "NOPE", 1, on=date(2026, 1, 1))
    with pytest.raises(UnknownSessionError):
        load_session(db, 12345, actor=ACTOR)
    with pytest.raises(InvalidValueError):
        create_patient(db, "  ", actor=ACTOR)
    assert _counts(db) == before
    assert get_patient(db, "P1", actor=ACTOR).display_name == "first"


def test_timeline_and_previous_screenings_are_chronological(db: Session) -> None:
    create_patient(db, "P", actor=ACTOR)
    late = _save(db, "P", 1, on=date(2026, 5, 1), level="flag")
    early = _save(db, "P", 2, on=date(2026, 1, 1), level="none")
    failed = record_failed_session(
        db, "P", "no face found", recorded_on=date(2026, 3, 1), uploader=ACTOR, file_name="x.mp4", content_hash="hx"
    )
    timeline = patient_timeline(db, "P", actor=ACTOR)
    assert [s.id for s in timeline] == [early, failed, late]
    assert [s.status for s in timeline] == ["done", "failed", "done"]
    assert timeline[1].error == "no face found" and timeline[1].level is None
    assert timeline[2].level == "flag" and "negative_share" in timeline[2].indicators
    assert [s.level for s in previous_screenings(db, "P")] == ["none", "flag"]
    assert [s.level for s in previous_screenings(db, "P", recorded_on=date(2026, 5, 1), session_id=late)] == ["none"]
    assert previous_screenings(db, "P", recorded_on=date(2026, 1, 1), session_id=early) == []
    # A session not stored yet: everything recorded before or on its date counts.
    assert len(previous_screenings(db, "P", recorded_on=date(2026, 5, 1))) == 2
    assert [i for i, _, _ in later_sessions(db, early)] == [late]


def test_queued_running_failed_and_completed(db: Session) -> None:
    create_patient(db, "P", actor=ACTOR)
    sid = create_session(
        db, "P", recorded_on=date(2026, 4, 2), uploader="nurse", file_name="v.mp4", content_hash="hv"
    )
    view, result = load_session(db, sid, actor=ACTOR)
    assert (view.status, result) == ("queued", None)
    mark_running(db, sid)
    mark_failed(db, sid, "video is truncated")
    view, _ = load_session(db, sid, actor=ACTOR)
    assert (view.status, view.error) == ("failed", "video is truncated")
    analysed = synthetic_result(200, seed=9)
    complete_session(db, sid, analysed)
    complete_session(db, sid, analysed)  # re-analysis replaces, never duplicates
    view, result = load_session(db, sid, actor=ACTOR)
    assert (view.status, view.error) == ("done", None) and result is not None and result.equals(analysed)
    assert _counts(db)["episodes"] == len(analysed.episodes)
    assert find_done_session(db, "P", "hv", analysed.versions) == sid
    assert find_done_session(db, "P", "hv", {**analysed.versions, "au": "other"}) is None
    assert find_done_session(db, "P", "unknown", analysed.versions) is None
    create_patient(db, "OTHER", actor=ACTOR)
    assert find_done_session(db, "OTHER", "hv", analysed.versions) is None  # same file, other patient


def test_find_session_matches_the_whole_row_and_is_not_audited(db: Session) -> None:
    create_patient(db, "P", actor=ACTOR)
    row = dict(recorded_on=date(2026, 4, 2), file_name="v.mp4", content_hash="hv")
    sid = record_failed_session(db, "P", "no face", uploader="nurse", **row)
    audited = len(_actions(db))
    assert find_session(db, "P", status="failed", **row) == sid
    assert find_session(db, "P", status="done", **row) is None
    assert find_session(db, "P", status="failed", **{**row, "file_name": "w.mp4"}) is None
    assert find_session(db, "P", status="failed", **{**row, "recorded_on": date(2026, 4, 3)}) is None
    assert find_session(db, "P", status="failed", **{**row, "content_hash": "other"}) is None
    assert find_session(db, "Q", status="failed", **row) is None
    assert len(_actions(db)) == audited


def test_error_mid_save_leaves_no_partial_session(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    create_patient(db, "P", actor=ACTOR)
    queued = create_session(db, "P", recorded_on=date(2026, 1, 1), uploader=ACTOR, file_name="q", content_hash="q")
    before = _counts(db)
    calls = []

    def failing_encoder(array: np.ndarray) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            db.flush()  # the session, episode and indicator rows are now written, uncommitted
        if len(calls) == 4:
            raise OSError("disk full")
        return b""

    monkeypatch.setattr(session_rows, "encode_array", failing_encoder)
    with pytest.raises(OSError):
        _save(db, "P", 1, on=date(2026, 1, 2))
    calls.clear()
    with pytest.raises(OSError):
        complete_session(db, queued, synthetic_result(100, seed=2))
    assert _counts(db) == before
    view, result = load_session(db, queued, actor=ACTOR)
    assert (view.status, result) == ("queued", None)


def test_delete_patient_erases_everything_and_the_kept_video(db: Session, tmp_path: Path) -> None:
    create_patient(db, "GONE", display_name="Secret Name", actor=ACTOR)
    create_patient(db, "STAYS", actor=ACTOR)
    sid = _save(db, "GONE", 1, on=date(2026, 1, 1))
    _save(db, "GONE", 2, on=date(2026, 2, 1))
    kept = _save(db, "STAYS", 3, on=date(2026, 2, 1))
    video = tmp_path / "gone.mp4"
    video.write_bytes(b"video")
    set_video_path(db, sid, str(video))
    delete_patient(db, "GONE", actor="admin")
    assert not video.exists()
    counts = _counts(db)
    assert counts["patients"] == 1 and counts["sessions"] == 1 and counts["frame_series"] == 1
    assert load_session(db, kept, actor=ACTOR)[1] is not None
    with pytest.raises(UnknownPatientError):
        get_patient(db, "GONE", actor=ACTOR)
    entry = audit_entries(db, patient_code="GONE")[0]
    assert (entry.action, entry.actor, entry.session_id, entry.detail) == (
        "delete_patient", "admin", None, "1 file(s) deleted")
    assert all("Secret" not in a.detail for a in audit_entries(db))


def test_delete_one_session_erases_it_and_its_video_only_and_is_audited(db: Session, tmp_path: Path) -> None:
    create_patient(db, "ONE", actor=ACTOR)
    first = _save(db, "ONE", 1, on=date(2026, 1, 1))
    second = _save(db, "ONE", 2, on=date(2026, 2, 1))
    video = tmp_path / "first.mp4"
    video.write_bytes(b"video")
    set_video_path(db, first, str(video))
    assert delete_session(db, first, actor="admin") == "ONE"
    assert not video.exists()
    assert [v.id for v in patient_timeline(db, "ONE", actor=ACTOR)] == [second]
    counts = _counts(db)
    assert counts["sessions"] == 1 and counts["frame_series"] == 1
    entry = next(e for e in audit_entries(db, patient_code="ONE") if e.action == "delete_session")
    assert (entry.actor, entry.session_id) == ("admin", first)


def test_session_notes_are_kept_exported_and_audited_without_their_words(db: Session) -> None:
    create_patient(db, "NOTE", actor=ACTOR)
    sid = _save(db, "NOTE", 1, on=date(2026, 1, 1))
    set_session_note(db, sid, "  Low mood reported; slept badly.  ", actor="dr")
    assert patient_timeline(db, "NOTE", actor=ACTOR)[0].notes == "Low mood reported; slept badly."
    entry = next(e for e in audit_entries(db, patient_code="NOTE") if e.action == "edit_session_note")
    assert (entry.actor, entry.session_id, entry.detail) == ("dr", sid, "31 characters")
    exported = export_patient(db, "NOTE", actor=ACTOR)
    assert exported["sessions"][0]["notes"] == "Low mood reported; slept badly."
    set_session_note(db, sid, "", actor="dr")
    assert patient_timeline(db, "NOTE", actor=ACTOR)[0].notes is None


def test_a_session_being_analysed_cannot_be_deleted(db: Session) -> None:
    create_patient(db, "BUSY", actor=ACTOR)
    queued = create_session(db, "BUSY", recorded_on=date(2026, 3, 1), uploader=ACTOR, file_name="c",
                                 content_hash="hc")
    with pytest.raises(StoreError, match="cancel its analysis"):
        delete_session(db, queued, actor=ACTOR)
    assert len(patient_timeline(db, "BUSY", actor=ACTOR)) == 1


def test_export_import_export_is_identical(db: Session) -> None:
    create_patient(db, "EXP", display_name="Eve", notes="n", actor=ACTOR)
    _save(db, "EXP", 1, on=date(2026, 1, 1))
    record_failed_session(
        db, "EXP", "unreadable", recorded_on=date(2026, 2, 1), uploader=ACTOR, file_name="b", content_hash="hb"
    )
    create_session(db, "EXP", recorded_on=date(2026, 3, 1), uploader=ACTOR, file_name="c", content_hash="hc")
    exported = export_patient(db, "EXP", actor=ACTOR)
    with pytest.raises(DuplicatePatientError):
        import_patient(db, exported, actor=ACTOR)
    delete_patient(db, "EXP", actor=ACTOR)
    assert import_patient(db, exported, actor=ACTOR) == "EXP"
    assert export_patient(db, "EXP", actor=ACTOR) == exported
    first = exported["sessions"][0]["result"]
    assert load_session(db, patient_timeline(db, "EXP", actor=ACTOR)[0].id, actor=ACTOR)[1].to_dict() == first


def test_damaged_import_changes_nothing(db: Session) -> None:
    create_patient(db, "SRC", actor=ACTOR)
    _save(db, "SRC", 1, on=date(2026, 1, 1))
    exported = export_patient(db, "SRC", actor=ACTOR)
    exported["patient"]["code"] = "COPY"
    del exported["sessions"][0]["result"]["series"]["au_prob"]
    before = _counts(db)
    with pytest.raises(InvalidValueError, match="damaged"):
        import_patient(db, exported, actor=ACTOR)
    with pytest.raises(InvalidValueError, match="not a mescreen patient export"):
        import_patient(db, {"patient": {}}, actor=ACTOR)
    assert _counts(db) == before


def test_reads_exports_and_deletions_are_audited(db: Session) -> None:
    create_patient(db, "AUD", actor="alice")
    sid = _save(db, "AUD", 1, on=date(2026, 1, 1))
    get_patient(db, "AUD", actor="bob")
    patient_timeline(db, "AUD", actor="bob")
    load_session(db, sid, actor="bob")
    export_patient(db, "AUD", actor="carol")
    list_patients(db, "secret search", actor="dave")
    assert _actions(db, "AUD") == [
        "export_patient", "read_session", "read_timeline", "read_patient", "save_session", "create_patient"
    ]
    listing = audit_entries(db)[0]
    assert (listing.action, listing.actor) == ("list_patients", "dave") and "secret" not in listing.detail
    delete_patient(db, "AUD", actor="erin")
    assert _actions(db, "AUD")[0] == "delete_patient"


def test_read_only_database_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with session_factory(engine)() as db:
        with pytest.raises(StoreError, match="readonly|read-only|read only"):
            create_patient(db, "P", actor=ACTOR)
    engine.dispose()
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as db:
        assert list_patients(db, actor=ACTOR) == []
    engine.dispose()
