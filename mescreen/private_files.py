"""Files only the server's own user can read: patient recordings are health data.

Uploads and kept videos are created 0600 in 0700 folders whatever the process umask is (the
defaults, 0644 in 0755, let every account on the machine watch the interviews).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(folder: Path) -> Path:
    """Create `folder` (and missing parents) owner-only; an existing folder made by us is
    tightened too, so folders made by older versions are fixed at the next upload."""
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if folder.stat().st_uid == os.getuid():
        folder.chmod(DIR_MODE)
    return folder


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new owner-only file (refuses to follow or overwrite an existing one)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
