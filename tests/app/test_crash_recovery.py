"""Issue 15, item 3: a server killed mid-analysis leaves no session "running" forever, no raw
upload behind, no orphaned analysis process; erasure deletes uploads still waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from mescreen.app.recovery import recover_after_restart
from mescreen.store.audit import audit_entries
from mescreen.store.erasure import delete_patient
from mescreen.store.recordings import create_session
from mescreen.store.session_queries import patient_timeline
from tests.conftest import sqlite_store

REPO = Path(__file__).resolve().parents[2]

SERVER = '''
import sys, threading
from pathlib import Path
from mescreen.app.jobs import JobRegistry
from mescreen.store.engine import open_store
from datetime import date

def analyze(path, progress, previous):
    threading.Event().wait()  # an analysis that is still running when the server is killed

registry = JobRegistry(open_store(sys.argv[1]), analyze)
for name in ("first.mp4", "second.mp4"):  # one running, one queued behind it
    upload = Path(sys.argv[2]) / name
    upload.write_bytes(b"raw interview")
    registry.submit(patient_code="P-1", upload=upload, file_name=name, content_hash="a" * 64,
                    recorded_on=date(2026, 11, 1), uploader="dr", keep_video_in=None)
print("ready", flush=True)
threading.Event().wait()
'''

CHILD = '''
import time
from functools import partial
from mescreen.app.analysis_process import AnalysisWorker
from tests.app.worker_fakes import fake_run, slow_load

if __name__ == "__main__":
    worker = AnalysisWorker(load=partial(slow_load, 0.5), run=fake_run)  # the warm worker, models loaded
    time.sleep(2)
    print(worker.pid, flush=True)
    time.sleep(120)
'''


@pytest.fixture
def store(tmp_path):
    with sqlite_store(tmp_path) as opened:
        yield opened


def _start(script: str, tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    path = tmp_path / "script.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(path), *args], stdout=subprocess.PIPE, text=True, env=env)
    return process, process.stdout.readline().strip()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_killed_server_is_cleaned_up_at_the_next_start(store, tmp_path):
    url, sessions = store
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    server, line = _start(SERVER, tmp_path, url, str(uploads))
    assert line == "ready"
    server.send_signal(signal.SIGKILL)
    server.wait()
    with sessions() as s:
        before = patient_timeline(s, "P-1", actor="test")
    assert {v.status for v in before} <= {"queued", "running"} and len(before) == 2
    stray = uploads / "left-by-an-older-crash.mp4"
    stray.write_bytes(b"raw")
    started = time.time() + 1
    arriving = uploads / "being-uploaded-now.mp4"  # newer than this server process: left alone
    arriving.write_bytes(b"raw")
    os.utime(arriving, (started + 5, started + 5))

    recovery = recover_after_restart(sessions, uploads, started_at=started)

    with sessions() as s:
        after = patient_timeline(s, "P-1", actor="test")
    assert [v.status for v in after] == ["failed", "failed"]
    assert all("interrupted by a server restart" in v.error for v in after)
    assert sorted(p.name for p in uploads.iterdir()) == ["being-uploaded-now.mp4"]
    assert recovery.failed_sessions == 2 and recovery.deleted_uploads == 3
    with sessions() as s:
        assert any(a.action == "fail_interrupted" for a in audit_entries(s, patient_code="P-1"))


def test_erasure_deletes_an_upload_still_waiting_for_analysis(store, tmp_path):
    _, sessions = store
    upload = tmp_path / "waiting.mp4"
    upload.write_bytes(b"raw interview")
    with sessions() as s:
        create_session(s, "P-1", recorded_on=date(2026, 11, 1), uploader="dr", file_name="a.mp4",
                                  content_hash="a" * 64, upload_path=str(upload))
        delete_patient(s, "P-1", actor="dr")
    assert not upload.exists()


def test_analysis_child_exits_when_its_parent_is_killed(tmp_path):
    parent, line = _start(CHILD, tmp_path)
    child = int(line)
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the analysis process outlived the server"
