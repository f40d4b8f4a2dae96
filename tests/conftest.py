"""Shared fixtures. Real-data tests skip with a reason when MESCREEN_DATA is absent, except under
CI=true, where a missing data folder is a failure (CI must test against the real data)."""

from __future__ import annotations

import os
from pathlib import Path

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
