"""Following faces through a video by their landmarks (the landmark face stage's tracker).

`MeshTracker` has `FaceTracker`'s interface (`wants`, `observe`, `patient`, `most_faces`), so
pass 1 of the pipeline, the track linking and the patient choice (`TrackParams`: persistent /
largest / near) are the same for both face stages. What differs is how a face is found and
followed:

- A BlazeFace search of the whole frame runs every `full_every` frames, and on any observed
  frame while no face is followed or a followed face was lost. The mesh runs on each face
  found, twice (from the detection's box, then from its own landmarks, as MediaPipe's first
  tracked frame does).
- While a followed face is lost (it left the picture, turned away, moved fast or blurred), the
  search runs on every frame, not every `every`-th, so the face is found again on the first
  frame it can be (`ScheduledTracker`), and it looks harder (`thorough`): both BlazeFace models
  (the full-range one for small faces, the short-range one for faces near the camera), each on
  the frame as it is and turned upright by the head roll the lost face last had (the
  full-range model misses faces tilted far enough: from 40 to 100 degrees on the shared clips;
  bench/RESULTS.md). The new track continues the
  lost one (`TrackBuilder.identities`).
- On the observed frames in between (every `every`-th frame) each followed face's mesh runs on
  the region given by its previous landmarks; a face-presence score under `min_score` ends the
  follow and asks for a search.
- A followed face on a motion-blurred frame, which the mesh no longer reads but BlazeFace still
  finds (its region under `BLURRED_BELOW` of the sharpness it had on the last frame the mesh
  read, `roi_sharpness`), is kept instead of dropped: placed from BlazeFace's eye keypoints, at a
  confidence scaled down by its sharpness, its measures unknown (`blurred_face`).
- Every accepted mesh is followed by the eye-contour model on both eyes (eye aperture). The cost
  is per followed face: every face in the picture is measured, because the patient is chosen
  only after the whole video has been seen.

Each observation is a `MeshDetection`: the landmarks' bounding box (for linking tracks), the
crop geometry of the landmark alignment, and the per-frame measures (`MEASURES`). The landmarks
themselves are not kept (468 points per frame would make memory grow with video length);
pass 3 runs the mesh again on the few frames whose landmarks are stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from mescreen.core.face.crop import CROP_MARGIN, Detection, FaceGeometry
from mescreen.core.face.tracks import ScheduledTracker, Track, TrackParams, iou, same_face
from mescreen.core.face.shape import SHAPE_FEATURES, face_shape
from mescreen.core.face.mesh import (
    ALIGN_TARGETS, BlazeFaceDetector, EyeContours, FaceBox, FaceMesh, MeshResult, Roi, alignment_geometry,
    geometry_placing, head_pose, mouth_aperture, roi_from_detection, roi_from_landmarks,
)

#: Per-frame measures, in `MeshDetection.row()` order after the crop geometry: head pose, eye
#: and mouth aperture, the mesh's confidence, then the face-shape measures the AU detector reads
#: (mescreen.core.face.shape).
MEASURES = ("yaw", "pitch", "roll", "eye_right", "eye_left", "mouth", "landmark_confidence") + SHAPE_FEATURES

#: Mesh face-presence score below which a followed face counts as lost.
MIN_MESH_SCORE = 0.5

#: A face BlazeFace finds where a followed face was just lost, whose region is less sharp than
#: this share of that face's on the last frame the mesh read, is that face motion-blurred: the mesh's
#: face-presence score collapses on such frames (from 1.0 to under 0.05 between 21 and 31 pixels
#: of blur on the shared clips) while BlazeFace still finds the face (bench/RESULTS.md).
BLURRED_BELOW = 0.5

#: Where BlazeFace's eye keypoints land in the crop: the middle of each eye's two corners in
#: `ALIGN_TARGETS`, so a blurred frame's crop is framed like the mesh-aligned ones.
_EYE_TARGETS = np.array([ALIGN_TARGETS[0:2].mean(0), ALIGN_TARGETS[2:4].mean(0)], np.float32)

#: Head roll (degrees) from which a thorough search also looks at the frame turned upright.
ROTATED_SEARCH_FROM = 15.0

#: Overlap above which two searches' boxes are the same face (the better-scored one is kept).
_SAME_BOX_IOU = 0.3


@dataclass(frozen=True)
class MeshDetection(Detection):
    """A face seen by the mesh: `box` is the landmarks' extent, `confidence` the BlazeFace score
    of the search that found the face, `geometry` the aligned crop's, `measures` as `MEASURES`.
    One is kept per observed frame, so it holds no landmarks."""

    geometry: FaceGeometry = FaceGeometry(0.0, 0.0, 1.0, 0.0)
    measures: tuple[float, ...] = ()

    @property
    def meshed(self) -> bool:
        """Whether the mesh read this face (a motion-blurred face it could not read has NaN measures)."""
        return not (self.measures and math.isnan(self.measures[0]))

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


def detect_turned(detector: BlazeFaceDetector, image: np.ndarray, roll: float) -> list[FaceBox]:
    """BlazeFace on the frame turned by `roll` degrees about its centre (a face with that roll
    upright; the canvas grows so no corner is cut), its boxes and keypoints back in the frame's
    coordinates (the box keeps its size, centred where the face is)."""
    if roll == 0.0:
        return detector.detect(image)
    h, w = image.shape[:2]
    rad = math.radians(roll)
    side_w = int(math.ceil(abs(w * math.cos(rad)) + abs(h * math.sin(rad))))
    side_h = int(math.ceil(abs(w * math.sin(rad)) + abs(h * math.cos(rad))))
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), roll, 1.0)
    matrix[:, 2] += ((side_w - w) / 2.0, (side_h - h) / 2.0)
    back = cv2.invertAffineTransform(matrix)
    out = []
    for face in detector.detect(cv2.warpAffine(image, matrix, (side_w, side_h))):
        x, y, bw, bh = face.box
        centre = back @ np.array([x + bw / 2.0, y + bh / 2.0, 1.0])
        points = face.keypoints.astype(np.float64) @ back[:, :2].T + back[:, 2]
        out.append(FaceBox((float(centre[0] - bw / 2.0), float(centre[1] - bh / 2.0), bw, bh), face.score,
                           points.astype(np.float32)))
    return out


def blurred_face(face: FaceBox, confidence: float) -> MeshDetection:
    """A motion-blurred face the mesh could not read: its crop placed from BlazeFace's eye
    keypoints, its measures unknown (NaN: the AU detector reads them as its training mean)."""
    geometry = geometry_placing(face.keypoints[:2], _EYE_TARGETS)
    return MeshDetection(box=face.box, confidence=confidence, angle=geometry.angle, eyes_found=True,
                         geometry=geometry, measures=(float("nan"),) * len(MEASURES))


def roi_sharpness(image: np.ndarray, roi: Roi) -> float:
    """Variance of the Laplacian of the region shrunk to 64x64 gray (low = blurred); the same
    for a face of any size, so a face's frames can be compared with each other."""
    patch = cv2.warpAffine(image, roi.to_input(64), (64, 64), flags=cv2.INTER_AREA)
    gray = patch if patch.ndim == 2 else cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY if patch.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


