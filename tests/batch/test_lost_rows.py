"""A row whose task never came back (its workers kept dying) is still recorded, by the client, as a
failed session that says what happened, and still counts as failed in the summary."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from distributed import KilledWorker
from sqlalchemy.orm import Session

from mescreen.batch.runner import BatchReport, outcome_of
from mescreen.batch.store import store_fingerprint
from mescreen.batch.summary import format_summary
from mescreen.batch.job import Outcome, VideoJob
from mescreen.store.patients import create_patient
from mescreen.store.session_queries import patient_timeline
from mescreen.store.engine import make_engine


class _LostFuture:
    """What as_completed hands back for a task whose workers died `allowed_failures` times."""

    status = "error"

    def exception(self) -> BaseException:
        return KilledWorker("mescreen-row2-x", None, 3)  # type: ignore[arg-type]


def test_killed_worker_row_is_recorded_as_failed(store_url: str, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MESCREEN_DB_URL", store_url)
    video = tmp_path / "crashes_decoder.mp4"
    video.write_bytes(b"not really a video")
    engine = make_engine(store_url)
    with Session(engine) as session:
        create_patient(session, "P01", actor="test")
    job = VideoJob(2, str(video), "P01", dt.date(2026, 1, 5), "batch:test", store_fingerprint(store_url))

    outcome = outcome_of(_LostFuture(), job)  # type: ignore[arg-type]

    assert outcome.status == "failed" and outcome.session_id is not None
    with Session(engine) as session:
        [view] = patient_timeline(session, "P01", actor="test")
    assert (view.id, view.status, view.file_name) == (outcome.session_id, "failed", "crashes_decoder.mp4")
    assert view.content_hash == hashlib.sha256(video.read_bytes()).hexdigest()
    assert "worker analysing this video stopped several times" in (view.error or "")
    report = BatchReport([outcome, Outcome(3, "/v/ok.mp4", "P01", "done", 7, 72, 3.5)], seconds=4.0, workers=2)
    table = format_summary(report)
    assert report.any_failed
    assert "2 videos: 1 done, 0 skipped, 1 failed, in 4.0 s on 2 worker(s) (72 frames analysed, 18.0 frames/s)." in table
    assert "ok.mp4" in table and "72 frames in 3.5 s" in table
