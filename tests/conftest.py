"""Shared fixtures. A test that needs what only .ci/run installs or sets up (the research data in
MESCREEN_DATA, ffmpeg, poppler, Chromium, PostgreSQL) goes through `require`: it skips with the
reason on a machine with only Python and make, and fails under CI=true, where nothing may skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mescreen.core.datapaths import ENV_VAR, data_root

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(present: bool, message: str) -> None:
    """Go on when `present`; else skip with `message` (a machine with only Python and make), or
    fail under CI=true, where .ci/run installs everything the tests need and nothing may skip."""
    if present:
        return
    if under_ci():
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def require_tools(*tools: str, package: str) -> None:
    """Programs on PATH that a test runs (ffmpeg, pdftotext ...), from the Debian `package`."""
    missing = [t for t in tools if shutil.which(t) is None]
    require(not missing, f"{', '.join(missing)} not installed (apt-get install {package}; .ci/run installs it)")


@pytest.fixture
def needs_ffmpeg() -> None:
    require_tools("ffmpeg", package="ffmpeg")


@pytest.fixture
def needs_poppler() -> None:
    require_tools("pdftoppm", "pdftotext", package="poppler-utils")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The research data folder; skip (locally) or fail (under CI) when it is missing."""
    root = data_root()
    require(root is not None, f"{ENV_VAR} is not set or does not exist: real-data test not run")
    return root  # type: ignore[return-value]


@pytest.fixture(scope="session")
def videos_dir(data_dir: Path) -> Path:
    return data_dir / "videos"


@pytest.fixture(scope="session")
def images_dir(data_dir: Path) -> Path:
    return data_dir / "images"


@contextmanager
def sqlite_store(folder: Path, name: str = "store.db", patients: tuple[str, ...] = ("P-1",)) -> Iterator[tuple[str, Any]]:
    """A migrated SQLite store under `folder` with the given patients: (URL, session factory)."""
    from mescreen.store.patients import create_patient
    from mescreen.store.engine import make_engine, session_factory, upgrade

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        for code in patients:
            create_patient(session, code, actor="dr")
    try:
        yield url, factory
    finally:
        engine.dispose()
