"""Bad and unusual inputs: each gives a clear, specific error or a valid result that says which
frames had no face. Real files come from the data folder; derived files are made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from fake_models import fake_models

from mescreen.core.errors import InputError, NoFaceError
from mescreen.core.face.tracks import TrackParams
from mescreen.core.pipeline import AnalysisOptions, analyze_video
from mescreen.core.result import SessionResult
from mescreen.core.io.video import ReadLimits

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def models():
    return fake_models()


def _face_image(images_dir: Path) -> np.ndarray:
    return cv2.imread(str(images_dir / "single_face.jpg"))


def _check_valid(result: SessionResult) -> None:
    assert len(result.series) == result.video.frames_read > 0
    SessionResult.from_json(result.to_json())  # serialisable as is


def test_not_a_video(tmp_path: Path, models) -> None:
    path = tmp_path / "report.mp4"
    path.write_text("Patient interview notes\n" * 50)
    with pytest.raises(InputError, match="not a video"):
        analyze_video(path, models=models)


def test_zero_byte_file(tmp_path: Path, models) -> None:
    path = tmp_path / "empty.mov"
    path.touch()
    with pytest.raises(InputError, match="empty"):
        analyze_video(path, models=models)


def test_truncated_real_video(tmp_path: Path, videos_dir: Path, models) -> None:
    data = (videos_dir / "WolfgangLanger_Pexels.mp4").read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 3])
    try:
        result = analyze_video(path, models=models)
    except InputError as exc:
        assert "truncated" in str(exc)
    else:  # the index came first: the decodable part is analysed and the result says so
        assert any("truncated" in w for w in result.warnings)
        assert result.video.frames_read < 472


def test_file_over_the_size_limit(videos_dir: Path, models) -> None:
    options = AnalysisOptions(limits=ReadLimits(max_bytes=1024))
    with pytest.raises(InputError, match="GiB limit"):
        analyze_video(videos_dir / "single_face.mp4", options, models=models)


def test_video_without_any_face(videos_dir: Path, models) -> None:
    with pytest.raises(NoFaceError, match="no face was found in any of its"):
        analyze_video(videos_dir / "no_face.mp4", models=models)


@pytest.mark.parametrize("name, present_at_start", [("face_noface.mov", True), ("noface_face.mov", False)])
def test_face_that_leaves_or_enters(videos_dir: Path, models, name: str, present_at_start: bool) -> None:
    result = analyze_video(videos_dir / name, models=models)
    _check_valid(result)
    found = result.series.face_found
    assert found[0] == present_at_start and found[-5] != present_at_start
    assert 0.2 < found.mean() < 0.8
    assert np.isnan(result.series.au_prob[~found]).all() and np.isfinite(result.series.au_prob[found]).all()
    assert (result.series.face_size[~found] == 0).all()
    note = next(w for w in result.warnings if w.startswith("No face in"))
    assert f"of {len(found)} frames" in note and " s" in note
    for ep in result.episodes:
        on, off = np.searchsorted(result.series.frame_index, [ep.onset_frame, ep.offset_frame])
        assert found[on : off + 1].all()


def test_a_single_frame_without_a_face_is_a_moment_not_a_span() -> None:
    """Issue 27: the warning read "No face in 95 of 169 frames (0.00-3.85 s, 6.35-6.35 s)"."""
    from mescreen.core.pipeline import _no_face_ranges

    found = np.array([False, False, False, True, True, True, False, True])
    assert _no_face_ranges(found, np.arange(8) * 0.5) == "0.00-1.00 s, at 3.00 s"


def test_several_faces_in_a_still(images_dir: Path, models) -> None:
    result = analyze_video(images_dir / "multi_face.jpg", models=models)
    _check_valid(result)
    assert len(result.series) == 1 and result.series.face_found[0]
    assert result.episodes == []
    assert any("faces were seen" in w for w in result.warnings)
    # the user can point at another face: the one at the upper left of this group photo
    other = analyze_video(images_dir / "multi_face.jpg", AnalysisOptions(tracking=TrackParams(near=(0.15, 0.1))),
                          models=models)
    assert other.series.face_found[0] and other.series.face_size[0] != result.series.face_size[0]
    assert other.options["tracking"]["near"] == [0.15, 0.1]


def test_grayscale_stills(tmp_path: Path, images_dir: Path, models) -> None:
    path = tmp_path / "gray.png"
    cv2.imwrite(str(path), cv2.cvtColor(_face_image(images_dir), cv2.COLOR_BGR2GRAY))
    result = analyze_video(path, models=models)
    assert result.series.face_found.tolist() == [True]
    # the data folder's grayscale photo shows a face in profile, which frontal Haar cannot find
    with pytest.raises(NoFaceError):
        analyze_video(images_dir / "BWPictureHuman.jpg", models=models)


def test_rgba_stills(tmp_path: Path, images_dir: Path, models) -> None:
    rgba = cv2.cvtColor(_face_image(images_dir), cv2.COLOR_BGR2BGRA)
    rgba[:, : rgba.shape[1] // 10, 3] = 0  # a transparent margin
    path = tmp_path / "alpha.png"
    cv2.imwrite(str(path), rgba)
    result = analyze_video(path, models=models)
    assert result.series.face_found.tolist() == [True]
    # the data folder's RGBA photo: a laughing face, tilted about 30 degrees, half covered by a
    # hand: the landmark stage finds it and measures the tilt, frontal Haar cannot
    tilted = analyze_video(images_dir / "Image_with_alpha.png", models=models)
    assert tilted.series.face_found.tolist() == [True] and abs(tilted.series.head_pose[0, 2]) > 20
    with pytest.raises(NoFaceError):
        analyze_video(images_dir / "Image_with_alpha.png", AnalysisOptions(face="paper"), models=models)


def test_very_large_frames(tmp_path: Path, images_dir: Path, models) -> None:
    face = _face_image(images_dir)
    canvas = np.full((4000, 6000, 3), 180, np.uint8)
    canvas[1000 : 1000 + face.shape[0] * 3, 2000 : 2000 + face.shape[1] * 3] = cv2.resize(
        face, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC
    )
    path = tmp_path / "huge.jpg"
    cv2.imwrite(str(path), canvas)
    result = analyze_video(path, models=models)
    assert result.series.face_found.tolist() == [True] and result.series.face_size[0] > 500
    assert (result.video.width, result.video.height) == (6000, 4000)
    with pytest.raises(InputError, match="megapixel"):
        analyze_video(path, AnalysisOptions(limits=ReadLimits(max_pixels=20_000_000)), models=models)


def test_large_frame_video(tmp_path: Path, images_dir: Path, models) -> None:
    face = cv2.resize(_face_image(images_dir), None, fx=2, fy=2)
    frame = np.full((2160, 3840, 3), 160, np.uint8)
    frame[500 : 500 + face.shape[0], 1500 : 1500 + face.shape[1]] = face
    path = tmp_path / "uhd.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (3840, 2160))
    for _ in range(6):
        writer.write(frame)
    writer.release()
    result = analyze_video(path, models=models)
    assert len(result.series) == 6 and result.series.face_found.all()


def test_one_frame_video(tmp_path: Path, images_dir: Path, models) -> None:
    face = _face_image(images_dir)
    path = tmp_path / "one.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (face.shape[1], face.shape[0]))
    writer.write(face)
    writer.release()
    result = analyze_video(path, models=models)
    _check_valid(result)
    assert len(result.series) == 1 and result.series.face_found[0] and result.episodes == []
