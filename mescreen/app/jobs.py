"""Background analyses that outlive the page which started them.

A `JobRegistry` lives once per server process (the dashboard holds it in `st.cache_resource`);
its worker threads hand recordings to warm analysis processes (mescreen.app.analysis_process) while
the clinician moves between pages, and each page reads the job's state to draw a progress bar.
Cancelling sets a flag the pipeline's progress callback returns, so the pipeline stops at its next
report. Analyses run `workers` at a time (default one: the server has few cores); the others wait
in submission order, and each knows how many analyses are before it.

The store sees create_session (queued, at submission); the rest (running, the result or the
failure with its reason, deleting or keeping the upload) is the analysis service's
(mescreen.service.analyse_for_patient), the same for every front door.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from mescreen.app.analysis_process import WorkerPool
from mescreen.core.errors import Cancelled, MescreenError
from mescreen.core.progress import Progress
from mescreen.service import Analyse, PeerCsvSource, Source, VideoSource, analyse_for_patient
from mescreen.store import recordings
from mescreen.store.recordings import create_session, mark_failed

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]

STAGE_WORDS = {
    "loading": "Loading models",
    "starting": "Starting",
    "reading": "Reading the video",
    "faces": "Finding the face",
    "face": "Finding the face",
    "aus": "Reading facial action units",
    "spotting": "Finding micro-expressions",
    "emotion": "Classifying emotions",
    "clusters": "Grouping micro-expressions",
    "screening": "Computing screening indicators",
}


@dataclass
class Job:
    """One analysis as the pages see it; fields are written by the worker under `lock`."""

    id: str
    session_id: int
    session_number: int  # the patient's own number of the session (mescreen.store.models)
    patient_code: str
    file_name: str
    owner: str
    status: JobStatus = "queued"
    stage: str = ""
    done: int = 0
    total: int | None = None
    error: str = ""
    submitted_at: float = field(default_factory=time.monotonic)
    stage_started_at: float | None = None
    cancel_requested: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @property
    def stage_label(self) -> str:
        """The stage in words; a job that runs but has not reported a stage yet is starting."""
        return STAGE_WORDS.get(self.stage, self.stage.capitalize() or "Starting")

    @property
    def fraction(self) -> float:
        """Share of the current stage done (0..1); 1 when finished."""
        if self.finished:
            return 1.0
        if not self.total:
            return 0.0
        return min(1.0, self.done / self.total)

    def seconds_left(self, now: float | None = None) -> float | None:
        """Time left in the current stage at its rate so far (None until there is a rate)."""
        if self.finished or not self.total or self.done <= 0 or self.stage_started_at is None:
            return None
        elapsed = (now or time.monotonic()) - self.stage_started_at
        return elapsed / self.done * max(self.total - self.done, 0)

    def on_progress(self, progress: Progress) -> bool:
        """The pipeline's callback: record where it is; False asks it to stop."""
        with self.lock:
            if progress.stage != self.stage:
                self.stage, self.stage_started_at = progress.stage, time.monotonic()
            self.done, self.total = progress.done, progress.total
            return not self.cancel_requested


