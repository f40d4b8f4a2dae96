"""Dashboard settings from the environment, and the checks every upload passes before any work."""

from __future__ import annotations

import stat

import pytest

from mescreen.core.errors import InputError, MescreenError, NoFaceError
from mescreen.app.settings import load_settings
from mescreen.app.upload_check import check_name_and_size, check_upload


def test_defaults_delete_videos(monkeypatch):
    for name in ("MESCREEN_MAX_UPLOAD_MB", "MESCREEN_KEEP_VIDEOS", "MESCREEN_VIDEO_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.keep_videos is False and settings.max_upload_mb == 1024


def test_settings_are_read_and_bad_values_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("MESCREEN_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("MESCREEN_KEEP_VIDEOS", "yes")
    monkeypatch.setenv("MESCREEN_VIDEO_DIR", str(tmp_path / "kept"))
    settings = load_settings()
    assert (settings.max_upload_bytes, settings.keep_videos) == (5 * 1024 * 1024, True)
    assert settings.video_dir == tmp_path / "kept"
    monkeypatch.setenv("MESCREEN_KEEP_VIDEOS", "perhaps")
    with pytest.raises(MescreenError, match="MESCREEN_KEEP_VIDEOS"):
        load_settings()
    monkeypatch.setenv("MESCREEN_KEEP_VIDEOS", "0")
    monkeypatch.setenv("MESCREEN_MAX_UPLOAD_MB", "lots")
    with pytest.raises(MescreenError, match="whole number"):
        load_settings()


def test_size_limit_type_and_emptiness():
    check_name_and_size("a.MOV", 10, 100)  # extension case does not matter
    with pytest.raises(InputError, match="above the 1 MB limit"):
        check_name_and_size("a.mp4", 2 * 1024 * 1024, 1024 * 1024)
    with pytest.raises(InputError, match="not a file type"):
        check_name_and_size("a.pdf", 10, 100)
    check_name_and_size("photo.JPG", 10, 100)  # stills are analysed as one-frame recordings
    check_name_and_size("photo.png", 10, 100)
    with pytest.raises(InputError, match="empty"):
        check_name_and_size("a.mkv", 0, 100)


def test_real_videos_pass_or_are_refused_and_nothing_is_left(videos_dir, tmp_path):
    folder = tmp_path / "uploads"
    checked = check_upload("single_face.mp4", (videos_dir / "single_face.mp4").read_bytes(), folder, 10**9)
    assert checked.path.exists() and checked.info.declared_frames == 72 and len(checked.content_hash) == 64
    assert checked.path.name != "single_face.mp4"  # stored under a random name
    # owner-only: other accounts on the server cannot read patients' recordings
    assert (stat.S_IMODE(checked.path.stat().st_mode), stat.S_IMODE(folder.stat().st_mode)) == (0o600, 0o700)
    checked.path.unlink()
    with pytest.raises(NoFaceError, match="no face was found"):
        check_upload("no_face.mp4", (videos_dir / "no_face.mp4").read_bytes(), folder, 10**9)
    truncated = (videos_dir / "single_face.mp4").read_bytes()[:4000]
    with pytest.raises(InputError, match="truncated.mp4"):
        check_upload("truncated.mp4", truncated, folder, 10**9)
    assert not any(folder.iterdir())


def test_photos_pass_when_they_show_a_face(images_dir, tmp_path):
    folder = tmp_path / "uploads"
    checked = check_upload("portrait.jpg", (images_dir / "single_face.jpg").read_bytes(), folder, 10**9)
    assert checked.info.declared_frames == 1
    checked.path.unlink()
    with pytest.raises(NoFaceError):
        check_upload("mountain.jpg", (images_dir / "free-mountain-vector-01.jpg").read_bytes(), folder, 10**9)
    assert not any(folder.iterdir())


def test_analysis_workers_are_warm_and_at_most_one_per_core(monkeypatch):
    import os

    monkeypatch.delenv("MESCREEN_ANALYSIS_WORKERS", raising=False)
    monkeypatch.delenv("MESCREEN_WARM_WORKER", raising=False)
    settings = load_settings()
    assert (settings.analysis_workers, settings.warm_worker) == (1, True)
    monkeypatch.setenv("MESCREEN_WARM_WORKER", "false")
    monkeypatch.setenv("MESCREEN_ANALYSIS_WORKERS", str(os.cpu_count()))
    settings = load_settings()
    assert (settings.analysis_workers, settings.warm_worker) == (os.cpu_count(), False)
    for bad in (str(os.cpu_count() + 1), "0", "two"):
        monkeypatch.setenv("MESCREEN_ANALYSIS_WORKERS", bad)
        with pytest.raises(MescreenError, match="MESCREEN_ANALYSIS_WORKERS"):
            load_settings()
