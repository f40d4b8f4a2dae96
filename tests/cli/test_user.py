"""`mescreen user ...`: accounts from the command line, passwords never on the command line."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import mescreen
from mescreen.cli.main import main
from mescreen.store.teams import teams_of
from mescreen.store.users import authenticate
from mescreen.store.engine import open_store, upgrade


@pytest.fixture
def url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    return url


def _run(monkeypatch, args: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["user", *args])


def test_unmigrated_store_is_a_clear_error(url, monkeypatch, capsys):
    assert _run(monkeypatch, ["list"]) == 2
    assert "mescreen db upgrade" in capsys.readouterr().err


def test_add_list_role_password_delete(url, monkeypatch, capsys):
    upgrade(url)
    assert _run(monkeypatch, ["add", "alice", "--role", "admin", "--password-stdin"], "first-pass-1\n") == 0
    assert _run(monkeypatch, ["add", "bob", "--password-stdin"], "second-pass\n") == 0
    with open_store(url)() as s:
        assert authenticate(s, "alice", "first-pass-1").role == "admin"
    assert _run(monkeypatch, ["add", "carl", "--password-stdin"], "short\n") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert _run(monkeypatch, ["add", "bob", "--password-stdin"], "another-pass\n") == 2
    assert "already exists" in capsys.readouterr().err
    assert _run(monkeypatch, ["set-password", "bob", "--password-stdin"], "changed-pass\n") == 0
    assert _run(monkeypatch, ["set-role", "bob", "admin"]) == 0
    assert _run(monkeypatch, ["delete", "alice"]) == 0
    assert _run(monkeypatch, ["delete", "bob"]) == 2  # the last administrator stays
    assert "last administrator" in capsys.readouterr().err
    _run(monkeypatch, ["list"])
    assert "bob\tadmin" in capsys.readouterr().out
    with open_store(url)() as s:
        assert authenticate(s, "bob", "changed-pass") is not None


def test_prompted_passwords_must_match(url, monkeypatch, capsys):
    upgrade(url)
    answers = iter(["one-password", "another-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "dora"]) == 2
    assert "passwords differ" in capsys.readouterr().err


def test_first_admin_without_a_prompt_as_the_readme_writes_it(url, tmp_path):
    """README: printf '%s\\n' "$ADMIN_PASSWORD" | mescreen user add admin --role admin --password-stdin,
    run as a separate process with no terminal, the password only in the environment."""
    upgrade(url)
    script = ("printf '%s\\n' \"$ADMIN_PASSWORD\" | "
              f"{shlex.quote(sys.executable)} -m mescreen.cli.main user add admin --role admin --password-stdin")
    env = {**os.environ, "ADMIN_PASSWORD": "a long admin password", "MESCREEN_DB_URL": url,
           "PYTHONPATH": str(Path(mescreen.__file__).resolve().parents[1])}
    done = subprocess.run(["sh", "-c", script], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "created admin account 'admin'" in done.stdout
    with open_store(url)() as s:
        assert authenticate(s, "admin", "a long admin password").role == "admin"
        assert authenticate(s, "admin", "a long admin password\n") is None  # the newline is not kept


def test_clinicians_join_the_teams_named(url, monkeypatch, capsys):
    upgrade(url)
    assert _run(monkeypatch, ["add", "ann", "--password-stdin"], "first-pass-1\n") == 0
    assert "in care team(s) Care team 1" in capsys.readouterr().out  # the only team
    assert main(["team", "add", "Ward B"]) == 0
    assert _run(monkeypatch, ["add", "bob", "--team", "Ward B", "--team", "Care team 1", "--password-stdin"],
                "second-pass\n") == 0
    with open_store(url)() as s:
        assert teams_of(s, "bob") == ["Care team 1", "Ward B"]
    assert _run(monkeypatch, ["add", "cat", "--team", "Nowhere", "--password-stdin"], "third-pass-3\n") == 2
    assert "no care team named 'Nowhere'" in capsys.readouterr().err
