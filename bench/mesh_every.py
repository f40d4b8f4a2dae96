"""What running the face mesh only every Nth frame costs, in accuracy and in CPU.

Reference: the mesh on every frame of the demo clip (WolfgangLanger_Pexels.mp4, 472 frames),
each frame's region from the previous frame's landmarks. For N = 2, 3, 4 the mesh runs on every
Nth frame only (region from the landmarks N frames back, as `MeshTracker(every=N)` does) and
the frames in between are filled by linear interpolation, as the pipeline does. Against the
reference, over the frames in between:

- landmark error: mean distance of the 468 interpolated points to the reference's, as % of the
  distance between the outer eye corners (NME);
- crop shift: how far the alignment points move in the 128-pixel crop (pixels);
- pose (degrees), eye and mouth aperture: mean absolute difference;

and pass 1's CPU milliseconds per frame (`find_patient_faces`, decoding included).

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/mesh_every.py
"""

from __future__ import annotations

import resource

import numpy as np

from mescreen.core.datapaths import require_data_root
from mescreen.core.face.crop import FaceGeometry
from mescreen.core.face.tracks import Track, interpolate_track
from mescreen.core.face.mesh import (
    ALIGN_POINTS, LEFT_EYE_OUTER, RIGHT_EYE_OUTER, BlazeFaceDetector, EyeContours, FaceMesh, MeshResult, Roi,
    crop_matrix, roi_from_detection, roi_from_landmarks,
)
from mescreen.core.face.mesh_track import MEASURES, MIN_MESH_SCORE, measure
from mescreen.core.pipeline import AnalysisOptions, find_patient_faces
from mescreen.core.io.video import VideoReader

CLIP = "WolfgangLanger_Pexels.mp4"
STEPS = (1, 2, 3, 4)


class _Chain:
    """The mesh on every `step`-th frame, each region from the previous run's landmarks."""

    def __init__(self, step: int, detector: BlazeFaceDetector, mesh: FaceMesh, eyes: EyeContours) -> None:
        self.step, self.detector, self.mesh, self.eyes = step, detector, mesh, eyes
        self.roi: Roi | None = None
        self.points: dict[int, np.ndarray] = {}
        self.track = Track()

    def observe(self, pos: int, image: np.ndarray) -> None:
        result: MeshResult | None = self.mesh.run(image, self.roi) if self.roi else None
        if result is None or result.score < MIN_MESH_SCORE:
            faces = self.detector.detect(image)
            if not faces:
                self.roi = None
                return
            first = self.mesh.run(image, roi_from_detection(faces[0]))
            result = self.mesh.run(image, roi_from_landmarks(first.points))
        self.roi = roi_from_landmarks(result.points)
        self.points[pos] = result.points
        self.track.frames.append(pos)
        self.track.detections.append(measure(result, self.eyes.aperture(image, result.points), 1.0))


def _interpolated_points(points: dict[int, np.ndarray], pos: int) -> np.ndarray | None:
    known = sorted(points)
    after = next((k for k in known if k >= pos), None)
    before = next((k for k in reversed(known) if k <= pos), None)
    if after is None or before is None:
        return None
    if after == before:
        return points[pos]
    t = (pos - before) / (after - before)
    return points[before] + t * (points[after] - points[before])


def _crop_xy(points: np.ndarray, row: np.ndarray) -> np.ndarray:
    matrix = crop_matrix(FaceGeometry(*(float(v) for v in row[:4])))
    return points[list(ALIGN_POINTS), :2] @ matrix[:, :2].T + matrix[:, 2]


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    path = require_data_root() / "videos" / CLIP
    detector, mesh, eyes = BlazeFaceDetector(), FaceMesh(), EyeContours()
    chains = {step: _Chain(step, detector, mesh, eyes) for step in STEPS}
    n = 0
    for pos, frame in enumerate(VideoReader(path).frames()):
        n += 1
        for step, chain in chains.items():
            if pos % step == 0:
                chain.observe(pos, frame.image)
    reference = chains[1]
    rows = {step: interpolate_track(chain.track, n, 12, hold_frames=step - 1).rows for step, chain in chains.items()}
    cpu_ms = {}
    for step in STEPS:
        start = _cpu_s()
        find_patient_faces(VideoReader(path), AnalysisOptions(mesh_every=step))
        cpu_ms[step] = (_cpu_s() - start) * 1000.0 / n

    print(f"{CLIP}: {n} frames, reference = mesh on every frame\n")
    print("| mesh every | frames compared | landmark NME % | crop shift px | yaw / pitch / roll MAE deg "
          "| eye aperture MAE | mouth aperture MAE | pass-1 CPU ms/frame |")
    print("|---|---|---|---|---|---|---|---|")
    for step in STEPS:
        between = [p for p in range(n) if p % step and p in reference.points and np.isfinite(rows[step][p, 4])]
        if step == 1:
            print(f"| 1 | {n} | 0 | 0 | 0 | 0 | 0 | {cpu_ms[1]:.2f} |")
            continue
        nme, shift = [], []
        for p in between:
            ref = reference.points[p]
            guess = _interpolated_points(chains[step].points, p)
            if guess is None:
                continue
            eye_gap = np.linalg.norm(ref[RIGHT_EYE_OUTER, :2] - ref[LEFT_EYE_OUTER, :2])
            nme.append(np.linalg.norm(guess[:, :2] - ref[:, :2], axis=1).mean() / eye_gap)
            shift.append(np.linalg.norm(_crop_xy(ref, rows[step][p]) - _crop_xy(ref, rows[1][p]), axis=1).mean())
        diff = np.abs(rows[step][between, 4:] - rows[1][between, 4:])
        pose = "/".join(f"{v:.2f}" for v in diff[:, 0:3].mean(0))
        eye = diff[:, MEASURES.index("eye_right") : MEASURES.index("eye_left") + 1].mean()
        mouth = diff[:, MEASURES.index("mouth")].mean()
        print(f"| {step} | {len(between)} | {100 * np.mean(nme):.2f} | {np.mean(shift):.2f} | {pose} | "
              f"{eye:.3f} | {mouth:.3f} | {cpu_ms[step]:.2f} |")
    spread = np.abs(np.diff(rows[1][:, 4:], axis=0)).mean(0)
    print(f"\nframe-to-frame change of the every-frame reference (its own jitter plus real motion): "
          f"pose {'/'.join(f'{v:.2f}' for v in spread[0:3])} deg, eye {spread[3:5].mean():.3f}, mouth {spread[5]:.3f}")


if __name__ == "__main__":
    main()
