"""Background analyses: the store sees queued -> running -> done/failed, cancel stops the pipeline,
uploads are deleted unless keeping videos is asked for, queued jobs know their place, and jobs run
in the warm worker ("Loading models" while it loads; a worker that dies fails only its job)."""

from __future__ import annotations

import stat
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from mescreen.core.errors import NoFaceError
from mescreen.core.progress import Progress, report
from mescreen.store.erasure import delete_patient
from mescreen.store.session_queries import load_session
from mescreen.app.jobs import JobRegistry
from tests.app.conftest import make_result
from tests.conftest import sqlite_store


@pytest.fixture
def sessions(tmp_path):
    with sqlite_store(tmp_path) as (_, factory):
        yield factory


def _upload(tmp_path: Path) -> Path:
    path = tmp_path / "upload.mp4"
    path.write_bytes(b"not analysed by the fake pipeline")
    return path


def _submit(registry: JobRegistry, upload: Path, keep: Path | None = None):
    return registry.submit(patient_code="P-1", upload=upload, file_name="interview.mp4",
                           content_hash="ab" * 32, recorded_on=date(2026, 11, 20), uploader="dr",
                           keep_video_in=keep)


def _view(sessions, session_id):
    with sessions() as s:
        return load_session(s, session_id, actor="test")


def test_finished_analysis_is_stored_and_upload_deleted(sessions, tmp_path):
    seen: list[Progress] = []

    def analyze(path, progress, previous):
        for i in range(3):
            report(progress, Progress("faces", i + 1, 3))
            seen.append(Progress("faces", i + 1, 3))
        return make_result()

    registry = JobRegistry(sessions, analyze)
    upload = _upload(tmp_path)
    job = registry.wait(_submit(registry, upload).id, 10)
    assert job.status == "done" and job.fraction == 1.0
    view, result = _view(sessions, job.session_id)
    assert view.status == "done" and result is not None
    assert result.video.file_name == "interview.mp4"
    assert len(result.episodes) == 3
    assert not upload.exists()
    registry.shutdown()


def test_expected_failure_is_recorded_with_its_message(sessions, tmp_path):
    def analyze(path, progress, previous):
        raise NoFaceError("No face was found in any frame.")

    registry = JobRegistry(sessions, analyze)
    upload = _upload(tmp_path)
    job = registry.wait(_submit(registry, upload).id, 10)
    assert job.status == "failed" and job.error == "No face was found in any frame."
    view, result = _view(sessions, job.session_id)
    assert (view.status, view.error, result) == ("failed", "No face was found in any frame.", None)
    assert not upload.exists()
    registry.shutdown()


def test_cancel_stops_the_pipeline(sessions, tmp_path):
    started = threading.Event()

    def analyze(path, progress, previous):
        for i in range(10_000):
            report(progress, Progress("aus", i, 10_000))
            started.set()
            threading.Event().wait(0.01)
        raise AssertionError("cancel was ignored")

    registry = JobRegistry(sessions, analyze)
    job = _submit(registry, _upload(tmp_path))
    assert started.wait(5)
    running = registry.get(job.id)
    assert running.status == "running" and running.stage_label == "Reading facial action units"
    registry.cancel(job.id)
    job = registry.wait(job.id, 10)
    assert job.status == "cancelled"
    assert _view(sessions, job.session_id)[0].status == "failed"
    registry.shutdown()


def test_kept_video_moves_and_is_recorded(sessions, tmp_path):
    registry = JobRegistry(sessions, lambda path, progress, previous: make_result())
    upload = _upload(tmp_path)
    job = registry.wait(_submit(registry, upload, keep=tmp_path / "videos").id, 10)
    view, _ = _view(sessions, job.session_id)
    assert view.video_path and Path(view.video_path).read_bytes() == b"not analysed by the fake pipeline"
    assert not upload.exists()
    assert stat.S_IMODE((tmp_path / "videos").stat().st_mode) == 0o700
    registry.shutdown()


def test_time_left_follows_the_stage_rate():
    from mescreen.app.jobs import Job

    job = Job("j", 1, 1, "P", "f.mp4", "dr", status="running", stage="faces", done=25, total=100,
              stage_started_at=100.0)
    assert job.seconds_left(now=110.0) == pytest.approx(30.0)
    assert job.fraction == 0.25


