"""Dashboard settings, read from the environment so a deployment changes them without code.

MESCREEN_MAX_UPLOAD_MB   largest accepted upload, in MB (default 1024)
MESCREEN_KEEP_VIDEOS     "1"/"true" keeps uploaded videos after analysis (default: deleted)
MESCREEN_VIDEO_DIR       where kept videos go (default var/videos under the working directory)
MESCREEN_UPLOAD_DIR      where uploads wait for analysis (default var/uploads)
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

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise MescreenError(f"{name}={value!r} is not understood: use true or false.")


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
    )
