"""Export and import of one patient with every session (a JSON-safe dict, all or nothing).

`import_patient` of an export, then export again, gives the same dict (no database ids, no
kept-video paths).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mescreen.core.result import SessionResult
from mescreen.store import models
from mescreen.store.access import require_patient
from mescreen.store.audit import as_utc, record
from mescreen.store.errors import DuplicatePatientError, InvalidValueError
from mescreen.store.models import Patient, RecordingSession
from mescreen.store.teams import team_for_new_patient
from mescreen.store.transactions import transaction
from mescreen.store.patients import clean_code
from mescreen.store.session_rows import fill_row, stored_result


#: Identifies a patient export; bump the version if its layout changes. Version 2 added the
#: session numbers; a version 1 export is read with its sessions numbered in recording order.
EXPORT_FORMAT = {"format": "mescreen-patient-export", "format_version": 2}


READABLE_EXPORT_VERSIONS = (1, 2)


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def export_patient(session: Session, code: str, *, actor: str) -> dict[str, Any]:
    """The patient and all sessions as a JSON-safe dict (no database ids, no kept-video paths).

    `import_patient` of it, then export again, gives the same dict."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        sessions = []
        for row in session.scalars(
            select(RecordingSession).where(RecordingSession.patient_id == patient.id)
            .order_by(RecordingSession.recorded_on, RecordingSession.id)
            .options(selectinload(RecordingSession.indicators), selectinload(RecordingSession.episodes))
        ):
            result = stored_result(session, row)
            sessions.append({
                "number": row.number, "recorded_on": row.recorded_on.isoformat(), "uploader": row.uploader,
                "file_name": row.file_name, "content_hash": row.content_hash, "status": row.status,
                "error": row.error, "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
                "notes": row.notes, "result": result.to_dict() if result is not None else None,
            })
        record(session, actor, "export_patient", patient_code=code, detail=f"{len(sessions)} sessions")
        return {
            **EXPORT_FORMAT,
            "patient": {
                "code": patient.code, "display_name": patient.display_name, "notes": patient.notes,
                "created_at": _iso(patient.created_at), "updated_at": _iso(patient.updated_at),
                "last_session_number": patient.last_session_number,
            },
            "sessions": sessions,
        }


def import_patient(session: Session, data: dict[str, Any], *, actor: str, team: str | None = None) -> str:
    """Recreate a patient from `export_patient` output (all or nothing) in care team `team`
    (default as for `create_patient`); returns its code."""
    if (not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT["format"]
            or data.get("format_version") not in READABLE_EXPORT_VERSIONS):
        raise InvalidValueError(
            f"not a mescreen patient export (expected format {EXPORT_FORMAT['format']!r} "
            f"version {' or '.join(map(str, READABLE_EXPORT_VERSIONS))})"
        )
    with transaction(session):
        try:
            p = data["patient"]
            code = clean_code(p["code"])
            if session.scalar(select(Patient.id).where(Patient.code == code)) is not None:
                raise DuplicatePatientError(f"a patient with code {code!r} already exists: not imported")
            care_team = team_for_new_patient(session, actor, team)
            patient = Patient(
                code=code, display_name=p.get("display_name"), notes=p.get("notes"), team_id=care_team.id,
                created_at=datetime.fromisoformat(p["created_at"]),
                updated_at=datetime.fromisoformat(p["updated_at"]),
            )
            session.add(patient)
            numbers = [int(s.get("number") or n) for n, s in enumerate(data["sessions"], start=1)]
            if len(set(numbers)) != len(numbers):
                raise ValueError(f"session numbers repeat: {sorted(numbers)}")
            patient.last_session_number = max([int(p.get("last_session_number") or 0), *numbers])
            for number, s in zip(numbers, data["sessions"]):
                row = RecordingSession(
                    patient=patient, number=number, recorded_on=date.fromisoformat(s["recorded_on"]),
                    uploader=s["uploader"], file_name=s["file_name"], content_hash=s["content_hash"],
                    status=s["status"], created_at=datetime.fromisoformat(s["created_at"]),
                    updated_at=datetime.fromisoformat(s["updated_at"]),
                )
                session.add(row)
                if s["status"] not in models.SESSION_STATUSES:
                    raise ValueError(f"session of {s['recorded_on']}: unknown status {s['status']!r}")
                if (s["status"] == "done") != (s.get("result") is not None):
                    raise ValueError(f"session of {s['recorded_on']}: status {s['status']!r} does not match its result")
                if s.get("result") is not None:
                    fill_row(session, row, SessionResult.from_dict(s["result"]))
                row.status, row.error, row.notes = s["status"], s.get("error"), s.get("notes")
            session.flush()
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"the patient export is incomplete or damaged: {exc!r}") from exc
        record(session, actor, "import_patient", patient_code=code,
               detail=f"{len(data['sessions'])} sessions, care team {care_team.name!r}")
        return code
