"""Where the research data lives: always through MESCREEN_DATA, never a path baked into the code."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_VAR = "MESCREEN_DATA"


def data_root() -> Path | None:
    """The research data folder, or None when MESCREEN_DATA is unset or does not exist."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    root = Path(value).expanduser()
    return root if root.is_dir() else None


def require_data_root() -> Path:
    """The data folder, or a clear error saying how to point mescreen at it (training commands)."""
    root = data_root()
    if root is None:
        raise FileNotFoundError(
            f"The research data folder was not found. Set {ENV_VAR} to the folder that holds "
            "megc2019/, ckplus48/ and au_sheets/ (see the README)."
        )
    return root


MODELS_ENV_VAR = "MESCREEN_MODELS"


def models_dir() -> Path:
    """Folder of the shipped models: MESCREEN_MODELS if set, else the package's models/ (a link to
    the repository's models/ folder in a checkout, package data in an installed wheel)."""
    override = os.environ.get(MODELS_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "models"


def model_version(path: Path) -> str:
    """A model's version as recorded in results: file name and a short content hash."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.name}@{digest}"
