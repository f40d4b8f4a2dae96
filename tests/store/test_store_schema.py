"""Opening the store: URL choice, SQLite tuning, migrations, and refusing the wrong schema."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import mescreen.cli.db
from mescreen.store.engine import (
    ENV_VAR,
    check_schema,
    current_revision,
    database_url,
    head_revision,
    make_engine,
    open_store,
    upgrade,
)
from mescreen.store.errors import SchemaNotReadyError, SchemaTooNewError, StoreError
from mescreen.store.models import Base

REPO = Path(__file__).resolve().parents[2]


def test_migrations_create_exactly_the_models(engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_unmigrated_database_is_refused_with_the_command_to_run(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(SchemaNotReadyError, match="mescreen db upgrade"):
        check_schema(engine)
    engine.dispose()
    with pytest.raises(SchemaNotReadyError):
        open_store(db_url)


def test_upgrade_is_idempotent(db_url: str) -> None:
    assert upgrade(db_url) == head_revision()
    assert upgrade(db_url) == head_revision()
    engine = make_engine(db_url)
    check_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_newer_schema_is_refused_and_left_untouched(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaTooNewError, match="newer than this mescreen"):
        check_schema(engine)
    with pytest.raises(SchemaTooNewError):
        upgrade(engine.url.render_as_string(hide_password=False))
    assert current_revision(engine) == "9999_future"
    assert "patients" in inspect(engine).get_table_names()


def test_sqlite_is_tuned_for_concurrent_writers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    engine.dispose()


def test_default_url_is_a_sqlite_file_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert database_url() == f"sqlite:///{tmp_path.resolve() / 'var' / 'mescreen.db'}"
    assert (tmp_path / "var").is_dir()
    monkeypatch.setenv(ENV_VAR, "postgresql+psycopg://u:p@db.example/mescreen")
    assert database_url() == "postgresql+psycopg://u:p@db.example/mescreen"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("nosuchdialect://x/y", "cannot use database URL"),
        ("sqlite:////no/such/folder/store.db", "does not exist"),
    ],
)
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        make_engine(url)


def test_folder_in_place_of_database_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(StoreError, match="does not exist"):
        make_engine(f"sqlite:///{tmp_path / 'afile' / 'store.db'}")


def test_upgrade_works_from_any_working_directory(tmp_path: Path) -> None:
    """Alembic finds its files from the package, not from the current folder."""
    target = tmp_path / "elsewhere.db"
    code = f"from mescreen.store.engine import upgrade; print(upgrade({f'sqlite:///{target}'!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == head_revision()


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    mescreen.cli.db.register(parser.add_subparsers(required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_upgrade_and_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _cli("db", "current", "--url", url) == 1
    assert "mescreen db upgrade" in capsys.readouterr().out
    assert _cli("db", "upgrade", "--url", url) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert _cli("db", "current", "--url", url) == 0
    assert "(latest)" in capsys.readouterr().out
