"""The seed paper's face stage (`--face paper`): Haar detection, eye-based in-plane alignment,
and template tracking between detections.

Confidence: Haar cascades give no probability. `detectMultiScale3(outputRejectLevels=True)`
returns, per detection, the score of the cascade's last stage (`levelWeights`, observed roughly
-1 to 12 for `haarcascade_frontalface_default`); we squash it with a logistic,
``confidence = 1 / (1 + exp(-weight / 3))``, so a barely accepted window is about 0.5 and a strong
frontal face is above 0.95. It is a monotone score, not a calibrated probability.

Video: `FaceTracker` finds faces on every `detect_every`-th frame (full-frame Haar on a shrunk
gray copy every couple of seconds, template tracking in between); `mescreen.core.face.tracks`
links them and places the patient's face on every frame. Frames placed by tracking or
interpolation carry the confidence of the Haar detection they derive from (times the template
match score for tracked frames).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import cv2
import numpy as np

from mescreen.core.face.crop import Detection, FaceCrop, FaceGeometry, crop_face, to_gray
from mescreen.core.face.tracks import ScheduledTracker, Track, TrackParams

#: Eye angles beyond this are treated as a failed eye detection (Haar frontal faces are near level).
MAX_EYE_ANGLE = 30.0

#: Template tracking: search window (times the face box), face side the template is shrunk to,
#: and the normalised correlation below which the face counts as lost.
FOLLOW_WINDOW = 1.6
FOLLOW_FACE_SIDE = 48.0
FOLLOW_MIN_SCORE = 0.6
_EYE_FACE_SIDE = 96
_CONFIDENCE_SCALE = 3.0


@dataclass(frozen=True)
class FaceDetectorParams:
    """Haar parameters. `detect_max_side` is the long side the frame is shrunk to before detection
    (speed: detection cost grows with pixel count); `min_face_frac` the smallest face searched
    for, as a fraction of the frame's short side."""

    detect_max_side: int = 320
    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_face_frac: float = 0.12
    align_eyes: bool = True



@lru_cache(maxsize=None)
def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cascade.empty():  # the cascades ship inside opencv; a broken install is the only cause
        raise RuntimeError(f"OpenCV's Haar cascade {name} could not be loaded")
    return cascade


