"""The landmark stage over a video: measures carried through interpolation, and faces found in a
darkened, rotated copy of a shared clip (where the Haar stage loses them)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.face.crop import FaceGeometry
from mescreen.core.face.tracks import Track, interpolate_track
from mescreen.core.face.mesh_track import MEASURES, MeshDetection, MeshTracker
from mescreen.core.io.video import VideoReader


def _mesh_det(x: float, measure: float) -> MeshDetection:
    geometry = FaceGeometry(x + 50.0, 100.0, 80.0, 0.0)
    return MeshDetection(
        box=(x, 50.0, 100.0, 100.0), confidence=0.9, geometry=geometry, measures=(measure,) * len(MEASURES)
    )


def test_measures_are_interpolated_with_the_geometry_and_nan_without_a_face() -> None:
    track = Track([0, 4], [_mesh_det(0.0, 1.0), _mesh_det(40.0, 3.0)])
    placed = interpolate_track(track, 8, max_gap_frames=6)
    assert placed.measures.shape == (8, len(MEASURES))
    assert placed.measures[2] == pytest.approx([2.0] * len(MEASURES))
    assert placed[2].geometry.cx == pytest.approx(70.0)  # crop geometry, not the landmark box
    assert np.isnan(placed.measures[5:]).all() and not placed.found[5:].any()


def _degraded_copy(source: Path, target: Path, angle: float, gain: float) -> int:
    """Write `source` rotated by `angle` degrees and darkened to `gain` of its brightness."""
    reader = VideoReader(source)
    writer = None
    count = 0
    for frame in reader.frames():
        image = frame.image
        h, w = image.shape[:2]
        if writer is None:
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), reader.info.fps, (w, h))
        turned = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h))
        writer.write(np.clip(turned.astype(np.float32) * gain, 0, 255).astype(np.uint8))
        count += 1
    assert writer is not None
    writer.release()
    return count


@pytest.mark.realdata
def test_the_face_is_found_in_a_dark_rotated_clip(videos_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "dark_rotated.mp4"
    n = _degraded_copy(videos_dir / "single_face.mp4", path, angle=25.0, gain=0.4)
    tracker = MeshTracker(every=2, full_every=48)
    for pos, frame in enumerate(VideoReader(path).frames(decode=tracker.wants)):
        if frame.image is not None:
            tracker.observe(pos, frame.image)
    track = tracker.patient()
    assert track is not None
    placed = interpolate_track(track, n, 12, hold_frames=1)
    assert placed.found.mean() > 0.9
    rolls = placed.measures[placed.found, MEASURES.index("roll")]
    assert np.median(np.abs(rolls)) > 15  # the 25-degree turn is measured, and undone in the crop
    assert np.median(np.abs(placed.geometry[placed.found, 3])) > 15
