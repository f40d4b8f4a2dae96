"""Care teams: creating them, who is in which, and which team a patient belongs to.

Who may see what is decided in mescreen/store/access.py; this module changes the facts it reads.
Every change is an audit row naming who made it, with the state before and after; a refused
change is audited too. Administrators make these changes (the Users page, `mescreen team`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mescreen.store.access import Scope, require_patient, scope_of
from mescreen.store.audit import audited_change, record
from mescreen.store.errors import DuplicateTeamError, InvalidValueError, UnknownTeamError, UnknownUserError
from mescreen.store.models import CareTeam, Patient, TeamMember, User
from mescreen.store.transactions import transaction

MAX_TEAM_NAME = 100


@dataclass(frozen=True)
class TeamView:
    name: str
    members: list[str]  # user names, sorted
    n_patients: int


def _team(session: Session, name: str) -> CareTeam:
    team = session.scalar(select(CareTeam).where(CareTeam.name == name))
    if team is None:
        raise UnknownTeamError(f"no care team named {name!r}")
    return team


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UnknownUserError(f"no user named {username!r}")
    return user


def _names(session: Session, user: User) -> list[str]:
    return sorted(session.scalars(
        select(CareTeam.name).join(TeamMember, TeamMember.team_id == CareTeam.id).where(TeamMember.user_id == user.id)))


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def _administrator(session: Session, actor: str) -> None:
    """Teams are changed by administrators (or the command line), never by a clinician."""
    if not scope_of(session, actor).everything:
        raise InvalidValueError("only administrators change care teams")


def create_team(session: Session, name: str, *, actor: str) -> TeamView:
    name = (name or "").strip()

    def change() -> TeamView:
        _administrator(session, actor)
        if not name:
            raise InvalidValueError("care team name is empty")
        if len(name) > MAX_TEAM_NAME:
            raise InvalidValueError(f"care team name is longer than {MAX_TEAM_NAME} characters")
        duplicate = DuplicateTeamError(f"a care team named {name!r} already exists")
        with transaction(session, conflict=duplicate):
            if session.scalar(select(CareTeam.id).where(CareTeam.name == name)) is not None:
                raise duplicate
            session.add(CareTeam(name=name))
            record(session, actor, "create_team", detail=f"care team {name!r}")
            return TeamView(name, [], 0)

    return audited_change(session, actor, "create_team", f"care team {name!r}", change)


def list_teams(session: Session) -> list[TeamView]:
    """Every team with its members and number of patients, by name."""
    with transaction(session):
        teams = list(session.scalars(select(CareTeam).order_by(CareTeam.name)))
        members: dict[int, list[str]] = {t.id: [] for t in teams}
        for team_id, username in session.execute(
                select(TeamMember.team_id, User.username).join(User, User.id == TeamMember.user_id)):
            members[team_id].append(username)
        counts = dict(session.execute(select(Patient.team_id, func.count(Patient.id)).group_by(Patient.team_id)).all())
        return [TeamView(t.name, sorted(members[t.id]), int(counts.get(t.id, 0))) for t in teams]


def teams_of(session: Session, username: str) -> list[str]:
    """The names of the teams `username` is a member of (empty for an unknown account)."""
    with transaction(session):
        user = session.scalar(select(User).where(User.username == username))
        return _names(session, user) if user is not None else []


def set_member(session: Session, team: str, username: str, member: bool, *, actor: str) -> None:
    """Put a user in a team (`member=True`) or take them out; audited with the user's teams
    before and after. Takes effect at the user's next click."""
    def change() -> None:
        with transaction(session):
            _administrator(session, actor)
            found, user = _team(session, team), _user(session, username)
            before = _names(session, user)
            current = session.get(TeamMember, (found.id, user.id))
            if member and current is None:
                session.add(TeamMember(team_id=found.id, user_id=user.id))
            elif not member and current is not None:
                session.delete(current)
            session.flush()
            record(session, actor, "set_team_member", detail=(
                f"account {username!r} {'added to' if member else 'removed from'} care team {team!r}; "
                f"teams before: {_listed(before)}; after: {_listed(_names(session, user))}"))

    audited_change(session, actor, "set_team_member", f"account {username!r}, care team {team!r}", change)


def move_patient(session: Session, code: str, team: str, *, actor: str) -> None:
    """Give a patient to another team (its sessions go with it); audited with both teams."""
    def change() -> None:
        with transaction(session):
            _administrator(session, actor)
            patient = require_patient(session, actor, code)
            target = _team(session, team)
            before = session.get(CareTeam, patient.team_id)
            patient.team_id = target.id
            record(session, actor, "move_patient", patient_code=code,
                   detail=f"care team before: {before.name if before else '?'!r}; after: {target.name!r}")

    audited_change(session, actor, "move_patient", f"patient {code!r}", change)


def team_for_new_patient(session: Session, actor: str, name: str | None) -> CareTeam:
    """The team a patient created by `actor` goes into: the one named (which a clinician must be a
    member of), else the only team the actor may use; with several, the actor must choose."""
    scope = scope_of(session, actor)
    if name:
        team = _team(session, name)
        if not scope.allows(team.id):
            raise UnknownTeamError(f"you are not a member of care team {name!r}")
        return team
    teams = _usable(session, scope)
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise UnknownTeamError(
            "no care team exists yet: an administrator creates one (Users page, or `mescreen team add NAME`)"
            if scope.everything else
            "you are not in any care team yet: an administrator adds you to one on the Users page")
    raise InvalidValueError(f"choose the patient's care team: one of {_listed([t.name for t in teams])}")


def _usable(session: Session, scope: Scope) -> list[CareTeam]:
    query = select(CareTeam).order_by(CareTeam.name)
    if not scope.everything:
        query = query.where(CareTeam.id.in_(scope.team_ids))
    return list(session.scalars(query))


def usable_teams(session: Session, actor: str) -> list[str]:
    """The teams `actor` may put a new patient in (every team for an administrator)."""
    with transaction(session):
        return [t.name for t in _usable(session, scope_of(session, actor))]


def join_teams(session: Session, user: User, names: Sequence[str] | None) -> list[str]:
    """Put a new clinician in the named teams; `None` means the only team when exactly one exists
    (a clinic with one team needs no team set-up). Inside the caller's transaction."""
    if names is None:
        only = list(session.scalars(select(CareTeam).limit(2)))
        teams = only if len(only) == 1 else []
    else:
        teams = [_team(session, n) for n in dict.fromkeys(names)]
    session.add_all(TeamMember(team_id=t.id, user_id=user.id) for t in teams)
    return sorted(t.name for t in teams)
