"""`mescreen import`: the same timing check as the dashboard's Import page, --fps defines the times,
and the stored session agrees with the printed summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from mescreen.cli.main import main


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch) -> str:
    from mescreen.store.engine import upgrade

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    upgrade(url)
    return url


def _timeline(url: str, code: str):
    from mescreen.store.engine import open_store
    from mescreen.store.session_queries import patient_timeline

    with open_store(url)() as session:
        return patient_timeline(session, code, actor="test")


def test_implausible_times_are_refused_with_the_fps_option_named(store_url, data_dir, capsys):
    csv = data_dir / "peer_outputs" / "OpenFace_Test.csv"
    assert main(["import", str(csv), "--patient", "P-1", "--create-patient"]) == 2
    err = capsys.readouterr().err
    assert "1000 frames per second" in err and "Use --fps FPS." in err and "Traceback" not in err
    from mescreen.store.engine import open_store
    from mescreen.store.patients import list_patients

    with open_store(store_url)() as session:
        assert list_patients(session, actor="test") == []  # refused before the store is touched


def test_given_frame_rate_defines_the_times_and_the_stored_session_agrees(store_url, data_dir, capsys):
    from mescreen.store.engine import open_store
    from mescreen.store.session_queries import load_session

    csv = data_dir / "peer_outputs" / "OpenFace_Test.csv"
    assert main(["import", str(csv), "--patient", "P-1", "--create-patient", "--fps", "25",
                 "--recorded-on", "2026-01-31"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OpenFace_Test.csv: OpenFace 2 file, 100 frames, 4.0 s at 25 frames per second (as given)")
    (view,) = _timeline(store_url, "P-1")
    with open_store(store_url)() as session:
        _, result = load_session(session, view.id, actor="test")
    assert f"stored as session 1 of patient P-1 (store id {view.id})" in out
    assert (result.video.frames_read, result.video.fps, result.video.duration_s) == (100, 25, pytest.approx(4.0))
    assert str(view.recorded_on) == "2026-01-31"


def test_fps_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["import", "x.csv", "--patient", "P-1", "--fps", "0"])
    assert "must be a positive number" in capsys.readouterr().err
