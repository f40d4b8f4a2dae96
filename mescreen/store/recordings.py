"""A recording session's life in the store: registered at upload, running, done or failed, its
kept video and note; the lookups batch re-runs use; re-computed screenings.

Each function is one transaction (mescreen/store/transactions.py). Writing a finished result goes
through mescreen.store.session_rows, which owns the row <-> result conversion.
"""

from __future__ import annotations

from datetime import date
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from mescreen.core.result import Screening, SessionResult, to_plain
from mescreen.store import models
from mescreen.store.access import require_patient, require_session
from mescreen.store.audit import record
from mescreen.store.errors import InvalidValueError, UnknownSessionError
from mescreen.store.models import Patient, RecordingSession
from mescreen.store.transactions import transaction
from mescreen.store.session_rows import fill_row, set_screening


def recording_row(session: Session, session_id: int) -> RecordingSession:
    row = session.get(RecordingSession, session_id)
    if row is None:
        raise UnknownSessionError(f"There is no session with the id {session_id}.")
    return row


def _new_session(
    session: Session, patient_code: str, *, recorded_on: date, uploader: str, file_name: str,
    content_hash: str, status: str, upload_path: str | None = None,
) -> RecordingSession:
    if status not in models.SESSION_STATUSES:
        raise InvalidValueError(f"unknown session status {status!r}: use one of {', '.join(models.SESSION_STATUSES)}")
    if not isinstance(recorded_on, date):
        raise InvalidValueError("recording date must be a date")
    patient = require_patient(session, uploader, patient_code)
    row = RecordingSession(
        patient=patient, number=next_session_number(session, patient), recorded_on=recorded_on,
        uploader=uploader, file_name=file_name, content_hash=content_hash, status=status,
        upload_path=upload_path,
    )
    session.add(row)
    return row


def next_session_number(session: Session, patient: Patient) -> int:
    """The patient's next session number, given out once (upload order; never reused, not even
    after a deletion). The increment is one UPDATE, so two uploads at once get two numbers."""
    session.execute(update(Patient).where(Patient.id == patient.id)
                    .values(last_session_number=Patient.last_session_number + 1))
    return session.scalar(select(Patient.last_session_number).where(Patient.id == patient.id))


def create_session(
    session: Session, patient_code: str, *, recorded_on: date, uploader: str, file_name: str,
    content_hash: str, status: str = "queued", upload_path: str | None = None,
) -> int:
    """Register an uploaded recording before (or while) it is analysed; returns its id.

    `upload_path` is the raw upload the analysis will read: recorded so that erasing the patient,
    or the clean-up after a server restart, deletes it even if the analysis never finishes."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status=status, upload_path=upload_path,
        )
        session.flush()
        record(session, uploader, "create_session", patient_code=patient_code, session_id=row.id)
        return row.id


def mark_running(session: Session, session_id: int) -> None:
    with transaction(session):
        row = recording_row(session, session_id)
        row.status, row.error = "running", None


def mark_failed(session: Session, session_id: int, error: str) -> None:
    """Keep a failed analysis visible with its reason instead of losing the upload."""
    with transaction(session):
        row = recording_row(session, session_id)
        row.status, row.error = "failed", error or "unknown error"
        row.upload_path = None  # the worker deletes the upload next


#: Why a session that was queued or running when the server stopped is failed at the next start.
INTERRUPTED = "The analysis was interrupted by a server restart; please upload the recording again."


def fail_interrupted(session: Session) -> list[str]:
    """At server start: every queued or running session is failed (no process is analysing it any
    more); returns the uploads they owned, for the caller to delete. Audited as the server."""
    with transaction(session):
        rows = list(session.scalars(
            select(RecordingSession).where(RecordingSession.status.in_(("queued", "running")))
            .options(selectinload(RecordingSession.patient))
        ))
        uploads = [r.upload_path for r in rows if r.upload_path]
        for row in rows:
            row.status, row.error, row.upload_path = "failed", INTERRUPTED, None
            record(session, "server", "fail_interrupted", patient_code=row.patient.code, session_id=row.id,
                   outcome="failed", detail="queued or running when the server stopped")
        return uploads


def live_uploads(session: Session) -> set[str]:
    """Uploads that queued or running sessions still own."""
    with transaction(session):
        return set(session.scalars(
            select(RecordingSession.upload_path).where(
                RecordingSession.status.in_(("queued", "running")), RecordingSession.upload_path.is_not(None))
        ))


def complete_session(session: Session, session_id: int, result: SessionResult) -> None:
    """Store a finished analysis (series, episodes, indicators, summary, versions) in one go."""
    with transaction(session):
        row = recording_row(session, session_id)
        fill_row(session, row, result)
        row.upload_path = None  # the worker deletes or keeps the upload next


def save_session(
    session: Session, patient_code: str, result: SessionResult, *, recorded_on: date, uploader: str,
    file_name: str, content_hash: str,
) -> int:
    """create_session + complete_session as one transaction; returns the new session id."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status="done",
        )
        fill_row(session, row, result)
        session.flush()
        record(session, uploader, "save_session", patient_code=patient_code, session_id=row.id)
        return row.id


