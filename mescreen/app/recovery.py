"""What the dashboard does once when its server process starts, before any analysis: clean up
after a server that was killed mid-analysis.

- sessions still queued or running belong to no live job any more: they are failed with a
  message saying so (instead of showing "running" forever);
- uploads waiting in the upload folder from before this start, owned by no queued or running
  session, are deleted (raw recordings must not linger after the analysis that needed them).

Files newer than this process are left alone: another browser may be uploading right now.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from mescreen.store.recordings import fail_interrupted, live_uploads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovery:
    failed_sessions: int
    deleted_uploads: int


def recover_after_restart(sessions: sessionmaker[Session], upload_dir: Path | None,
                          started_at: float | None = None) -> Recovery:
    """Fail interrupted sessions and delete orphaned uploads older than `started_at`."""
    started_at = time.time() if started_at is None else started_at
    with sessions() as session:
        owned = fail_interrupted(session)
    with sessions() as session:
        live = live_uploads(session)
    deleted = 0
    candidates = [Path(p) for p in owned]
    if upload_dir is not None and upload_dir.is_dir():
        candidates += [p for p in upload_dir.iterdir() if p.is_file() and p.stat().st_mtime < started_at]
    for path in set(candidates):
        if str(path) in live:
            continue
        try:
            path.unlink(missing_ok=True)
            deleted += 1
        except OSError as exc:
            log.error("could not delete the orphaned upload %s: %s", path, exc)
    if owned or deleted:
        log.warning("after a restart: %d interrupted session(s) failed, %d orphaned upload(s) deleted",
                    len(owned), deleted)
    return Recovery(len(owned), deleted)
