"""Shared fixtures. Real-data tests skip with a reason when MESCREEN_DATA is absent, except under
CI=true, where a missing data folder is a failure (CI must test against the real data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mescreen.core.datapaths import ENV_VAR, data_root

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The research data folder; skip (locally) or fail (under CI) when it is missing."""
    root = data_root()
    if root is None:
        message = f"{ENV_VAR} is not set or does not exist: real-data test not run"
        if _under_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def videos_dir(data_dir: Path) -> Path:
    return data_dir / "videos"


@pytest.fixture(scope="session")
def images_dir(data_dir: Path) -> Path:
    return data_dir / "images"


@contextmanager
def sqlite_store(folder: Path, name: str = "store.db", patients: tuple[str, ...] = ("P-1",)) -> Iterator[tuple[str, Any]]:
    """A migrated SQLite store under `folder` with the given patients: (URL, session factory)."""
    from mescreen.store import repository
    from mescreen.store.engine import make_engine, session_factory, upgrade

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        for code in patients:
            repository.create_patient(session, code, actor="dr")
    try:
        yield url, factory
    finally:
        engine.dispose()
