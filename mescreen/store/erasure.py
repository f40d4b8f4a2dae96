"""Erasing a patient or one session: rows in one transaction, then their kept video files.

A failed erasure never leaves rows pointing at deleted files: files go only after the rows' commit,
and any file that could not be deleted is named in the error.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.store.access import require_patient, require_session
from mescreen.store.audit import record
from mescreen.store.errors import StoreError
from mescreen.store.models import RecordingSession
from mescreen.store.transactions import transaction


def delete_patient(session: Session, code: str, *, actor: str) -> None:
    """Erase a patient with every session, series, episode and kept video file.

    The rows go in one transaction (foreign keys cascade); kept videos and uploads still waiting
    for analysis are removed after it has committed, so a failed erasure never leaves rows
    pointing at deleted files. The audit row keeps only the pseudonymous code."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        videos = [
            path for pair in session.execute(
                select(RecordingSession.video_path, RecordingSession.upload_path)
                .where(RecordingSession.patient_id == patient.id)
            ) for path in pair if path
        ]
        session.delete(patient)
        record(session, actor, "delete_patient", patient_code=code, detail=f"{len(videos)} file(s) deleted")
    _remove_videos(videos, f"patient {code!r} was erased from the database")


def delete_session(session: Session, session_id: int, *, actor: str) -> str:
    """Erase one session (its result, series, episodes and kept video) and return its patient's
    code. A session still queued or being analysed is refused: cancel its analysis first. Later
    sessions' change-over-time indicators compared with it; mescreen.service.delete_session
    re-screens them."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        if row.status in ("queued", "running"):
            raise StoreError(f"Session {row.number} is still {row.status}; cancel its analysis before deleting it.")
        code = row.patient.code
        videos = [p for p in (row.video_path, row.upload_path) if p]
        session.delete(row)
        record(session, actor, "delete_session", patient_code=code, session_id=session_id)
    _remove_videos(videos, f"session {session_id} was erased from the database")
    return code


def _remove_videos(videos: list[str], done: str) -> None:
    """Delete kept video files after their rows are gone; name any that could not be deleted."""
    left = []
    for video in videos:
        try:
            Path(video).unlink(missing_ok=True)
        except OSError as exc:
            left.append(f"{video} ({exc.strerror or exc})")
    if left:
        raise StoreError(f"{done}, but these video files could not be deleted and must be removed by hand: "
                         f"{'; '.join(left)}")
