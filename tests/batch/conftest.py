"""Fixtures for the batch tests: a migrated store (SQLite file, or a fresh PostgreSQL database
from MESCREEN_TEST_PG_URL: skipped without it, a failure under CI=true) and a small SessionResult
to store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mescreen.core.result import FrameSeries, Screening, SessionClusters, SessionResult, VideoInfo
from mescreen.store.engine import upgrade
from tests.conftest import require


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    base = os.environ.get("MESCREEN_TEST_PG_URL", "")
    require(bool(base), "MESCREEN_TEST_PG_URL is not set: PostgreSQL test not run")
    name = f"mescreen_batch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty store of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'batch.db'}"
        upgrade(url)
        yield url
        return
    with fresh_postgres() as url:
        upgrade(url)
        yield url


@pytest.fixture
def small_result() -> SessionResult:
    """A complete but tiny result (no frames): enough for the store, cheap to build."""
    return SessionResult(
        video=VideoInfo("clip.mp4", 640, 360, 30.0, 0, 0, 0.0),
        series=FrameSeries.empty(["AU4"], ["negative", "positive", "surprise"]),
        episodes=[], clusters=SessionClusters(),
        screening=Screening("insufficient", ["no frames"], [], "test", "a screening aid"),
        versions={"pipeline": "test"},
    )
