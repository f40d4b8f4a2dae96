"""`mescreen team ...` and `mescreen patient add --team` end to end on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, select

from mescreen.cli.main import main
from mescreen.store.users import create_user
from mescreen.store.engine import session_factory
from mescreen.store.models import AuditLog


def test_team_commands_and_patient_teams(engine: Engine, db_url: str, capsys) -> None:
    url = ["--url", db_url, "--actor", "it-admin"]
    assert main(["patient", "add", "P-1", *url]) == 0  # the only team is the default
    assert "in care team 'Care team 1'" in capsys.readouterr().out
    assert main(["team", "add", "Ward B", *url]) == 0
    assert main(["team", "add", "Ward B", *url]) == 2 and "already exists" in capsys.readouterr().err
    assert main(["patient", "add", "P-2", *url]) == 2  # two teams now: the team must be named
    assert "choose the patient's care team: one of 'Care team 1', 'Ward B'" in capsys.readouterr().err
    assert main(["patient", "add", "P-2", "--team", "Ward B", *url]) == 0
    with session_factory(engine)() as session:
        create_user(session, "ann", "long enough password", "clinician", actor="root", teams=[])
    assert main(["team", "assign", "Ward B", "--user", "ann", *url]) == 0
    assert main(["team", "assign", "Ward B", "--patient", "P-1", *url]) == 0
    assert main(["team", "assign", "Ward B", "--patient", "P-1", "--remove", *url]) == 2
    capsys.readouterr()
    assert main(["team", "list", *url]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == ["Care team 1\t0 patient(s)\tmembers: none", "Ward B\t2 patient(s)\tmembers: ann"]
    assert main(["team", "assign", "Ward B", "--user", "ann", "--remove", *url]) == 0
    assert main(["patient", "list", "--url", db_url, "--actor", "ann"]) == 0  # acting as ann: her teams only
    assert "no patients" in capsys.readouterr().out
    with session_factory(engine)() as session:
        actions = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.outcome)
                                  .where(AuditLog.action.in_(["create_team", "set_team_member", "move_patient"]))
                                  .order_by(AuditLog.id)).all()
    assert [tuple(a) for a in actions] == [
        ("it-admin", "create_team", "ok"), ("it-admin", "create_team", "refused"),
        ("it-admin", "set_team_member", "ok"), ("it-admin", "move_patient", "ok"),
        ("it-admin", "set_team_member", "ok"),
    ]
