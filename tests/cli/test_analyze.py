"""`mescreen analyze`: outputs, store, and clear one-line errors instead of tracebacks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mescreen.cli.main import main
from mescreen.core.labels import AU_NAMES
from mescreen.core.result import SessionResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from fake_models import fake_models  # noqa: E402  (the test doubles shared with tests/core)


@pytest.fixture()
def fakes(monkeypatch: pytest.MonkeyPatch):
    from mescreen.core.pipeline import Models

    models = fake_models()
    monkeypatch.setattr(Models, "load", classmethod(lambda cls, models_dir=None: models))
    return models


@pytest.mark.parametrize(
    "content, message", [(b"", "empty"), (b"not a video at all" * 10, "not a video")],
)
def test_bad_files_give_one_clear_line_and_exit_2(tmp_path: Path, capsys, content: bytes, message: str) -> None:
    path = tmp_path / "input.mp4"
    path.write_bytes(content)
    assert main(["analyze", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mescreen: input.mp4:") and message in err
    assert "Traceback" not in err


@pytest.mark.realdata
def test_missing_models_are_named_with_their_command(tmp_path: Path, capsys, monkeypatch, images_dir: Path) -> None:
    monkeypatch.setenv("MESCREEN_MODELS", str(tmp_path / "none"))
    assert main(["analyze", str(images_dir / "single_face.jpg"), "--no-progress"]) == 2
    assert "mescreen train" in capsys.readouterr().err


@pytest.mark.realdata
def test_output_folder_must_exist(tmp_path: Path, images_dir: Path, capsys, fakes) -> None:
    out = tmp_path / "missing" / "out.json"
    assert main(["analyze", str(images_dir / "single_face.jpg"), "--json", str(out), "--no-progress"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.realdata
def test_no_face_is_a_clear_error(videos_dir: Path, capsys, fakes) -> None:
    assert main(["analyze", str(videos_dir / "no_face.mp4"), "--no-progress"]) == 2
    assert "no face was found" in capsys.readouterr().err


@pytest.mark.realdata
def test_json_and_openface_csv(tmp_path: Path, videos_dir: Path, capsys, fakes) -> None:
    out_json, out_csv = tmp_path / "out.json", tmp_path / "out.csv"
    code = main(["analyze", str(videos_dir / "single_face.mp4"), "--json", str(out_json), "--csv", str(out_csv)])
    assert code == 0
    printed = capsys.readouterr()
    assert "screening aid" in printed.out and "episodes:" in printed.out
    result = SessionResult.from_json(out_json.read_text())
    frame = pd.read_csv(out_csv, skipinitialspace=True)
    assert list(frame.columns[:5]) == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert "AU01_r" in frame.columns and "AU27_c" in frame.columns
    assert len(frame) == len(result.series) == 72
    assert frame["frame"].tolist() == (result.series.frame_index + 1).tolist()
    au4 = AU_NAMES.index("AU4")
    assert frame["AU04_r"].to_numpy() == pytest.approx(result.series.au_prob[:, au4] * 5, abs=0.006)
    assert set(frame["AU04_c"]) <= {0, 1}


@pytest.mark.realdata
@pytest.mark.parametrize("stage", ["mesh", "paper"])
def test_face_stage_option(tmp_path: Path, images_dir: Path, fakes, stage: str) -> None:
    out = tmp_path / "out.json"
    args = ["analyze", str(images_dir / "single_face.jpg"), "--json", str(out), "--no-progress"]
    assert main(args + (["--face", stage] if stage == "paper" else [])) == 0
    result = SessionResult.from_json(out.read_text())
    assert result.options["face"] == stage
    assert (result.series.head_pose is not None) == (stage == "mesh")


@pytest.mark.realdata
def test_patient_session_is_stored(tmp_path: Path, videos_dir: Path, monkeypatch, capsys, fakes) -> None:
    from mescreen.store.engine import open_store, upgrade
    from mescreen.store.patients import create_patient
    from mescreen.store.session_queries import load_session

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    upgrade(url)
    with open_store(url)() as session:
        create_patient(session, "P001", actor="test")
    code = main(["analyze", str(videos_dir / "single_face.mp4"), "--patient", "P001", "--no-progress",
                 "--recorded-on", "2026-01-31"])
    assert code == 0
    out = capsys.readouterr().out
    assert "stored as session 1 of patient P001 (store id " in out
    session_id = int(out.rsplit("(store id ", 1)[1].split(")")[0])
    with open_store(url)() as session:
        view, result = load_session(session, session_id, actor="test")
    assert result is not None and len(result.series) == 72


@pytest.mark.realdata
def test_unknown_patient_fails_before_the_analysis(tmp_path: Path, videos_dir: Path, monkeypatch, capsys, fakes) -> None:
    from mescreen.store.engine import upgrade

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    upgrade(url)
    assert main(["analyze", str(videos_dir / "single_face.mp4"), "--patient", "NOBODY", "--no-progress"]) == 2
    assert "NOBODY" in capsys.readouterr().err


@pytest.mark.realdata
def test_create_patient_then_both_csv_exports_agree(tmp_path: Path, videos_dir: Path, monkeypatch, capsys,
                                                    fakes) -> None:
    """--create-patient adds a new code; the CLI's CSV and the dashboard's CSV of the stored session
    are identical (the series carries its own AU thresholds)."""
    from mescreen.app.exports import csv_bytes
    from mescreen.store.engine import open_store, upgrade
    from mescreen.store.session_queries import load_session

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    upgrade(url)
    out_csv = tmp_path / "cli.csv"
    assert main(["analyze", str(videos_dir / "single_face.mp4"), "--patient", "NEW1", "--no-progress"]) == 2
    assert "--create-patient" in capsys.readouterr().err
    code = main(["analyze", str(videos_dir / "single_face.mp4"), "--patient", "NEW1", "--create-patient",
                 "--csv", str(out_csv), "--no-progress"])
    assert code == 0
    session_id = int(capsys.readouterr().out.rsplit("(store id ", 1)[1].split(")")[0])
    with open_store(url)() as session:
        _, result = load_session(session, session_id, actor="test")
    assert csv_bytes(result) == out_csv.read_bytes()


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["single_face.jpg", "Image_with_alpha.png", "multi_face.jpg"])
def test_a_still_gets_its_face_aus_and_emotion(tmp_path: Path, images_dir: Path, capsys, fakes, name: str) -> None:
    out_json, out_csv = tmp_path / "still.json", tmp_path / "still.csv"
    assert main(["analyze", str(images_dir / name), "--json", str(out_json), "--csv", str(out_csv),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "emotion: " in printed and "active AUs:" in printed
    result = SessionResult.from_json(out_json.read_text())
    assert len(result.series) == 1 and result.series.face_found[0]
    assert result.series.emotion_names[0] == "neutral" and np.isfinite(result.series.emotion_prob).all()
    frame = pd.read_csv(out_csv, skipinitialspace=True)
    assert frame.loc[0, "happiness"] == pytest.approx(result.series.emotion_prob[0, 1], abs=1e-4)


@pytest.mark.realdata
def test_a_photo_without_a_face_is_one_clear_line(images_dir: Path, capsys, fakes) -> None:
    assert main(["analyze", str(images_dir / "free-mountain-vector-01.jpg"), "--no-progress"]) == 2
    assert "no face was found" in capsys.readouterr().err


@pytest.mark.realdata
def test_unusable_outputs_are_refused_before_the_analysis(tmp_path: Path, videos_dir: Path, monkeypatch, capsys,
                                                          fakes) -> None:
    """Issue 15, item 8: `--json DIR` used to crash after the whole analysis and store nothing."""
    import mescreen.core.pipeline
    from mescreen.store.engine import open_store, upgrade
    from mescreen.store.patients import create_patient
    from mescreen.store.session_queries import patient_timeline

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    upgrade(url)
    with open_store(url)() as session:
        create_patient(session, "P001", actor="test")

    def must_not_run(*args, **kwargs):
        raise AssertionError("the analysis started although its output cannot be written")

    monkeypatch.setattr(mescreen.core.pipeline, "analyze_video", must_not_run)
    video = str(videos_dir / "single_face.mp4")
    for flag in ("--json", "--csv"):
        assert main(["analyze", video, flag, str(tmp_path), "--patient", "P001", "--no-progress"]) == 2
        assert "it is a folder" in capsys.readouterr().err
    with open_store(url)() as session:
        assert patient_timeline(session, "P001", actor="test") == []


@pytest.mark.parametrize("flags, message", [
    (["--recorded-on", "2999-01-01"], "in the future"),
    (["--max-fps", "0"], "must be a positive number"),
    (["--max-fps", "-5"], "must be a positive number"),
])
def test_future_dates_and_non_positive_fps_are_refused(tmp_path: Path, capsys, flags, message) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["analyze", str(tmp_path / "v.mp4"), *flags])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_create_patient_without_a_patient_is_one_clear_line(images_dir: Path, capsys) -> None:
    assert main(["analyze", str(images_dir / "single_face.jpg"), "--create-patient", "--no-progress"]) == 2
    assert capsys.readouterr().err == "mescreen: --create-patient needs --patient CODE.\n"
