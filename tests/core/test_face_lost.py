"""A face that is not lost (issue 26): searched for on every frame while lost and found again on
the frame it returns, one identity across the gap, followed through fast motion, blurred frames
read at a lower confidence, and the landmark stage on fast-moving, blurred copies of a shared
clip."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.face.crop import Detection
from mescreen.core.face.mesh_track import MEASURES, MeshTracker, detect_turned
from mescreen.core.face.tracks import ScheduledTracker, Track, TrackBuilder, TrackParams, interpolate_track
from mescreen.core.io.video import VideoReader
from mescreen.core.pipeline import AnalysisOptions, blurred_frames, find_patient_faces
from mescreen.training.synthetic_clips import Clip, Motion, moving, read_frames


def _det(x: float, y: float, side: float) -> Detection:
    return Detection((x, y, side, side), 0.9)


def test_a_face_lost_for_a_while_keeps_its_identity() -> None:
    """The patient is hidden for 40 frames while the interviewer stays in view: the patient's two
    tracks are one face, which is the most persistent and chosen whole."""
    builder = TrackBuilder()
    for frame in range(0, 164, 4):
        faces = [_det(400, 100, 60)] if frame <= 100 else []  # the interviewer
        if frame <= 40 or frame >= 80:
            faces.append(_det(100 if frame <= 40 else 130, 100, 80))  # the patient, back a little to the right
        builder.add(frame, faces)
    assert len(builder.tracks) == 3
    patient = builder.patient((640, 360))
    assert patient.frames[0] == 0 and patient.frames[-1] == 160 and patient.median_side == 80
    placed = interpolate_track(patient, 164, 12)
    assert placed.found[:41].all() and not placed.found[45:80].any() and placed.found[80:161].all()


def test_another_face_far_away_or_of_another_size_is_not_the_lost_one() -> None:
    builder = TrackBuilder()
    for frame in range(0, 40, 4):
        builder.add(frame, [_det(100, 100, 80)])
    for frame in range(80, 120, 4):
        builder.add(frame, [_det(500, 100, 80), _det(110, 100, 30)])
    assert len(builder.identities()) == 3


def test_a_fast_moving_face_stays_one_track() -> None:
    """60 pixels a detection frame on a 100-pixel face: its boxes overlap by less than min_iou."""
    builder = TrackBuilder()
    for k, frame in enumerate(range(0, 40, 4)):
        builder.add(frame, [_det(60.0 * k, 50, 100)])
    assert len(builder.tracks) == 1 and len(builder.tracks[0].frames) == 10


class _World(ScheduledTracker):
    """A scripted face stage: the face is in view except on `hidden` frames; records searches."""

    def __init__(self, hidden: range, lost_every: int | None, lost_search_frames: int | None = None) -> None:
        super().__init__(TrackParams(), detect_every=3, full_every=48, lost_every=lost_every,
                         lost_search_frames=lost_search_frames)
        self.hidden = hidden
        self.searches: list[tuple[int, bool]] = []
        self.position = 0

    def _face(self, position: int) -> Detection | None:
        return None if position in self.hidden else _det(100, 100, 80)

    def _search_and_add(self, position: int, image: np.ndarray, thorough: bool) -> None:
        self.searches.append((position, thorough))
        face = self._face(position)
        self.builder.add(position, [face] if face else [])

    def _follow(self, track: Track, image: np.ndarray) -> Detection | None:
        return self._face(self.position)

    def run(self, n: int) -> list[int]:
        decoded = [p for p in range(n) if self.wants(p)]
        for p in decoded:
            self.position = p
            self.observe(p, np.zeros((360, 640), np.uint8))
        return decoded


def test_a_lost_face_is_searched_for_on_every_frame_and_found_the_frame_it_returns() -> None:
    world = _World(hidden=range(10, 20), lost_every=1)
    assert world.run(60) == list(range(60))  # every frame decoded: the decoder decides ahead
    lost = [p for p, thorough in world.searches if 12 <= p <= 20]
    assert lost == list(range(12, 21)) and all(t for p, t in world.searches if 12 <= p <= 20)
    patient = world.patient()
    assert 20 in patient.frames  # found on the frame it is back
    assert [p for p, _ in world.searches if p > 20] == [48]  # then only the scheduled full search


def test_the_every_frame_search_gives_up_after_its_limit_and_the_schedule_goes_on() -> None:
    world = _World(hidden=range(10, 200), lost_every=1, lost_search_frames=30)
    world.run(240)
    searched = [p for p, _ in world.searches]
    assert set(range(12, 43)) <= set(searched) and 44 not in searched and 45 in searched  # every 3rd after
    assert 201 in world.patient().frames  # found within 2 frames of its return all the same


def test_the_paper_stage_keeps_its_schedule() -> None:
    world = _World(hidden=range(10, 20), lost_every=None)
    assert world.run(30) == list(range(0, 30, 3))


def test_blurred_frames_are_read_at_a_lower_confidence() -> None:
    blur = np.array([100.0, 120.0, 110.0, 20.0, 0.0, 105.0], np.float32)
    found = np.array([True, True, True, True, False, True])
    confidence = np.full(6, 0.9, np.float32)
    blurred = blurred_frames(blur, found, confidence)
    assert blurred.tolist() == [False, False, False, True, False, False]
    assert confidence[3] == pytest.approx(0.9 * 20.0 / (0.5 * 105.0)) and confidence[0] == pytest.approx(0.9)


# --------------------------------------------------------------------------- real frames


def _pass1(clip: Clip, folder: Path, name: str):
    return find_patient_faces(VideoReader(clip.write(folder, name)), AnalysisOptions())


def _rotated(image: np.ndarray, angle: float) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h),
                          borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.realdata
def test_a_face_that_comes_back_tilted_is_found_within_two_frames(videos_dir: Path, tmp_path: Path) -> None:
    """The picture turns to 120 degrees over a second (the mesh follows the face), the face is
    hidden for half a second and comes back turned so, where the full-range BlazeFace model
    finds no face in the upright frame."""
    frames, fps = read_frames(videos_dir / "single_face.mp4")
    steps = [120.0 * min(1.0, i / 30) for i in range(45)]
    tilted = [_rotated(frames[i % len(frames)], a) for i, a in enumerate(steps)]
    wall = cv2.GaussianBlur(frames[0], (0, 0), 40)  # no face: the room, out of focus
    back = [_rotated(frames[(45 + i) % len(frames)], 120.0) for i in range(30)]
    tracker = MeshTracker()
    assert not any(detect_turned(tracker.detector, f, 0.0) for f in back[:3])
    faces = _pass1(Clip(tilted + [wall] * 15 + back, fps), tmp_path, "tilted")
    assert faces.placements.found[:45].all() and not faces.placements.found[47:60].any()
    assert faces.placements.state[60:62].max() == 2  # detected on one of the first two frames back
    assert faces.placements.found[62:].all()


@pytest.mark.realdata
def test_motion_blurred_frames_keep_their_face(videos_dir: Path, tmp_path: Path) -> None:
    """20 frames smeared by 41 pixels of diagonal blur: the mesh reads no face on them, BlazeFace
    still finds it; they are placed, at a lower confidence, with unknown measures."""
    frames, fps = read_frames(videos_dir / "single_face.mp4")
    kernel = np.eye(41, dtype=np.float32) / 41.0
    smeared = frames[:25] + [cv2.filter2D(f, -1, kernel) for f in frames[25:45]] + frames[45:]
    faces = _pass1(Clip(smeared, fps), tmp_path, "blurred")
    placed = faces.placements
    assert placed.found.all()
    assert placed.confidence[30:40].max() < 0.5 * placed.confidence[:20].min()
    assert np.isnan(placed.measures[30:40, MEASURES.index("yaw")]).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_the_face_is_found_through_fast_turns_pans_and_blur(videos_dir: Path, tmp_path: Path) -> None:
    """The hardest copy of bench/face_motion.py: pan, roll and yaw at once, blurred over the whole
    frame interval (the shipped code before issue 26 found the face in 28% of these frames)."""
    reference = find_patient_faces(VideoReader(videos_dir / "single_face.mp4"), AnalysisOptions())
    faces = [(p.geometry.cx, p.geometry.cy, p.geometry.side) if (p := reference.placements[i]) else None
             for i in range(len(reference.placements))]
    frames, fps = read_frames(videos_dir / "single_face.mp4")
    motion = Motion(pan_speed=90, pan_deg=15, roll_speed=120, roll_deg=60, yaw_speed=120, yaw_deg=70, exposure=1.0)
    clip, visible = moving(frames, fps, motion, faces)
    found = _pass1(clip, tmp_path, "moving").placements.found
    assert visible.all() and found.mean() >= 0.9
