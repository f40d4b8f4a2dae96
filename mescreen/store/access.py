"""May this user see this patient? The one owner of that rule; every store function that reads or changes a patient calls it.

- An administrator sees every patient.
- A clinician sees the patients of the care teams they are a member of, and nothing else: a
  patient of another team is answered exactly like a patient that does not exist ("not found or
  not yours"), so codes of other teams cannot be probed, and the attempt is audited as `denied`.
- An actor that names no account (the command line, batch runs, the server's own clean-up) sees
  every patient: it runs with the database's own credentials, which read everything anyway. The
  dashboard only ever acts as a signed-in account, re-read from the store at every click.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mescreen.store.audit import record
from mescreen.store.errors import UnknownPatientError, UnknownSessionError
from mescreen.store.models import Patient, RecordingSession, TeamMember, User

DENIED = "denied"  # audit outcome: an attempt to reach another care team's patient


@dataclass(frozen=True)
class Scope:
    """The patients one actor may see: all of them, or those of `team_ids`."""

    everything: bool
    team_ids: frozenset[int] = field(default_factory=frozenset)

    def allows(self, team_id: int) -> bool:
        return self.everything or team_id in self.team_ids


def scope_of(session: Session, actor: str) -> Scope:
    """Read the actor's role and teams now (a role or membership change counts at once)."""
    user = session.scalar(select(User).where(User.username == actor))
    if user is None or user.role == "admin":
        return Scope(everything=True)
    teams = session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    return Scope(everything=False, team_ids=frozenset(teams))


def visible_patients(session: Session, actor: str) -> Select[tuple[Patient]]:
    """A query of the patients `actor` may see (callers add their own filters and order)."""
    query = select(Patient)
    scope = scope_of(session, actor)
    return query if scope.everything else query.where(Patient.team_id.in_(scope.team_ids))


def require_patient(session: Session, actor: str, code: str) -> Patient:
    """The patient with `code` if `actor` may see it; else UnknownPatientError (audited as denied
    when the patient exists in another team)."""
    patient = session.scalar(select(Patient).where(Patient.code == code))
    scope = scope_of(session, actor)
    if patient is not None and scope.allows(patient.team_id):
        return patient
    if scope.everything:
        raise UnknownPatientError(f"no patient with code {code!r}")
    if patient is not None:
        _deny(session, actor, code, None)
    raise UnknownPatientError(f"Patient {code!r} was not found or is not one of your care team's patients.")


def require_session(session: Session, actor: str, session_id: int) -> RecordingSession:
    """The recording with `session_id` if `actor` may see its patient; else UnknownSessionError
    (audited as denied when it belongs to another team's patient)."""
    row = session.get(RecordingSession, session_id)
    scope = scope_of(session, actor)
    if row is not None and scope.allows(row.patient.team_id):
        return row
    if scope.everything:
        raise UnknownSessionError(f"There is no session with the id {session_id}.")
    if row is not None:
        _deny(session, actor, row.patient.code, session_id)
    raise UnknownSessionError(f"The session with the id {session_id} was not found or is not one of your "
                              "patients' sessions.")


def _deny(session: Session, actor: str, code: str, session_id: int | None) -> None:
    """Audit the refusal on its own: whatever the caller's transaction held is dropped first
    (every caller checks access before it changes anything)."""
    session.rollback()
    record(session, actor, "access_patient", patient_code=code, session_id=session_id, outcome=DENIED,
           detail="the patient is not in the user's care teams")
    session.commit()
