"""The warm analysis worker: models loaded once, later analyses start at once, "loading" reported
while they load; results, expected errors and cancel cross back intact; a stuck or dead process is
replaced by a new warm one."""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path

import pytest

from mescreen.app import analysis_process
from mescreen.app.analysis_process import AnalysisWorker
from mescreen.core.errors import Cancelled, InputError, MescreenError, ModelMissingError
from mescreen.core.progress import Progress
from tests.app.worker_fakes import fake_run, missing_load, slow_load

LOAD_S = 2.0


class Seen:
    """A progress callback that records what arrived and when, and can ask to cancel."""

    def __init__(self, cancel_at: str | None = None) -> None:
        self.started = time.monotonic()
        self.stages: list[str] = []
        self.first_s: float | None = None
        self.first_work_s: float | None = None
        self.cancel_at = cancel_at

    def __call__(self, p: Progress) -> bool:
        now = time.monotonic() - self.started
        self.first_s = now if self.first_s is None else self.first_s
        if p.stage != "loading" and self.first_work_s is None:
            self.first_work_s = now
        self.stages.append(p.stage)
        return p.stage != self.cancel_at


@pytest.fixture
def worker():
    made = AnalysisWorker(load=partial(slow_load, LOAD_S), run=fake_run)
    yield made
    made.stop()


def test_models_load_once_and_later_analyses_start_at_once(worker):
    first = Seen()
    one = worker.analyze(Path("ok-1.mp4"), first, [])
    assert first.stages[0] == "loading" and first.first_s < 1.0  # words at once, not an empty bar
    assert first.first_work_s >= LOAD_S * 0.5  # the work itself waited for the models
    second = Seen()
    two = worker.analyze(Path("ok-2.mp4"), second, [])
    assert "loading" not in second.stages and second.first_work_s < 1.0
    assert one.warnings == two.warnings  # same load, same process


def test_a_warm_worker_loads_before_the_first_analysis_arrives(worker):
    time.sleep(LOAD_S + 1.5)
    seen = Seen()
    worker.analyze(Path("ok.mp4"), seen, [])
    assert "loading" not in seen.stages and seen.first_work_s < 1.0


def test_cancel_stops_a_stuck_analysis_and_a_new_warm_worker_follows(worker, monkeypatch):
    monkeypatch.setattr(analysis_process, "CANCEL_GRACE_S", 1.0)
    old_pid = worker.pid
    started = time.monotonic()
    with pytest.raises(Cancelled):
        worker.analyze(Path("stuck.mp4"), Seen(cancel_at="faces"), [])
    assert time.monotonic() - started < LOAD_S + 4  # not the minute the analysis would have taken
    assert worker.pid not in (None, old_pid)  # already restarted, loading in the background
    assert worker.analyze(Path("ok.mp4"), Seen(), []).warnings[1] == f"pid {worker.pid}"


def test_cancel_reaches_an_analysis_that_reports_progress(worker):
    seen = Seen(cancel_at="aus")
    old_pid = worker.pid
    with pytest.raises(Cancelled):
        worker.analyze(Path("slow.mp4"), seen, [])
    assert worker.pid == old_pid  # it stopped by itself: no restart needed


def test_a_worker_that_dies_mid_analysis_fails_it_clearly_and_is_replaced(worker):
    old_pid = worker.pid
    with pytest.raises(MescreenError, match="analysis process stopped unexpectedly .exit code 9."):
        worker.analyze(Path("die.mp4"), Seen(), [])
    assert worker.pid not in (None, old_pid)
    assert worker.analyze(Path("ok.mp4"), Seen(), []).warnings[1] == f"pid {worker.pid}"


def test_models_that_cannot_load_fail_the_analysis_with_their_message():
    worker = AnalysisWorker(load=missing_load, run=fake_run)
    with pytest.raises(ModelMissingError, match="mescreen train-au"):
        worker.analyze(Path("ok.mp4"), Seen(), [])
    worker.stop()


def test_a_cold_worker_runs_only_during_an_analysis():
    worker = AnalysisWorker(warm=False, load=partial(slow_load, 0.1), run=fake_run)
    assert worker.pid is None
    worker.analyze(Path("ok.mp4"), Seen(), [])
    assert worker.pid is None


@pytest.fixture(scope="module")
def real_worker():
    made = AnalysisWorker()
    yield made
    made.stop()


def test_expected_errors_keep_their_type_and_message(real_worker, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty.mp4: the file is empty"):
        real_worker.analyze(empty, lambda p: True, [])


def test_real_video_progress_result_and_cancel(real_worker, videos_dir):
    seen = Seen()
    result = real_worker.analyze(videos_dir / "single_face.mp4", seen, [])
    assert len(result.series) == 72 and result.series.face_found.any()
    assert {"faces", "aus", "screening"} <= set(seen.stages)
    with pytest.raises(Cancelled):
        real_worker.analyze(videos_dir / "single_face.mp4", lambda p: p.stage != "aus", [])


def test_the_worker_does_not_rerun_the_servers_main_script(tmp_path, monkeypatch):
    """Under `streamlit run`, `__main__` is app.py; a spawned child would re-run it first."""
    import sys
    import types

    marker = tmp_path / "main-was-run"
    script = tmp_path / "server_script.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    worker = AnalysisWorker(load=partial(slow_load, 0.1), run=fake_run)
    monkeypatch.undo()
    worker.analyze(Path("ok.mp4"), Seen(), [])
    worker.stop()
    assert not marker.exists()


def test_cancel_reaches_a_stage_that_reports_nothing(worker, monkeypatch):
    """The clinician cancels while the analysis is quiet (no progress message arrives): the
    callback is asked again anyway, and the stuck process is replaced."""
    monkeypatch.setattr(analysis_process, "CANCEL_GRACE_S", 1.0)
    worker.analyze(Path("ok.mp4"), Seen(), [])  # loaded: the timing below is the analysis alone
    cancel = threading.Timer(0.5, lambda: None)
    cancel.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        worker.analyze(Path("stuck.mp4"), lambda p: cancel.is_alive(), [])
    assert time.monotonic() - started < 4  # not the minute the stuck analysis would take
