"""How batch tasks write to the store: exactly once per recording, whole or not at all.

A Dask task can run more than once: the scheduler re-runs it on another worker when the worker
holding it dies (or stops answering), and a worker presumed dead may in fact still be finishing.
So every write for one recording happens in ONE database transaction that

1. serialises writers of the same recording: on PostgreSQL an advisory lock keyed by the content
   hash; on SQLite the engine already opens every transaction with BEGIN IMMEDIATE, which is the
   database-wide write lock;
2. re-checks, under that lock, whether another attempt has already stored the recording;
3. creates (or reuses) the session and writes the result or the error.

Each store function is its own transaction; here they run inside a session bound to an outer
connection transaction with `join_transaction_mode="create_savepoint"`, so their commits only
release savepoints and nothing is visible to anyone until the outer transaction commits. A worker
killed anywhere before that commit leaves nothing behind (the database rolls the transaction back).

Workers open the store named by their own MESCREEN_DB_URL (a URL with a password is never sent
through the scheduler); the client sends a fingerprint of its URL so that a worker configured for
another database refuses to write instead of scattering results over two stores.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mescreen.store.recordings import (
    complete_session,
    find_done_session,
    find_session,
    mark_failed,
    record_failed_session,
    save_session,
)
from mescreen.store.engine import check_schema, database_url, describe_url, make_engine
from mescreen.store.errors import StoreError, driver_reason

from mescreen.batch.job import VideoJob

if TYPE_CHECKING:
    from mescreen.core.result import SessionResult


def store_fingerprint(url: str) -> str:
    """A short digest of a database URL without its password (it travels through the scheduler):
    lets workers check that they write to the client's store."""
    return hashlib.sha256(describe_url(url).encode("utf-8")).hexdigest()[:16]


def worker_engine(fingerprint: str) -> Engine:
    """This process's engine for MESCREEN_DB_URL, refusing a store other than the client's."""
    url = database_url()
    if store_fingerprint(url) != fingerprint:
        raise StoreError(
            f"this worker's store ({describe_url(url)}) is not the one the batch was started with: "
            "set MESCREEN_DB_URL to the same database on every worker and on the machine running "
            "`mescreen batch`"
        )
    return _engine(url)


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    """One engine (and connection pool) per worker process, checked once against the schema."""
    engine = make_engine(url)
    check_schema(engine)
    return engine


@contextmanager
def recording_transaction(engine: Engine, job: VideoJob, content_hash: str) -> Iterator[Session]:
    """A session whose work commits atomically at the end of the block, with the recording locked
    (by content, or by row identity when the file could not be read)."""
    identity = content_hash or f"{job.patient}\n{job.recorded_on}\n{job.file_name}"
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                key = int.from_bytes(hashlib.sha256(identity.encode("utf-8")).digest()[:8], "big", signed=True)
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
                yield session
    except SQLAlchemyError as exc:
        raise StoreError(f"could not write to the store {describe_url(engine.url)}: {driver_reason(exc)}") from exc


def find_done(engine: Engine, patient: str, content_hash: str, versions: dict[str, str]) -> int | None:
    """The patient's session of this recording analysed with these versions, if any (a read, no lock)."""
    with Session(engine) as session:
        return find_done_session(session, patient, content_hash, versions)


def save_result(engine: Engine, job: VideoJob, content_hash: str, result: SessionResult) -> tuple[bool, int]:
    """Store a completed analysis once. Returns (stored_now, session id): (False, id) when another
    attempt of the same task stored it first."""
    with recording_transaction(engine, job, content_hash) as session:
        existing = find_done_session(session, job.patient, content_hash, result.versions)
        if existing is not None:
            return False, existing
        earlier = _earlier_failure(session, job, content_hash)
        if earlier is not None:
            complete_session(session, earlier, result)
            return True, earlier
        return True, save_session(
            session, job.patient, result, recorded_on=job.recorded_on, uploader=job.uploader,
            file_name=job.file_name, content_hash=content_hash,
        )


def save_failure(engine: Engine, job: VideoJob, content_hash: str, error: str) -> int:
    """Record a recording that could not be analysed, as a failed session carrying the error.
    A re-run that fails again updates the same session instead of piling up copies."""
    with recording_transaction(engine, job, content_hash) as session:
        earlier = _earlier_failure(session, job, content_hash)
        if earlier is not None:
            mark_failed(session, earlier, error)
            return earlier
        return record_failed_session(
            session, job.patient, error, recorded_on=job.recorded_on, uploader=job.uploader,
            file_name=job.file_name, content_hash=content_hash,
        )


class BatchWriter:
    """The analysis service's writer for one batch row (mescreen.service.SessionWriter): every
    write goes through `save_result` / `save_failure`, exactly once per recording."""

    def __init__(self, engine: Engine, job: VideoJob) -> None:
        self.engine, self.job = engine, job
        self.session_id: int | None = None
        self.stored_now = False
        self.content_hash = ""

    def save(self, result: SessionResult, content_hash: str) -> int:
        self.content_hash = content_hash
        self.stored_now, self.session_id = save_result(self.engine, self.job, content_hash, result)
        return self.session_id

    def fail(self, error: str, content_hash: str) -> int:
        self.content_hash = content_hash or self.content_hash
        self.session_id = save_failure(self.engine, self.job, self.content_hash, error)
        return self.session_id


def _earlier_failure(session: Session, job: VideoJob, content_hash: str) -> int | None:
    """A failed session left by an earlier run of this same row (patient, date, file and content)."""
    return find_session(
        session, job.patient, recorded_on=job.recorded_on, file_name=job.file_name,
        content_hash=content_hash, status="failed",
    )
