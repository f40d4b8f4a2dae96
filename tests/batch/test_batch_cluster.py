"""Fault tests of `mescreen batch` on a real Dask cluster (two worker processes) with the shared
videos: bad rows become failed sessions with their reason, good ones are stored exactly once,
a worker killed mid-task costs nothing but time, and a re-run stores nothing new."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.batch.cluster import worker_env
from mescreen.batch.manifest import read_manifest
from mescreen.batch.runner import BatchReport, run_batch
from mescreen.cli.main import main
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.engine import make_engine, upgrade
from mescreen.store.models import Patient, RecordingSession

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

Row = tuple[str, str, str]  # video, patient, recorded_on


def _manifest(path: Path, rows: list[Row]) -> Path:
    path.write_text("video,patient,recorded_on\n" + "".join(f"{v},{p},{d}\n" for v, p, d in rows), encoding="utf-8")
    return path


def _stored(url: str) -> list[tuple[str, str, str, str, str | None]]:
    """Every session in the store: (patient, file, content hash, status, error), sorted."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Patient.code, RecordingSession.file_name, RecordingSession.content_hash,
                       RecordingSession.status, RecordingSession.error).join(RecordingSession.patient)
            )
            return sorted(tuple(r) for r in rows)  # type: ignore[misc]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def store_and_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LocalCluster]]:
    """One migrated SQLite store and a two-worker cluster whose workers write to it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('batch_store') / 'batch.db'}"
    upgrade(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MESCREEN_DB_URL", url)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          env=worker_env(2, url)) as cluster:
            yield url, cluster


@pytest.fixture(scope="module")
def first_run(videos_dir: Path, store_and_cluster, tmp_path_factory: pytest.TempPathFactory):
    """`mescreen batch --scheduler ADDR` on three shared videos, a corrupt file and a missing one."""
    url, cluster = store_and_cluster
    folder = tmp_path_factory.mktemp("manifest")
    (folder / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    manifest = _manifest(folder / "manifest.csv", [
        (str(videos_dir / "single_face.mp4"), "B01", "2026-01-05"),
        (str(videos_dir / "noface_face.mov"), "B01", "2026-02-05"),
        (str(videos_dir / "no_face.mp4"), "B02", "2026-01-07"),
        ("corrupt.mp4", "B02", "2026-01-08"),  # relative to the manifest
        ("missing/never_recorded.mp4", "B03", "2026-01-09"),
    ])
    argv = ["batch", str(manifest), "--scheduler", cluster.scheduler_address, "--create-patients", "--no-progress"]
    return manifest, argv, main(argv), _stored(url)


def test_good_videos_stored_once_and_bad_ones_failed_with_reasons(first_run, capsys):
    _, _, status, stored = first_run
    assert status == 1  # something failed
    by_file = {file: (patient, status, error) for patient, file, _, status, error in stored}
    assert len(stored) == 5 and len(by_file) == 5
    assert by_file["single_face.mp4"] == ("B01", "done", None)
    assert by_file["noface_face.mov"] == ("B01", "done", None)
    assert by_file["no_face.mp4"][:2] == ("B02", "failed") and "no face" in by_file["no_face.mp4"][2]
    assert by_file["corrupt.mp4"][:2] == ("B02", "failed") and "corrupt.mp4" in by_file["corrupt.mp4"][2]
    assert by_file["never_recorded.mp4"] == ("B03", "failed", "never_recorded.mp4: file not found.")


def test_batch_sessions_are_listed_like_any_other(first_run, store_and_cluster):
    url, _ = store_and_cluster
    engine = make_engine(url)
    with Session(engine) as session:
        timeline = patient_timeline(session, "B01", actor="test")
        view, result = load_session(session, timeline[0].id, actor="test")
    engine.dispose()
    assert [(v.file_name, v.status, v.recorded_on.isoformat()) for v in timeline] == [
        ("single_face.mp4", "done", "2026-01-05"), ("noface_face.mov", "done", "2026-02-05"),
    ]
    assert result is not None and len(result.series) == result.video.frames_read > 0
    assert view.uploader.startswith("batch:")


def test_rerun_stores_nothing_new(first_run, store_and_cluster, capsys):
    url, _ = store_and_cluster
    _, argv, _, stored_before = first_run
    capsys.readouterr()
    assert main(argv) == 1  # the bad rows are tried again and fail again
    table = capsys.readouterr().out
    assert _stored(url) == stored_before
    assert "5 videos: 0 done, 2 skipped, 3 failed" in table


def test_unknown_patients_are_refused_before_any_work(first_run, store_and_cluster, tmp_path: Path, capsys):
    url, cluster = store_and_cluster
    manifest = _manifest(tmp_path / "m.csv", [("a.mp4", "B01", "2026-01-01"), ("b.mp4", "NEW9", "2026-01-02")])
    assert main(["batch", str(manifest), "--scheduler", cluster.scheduler_address]) == 2
    assert "NEW9 (rows 3)" in capsys.readouterr().err
    assert len(_stored(url)) == len(first_run[3])


def test_killed_worker_costs_nothing_but_time(videos_dir: Path, store_and_cluster, tmp_path: Path):
    url, cluster = store_and_cluster
    rows = read_manifest(_manifest(tmp_path / "m.csv", [
        (str(videos_dir / "WolfgangLanger_Pexels.mp4"), "K01", "2026-03-01"),  # 472 frames: still running when killed
        (str(videos_dir / "face_noface.mov"), "K02", "2026-03-02"),
    ]))
    reports: list[BatchReport] = []
    runner = threading.Thread(target=lambda: reports.append(run_batch(
        rows, uploader="batch:test", scheduler=cluster.scheduler_address, create_patients=True, show_progress=False,
    )))
    runner.start()
    with Client(cluster.scheduler_address) as client:
        victim = _worker_holding(client, "mescreen-row2-", timeout=60)
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        runner.join(timeout=300)
    assert not runner.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    report = reports[0]
    assert [(o.row, o.status) for o in report.outcomes] == [(2, "done"), (3, "done")]
    kept = [s for s in _stored(url) if s[0] in ("K01", "K02")]
    assert [(p, f, status) for p, f, _, status, _ in kept] == [
        ("K01", "WolfgangLanger_Pexels.mp4", "done"), ("K02", "face_noface.mov", "done"),
    ]


def test_default_local_cluster(tmp_path: Path, monkeypatch, capsys):
    """Without --scheduler the command starts (and stops) its own local cluster."""
    url = f"sqlite:///{tmp_path / 'local.db'}"
    upgrade(url)
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    manifest = _manifest(tmp_path / "m.csv", [("gone.mp4", "L01", "2026-01-01")])
    assert main(["batch", str(manifest), "--workers", "1", "--create-patients", "--no-progress"]) == 1
    assert "1 videos: 0 done, 0 skipped, 1 failed, in" in capsys.readouterr().out
    assert _stored(url) == [("L01", "gone.mp4", "", "failed", "gone.mp4: file not found.")]


def _worker_holding(client: Client, key_prefix: str, timeout: float) -> str:
    """Address of the worker that is processing the task whose key starts with `key_prefix`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(k).startswith(key_prefix) for k in keys):
                return worker
        time.sleep(0.1)
    raise AssertionError(f"no worker took {key_prefix}* within {timeout} s")