class MeshTracker(ScheduledTracker):
    """Schedules BlazeFace searches and mesh follows over a frame stream (see the module doc)."""

    def __init__(
        self, params: TrackParams | None = None, every: int = 1, full_every: int = 48,
        detector: BlazeFaceDetector | None = None, mesh: FaceMesh | None = None,
        min_score: float = MIN_MESH_SCORE, near_detector: BlazeFaceDetector | None = None,
    ) -> None:
        super().__init__(params, every, full_every, lost_every=1)
        self.detector = detector or BlazeFaceDetector()
        self.near_detector = near_detector or BlazeFaceDetector("short")
        self.mesh = mesh or FaceMesh()
        self.eyes = EyeContours()
        self.min_score = min_score
        self._next_roi: dict[int, Roi] = {}  # per followed track: where its mesh runs next
        self._found: dict[int, tuple[float, float]] = {}  # per track: search score, sharpness when last meshed
        self._lost_roll = 0.0  # head roll of the face last lost, for the thorough search

    def _search_and_add(self, position: int, image: np.ndarray, thorough: bool) -> None:
        found = self.search(image, thorough, position)
        self.most_faces = max(self.most_faces, len(found))
        self.builder.add(position, [det for det, _ in found])
        rois = {id(det): roi for det, roi in found}
        live = self.builder.live(position)
        kept = {id(t): self._next_roi[id(t)] for t in live if id(t) in self._next_roi}
        self._next_roi = kept | {id(t): rois[id(t.last)] for t in live if id(t.last) in rois}
        for track in live:  # a blurred face's sharpness is no reference for the next ones
            if id(track.last) in rois and track.last.meshed:
                self._found[id(track)] = (track.last.confidence, roi_sharpness(image, rois[id(track.last)]))

    def search(self, image: np.ndarray, thorough: bool = False,
               position: int | None = None) -> list[tuple[MeshDetection, Roi]]:
        """Every face BlazeFace finds whose mesh confirms it, with its measures and the region
        its mesh runs on next; `thorough`: both BlazeFace models, upright and turned by the lost
        face's roll (module docstring). At a `position` of the video, a face the mesh does not
        confirm that is a live track's face motion-blurred is kept too (`blurred_face`)."""
        out = []
        for face in self._faces(image, thorough):
            roi = roi_from_detection(face)
            result = self.landmarks(image, roi)
            if result is not None:
                det = measure(result, self.eyes.aperture(image, result.points), face.score)
                out.append((det, roi_from_landmarks(result.points)))
            elif position is not None and (blurred := self._blurred_share(image, face, roi, position)) is not None:
                out.append((blurred_face(face, face.score * blurred), roi))
        return out

    def _blurred_share(self, image: np.ndarray, face: FaceBox, roi: Roi, position: int) -> float | None:
        """The face's sharpness as a share of the live track it can continue, when that share
        is under `BLURRED_BELOW` (the face is that track's face, motion-blurred); else None."""
        candidate = Detection(face.box, face.score)
        sharpness = roi_sharpness(image, roi)
        for track in self.builder.live(position):
            reference = self._found.get(id(track), (0.0, 0.0))[1]
            if reference > 0 and sharpness < BLURRED_BELOW * reference and same_face(track.last, candidate,
                                                                                     self.builder.params):
                return sharpness / reference
        return None

    def _faces(self, image: np.ndarray, thorough: bool) -> list[FaceBox]:
        if not thorough:
            return self.detector.detect(image)
        rolls = [0.0] + ([self._lost_roll] if abs(self._lost_roll) >= ROTATED_SEARCH_FROM else [])
        found = [face for roll in rolls for model in (self.detector, self.near_detector)
                 for face in detect_turned(model, image, roll)]
        distinct: list[FaceBox] = []
        for face in sorted(found, key=lambda f: -f.score):
            if all(iou(face.box, kept.box) <= _SAME_BOX_IOU for kept in distinct):
                distinct.append(face)
        return distinct

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
            self._lost_roll = track.last.angle
            return None
        score, _ = self._found.get(id(track), (track.last.confidence, 0.0))
        self._found[id(track)] = (score, roi_sharpness(image, roi))
        self._next_roi[id(track)] = roi_from_landmarks(result.points)
        return measure(result, self.eyes.aperture(image, result.points), score)

