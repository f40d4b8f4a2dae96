"""The analysis service: the dashboard, the batch, the CLI and CSV import store the same thing, and
change-over-time indicators do not depend on the order recordings were submitted in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event

from mescreen.app.jobs import JobRegistry
from mescreen.batch import task
from mescreen.batch.job import VideoJob
from mescreen.batch.store import store_fingerprint
from mescreen.core.errors import NoFaceError
from mescreen.core.screening.indicators import screen
from mescreen.service import VideoSource, analyse_for_patient, delete_session, rescreen_later_sessions
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.engine import ENV_VAR
from tests.synthetic import synthetic_result
from tests.conftest import sqlite_store

DATES = {1: date(2026, 1, 10), 2: date(2026, 3, 10), 3: date(2026, 6, 10), 4: date(2026, 8, 10)}


def _analyse(path: Path, progress, previous):
    """A stand-in for the pipeline: the recording's own figures (seeded by the file), screened
    against the earlier screenings it is given, as the pipeline does."""
    seed = int(path.read_text())
    result = synthetic_result(1200, n_episodes=12, seed=seed)
    result.screening = screen(result.series, result.episodes, result.clusters, previous)
    return result


def _recordings(folder: Path) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for k in DATES:
        out[k] = folder / f"rec{k}.mp4"
        out[k].write_text(str(k))
    return out


def _longitudinal_by_date(sessions) -> dict[date, tuple]:
    with sessions() as s:
        views = patient_timeline(s, "P-1", actor="test")
        out = {}
        for view in views:
            _, result = load_session(s, view.id, actor="test")
            out[view.recorded_on] = (
                result.screening.level,
                [(i.key, i.value, i.raised) for i in result.screening.longitudinal],
            )
    return out


def _submit_all(sessions, files: dict[int, Path], order) -> None:
    """The recordings through the dashboard's job registry, one after the other."""
    registry = JobRegistry(sessions, _analyse)
    for k in order:
        job = registry.submit(patient_code="P-1", upload=files[k], file_name=files[k].name,
                              content_hash=f"{k:064x}", recorded_on=DATES[k], uploader="dr", keep_video_in=None)
        assert registry.wait(job.id, 30).status == "done"
    registry.shutdown()


def _via_dashboard(tmp_path: Path, order) -> dict[date, tuple]:
    with sqlite_store(tmp_path, "dashboard.db") as (_, sessions):
        _submit_all(sessions, _recordings(tmp_path / "dash_uploads"), order)
        return _longitudinal_by_date(sessions)


class _Models:
    def versions(self) -> dict[str, str]:
        return {"pipeline": "test"}


def _via_batch(tmp_path: Path, order, monkeypatch: pytest.MonkeyPatch) -> dict[date, tuple]:
    files = _recordings(tmp_path / "batch_videos")
    monkeypatch.setattr(task, "_models", lambda: _Models())
    monkeypatch.setattr("mescreen.core.pipeline.analyze_video",
                        lambda path, options, progress=None, models=None: _analyse(Path(path), progress,
                                                                                  options.previous))
    with sqlite_store(tmp_path, "batch.db") as (url, sessions):
        monkeypatch.setenv(ENV_VAR, url)
        for row, k in enumerate(order):
            job = VideoJob(row, str(files[k]), "P-1", DATES[k], "batch", store_fingerprint(url))
            assert task.run_job(job).status == "done"
        return _longitudinal_by_date(sessions)


def test_batch_and_dashboard_agree_in_any_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _via_dashboard(tmp_path / "ref", (1, 2, 3, 4))
    assert reference[DATES[3]][1] == []  # fewer than 3 earlier sessions: no change judged
    assert reference[DATES[4]][1], "the last recording is compared with the three before it"
    for n, order in enumerate(((4, 1, 3, 2), (2, 4, 3, 1))):
        assert _via_batch(tmp_path / f"b{n}", order, monkeypatch) == reference
    assert _via_dashboard(tmp_path / "reverse", (4, 3, 2, 1)) == reference