def _resize(gray: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1.0:
        return gray
    h, w = gray.shape[:2]
    return cv2.resize(gray, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)


def _confidence(weight: float) -> float:
    return float(1.0 / (1.0 + math.exp(-weight / _CONFIDENCE_SCALE)))


class FaceDetector:
    """Haar frontal-face detection on a shrunk copy of the frame, eyes searched inside each face."""

    def __init__(self, params: FaceDetectorParams | None = None) -> None:
        self.params = params or FaceDetectorParams()
        self._faces = _cascade("haarcascade_frontalface_default.xml")
        self._eyes = _cascade("haarcascade_eye.xml")

    def detect(self, gray: np.ndarray) -> list[Detection]:
        """All faces in a gray image, boxes in that image's pixels, largest first."""
        p = self.params
        h, w = gray.shape[:2]
        shrink = min(1.0, p.detect_max_side / float(max(h, w)))
        small = _resize(gray, shrink)
        min_side = max(24, int(p.min_face_frac * min(small.shape[:2])))
        if min(small.shape[:2]) < min_side:
            return []
        boxes, _levels, weights = self._faces.detectMultiScale3(
            small, scaleFactor=p.scale_factor, minNeighbors=p.min_neighbors, minSize=(min_side, min_side),
            maxSize=(0, 0), outputRejectLevels=True,
        )
        found = []
        for (x, y, bw, bh), weight in zip(np.asarray(boxes).reshape(-1, 4), np.ravel(weights)):
            angle, eyes = self._eye_angle(small, (int(x), int(y), int(bw), int(bh))) if p.align_eyes else (0.0, False)
            box = (x / shrink, y / shrink, bw / shrink, bh / shrink)
            found.append(Detection(tuple(float(v) for v in box), _confidence(float(weight)), angle, eyes))
        found.sort(key=lambda d: d.side, reverse=True)
        return found

    def _eye_angle(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, bool]:
        """Tilt of the line between the two eyes found in the face's upper half (0 if not two)."""
        x, y, w, h = box
        roi = gray[y : y + h // 2 + h // 10, x : x + w]
        if roi.size == 0:
            return 0.0, False
        if w > _EYE_FACE_SIDE:  # eyes are found as well at this size, and much faster
            factor = _EYE_FACE_SIDE / w
            roi, w = _resize(roi, factor), int(round(w * factor))
        min_eye = max(8, w // 8)
        eyes = np.asarray(
            self._eyes.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=4, minSize=(min_eye, min_eye))
        ).reshape(-1, 4)
        left = [e for e in eyes if e[0] + e[2] / 2 < w / 2]
        right = [e for e in eyes if e[0] + e[2] / 2 >= w / 2]
        if not left or not right:
            return 0.0, False
        le = max(left, key=lambda e: e[2])
        re = max(right, key=lambda e: e[2])
        dx = (re[0] + re[2] / 2) - (le[0] + le[2] / 2)
        dy = (re[1] + re[3] / 2) - (le[1] + le[3] / 2)
        angle = math.degrees(math.atan2(dy, dx))
        if abs(angle) > MAX_EYE_ANGLE or dx < w / 5:
            return 0.0, False
        return angle, True


@lru_cache(maxsize=1)
def _still_detector() -> FaceDetector:
    return FaceDetector(FaceDetectorParams(detect_max_side=960, min_face_frac=0.1))


def crop_still(image: np.ndarray, detector: FaceDetector | None = None) -> FaceCrop | None:
    """The largest face of one image (gray, BGR or BGRA) as a model-ready crop, or None.

    Images that are already tight face crops (CK+ 48x48, dataset apex crops) leave Haar no
    context, so small images are enlarged and every image gets a replicated border of a third
    of its size before detecting; boxes are reported in the original image's pixels.
    """
    gray = to_gray(image)
    h, w = gray.shape
    up = max(1.0, 144.0 / min(h, w))
    work = gray if up == 1.0 else cv2.resize(gray, (round(w * up), round(h * up)), interpolation=cv2.INTER_CUBIC)
    pad = max(work.shape) // 3
    padded = cv2.copyMakeBorder(work, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    faces = (detector or _still_detector()).detect(padded)
    if not faces:
        return None
    best = faces[0]
    geometry = FaceGeometry.from_detection(best)
    crop, blur = crop_face(padded, geometry)
    x, y, bw, bh = best.box
    box = ((x - pad) / up, (y - pad) / up, bw / up, bh / up)
    return FaceCrop(crop=crop, box=box, confidence=best.confidence, angle=best.angle, blur=blur)



@dataclass
class _Template:
    """A face patch from the last Haar detection of a track, shrunk, with where it was taken."""

    patch: np.ndarray
    anchor: Detection


def _shrunk_window(image: np.ndarray, box: Sequence[float], scale: float, grow: float) -> tuple[np.ndarray, int, int]:
    """Gray, shrunk copy of the region `grow` times the box around its centre; with its origin."""
    x, y, bw, bh = box
    cx, cy, half = x + bw / 2.0, y + bh / 2.0, max(bw, bh) * grow / 2.0
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(image.shape[1], int(cx + half) + 1), min(image.shape[0], int(cy + half) + 1)
    return _resize(to_gray(image[y0:y1, x0:x1]), scale), x0, y0



class FaceTracker(ScheduledTracker):
    """Schedules Haar detection over a frame stream.

    A full-frame Haar search runs every `full_every` frames, and on every detection frame while
    no face is being followed or a followed face was lost (so a face that enters or comes back
    is found within `detect_every` frames).
    Between full searches each followed face is tracked every `detect_every` frames by
    normalised template matching of its last Haar patch, shrunk to `FOLLOW_FACE_SIDE` pixels,
    in a window around its last position: well under a millisecond, against tens of
    milliseconds for Haar. A match score below `FOLLOW_MIN_SCORE` ends the track (the face left
    or turned away). Frames in between are placed later by `interpolate_track`.
    """

    def __init__(
        self, detector: FaceDetector | None = None, params: TrackParams | None = None,
        detect_every: int = 4, full_every: int = 48,
    ) -> None:
        super().__init__(params, detect_every, full_every)
        self.detector = detector or FaceDetector()
        self._templates: dict[int, _Template] = {}

    def _search_and_add(self, position: int, image: np.ndarray, thorough: bool) -> None:
        found = self.detector.detect(to_gray(image))  # Haar has no harder search
        self.most_faces = max(self.most_faces, len(found))
        self.builder.add(position, found)
        for track in self.builder.live(position):
            if track.frames[-1] == position:
                self._remember(track, image)

    def _remember(self, track: Track, image: np.ndarray) -> None:
        det = track.last
        scale = min(1.0, FOLLOW_FACE_SIDE / det.side)
        patch, _, _ = _shrunk_window(image, det.box, scale, 1.0)
        self._templates[id(track)] = _Template(patch, det)

    def _follow(self, track: Track, image: np.ndarray) -> Detection | None:
        template = self._templates.get(id(track))
        if template is None:
            return None
        anchor = template.anchor
        scale = min(1.0, FOLLOW_FACE_SIDE / anchor.side)
        window, x0, y0 = _shrunk_window(image, track.last.box, scale, FOLLOW_WINDOW)
        th, tw = template.patch.shape
        if window.shape[0] < th or window.shape[1] < tw:
            return None
        scores = cv2.matchTemplate(window, template.patch, cv2.TM_CCOEFF_NORMED)
        _, best, _, (mx, my) = cv2.minMaxLoc(scores)
        if not np.isfinite(best) or best < FOLLOW_MIN_SCORE:
            return None
        ax, ay, aw, ah = anchor.box
        patch_x = max(0.0, ax + aw / 2.0 - max(aw, ah) / 2.0)  # where the template's left edge was
        patch_y = max(0.0, ay + ah / 2.0 - max(aw, ah) / 2.0)
        dx = x0 + mx / scale - int(patch_x)
        dy = y0 + my / scale - int(patch_y)
        box = (ax + dx, ay + dy, aw, ah)
        return Detection(box, anchor.confidence * float(best), anchor.angle, anchor.eyes_found)

