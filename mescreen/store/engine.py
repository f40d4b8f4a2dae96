"""Opening the store: URL, engine, sessions, migrations and the schema check.

SQLite is the default (a file under ./var/), PostgreSQL (or any SQLAlchemy URL) is chosen with
`MESCREEN_DB_URL`. SQLite is tuned so that several processes can write safely: WAL journaling
(readers never block the writer), foreign keys enforced (cascading erasure relies on them), a busy
timeout, and every transaction opened with BEGIN IMMEDIATE: a deferred transaction that reads and
then writes can fail at once with "database is locked" when another writer is active, whereas
IMMEDIATE takes the write lock up front and simply waits its turn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mescreen.store.errors import (
    SchemaNotReadyError,
    SchemaTooNewError,
    StoreError,
    driver_reason,
    mask_credentials,
)

ENV_VAR = "MESCREEN_DB_URL"
DEFAULT_FILE = Path("var") / "mescreen.db"
#: How long a writer waits for another one before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000
_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


def database_url() -> str:
    """`MESCREEN_DB_URL` if set, else the SQLite file var/mescreen.db under the working directory."""
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    path = (Path.cwd() / DEFAULT_FILE).resolve()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def describe_url(url: str | URL) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_credentials(str(url))


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: `database_url()`); bad URLs raise StoreError with the reason."""
    raw = url or database_url()
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StoreError(
            f"invalid database URL {mask_credentials(raw)!r}: expected e.g. sqlite:///path/to/file.db or "
            f"postgresql+psycopg://user:password@host/dbname (set {ENV_VAR})"
        ) from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_file(parsed)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise StoreError(
            f"cannot use database URL {describe_url(parsed)}: {mask_credentials(str(exc))}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        _tune_sqlite(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the store's functions commit themselves)."""
    return sessionmaker(engine, expire_on_commit=False)


def open_store(url: str | None = None) -> sessionmaker[Session]:
    """Engine + schema check + session factory: what the dashboard, CLI and batch call at start."""
    engine = make_engine(url)
    check_schema(engine)
    return session_factory(engine)


def _check_sqlite_file(url: URL) -> None:
    """Fail early, with the path, when the database file or its folder cannot be written."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser().resolve()
    folder = path.parent
    if not folder.is_dir():
        raise StoreError(f"cannot open database {path}: folder {folder} does not exist")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"database file {path} is not writable: check its permissions")
    if not path.exists() and not os.access(folder, os.W_OK):
        raise StoreError(f"cannot create database {path}: folder {folder} is not writable")
    if not path.exists():
        # Owner-only from the start (SQLite gives its -wal and -shm files the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Erased rows are overwritten with zeros, in the file and its WAL, not just unlinked.
        cursor.execute("PRAGMA secure_delete = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- migrations ---------------------------------------------------------------------------------


def _alembic_config(connection: Any | None = None) -> Any:
    """Alembic config located from this file, not the working directory (works when installed)."""
    from alembic.config import Config

    config = Config(str(_ALEMBIC_INI))
    config.set_main_option("script_location", str(_MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {describe_url(engine.url)}: {driver_reason(exc)}") from exc
    return heads[0] if heads else None


def check_schema(engine: Engine) -> None:
    """Refuse to run on a database that is not exactly at this code's schema revision."""
    where = describe_url(engine.url)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaNotReadyError(
            f"the database {where} has no mescreen tables yet: run `mescreen db upgrade` first"
        )
    if current not in known_revisions():
        raise SchemaTooNewError(
            f"the database {where} has schema revision {current}, newer than this mescreen "
            f"(latest known: {head}); upgrade mescreen instead of using this version"
        )
    raise SchemaNotReadyError(
        f"the database {where} has schema revision {current}, this mescreen needs {head}: "
        "run `mescreen db upgrade`"
    )


def upgrade(url: str | None = None) -> str:
    """Apply all migrations (alembic upgrade head); returns the revision reached."""
    from alembic import command
    from alembic.util import CommandError

    engine = make_engine(url)
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        check_schema(engine)  # raises SchemaTooNewError with the full message
    try:
        with engine.connect() as connection:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(connection, on=False)  # table rebuilds must not cascade
            with connection.begin():
                command.upgrade(_alembic_config(connection), "head")
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)
    except CommandError as exc:
        raise StoreError(f"migration failed on {describe_url(engine.url)}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"migration failed on {describe_url(engine.url)}: {driver_reason(exc)}") from exc
    finally:
        engine.dispose()
    return head_revision()


def _sqlite_foreign_keys(connection: Any, *, on: bool) -> None:
    """Switch SQLite's foreign keys outside any transaction (the pragma is ignored inside one);
    switching back on first checks that the migration left every reference intact."""
    raw = connection.connection.driver_connection
    if on:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"migration left {len(broken)} broken references (first: {broken[0]})")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def known_revisions() -> set[str]:
    """Every schema revision this code has a migration for."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}

