"""Patients: create, edit, list and read them (codes, names, notes, care team).

Every function takes an explicit SQLAlchemy `Session` first and is one transaction
(mescreen/store/transactions.py); reads and edits take `actor` and write an audit row in the same
transaction, after mescreen/store/access.py has checked that `actor` may reach the patient. Views
come back frozen, never as ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mescreen.store.access import require_patient, visible_patients
from mescreen.store.audit import as_utc, record
from mescreen.store.errors import DuplicatePatientError, InvalidValueError, UnknownPatientError
from mescreen.store.models import CareTeam, Patient, RecordingSession
from mescreen.store.teams import team_for_new_patient
from mescreen.store.transactions import transaction


MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class PatientView:
    code: str
    display_name: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    n_sessions: int
    last_recorded_on: date | None
    last_level: str | None  # screening level of the latest completed session
    team: str = ""  # the care team the patient belongs to


def clean_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise InvalidValueError("patient code is empty")
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidValueError(f"patient code is longer than {MAX_CODE_LENGTH} characters")
    return code


def patient_by_code(session: Session, code: str) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.code == code))
    if patient is None:
        raise UnknownPatientError(f"no patient with code {code!r}")
    return patient


def create_patient(
    session: Session, code: str, *, display_name: str | None = None, notes: str | None = None, actor: str,
    team: str | None = None,
) -> PatientView:
    """A new patient in care team `team` (default: the only team `actor` may use; see
    mescreen.store.teams.team_for_new_patient)."""
    code = clean_code(code)
    duplicate = DuplicatePatientError(f"a patient with code {code!r} already exists")
    with transaction(session, conflict=duplicate):
        if session.scalar(select(Patient.id).where(Patient.code == code)) is not None:
            raise duplicate
        care_team = team_for_new_patient(session, actor, team)
        patient = Patient(code=code, display_name=display_name or None, notes=notes or None, team_id=care_team.id)
        session.add(patient)
        record(session, actor, "create_patient", patient_code=code, detail=f"care team {care_team.name!r}")
        session.flush()
        return _patient_views(session, [patient])[0]


def update_patient(
    session: Session, code: str, *, display_name: str | None = None, notes: str | None = None, actor: str
) -> PatientView:
    """Replace display name and notes (None or "" clears them)."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        patient.display_name = display_name or None
        patient.notes = notes or None
        record(session, actor, "update_patient", patient_code=code)
        session.flush()
        return _patient_views(session, [patient])[0]


def list_patients(session: Session, search: str = "", *, actor: str) -> list[PatientView]:
    """The patients `actor` may see whose code or display name contains `search`
    (case-insensitive), by code."""
    query = visible_patients(session, actor).order_by(Patient.code)
    if search.strip():
        pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Patient.code.ilike(pattern, escape="\\"), Patient.display_name.ilike(pattern, escape="\\"))
        )
    with transaction(session):
        patients = list(session.scalars(query))
        record(session, actor, "list_patients", detail=f"{len(patients)} patients listed")
        return _patient_views(session, patients)


def get_patient(session: Session, code: str, *, actor: str) -> PatientView:
    with transaction(session):
        patient = require_patient(session, actor, code)
        record(session, actor, "read_patient", patient_code=code)
        return _patient_views(session, [patient])[0]


def _patient_views(session: Session, patients: list[Patient]) -> list[PatientView]:
    """Views with session counts and latest level, from one light query (no per-frame data)."""
    ids = [p.id for p in patients]
    stats: dict[int, list[tuple[date, int, str, str | None]]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(
                RecordingSession.patient_id, RecordingSession.recorded_on, RecordingSession.id,
                RecordingSession.status, RecordingSession.level,
            ).where(RecordingSession.patient_id.in_(ids))
        )
        for patient_id, recorded_on, session_id, status, level in rows:
            stats[patient_id].append((recorded_on, session_id, status, level))
    teams = dict(session.execute(select(CareTeam.id, CareTeam.name).where(
        CareTeam.id.in_({p.team_id for p in patients}))).all()) if patients else {}
    views = []
    for p in patients:
        sessions = sorted(stats[p.id])
        done = [s for s in sessions if s[2] == "done"]
        views.append(
            PatientView(
                code=p.code, display_name=p.display_name, notes=p.notes,
                created_at=as_utc(p.created_at), updated_at=as_utc(p.updated_at),
                n_sessions=len(sessions), last_recorded_on=sessions[-1][0] if sessions else None,
                last_level=done[-1][3] if done else None, team=teams.get(p.team_id, ""),
            )
        )
    return views
