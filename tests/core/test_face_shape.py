"""Face-shape measures: invariant to where the face is, its size and tilt; they move with the
expression they are named for; a mirrored face reads the same."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from mescreen.core.face.shape import SHAPE_FEATURES, face_shape


def _similar(points: np.ndarray, angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    a = math.radians(angle_deg)
    rot = scale * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    out = points.copy()
    out[:, :2] = points[:, :2] @ rot.T + shift
    return out


def _face(rng: np.random.Generator) -> np.ndarray:
    """A random point cloud with the eye corners and nose bridge where a face has them."""
    points = rng.uniform(80, 220, (468, 3))
    points[[33, 133, 362, 263, 168]] = [[100, 120, 0], [135, 121, 0], [165, 121, 0], [200, 120, 0], [150, 112, 0]]
    return points


def test_measures_do_not_depend_on_position_size_or_tilt() -> None:
    points = _face(np.random.default_rng(0))
    moved = _similar(points, 17.0, 1.7, (40.0, -25.0))
    assert len(face_shape(points)) == len(SHAPE_FEATURES)
    np.testing.assert_allclose(face_shape(moved), face_shape(points), atol=1e-5)


def test_lifting_the_lip_corners_raises_corner_lift_only_on_the_mouth_measures() -> None:
    points = _face(np.random.default_rng(1))
    smile = points.copy()
    smile[[61, 291], 1] -= 6.0  # both corners 6 px up (image y grows downward)
    before, after = (dict(zip(SHAPE_FEATURES, face_shape(p))) for p in (points, smile))
    assert after["corner_lift"] > before["corner_lift"] + 0.01
    assert after["corner_to_nose"] < before["corner_to_nose"]
    assert after["brow_inner_height"] == pytest.approx(before["brow_inner_height"])


@pytest.mark.realdata
def test_a_mirrored_photo_reads_the_same_shape(images_dir) -> None:
    from mescreen.training.still_faces import StillFaces

    image = cv2.imread(str(images_dir / "single_face.jpg"), cv2.IMREAD_COLOR)
    faces = StillFaces()
    _, shape = faces.crop_and_shape(image)
    _, mirrored = faces.crop_and_shape(np.ascontiguousarray(image[:, ::-1]))
    assert faces.counts["mesh"] == 2 and np.isfinite(shape).all()
    np.testing.assert_allclose(mirrored, shape, atol=0.01)  # crop sides; the mesh itself is not exactly symmetric
