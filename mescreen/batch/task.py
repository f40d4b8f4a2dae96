"""One Dask task = one manifest row: hash the video, skip it if already analysed, analyse, store.

This runs in a worker process. Every expected problem (missing or corrupt file, no face, missing
model) ends as a failed session in the store with the message a clinician can read, and the task
returns normally, so one bad video never stops the batch. Only store failures are raised (Dask
retries the task; if the store stays unreachable the client reports the row as failed).
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mescreen.core.errors import InputError, MescreenError
from mescreen.batch.job import Outcome, Status, VideoJob
from mescreen.core.io.video import file_sha256

if TYPE_CHECKING:
    from mescreen.core.pipeline import Models

_log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _models() -> Models:
    """The trained models, loaded once per worker process and reused by every task it runs."""
    from mescreen.core.pipeline import Models

    return Models.load()


def run_job(job: VideoJob) -> Outcome:
    """The task body: the analysis service with the batch's exactly-once writer; see the module
    docstring for what is raised."""
    from sqlalchemy.orm import sessionmaker

    from mescreen.batch import store
    from mescreen.core.pipeline import AnalysisOptions, analyze_video
    from mescreen.service import VideoSource, analyse_for_patient

    started = time.perf_counter()
    engine = store.worker_engine(job.store)

    def finish(status: Status, session_id: int | None, frames: int = 0, detail: str = "") -> Outcome:
        return Outcome(job.row, job.video, job.patient, status, session_id, frames,
                       time.perf_counter() - started, detail)

    writer = store.BatchWriter(engine, job)
    try:
        content_hash = file_sha256(Path(job.video))
        models = _models()
        existing = store.find_done(engine, job.patient, content_hash, models.versions())
        if existing is not None:
            return finish("skipped", existing, detail=f"already analysed (session {existing})")
        stored = analyse_for_patient(
            sessionmaker(engine), job.patient, VideoSource(Path(job.video), content_hash=content_hash),
            recorded_on=job.recorded_on, uploader=job.uploader, writer=writer,
            analyse=lambda path, progress, previous: analyze_video(
                path, AnalysisOptions(previous=tuple(previous)), progress, models=models),
        )
    except MescreenError as exc:  # recorded on a failed session by the service (or unreadable file)
        if writer.session_id is None:
            writer.fail(str(exc), "")
        return finish("failed", writer.session_id, detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug must fail this row, not the batch
        _log.exception("row %d (%s) failed unexpectedly", job.row, job.file_name)
        error = f"Unexpected error while analysing {job.file_name} ({type(exc).__name__}: {exc}); see the worker log."
        return finish("failed", writer.fail(error, writer.content_hash), detail=error)
    frames = stored.result.video.frames_read
    if writer.stored_now:
        return finish("done", stored.session_id, frames)
    return finish("skipped", stored.session_id, frames, f"stored by another attempt (session {stored.session_id})")


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