def record_failed_session(
    session: Session, patient_code: str, error: str, *, recorded_on: date, uploader: str,
    file_name: str, content_hash: str,
) -> int:
    """A recording whose analysis failed before it was registered: stored as failed, with why."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status="failed",
        )
        row.error = error or "unknown error"
        session.flush()
        record(session, uploader, "create_session", patient_code=patient_code, session_id=row.id)
        return row.id


def set_video_path(session: Session, session_id: int, path: str | None) -> None:
    """Remember where the kept video is, so that erasing the patient also deletes the file."""
    with transaction(session):
        recording_row(session, session_id).video_path = path


def session_number(session: Session, session_id: int) -> int:
    """The patient's number of a session just registered (the analyses panel names it). Shows
    nothing of the session itself, so no audit row."""
    with transaction(session):
        return recording_row(session, session_id).number


def replace_screenings(session: Session, screenings: Sequence[tuple[int, Screening]]) -> None:
    """Store re-computed screenings (level, reasons, indicators) of completed sessions, all in one
    transaction: a patient's later sessions are re-screened together or not at all."""
    with transaction(session):
        for session_id, screening in screenings:
            row = recording_row(session, session_id)
            row.indicators = []
            session.flush()
            set_screening(row, to_plain(screening))


def find_done_session(
    session: Session, patient_code: str, content_hash: str, versions: dict[str, str]
) -> int | None:
    """A completed session of this patient, of the same file analysed with the same versions
    (batch re-runs skip it). The same file listed for another patient is not a match: that
    patient would otherwise get nothing."""
    with transaction(session):
        rows = session.execute(
            select(RecordingSession.id, RecordingSession.versions).join(RecordingSession.patient)
            .where(Patient.code == patient_code, RecordingSession.content_hash == content_hash,
                   RecordingSession.status == "done")
            .order_by(RecordingSession.id)
        )
        wanted = {str(k): str(v) for k, v in versions.items()}
        return next((sid for sid, stored in rows if (stored or {}) == wanted), None)


def find_session(
    session: Session, patient_code: str, *, recorded_on: date, file_name: str, content_hash: str, status: str
) -> int | None:
    """The oldest session of this patient, date, file and content in `status`, if any (batch re-runs
    update their failed session in place). A lookup by the pipeline, not shown to a user: no audit row."""
    with transaction(session):
        return session.scalar(
            select(RecordingSession.id).join(RecordingSession.patient)
            .where(
                Patient.code == patient_code, RecordingSession.recorded_on == recorded_on,
                RecordingSession.file_name == file_name, RecordingSession.content_hash == content_hash,
                RecordingSession.status == status,
            )
            .order_by(RecordingSession.id)
            .limit(1)
        )


def set_session_note(session: Session, session_id: int, text: str, *, actor: str) -> None:
    """Replace the clinician's note on a session ("" clears it); audited with the note's length,
    never its words (notes may name clinical details the audit log should not copy)."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        row.notes = text.strip() or None
        record(session, actor, "edit_session_note", patient_code=row.patient.code, session_id=session_id,
               detail=f"{len(row.notes or '')} characters")
