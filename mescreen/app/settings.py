"""Dashboard settings, read from the environment so a deployment changes them without code.

MESCREEN_MAX_UPLOAD_MB   largest accepted upload, in MB (default 1024)
MESCREEN_KEEP_VIDEOS     "1"/"true" keeps uploaded videos after analysis (default: deleted)
MESCREEN_VIDEO_DIR       where kept videos go (default var/videos under the working directory)
MESCREEN_UPLOAD_DIR      where uploads wait for analysis (default var/uploads)
MESCREEN_ANALYSIS_WORKERS  analyses run at once, each in its own process with the models loaded
                         (default 1; at most one per CPU core)
MESCREEN_WARM_WORKER     "1"/"true" (default) loads the models when the server starts and keeps
                         them loaded, so analyses start at once; "false" loads them per analysis
                         (20-30 s each) and frees their memory in between
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mescreen.core.errors import MescreenError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    max_upload_mb: int = 1024
    keep_videos: bool = False
    video_dir: Path = Path("var") / "videos"
    upload_dir: Path = Path("var") / "uploads"
    analysis_workers: int = 1
    warm_worker: bool = True

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_upload_words(self) -> str:
        """The limit as the upload widget writes it ("1 GB" for 1024 MB, "500 MB"), so the form's
        label and the widget below it say the same."""
        return size_words(self.max_upload_bytes)


def size_words(size: int) -> str:
    """A size in bytes in KB below 1 MB, in MB, or in GB from 1024 MB on (one decimal where needed)."""
    mb = size / 1024**2
    if mb < 1:
        return f"{size / 1024:.0f} KB"
    if mb < 1024:
        return f"{mb:.0f} MB"
    return f"{mb / 1024:.1f}".removesuffix(".0") + " GB"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise MescreenError(f"{name}={value!r} is not understood: use true or false.")


def _workers() -> int:
    """MESCREEN_ANALYSIS_WORKERS: each worker holds the models and keeps one core busy, so more
    workers than cores only slow every analysis down."""
    raw = os.environ.get("MESCREEN_ANALYSIS_WORKERS", "").strip()
    cores = os.cpu_count() or 1
    try:
        workers = int(raw) if raw else Settings.analysis_workers
    except ValueError:
        raise MescreenError(f"MESCREEN_ANALYSIS_WORKERS={raw!r} is not a whole number.") from None
    if not 1 <= workers <= cores:
        raise MescreenError(f"MESCREEN_ANALYSIS_WORKERS must be between 1 and {cores} (one per CPU core "
                            "at most).")
    return workers


def load_settings() -> Settings:
    """Settings from the environment; a malformed value is an error, not a silent default."""
    raw = os.environ.get("MESCREEN_MAX_UPLOAD_MB", "").strip()
    try:
        max_mb = int(raw) if raw else Settings.max_upload_mb
    except ValueError:
        raise MescreenError(f"MESCREEN_MAX_UPLOAD_MB={raw!r} is not a whole number of megabytes.") from None
    if max_mb <= 0:
        raise MescreenError("MESCREEN_MAX_UPLOAD_MB must be positive.")
    return Settings(
        max_upload_mb=max_mb,
        keep_videos=_flag("MESCREEN_KEEP_VIDEOS"),
        video_dir=Path(os.environ.get("MESCREEN_VIDEO_DIR") or Settings.video_dir).expanduser().resolve(),
        upload_dir=Path(os.environ.get("MESCREEN_UPLOAD_DIR") or Settings.upload_dir).expanduser().resolve(),
        analysis_workers=_workers(),
        warm_worker=_flag("MESCREEN_WARM_WORKER", default=Settings.warm_worker),
    )
