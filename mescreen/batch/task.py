"""One Dask task = one manifest row: hash the video, skip it if already analysed, analyse, store.

This runs in a worker process. Every expected problem (missing or corrupt file, no face, missing
model) ends as a failed session in the store with the message a clinician can read, and the task
returns normally, so one bad video never stops the batch. Only store failures are raised (Dask
retries the task; if the store stays unreachable the client reports the row as failed).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mescreen.core.errors import InputError, MescreenError
from mescreen.core.video import file_sha256

if TYPE_CHECKING:
    from mescreen.core.pipeline import Models

Status = Literal["done", "skipped", "failed"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoJob:
    """What the client sends for one row: plain values only (it crosses the network)."""

    row: int
    video: str  # absolute path, as the workers see it (a shared folder when workers are remote)
    patient: str
    recorded_on: dt.date
    uploader: str
    store: str  # fingerprint of the client's database URL (mescreen.batch.store.store_fingerprint)

    @property
    def file_name(self) -> str:
        return Path(self.video).name


@dataclass(frozen=True)
class Outcome:
    """What happened to one row; `seconds` is the time the task spent on the worker."""

    row: int
    video: str
    patient: str
    status: Status
    session_id: int | None = None
    frames: int = 0
    seconds: float = 0.0
    detail: str = ""


@functools.lru_cache(maxsize=1)
def _models() -> Models:
    """The trained models, loaded once per worker process and reused by every task it runs."""
    from mescreen.core.pipeline import Models

    return Models.load()


def run_job(job: VideoJob) -> Outcome:
    """The task body. Runs the whole analysis; see the module docstring for what is raised."""
    from mescreen.batch import store
    from mescreen.core.pipeline import AnalysisOptions, analyze_video

    started = time.perf_counter()
    engine = store.worker_engine(job.store)

    def finish(status: Status, session_id: int | None, frames: int = 0, detail: str = "") -> Outcome:
        return Outcome(job.row, job.video, job.patient, status, session_id, frames,
                       time.perf_counter() - started, detail)

    content_hash = ""
    try:
        content_hash = file_sha256(Path(job.video))
        models = _models()
        existing = store.find_done(engine, job.patient, content_hash, models.versions())
        if existing is not None:
            return finish("skipped", existing, detail=f"already analysed (session {existing})")
        # As `mescreen analyze --patient` does: the patient's screenings stored so far feed the
        # longitudinal indicators.
        options = AnalysisOptions(previous=store.previous_screenings(engine, job.patient))
        result = analyze_video(job.video, options, models=models)
    except MescreenError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug must fail this row, not the batch
        _log.exception("row %d (%s) failed unexpectedly", job.row, job.file_name)
        error = f"Unexpected error while analysing {job.file_name} ({type(exc).__name__}: {exc}); see the worker log."
    else:
        stored, session_id = store.save_result(engine, job, content_hash, result)
        frames = result.video.frames_read
        if stored:
            return finish("done", session_id, frames)
        return finish("skipped", session_id, frames, f"stored by another attempt (session {session_id})")
    return finish("failed", store.save_failure(engine, job, content_hash, error), detail=error)


def record_lost_row(job: VideoJob, error: str) -> Outcome:
    """Client side: a row whose task never returned (its workers kept dying, or the store was
    unreachable from them) is still recorded as a failed session, from the client's store."""
    from mescreen.batch import store

    try:
        content_hash = file_sha256(Path(job.video))
    except InputError:
        content_hash = ""
    session_id = store.save_failure(store.worker_engine(job.store), job, content_hash, error)
    return Outcome(job.row, job.video, job.patient, "failed", session_id, detail=error)
