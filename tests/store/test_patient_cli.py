"""`mescreen patient ...` end to end on SQLite and PostgreSQL, audited like the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mescreen.cli.main import main
from mescreen.store.patients import get_patient
from mescreen.store.recordings import save_session
from mescreen.store.audit import audit_entries
from mescreen.store.engine import session_factory
from tests.synthetic import synthetic_result
from datetime import date


def _run(*args: str) -> int:
    return main(["patient", *args])


def test_patient_commands_end_to_end(engine: Engine, db_url: str, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    url = ["--url", db_url, "--actor", "researcher"]
    assert _run("add", "P-7", "--name", "Seven", *url) == 0
    assert _run("add", "P-7", *url) == 2  # a duplicate is one clear line
    assert "already exists" in capsys.readouterr().err
    with session_factory(engine)() as session:
        save_session(session, "P-7", synthetic_result(60, seed=1), recorded_on=date(2026, 2, 1),
                          uploader="researcher", file_name="a.mp4", content_hash="h1")
    assert _run("list", *url) == 0 and "P-7\t1 session(s)" in capsys.readouterr().out
    assert _run("show", "P-7", *url) == 0
    shown = capsys.readouterr().out
    assert "patient P-7 (Seven)" in shown and "recorded 2026-02-01\tdone" in shown and "never a diagnosis" in shown
    out = tmp_path / "p7.json"
    assert _run("export", "P-7", "--out", str(out), *url) == 0
    exported = json.loads(out.read_text())
    assert exported["patient"]["code"] == "P-7" and len(exported["sessions"]) == 1
    assert _run("delete", "P-7", *url) == 2  # no terminal: must confirm with --yes
    assert "--yes" in capsys.readouterr().err
    assert _run("delete", "P-7", "--yes", *url) == 0
    assert _run("show", "P-7", *url) == 2
    assert _run("import", str(out), *url) == 0
    assert _run("export", "P-7", "--out", str(tmp_path / "again.json"), *url) == 0
    assert json.loads((tmp_path / "again.json").read_text()) == exported
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _run("import", str(bad), *url) == 2 and "not a readable mescreen export" in capsys.readouterr().err
    with session_factory(engine)() as session:
        actions = [(a.actor, a.action) for a in audit_entries(session, patient_code="P-7")]
    for action in ("create_patient", "read_timeline", "export_patient", "delete_patient", "import_patient"):
        assert ("researcher", action) in actions, action


def test_delete_asks_for_the_code_again(engine: Engine, db_url: str, capsys, monkeypatch) -> None:
    url = ["--url", db_url]
    assert _run("add", "P-8", *url) == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "P-9")
    assert _run("delete", "P-8", *url) == 1
    assert "nothing was deleted" in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda prompt: "P-8")
    assert _run("delete", "P-8", *url) == 0
    with session_factory(engine)() as session, pytest.raises(Exception):
        get_patient(session, "P-8", actor="t")