def test_erasing_a_patient_stops_and_forgets_their_jobs(sessions, tmp_path):
    started, seen_cancel = threading.Event(), threading.Event()

    def analyze(path, progress, previous):
        try:
            while True:
                report(progress, Progress("aus", 1, 2))
                started.set()
                threading.Event().wait(0.01)
        except Exception:
            seen_cancel.set()
            raise

    registry = JobRegistry(sessions, analyze)
    upload = _upload(tmp_path)
    _submit(registry, upload)
    assert started.wait(5)
    with sessions() as s:
        delete_patient(s, "P-1", actor="dr")
    registry.forget_patient("P-1")
    assert registry.jobs() == []
    assert seen_cancel.wait(5)
    registry.shutdown()
    assert not upload.exists()


def test_a_started_analysis_is_starting_until_its_first_stage_never_waiting():
    """Issue 27: the analyses panel said "Waiting" for an analysis that had started but not yet
    reported its first stage. "Waiting" is for an analysis queued behind others."""
    from mescreen.app.jobs import Job
    from mescreen.app.progress_panel import _progress_text, _state

    job = Job("j", 1, 1, "P", "f.mp4", "dr", status="running")
    assert _progress_text(job) == "Starting" and _state(job) == "Starting"  # the main panel and the sidebar


def test_queued_jobs_know_how_many_analyses_are_before_them(sessions, tmp_path):
    from mescreen.app.progress_panel import waiting_text

    release, started = threading.Event(), threading.Event()

    def analyze(path, progress, previous):
        started.set()
        release.wait(10)
        return make_result()

    registry = JobRegistry(sessions, analyze)
    jobs = []
    for k in range(4):
        upload = tmp_path / f"upload{k}.mp4"
        upload.write_bytes(b"raw")
        jobs.append(_submit(registry, upload))
    assert started.wait(5)
    assert [registry.analyses_before(j.id) for j in jobs] == [0, 1, 2, 3]
    assert waiting_text(registry.analyses_before(jobs[2].id)) == "Waiting: 2 analyses before this one"
    assert waiting_text(1) == "Waiting: 1 analysis before this one"
    registry.cancel(jobs[1].id)  # a cancelled job no longer holds the others up
    assert [registry.analyses_before(j.id) for j in jobs[2:]] == [1, 2]
    release.set()
    assert registry.wait(jobs[3].id, 10).status == "done"
    assert [registry.get(j.id).status for j in jobs] == ["done", "cancelled", "done", "done"]
    registry.shutdown()


@pytest.fixture
def warm_pool():
    from functools import partial

    from mescreen.app.analysis_process import WorkerPool
    from tests.app.worker_fakes import fake_run, slow_load

    pool = WorkerPool(1, load=partial(slow_load, 1.0), run=fake_run)
    yield pool
    pool.shutdown()


def test_a_job_shows_loading_models_then_runs_in_the_warm_worker(sessions, tmp_path, warm_pool):
    registry = JobRegistry(sessions, warm_pool.analyze)
    job = _submit(registry, tmp_path / "ok.mp4")
    labels, deadline = set(), time.monotonic() + 20
    while not registry.get(job.id).finished and time.monotonic() < deadline:
        labels.add(registry.get(job.id).stage_label)
        time.sleep(0.02)
    assert "Loading models" in labels
    assert registry.wait(job.id, 10).status == "done"
    registry.shutdown()


def test_a_worker_dying_mid_job_fails_that_job_and_the_next_one_runs(sessions, tmp_path, warm_pool):
    registry = JobRegistry(sessions, warm_pool.analyze)
    died = registry.wait(_submit(registry, tmp_path / "die.mp4").id, 20)
    assert died.status == "failed" and "analysis process stopped unexpectedly" in died.error
    view, _ = _view(sessions, died.session_id)
    assert view.status == "failed" and "stopped unexpectedly" in view.error
    assert registry.wait(_submit(registry, tmp_path / "ok.mp4").id, 20).status == "done"
    registry.shutdown()
