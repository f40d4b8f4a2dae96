"""`run_batch`: hand every manifest row to Dask as one task, follow them, report what happened.

Before anything is submitted the client checks what would otherwise fail on every row: the store
is reachable and migrated, SQLite is not shared with workers on other machines, and every patient
code exists. Unknown patient codes are refused by default (a typo must not silently open a new
patient record); `create_patients=True` creates them, recorded in the audit log under `uploader`.

Faults: when a worker dies (killed, out of memory, crashing decoder) the scheduler re-runs its
tasks on other workers, up to Dask's `distributed.scheduler.allowed-failures` (default 3) times per
task; a row that exhausts them is recorded here as a failed session. Store writes are exactly-once
whatever runs twice (mescreen/batch/store.py). Re-running a manifest skips rows already analysed with the
same content and versions and retries the failed ones, updating their failed session in place.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from distributed import Client, Future, KilledWorker, as_completed
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tqdm import tqdm

from mescreen.batch.cluster import dask_client, remote_worker_hosts
from mescreen.batch.errors import BatchError
from mescreen.batch.manifest import ManifestRow
from mescreen.batch.store import store_fingerprint
from mescreen.batch.job import Outcome, VideoJob
from mescreen.batch.task import record_lost_row, run_job
from mescreen.core.errors import MescreenError
from mescreen.store.patients import create_patient, get_patient
from mescreen.store.teams import team_for_new_patient
from mescreen.store.engine import check_schema, database_url, make_engine
from mescreen.store.errors import UnknownPatientError

#: Dask re-runs a task that raised (only store errors are raised) this many times.
STORE_RETRIES = 2


@dataclass
class BatchReport:
    """Outcomes in manifest order; `seconds` runs from the first submitted task to the last result."""

    outcomes: list[Outcome]
    seconds: float
    workers: int

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def frames(self) -> int:
        return sum(o.frames for o in self.outcomes)

    @property
    def any_failed(self) -> bool:
        return self.count("failed") > 0


def run_batch(
    rows: Sequence[ManifestRow],
    *,
    uploader: str,
    scheduler: str | None = None,
    workers: int | None = None,
    create_patients: bool = False,
    team: str | None = None,
    show_progress: bool = True,
) -> BatchReport:
    """Analyse every row on a Dask cluster and store each result (see the module docstring)."""
    url = database_url()
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and engine.url.database in (None, "", ":memory:"):
        raise BatchError("an in-memory SQLite database cannot be shared with workers: "
                         "set MESCREEN_DB_URL to a database file or to PostgreSQL")
    try:
        check_schema(engine)
        prepare_patients(engine, rows, create=create_patients, actor=uploader, team=team)
    finally:
        engine.dispose()
    fingerprint = store_fingerprint(url)
    jobs = [VideoJob(r.row, str(r.video), r.patient, r.recorded_on, uploader, fingerprint) for r in rows]
    with dask_client(scheduler, workers, url) as client:
        remote = remote_worker_hosts(client)
        if remote and sqlite:
            raise BatchError(
                f"the store is SQLite but workers run on other machines ({', '.join(remote)}): "
                "a SQLite file cannot be shared safely between machines; use PostgreSQL in MESCREEN_DB_URL"
            )
        return _follow(client, jobs, show_progress)


def prepare_patients(
    engine: Engine, rows: Sequence[ManifestRow], *, create: bool, actor: str, team: str | None = None,
) -> None:
    """Refuse (or, with `create`, create in care team `team`) the manifest's patient codes that do
    not exist yet, before any video is analysed; the team is checked before the first is created."""
    rows_of: dict[str, list[int]] = {}
    for r in rows:
        rows_of.setdefault(r.patient, []).append(r.row)
    with Session(engine) as session:
        unknown = []
        for code in rows_of:
            try:
                get_patient(session, code, actor=actor)
            except UnknownPatientError:
                unknown.append(code)
        if unknown and not create:
            listed = "; ".join(f"{code} (rows {', '.join(map(str, rows_of[code]))})" for code in unknown)
            raise BatchError(
                f"{len(unknown)} patient code(s) in the manifest do not exist: {listed}. Check them for "
                "typos, create the patients first, or run again with --create-patients."
            )
        if unknown:
            team_for_new_patient(session, actor, team)  # a clear error if the team is missing or ambiguous
        for code in unknown:
            create_patient(session, code, actor=actor, team=team)


def _follow(client: Client, jobs: list[VideoJob], show_progress: bool) -> BatchReport:
    """Submit one task per row and collect outcomes as they finish, with a progress bar."""
    started = time.perf_counter()
    token = uuid.uuid4().hex[:8]
    futures: dict[Future, VideoJob] = {
        client.submit(run_job, job, key=f"mescreen-row{job.row}-{token}", pure=False, retries=STORE_RETRIES): job
        for job in jobs
    }
    outcomes: list[Outcome] = []
    tally: Counter[str] = Counter()
    frames = 0
    bar = tqdm(total=len(jobs), unit="video", desc="batch", disable=not show_progress, file=sys.stderr)
    try:
        for future in as_completed(futures):
            outcome = outcome_of(future, futures[future])
            outcomes.append(outcome)
            tally[outcome.status] += 1
            frames += outcome.frames
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(fps=f"{frames / elapsed:.1f}", failed=tally["failed"], skipped=tally["skipped"])
            bar.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        bar.close()
    outcomes.sort(key=lambda o: o.row)
    workers = len(client.scheduler_info()["workers"])
    return BatchReport(outcomes, time.perf_counter() - started, workers)


def outcome_of(future: Future, job: VideoJob) -> Outcome:
    """The task's own outcome, or a failed one recorded here when the task itself was lost."""
    if future.status == "finished":
        return future.result()
    exc = future.exception() if future.status == "error" else None
    if isinstance(exc, KilledWorker):
        error = ("The worker analysing this video stopped several times (out of memory, or a crash "
                 "while decoding); the video was not analysed.")
    elif isinstance(exc, MescreenError):
        error = str(exc)
    else:
        error = f"The analysis task was lost ({future.status}: {exc!r})."
    try:
        return record_lost_row(job, error)
    except MescreenError as store_exc:
        return Outcome(job.row, job.video, job.patient, "failed", None,
                       detail=f"{error} It could not be recorded in the store either: {store_exc}")