class JobRegistry:
    """Queued and finished analyses of this server process, newest first."""

    def __init__(self, sessions: sessionmaker[Session], analyze: Analyse | None = None,
                 workers: int = 1, warm: bool = True) -> None:
        """`analyze` defaults to `workers` analysis processes, started now when `warm` so their
        models are loaded before the first upload arrives."""
        self._sessions = sessions
        self._workers = WorkerPool(workers, warm=warm) if analyze is None else None
        self._analyze = analyze or self._workers.analyze
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mescreen-analysis")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, *, patient_code: str, upload: Path, file_name: str, content_hash: str,
               recorded_on: date, uploader: str, keep_video_in: Path | None) -> Job:
        """Register the session as queued and start (or queue) the analysis of a recording."""
        return self._queue(patient_code, VideoSource(upload, file_name, content_hash), recorded_on, uploader,
                           keep_video_in, upload_path=str(upload))

    def submit_import(self, *, patient_code: str, source: PeerCsvSource, recorded_on: date,
                      uploader: str) -> Job:
        """Register the session as queued and start (or queue) the analysis of a peer tool's CSV."""
        return self._queue(patient_code, source, recorded_on, uploader, None, upload_path=None)

    def _queue(self, patient_code: str, source: Source, recorded_on: date, uploader: str,
               keep_video_in: Path | None, upload_path: str | None) -> Job:
        with self._sessions() as session:
            session_id = create_session(
                session, patient_code, recorded_on=recorded_on, uploader=uploader,
                file_name=source.name, content_hash=source.content_hash, status="queued",
                upload_path=upload_path,
            )
            number = recordings.session_number(session, session_id)
        job = Job(uuid.uuid4().hex, session_id, number, patient_code, source.name, uploader)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._work, job, source, recorded_on, keep_video_in)
        return job

    def analyses_before(self, job_id: str) -> int:
        """How many analyses run or wait ahead of a queued job (0 once it runs): every analysis of
        this server, whoever submitted it, shares the workers in submission order."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status != "queued":
                return 0
            return sum(1 for other in self._jobs.values()
                       if other.status == "running"
                       or (other.status == "queued" and not other.cancel_requested
                           and other.submitted_at < job.submitted_at))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, patient_code: str | None = None) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        jobs = [j for j in jobs if patient_code is None or j.patient_code == patient_code]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)

    def cancel(self, job_id: str) -> None:
        job = self.get(job_id)
        if job is not None:
            with job.lock:
                job.cancel_requested = True

    def forget_patient(self, patient_code: str) -> None:
        """An erased patient: stop their analyses and drop every job of theirs from the screen."""
        with self._lock:
            victims = [j for j in self._jobs.values() if j.patient_code == patient_code]
            for job in victims:
                del self._jobs[job.id]
        for job in victims:
            with job.lock:
                job.cancel_requested = True

    def wait(self, job_id: str, timeout_s: float) -> Job:
        """Block until the job finishes (tests and scripts; pages poll instead)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is not None and job.finished:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"analysis {job_id} did not finish within {timeout_s:.0f} s")

    def shutdown(self) -> None:
        for job in self.jobs():
            self.cancel(job.id)
        self._pool.shutdown(wait=True)
        if self._workers is not None:
            self._workers.shutdown()

    # ------------------------------------------------------------------ worker

    def _set(self, job: Job, **values: object) -> None:
        with job.lock:
            for key, value in values.items():
                setattr(job, key, value)

    def _work(self, job: Job, source: Source, recorded_on: date, keep_video_in: Path | None) -> None:
        try:
            if job.cancel_requested:
                _discard(source)
                raise Cancelled("Analysis cancelled before it started.")
            self._set(job, status="running")
            stored = analyse_for_patient(
                self._sessions, job.patient_code, source, recorded_on=recorded_on, uploader=job.owner,
                analyse=self._analyze, progress=job.on_progress, session_id=job.session_id, delete_upload=True,
                keep_video_in=keep_video_in,
            )
            self._set(job, status="done", error=stored.note)
        except Cancelled:
            self._fail(job, "cancelled", f"Cancelled by {job.owner}.")
        except MescreenError as exc:  # already recorded on the session by the service
            self._set(job, status="failed", error=str(exc))
        except Exception:  # noqa: BLE001 - a worker must record every failure, not die silently
            log.exception("analysis of session %s failed", job.session_id)
            self._fail(job, "failed", "The analysis stopped on an unexpected error; the server log has "
                                      "the details. Please report it.")
            source.path.unlink(missing_ok=True)

    def _fail(self, job: Job, status: JobStatus, message: str) -> None:
        self._set(job, status=status, error=message)
        try:
            with self._sessions() as session:
                mark_failed(session, job.session_id, message)
        except MescreenError as exc:  # e.g. the patient was erased while the analysis ran
            log.warning("could not record the failure of session %s: %s", job.session_id, exc)


def _discard(source: Source) -> None:
    """Delete a recording's temporary upload (an imported CSV has none: it is held in memory)."""
    if isinstance(source, VideoSource):
        source.path.unlink(missing_ok=True)
