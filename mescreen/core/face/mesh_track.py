"""Following faces through a video by their landmarks (the landmark face stage's tracker).

`MeshTracker` has `FaceTracker`'s interface (`wants`, `observe`, `patient`, `most_faces`), so
pass 1 of the pipeline, the track linking and the patient choice (`TrackParams`: persistent /
largest / near) are the same for both face stages. What differs is how a face is found and
followed:

- A BlazeFace search of the whole frame runs every `full_every` frames, and on any observed
  frame while no face is followed or a followed face was lost. The mesh runs on each face
  found, twice (from the detection's box, then from its own landmarks, as MediaPipe's first
  tracked frame does).
- On the observed frames in between (every `every`-th frame) each followed face's mesh runs on
  the region given by its previous landmarks; a face-presence score under `min_score` ends the
  follow and asks for a search.
- Every accepted mesh is followed by the eye-contour model on both eyes (eye aperture). The cost
  is per followed face: every face in the picture is measured, because the patient is chosen
  only after the whole video has been seen.

Each observation is a `MeshDetection`: the landmarks' bounding box (for linking tracks), the
crop geometry of the landmark alignment, and the per-frame measures (`MEASURES`). The landmarks
themselves are not kept (468 points per frame would make memory grow with video length);
pass 3 runs the mesh again on the few frames whose landmarks are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mescreen.core.face.crop import CROP_MARGIN, Detection, FaceGeometry
from mescreen.core.face.tracks import ScheduledTracker, Track, TrackParams
from mescreen.core.face.shape import SHAPE_FEATURES, face_shape
from mescreen.core.face.mesh import (
    BlazeFaceDetector, EyeContours, FaceMesh, MeshResult, Roi, alignment_geometry, head_pose,
    mouth_aperture, roi_from_detection, roi_from_landmarks,
)

#: Per-frame measures, in `MeshDetection.row()` order after the crop geometry: head pose, eye
#: and mouth aperture, the mesh's confidence, then the face-shape measures the AU detector reads
#: (mescreen.core.face.shape).
MEASURES = ("yaw", "pitch", "roll", "eye_right", "eye_left", "mouth", "landmark_confidence") + SHAPE_FEATURES

#: Mesh face-presence score below which a followed face counts as lost.
MIN_MESH_SCORE = 0.5


@dataclass(frozen=True)
class MeshDetection(Detection):
    """A face seen by the mesh: `box` is the landmarks' extent, `confidence` the BlazeFace score
    of the search that found the face, `geometry` the aligned crop's, `measures` as `MEASURES`.
    One is kept per observed frame, so it holds no landmarks."""

    geometry: FaceGeometry = FaceGeometry(0.0, 0.0, 1.0, 0.0)
    measures: tuple[float, ...] = ()

    def row(self) -> np.ndarray:
        g = self.geometry
        return np.array((g.cx, g.cy, g.side, g.angle) + self.measures, np.float32)


def measure(result: MeshResult, eyes: tuple[float, float], confidence: float) -> MeshDetection:
    """Everything the pipeline keeps of one mesh run (with its eye apertures)."""
    points = result.points
    x0, y0 = points[:, :2].min(0)
    x1, y1 = points[:, :2].max(0)
    geometry = alignment_geometry(points)
    measures = head_pose(points) + eyes + (mouth_aperture(points), result.score) + face_shape(points, geometry)
    return MeshDetection(
        box=(float(x0), float(y0), float(x1 - x0), float(y1 - y0)), confidence=confidence,
        angle=geometry.angle, eyes_found=True, geometry=geometry,
        measures=tuple(float(v) for v in measures),
    )


def roi_from_geometry(geometry: FaceGeometry) -> Roi:
    """A mesh region from a stored crop geometry (pass 3 has no landmarks, only the placement):
    the crop's square grown to the mesh's usual margin around the face."""
    return Roi(geometry.cx, geometry.cy, geometry.side * CROP_MARGIN * 1.3, geometry.angle)


class MeshTracker(ScheduledTracker):
    """Schedules BlazeFace searches and mesh follows over a frame stream (see the module doc)."""

    def __init__(
        self, params: TrackParams | None = None, every: int = 1, full_every: int = 48,
        detector: BlazeFaceDetector | None = None, mesh: FaceMesh | None = None,
        min_score: float = MIN_MESH_SCORE,
    ) -> None:
        super().__init__(params, every, full_every)
        self.detector = detector or BlazeFaceDetector()
        self.mesh = mesh or FaceMesh()
        self.eyes = EyeContours()
        self.min_score = min_score
        self._next_roi: dict[int, Roi] = {}  # per followed track: where its mesh runs next

    def _search_and_add(self, position: int, image: np.ndarray) -> None:
        found = self.search(image)
        self.most_faces = max(self.most_faces, len(found))
        self.builder.add(position, [det for det, _ in found])
        rois = {id(det): roi for det, roi in found}
        self._next_roi = {id(t): rois[id(t.last)] for t in self.builder.live(position) if id(t.last) in rois}

    def search(self, image: np.ndarray) -> list[tuple[MeshDetection, Roi]]:
        """Every face BlazeFace finds whose mesh confirms it, with its measures and the region
        its mesh runs on next."""
        out = []
        for face in self.detector.detect(image):
            result = self.landmarks(image, roi_from_detection(face))
            if result is not None:
                det = measure(result, self.eyes.aperture(image, result.points), face.score)
                out.append((det, roi_from_landmarks(result.points)))
        return out

    def landmarks(self, image: np.ndarray, roi: Roi) -> MeshResult | None:
        """The mesh on one region, refined once from its own landmarks; None if no face there."""
        first = self.mesh.run(image, roi)
        if first.score < self.min_score:
            return None
        result = self.mesh.run(image, roi_from_landmarks(first.points))
        return result if result.score >= self.min_score else None

    def _follow(self, track: Track, image: np.ndarray) -> MeshDetection | None:
        roi = self._next_roi.pop(id(track), None)
        if roi is None:
            return None
        result = self.mesh.run(image, roi)
        if result.score < self.min_score:
            return None
        self._next_roi[id(track)] = roi_from_landmarks(result.points)
        return measure(result, self.eyes.aperture(image, result.points), track.last.confidence)

