"""Store fixtures: every `store`/`db` test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL comes from MESCREEN_TEST_PG_URL (`.ci/run` starts a real server and sets it). Each
PostgreSQL test gets its own freshly created schema (dropped afterwards), selected through the
connection's search_path, so tests never see each other's rows. Without the variable the
PostgreSQL half is skipped locally and FAILS under CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mescreen.store.engine import make_engine, session_factory, upgrade
from tests.conftest import require

PG_ENV = "MESCREEN_TEST_PG_URL"


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    require(bool(url), f"{PG_ENV} is not set: PostgreSQL store tests not run")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database URL (not migrated) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = make_url(_postgres_base_url())
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def db(store: sessionmaker[Session]) -> Iterator[Session]:
    with store() as session:
        yield session
