"""Face stage: gray conversion, aligned crops, still-image crops, tracks and patient choice."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.face.crop import CROP_SIZE, Detection, FaceGeometry, crop_face, to_gray
from mescreen.core.face.haar import FaceTracker, crop_still
from mescreen.core.face.tracks import Track, TrackBuilder, TrackParams, interpolate_track, iou
from mescreen.core.face.mesh_track import MeshTracker
from mescreen.core.io.video import VideoReader


def test_to_gray_accepts_gray_bgr_bgra_and_other_depths() -> None:
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    assert to_gray(bgr)[0, 0] == 76  # 0.299 * 255
    bgra = np.zeros((4, 5, 4), np.uint8)
    assert to_gray(bgra)[0, 0] == 255  # fully transparent shows the white background
    bgra[..., 3] = 255
    assert to_gray(bgra)[0, 0] == 0
    assert to_gray(np.full((3, 3), 65535, np.uint16))[0, 0] == 255
    assert to_gray(np.full((3, 3), 0.5, np.float32))[0, 0] == 127
    with pytest.raises(ValueError):
        to_gray(np.zeros((2, 2, 2, 2), np.uint8))


def test_crop_face_levels_a_tilted_eye_line() -> None:
    image = np.full((400, 400), 40, np.uint8)
    center, angle = (200.0, 200.0), 15.0
    # a bright bar through the centre, tilted by `angle` (image y grows downwards)
    rot = cv2.getRotationMatrix2D(center, -angle, 1.0)
    bar = np.zeros_like(image)
    cv2.rectangle(bar, (120, 195), (280, 205), 255, -1)
    image = np.maximum(image, cv2.warpAffine(bar, rot, (400, 400)))
    crop, blur = crop_face(image, FaceGeometry(200.0, 200.0, 160.0, angle))
    assert crop.shape == (CROP_SIZE, CROP_SIZE) and crop.dtype == np.uint8
    assert blur > 0
    rows = np.where(crop[:, CROP_SIZE // 2 - 30 : CROP_SIZE // 2 + 30].mean(axis=1) > 200)[0]
    ys_left = np.where(crop[:, 40] > 200)[0]
    ys_right = np.where(crop[:, CROP_SIZE - 40] > 200)[0]
    assert rows.size > 0 and abs(ys_left.mean() - ys_right.mean()) <= 1.5  # level after alignment
    unaligned, _ = crop_face(image, FaceGeometry(200.0, 200.0, 160.0, 0.0))
    assert abs(np.where(unaligned[:, 40] > 200)[0].mean() - np.where(unaligned[:, CROP_SIZE - 40] > 200)[0].mean()) > 10


def test_crop_face_colour_and_gray_agree() -> None:
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (200, 300), np.uint8)
    geometry = FaceGeometry(150.0, 100.0, 90.0, 5.0)
    a, _ = crop_face(gray, geometry)
    b, _ = crop_face(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), geometry)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_crop_still_finds_nothing_in_a_blank_picture() -> None:
    assert crop_still(np.full((300, 300, 3), 128, np.uint8)) is None


def _det(x: float, y: float, side: float, conf: float = 0.9, angle: float = 0.0) -> Detection:
    return Detection((x, y, side, side), conf, angle)


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)


def _two_faces(builder: TrackBuilder) -> None:
    """A small face in every detection frame, a larger one in only a third of them."""
    for frame in range(0, 120, 4):
        dets = [_det(10, 10, 40)]
        if frame < 40:
            dets.append(_det(200, 50, 100))
        builder.add(frame, dets)


def test_patient_is_the_most_persistent_face_by_default() -> None:
    builder = TrackBuilder()
    _two_faces(builder)
    assert len(builder.tracks) == 2
    assert builder.patient((640, 360)).median_side == 40


def test_patient_choice_can_be_overridden() -> None:
    largest = TrackBuilder(TrackParams(strategy="largest"))
    _two_faces(largest)
    assert largest.patient((640, 360)).median_side == 100
    near = TrackBuilder(TrackParams(near=(250 / 640, 100 / 360)))
    _two_faces(near)
    assert near.patient((640, 360)).median_side == 100


def test_similar_persistence_goes_to_the_larger_face() -> None:
    builder = TrackBuilder()
    for frame in range(0, 100, 4):
        builder.add(frame, [_det(10, 10, 40)] + ([_det(200, 50, 100)] if frame >= 8 else []))
    assert builder.patient((640, 360)).median_side == 100


def test_interpolation_between_detections_bridges_short_gaps_only() -> None:
    frames = [0, 4, 20, 24]
    track = Track(frames, [_det(f * 10.0, 0, 50, conf=0.8 if f == 4 else 0.9, angle=f) for f in frames])
    placed = interpolate_track(track, 28, max_gap_frames=6, hold_frames=3)
    assert placed[2].geometry.cx == pytest.approx(25.0 + 20.0) and not placed[2].detected
    assert placed[2].geometry.angle == pytest.approx(2.0)
    assert placed[2].confidence == pytest.approx(0.8)
    assert placed[4].detected
    assert all(placed[i] is None for i in range(8, 17))  # 16 frames apart: longer than the gap limit,
    assert placed[7].geometry.cx == placed[4].geometry.cx and placed[17].geometry.cx == placed[20].geometry.cx  # held
    lost_face = interpolate_track(track, 28, max_gap_frames=6, hold_frames=3, return_hold_frames=0)
    assert lost_face[7] is not None and lost_face[19] is None  # searched every frame: found when back
    assert placed[27] is not None and placed[27].geometry.cx == placed[24].geometry.cx  # held
    assert interpolate_track(track, 28, max_gap_frames=6)[27] is None


def test_tracks_end_after_long_gaps() -> None:
    builder = TrackBuilder(TrackParams(max_gap_frames=6))
    builder.add(0, [_det(0, 0, 50)])
    builder.add(20, [_det(0, 0, 50)])
    assert len(builder.tracks) == 2


@pytest.mark.realdata
def test_crop_still_on_real_images(images_dir: Path) -> None:
    single = cv2.imread(str(images_dir / "single_face.jpg"))
    face = crop_still(single)
    assert face is not None
    assert face.crop.shape == (CROP_SIZE, CROP_SIZE) and face.crop.dtype == np.uint8
    assert 0.5 < face.confidence <= 1.0
    x, y, w, h = face.box
    assert 0 <= x and 0 <= y and x + w <= single.shape[1] and y + h <= single.shape[0]
    assert w > 0.25 * single.shape[1]
    # a tight crop of that face (as in CK+ or the MEGC apex images) is still found
    tight = single[int(y) : int(y + h), int(x) : int(x + w)]
    assert crop_still(cv2.resize(tight, (48, 48))) is not None
    assert crop_still(cv2.cvtColor(single, cv2.COLOR_BGR2GRAY)) is not None
    assert crop_still(cv2.cvtColor(single, cv2.COLOR_BGR2BGRA)) is not None
    assert crop_still(cv2.imread(str(images_dir / "free-mountain-vector-01.jpg"))) is None


@pytest.mark.realdata
def test_crop_still_picks_the_largest_of_several_faces(images_dir: Path) -> None:
    image = cv2.imread(str(images_dir / "multi_face.jpg"))
    face = crop_still(image)
    assert face is not None
    faces = _all_faces(image)
    assert len(faces) >= 3
    match = max(faces, key=lambda d: iou(face.box, d.box))
    assert iou(face.box, match.box) > 0.6
    # one of the largest (detection on the padded picture may rank near-equal faces differently)
    assert match.side >= 0.8 * max(d.side for d in faces)
    assert match.side > sorted(d.side for d in faces)[len(faces) // 2]


def _all_faces(image: np.ndarray) -> list[Detection]:
    from mescreen.core.face.haar import _still_detector

    return _still_detector().detect(to_gray(image))


@pytest.mark.realdata
@pytest.mark.parametrize("stage", ["paper", "mesh"])
@pytest.mark.parametrize(
    "name, face_first, face_last", [("single_face.mp4", True, True), ("face_noface.mov", True, False),
                                     ("noface_face.mov", False, True)],
)
def test_tracker_follows_faces_that_stay_leave_or_enter(
    videos_dir: Path, stage: str, name: str, face_first: bool, face_last: bool
) -> None:
    """Both face stages' trackers (Haar + templates, BlazeFace + mesh) on the same clips."""
    reader = VideoReader(videos_dir / name)
    tracker = FaceTracker(detect_every=4, full_every=48) if stage == "paper" else MeshTracker(every=4, full_every=48)
    n = 0
    for pos, frame in enumerate(reader.frames(decode=tracker.wants)):
        n += 1
        if frame.image is not None:
            tracker.observe(pos, frame.image)
    track = tracker.patient()
    assert track is not None
    placed = interpolate_track(track, n, 12, hold_frames=3)
    assert (placed[0] is not None) == face_first
    assert (placed[-5] is not None) == face_last
    found = sum(p is not None for p in placed)
    assert found > 0.3 * n
    if face_first and face_last:
        assert found == n