def test_failure_is_recorded_and_the_upload_deleted(tmp_path: Path) -> None:
    upload = tmp_path / "u.mp4"
    upload.write_text("1")

    def no_face(path, progress, previous):
        raise NoFaceError("no face was found")

    with sqlite_store(tmp_path, "s.db") as (_, sessions):
        with pytest.raises(NoFaceError):
            analyse_for_patient(sessions, "P-1", VideoSource(upload), recorded_on=DATES[1], uploader="dr",
                                analyse=no_face, delete_upload=True)
        with sessions() as s:
            (view,) = patient_timeline(s, "P-1", actor="test")
    assert not upload.exists()
    assert view.status == "failed" and "no face" in view.error


def test_kept_video_moves_and_its_path_is_recorded(tmp_path: Path) -> None:
    upload = tmp_path / "u.mp4"
    upload.write_text("2")
    with sqlite_store(tmp_path, "s.db") as (_, sessions):
        stored = analyse_for_patient(sessions, "P-1", VideoSource(upload), recorded_on=DATES[2], uploader="dr",
                                     analyse=_analyse, delete_upload=True, keep_video_in=tmp_path / "kept")
        with sessions() as s:
            view, _ = load_session(s, stored.session_id, actor="test")
    assert not upload.exists() and Path(view.video_path).is_file() and stored.note == ""


def test_deleting_a_session_rescreens_the_later_ones_as_if_it_had_never_been(tmp_path: Path) -> None:
    with sqlite_store(tmp_path / "all", "dashboard.db") as (_, sessions):
        _submit_all(sessions, _recordings(tmp_path / "uploads"), (1, 2, 3, 4))
        assert _longitudinal_by_date(sessions)[DATES[4]][1]  # three earlier sessions: change is judged
        with sessions() as s:
            first = patient_timeline(s, "P-1", actor="test")[0].id
        assert delete_session(sessions, first, actor="dr")  # sessions 2-4 were re-screened
        after = _longitudinal_by_date(sessions)
    without_first = _via_dashboard(tmp_path / "without", (2, 3, 4))
    assert after == without_first
    assert after[DATES[4]][1] == []  # two earlier sessions left: no change shown


def test_a_back_dated_upload_rescreens_the_later_sessions_in_one_transaction(tmp_path: Path) -> None:
    """Re-screening reads the earlier screenings once and writes every later session in one commit:
    the work does not grow with the square of the sessions, and no half-re-screened patient is left."""
    with sqlite_store(tmp_path, "s.db") as (_, sessions):
        _submit_all(sessions, _recordings(tmp_path / "uploads"), (1, 2, 3, 4))
        with sessions() as s:
            first, *later = [v.id for v in patient_timeline(s, "P-1", actor="test")]
        commits: list[int] = []
        event.listen(sessions, "after_commit", lambda _s: commits.append(1))
        assert sorted(rescreen_later_sessions(sessions, "P-1", first)) == sorted(later)
        assert len(commits) <= 3  # the later sessions, the earlier screenings, the one write
        assert _longitudinal_by_date(sessions) == _via_dashboard(tmp_path / "ref", (1, 2, 3, 4))


def test_an_upload_is_hashed_once_and_its_hash_kept_with_the_result(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload check hashed the bytes; neither the service nor the pipeline reads the file again
    to hash it, and the stored result carries that hash."""
    upload = tmp_path / "u.mp4"
    upload.write_text("3")
    monkeypatch.setattr("mescreen.service.file_sha256", lambda path: pytest.fail("hashed again"))
    with sqlite_store(tmp_path, "s.db") as (_, sessions):
        stored = analyse_for_patient(sessions, "P-1", VideoSource(upload, content_hash="ab" * 32),
                                     recorded_on=DATES[1], uploader="dr", analyse=_analyse)
        with sessions() as s:
            _, result = load_session(s, stored.session_id, actor="test")
    assert result.video.sha256 == "ab" * 32
