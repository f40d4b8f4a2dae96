"""The batch's store writes: one recording is stored once even when two attempts race, failures
are kept with their reason, and a re-run updates a failed session instead of adding one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mescreen.batch import store
from mescreen.batch.job import VideoJob
from mescreen.store.patients import create_patient
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import patient_timeline
from mescreen.store.engine import make_engine
from mescreen.store.models import RecordingSession
from mescreen.core.result import SessionResult
from mescreen.store.errors import StoreError


def _setup(url: str):
    engine = make_engine(url)
    with Session(engine) as session:
        create_patient(session, "P01", actor="test")
    job = VideoJob(2, "/videos/clip.mp4", "P01", dt.date(2026, 1, 5), "batch:test", store.store_fingerprint(url))
    return engine, job


def _sessions(engine) -> list[tuple[int, str, str | None]]:
    with Session(engine) as session:
        return list(session.execute(select(RecordingSession.id, RecordingSession.status, RecordingSession.error)))


def test_racing_attempts_store_one_session(store_url: str, small_result: SessionResult):
    engine, job = _setup(store_url)
    result = small_result
    second: list[tuple[bool, int]] = []
    with store.recording_transaction(engine, job, "h1") as session:
        # Attempt B starts while attempt A holds the recording's lock and has not committed yet.
        racer = threading.Thread(target=lambda: second.append(store.save_result(engine, job, "h1", result)))
        racer.start()
        time.sleep(0.5)
        assert not second, "the second attempt did not wait for the first one's transaction"
        first_id = save_session(
            session, job.patient, result, recorded_on=job.recorded_on, uploader=job.uploader,
            file_name=job.file_name, content_hash="h1",
        )
    racer.join(timeout=30)
    assert second == [(False, first_id)]
    assert _sessions(engine) == [(first_id, "done", None)]


def test_interrupted_save_leaves_nothing(store_url: str, small_result: SessionResult):
    engine, job = _setup(store_url)
    try:
        with store.recording_transaction(engine, job, "h1") as session:
            save_session(session, job.patient, small_result, recorded_on=job.recorded_on,
                                    uploader=job.uploader, file_name=job.file_name, content_hash="h1")
            raise KeyboardInterrupt  # as if the worker stopped between the write and the commit
    except KeyboardInterrupt:
        pass
    assert _sessions(engine) == []
    assert store.find_done(engine, "P01", "h1", {"pipeline": "test"}) is None


def test_failures_are_kept_then_reused_by_a_rerun(store_url: str, small_result: SessionResult):
    engine, job = _setup(store_url)
    failed = store.save_failure(engine, job, "h1", "clip.mp4: damaged")
    assert store.save_failure(engine, job, "h1", "clip.mp4: still damaged") == failed
    assert _sessions(engine) == [(failed, "failed", "clip.mp4: still damaged")]
    # The file was repaired in place: same row, new content -> a new session; the old failure stays.
    assert store.save_result(engine, job, "h2", small_result) == (True, failed + 1)
    # Same content analysed again after a failure: the failed session becomes the done one.
    assert store.save_result(engine, job, "h1", small_result) == (True, failed)
    assert store.save_result(engine, job, "h1", small_result) == (False, failed)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RecordingSession)) == 2
    assert store.find_done(engine, "P01", "h1", {"pipeline": "test"}) == failed
    assert store.find_done(engine, "P01", "h1", {"pipeline": "other"}) is None


def test_same_file_for_another_patient_is_analysed_for_them(store_url: str, small_result: SessionResult):
    engine, job = _setup(store_url)
    with Session(engine) as session:
        create_patient(session, "P02", actor="test")
    first = store.save_result(engine, job, "h1", small_result)
    assert store.find_done(engine, "P02", "h1", {"pipeline": "test"}) is None
    second = store.save_result(engine, dataclasses.replace(job, patient="P02"), "h1", small_result)
    assert first[0] and second[0] and first[1] != second[1]
    with Session(engine) as session:
        assert [v.id for v in patient_timeline(session, "P02", actor="test")] == [second[1]]


def test_a_worker_on_another_store_refuses_to_write(store_url: str, monkeypatch):
    monkeypatch.setenv("MESCREEN_DB_URL", store_url)
    assert store.worker_engine(store.store_fingerprint(store_url)).url.render_as_string(False) == store_url
    with pytest.raises(StoreError, match="not the one the batch was started with"):
        store.worker_engine(store.store_fingerprint("sqlite:////elsewhere.db"))
