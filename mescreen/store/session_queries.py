"""Reading sessions: one session with its result, a patient's sessions over time, and the
earlier or later screenings that change-over-time indicators compare with.

Each function is one transaction; what a user is shown is audited (`actor`), what only the
analysis service reads is not.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mescreen.core.result import Screening, SessionResult
from mescreen.store.access import require_patient, require_session
from mescreen.store.audit import record
from mescreen.store.models import Patient, RecordingSession
from mescreen.store.transactions import transaction
from mescreen.store.patients import patient_by_code
from mescreen.store.recordings import recording_row
from mescreen.store.session_rows import SessionView, session_view, stored_result, stored_screening


def load_session(
    session: Session, session_id: int, *, actor: str
) -> tuple[SessionView, SessionResult | None]:
    """One session with its series and episodes (result is None unless its status is done)."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        code = row.patient.code
        record(session, actor, "read_session", patient_code=code, session_id=session_id)
        return session_view(row, code), stored_result(session, row)


def session_patient_code(session: Session, session_id: int, *, actor: str) -> str:
    """The code of the patient a session belongs to, if `actor` may see it (a link names both;
    the dashboard checks they agree before following it). Nothing is shown, so no audit row
    unless refused."""
    with transaction(session):
        return require_session(session, actor, session_id).patient.code


def _patient_sessions(session: Session, patient: Patient) -> list[RecordingSession]:
    return list(
        session.scalars(
            select(RecordingSession).where(RecordingSession.patient_id == patient.id)
            .order_by(RecordingSession.recorded_on, RecordingSession.id)
            .options(selectinload(RecordingSession.indicators))
        )
    )


def patient_timeline(session: Session, code: str, *, actor: str) -> list[SessionView]:
    """All of a patient's sessions, oldest first, with levels and indicators (longitudinal view)."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        views = [session_view(r, code) for r in _patient_sessions(session, patient)]
        record(session, actor, "read_timeline", patient_code=code)
        return views


def _recording_order(recorded_on: date, session_id: int | None) -> tuple[date, float]:
    """Sessions are ordered by recording date, then by id (a session not stored yet comes last)."""
    return recorded_on, float("inf") if session_id is None else float(session_id)


def previous_screenings(
    session: Session, code: str, *, recorded_on: date | None = None, session_id: int | None = None
) -> list[Screening]:
    """Screenings of the patient's completed sessions, oldest first, for longitudinal comparison.

    With `recorded_on`, only sessions recorded before that date, or on it with a lower id than
    `session_id` (all of that day when the session is not stored yet). Used by the analysis
    service, not shown to a user, so no audit row."""
    with transaction(session):
        patient = patient_by_code(session, code)
        rows = [r for r in _patient_sessions(session, patient) if r.status == "done"]
        if recorded_on is not None:
            anchor = _recording_order(recorded_on, session_id)
            rows = [r for r in rows if _recording_order(r.recorded_on, r.id) < anchor]
        return [stored_screening(r) for r in rows]


def later_sessions(session: Session, session_id: int) -> list[tuple[int, date, SessionResult]]:
    """The completed sessions of the same patient recorded after this one, oldest first, with
    their results: their longitudinal indicators depend on this one. No audit row (the service
    re-screens them; nobody is shown them)."""
    with transaction(session):
        anchor = recording_row(session, session_id)
        order = _recording_order(anchor.recorded_on, anchor.id)
        rows = [r for r in _patient_sessions(session, anchor.patient)
                if r.status == "done" and _recording_order(r.recorded_on, r.id) > order]
        return [(r.id, r.recorded_on, stored_result(session, r)) for r in rows]  # type: ignore[misc]
