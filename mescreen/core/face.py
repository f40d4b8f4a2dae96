"""Face stage: Haar detection, eye-based in-plane alignment, a fixed-size CLAHE crop, and the
choice of which face is the patient.

Every consumer (AU detector, emotion CNN, their training scripts) gets crops from `crop_face`, so
training and runtime crops are made the same way: grayscale uint8, `CROP_SIZE` x `CROP_SIZE`,
eyes level, histogram-equalised with CLAHE (the paper's pre-processing).

Confidence: Haar cascades give no probability. `detectMultiScale3(outputRejectLevels=True)`
returns, per detection, the score of the cascade's last stage (`levelWeights`, observed roughly
-1 to 12 for `haarcascade_frontalface_default`); we squash it with a logistic,
``confidence = 1 / (1 + exp(-weight / 3))``, so a barely accepted window is about 0.5 and a strong
frontal face is above 0.95. It is a monotone score, not a calibrated probability.

Video: `FaceTracker` finds faces on every `detect_every`-th frame (full-frame Haar on a shrunk
gray copy every couple of seconds, template tracking in between), `TrackBuilder` links them into
tracks by overlap and picks the patient's (by default the most persistent, then the largest: an
interview often shows the interviewer too), and `interpolate_track` places the patient's box and
eye angle on the frames in between, bridging short detector misses. Frames placed by tracking or
interpolation carry the confidence of the Haar detection they derive from (times the template
match score for tracked frames).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Literal, Sequence

import cv2
import numpy as np

#: Side of every face crop handed to the models, in pixels.
CROP_SIZE = 128

#: Crop side relative to the Haar box side (Haar boxes cut the chin and forehead a little).
CROP_MARGIN = 1.15

#: Eye angles beyond this are treated as a failed eye detection (Haar frontal faces are near level).
MAX_EYE_ANGLE = 30.0

#: Template tracking: search window (times the face box), face side the template is shrunk to,
#: and the normalised correlation below which the face counts as lost.
FOLLOW_WINDOW = 1.6
FOLLOW_FACE_SIDE = 48.0
FOLLOW_MIN_SCORE = 0.6
_EYE_FACE_SIDE = 96

_CLAHE_CLIP = 2.0
_CLAHE_TILES = (8, 8)
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


@dataclass(frozen=True)
class Detection:
    """One detected face in source-pixel coordinates; `angle` is the eye line's tilt in degrees
    (positive: the right side of the image is lower), 0 when the eyes were not found."""

    box: tuple[float, float, float, float]  # x, y, w, h
    confidence: float
    angle: float = 0.0
    eyes_found: bool = False

    @property
    def center(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2.0, y + h / 2.0

    @property
    def side(self) -> float:
        return float(max(self.box[2], self.box[3]))

    def row(self) -> np.ndarray:
        """What `Placements` keeps of this face per frame: crop geometry (cx, cy, side, angle),
        then any per-frame measures a subclass adds."""
        cx, cy = self.center
        return np.array([cx, cy, self.side, self.angle], np.float32)


@dataclass(frozen=True)
class FaceGeometry:
    """Where to cut the crop: centre and side of the face box in source pixels, and its tilt."""

    cx: float
    cy: float
    side: float
    angle: float

    @classmethod
    def from_detection(cls, det: Detection) -> "FaceGeometry":
        cx, cy = det.center
        return cls(cx, cy, det.side, det.angle)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.cx - self.side / 2.0, self.cy - self.side / 2.0, self.side, self.side)


@dataclass
class FaceCrop:
    """A face ready for the models, with where it came from and how good it looks."""

    crop: np.ndarray  # uint8 (CROP_SIZE, CROP_SIZE), aligned, CLAHE
    box: tuple[float, float, float, float]  # x, y, w, h in source pixels
    confidence: float  # 0..1, see the module docstring
    angle: float = 0.0
    blur: float = 0.0  # variance of the Laplacian of the crop before CLAHE (low = blurred)


# --------------------------------------------------------------------------- images and crops


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any still or frame (gray, BGR, BGRA; uint8/uint16/float) as uint8 gray.

    Transparent pixels of BGRA images are composited onto white, as a viewer shows them.
    """
    img = np.asarray(image)
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError(f"expected a 2-D or 3-D image array, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = _to_uint8(img)
    if img.ndim == 2:
        return img
    channels = img.shape[2]
    if channels == 1:
        return img[:, :, 0]
    if channels == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if channels == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"unsupported number of colour channels: {channels}")


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        return (img >> 8).astype(np.uint8)
    if img.dtype.kind == "f":
        top = 1.0 if float(np.nanmax(img)) <= 1.0 else 255.0
        return np.clip(np.nan_to_num(img) * (255.0 / top), 0, 255).astype(np.uint8)
    return np.clip(img, 0, 255).astype(np.uint8)


@lru_cache(maxsize=1)
def _clahe() -> cv2.CLAHE:
    return cv2.createCLAHE(clipLimit=_CLAHE_CLIP, tileGridSize=_CLAHE_TILES)


def clahe(gray: np.ndarray) -> np.ndarray:
    """The face stage's contrast equalisation, for training code that must match the runtime."""
    return _clahe().apply(gray)


def crop_face(image: np.ndarray, geometry: FaceGeometry) -> tuple[np.ndarray, float]:
    """Cut the aligned `CROP_SIZE` crop from a gray or colour image; returns (CLAHE crop, blur).

    One affine warp does rotation, scale and translation, so the cost does not depend on the
    frame size; colour frames are warped first and converted to gray at crop size (cheaper than
    converting the whole frame). Blur is measured before CLAHE, which would otherwise inflate it.
    """
    scale = CROP_SIZE / (geometry.side * CROP_MARGIN)
    matrix = cv2.getRotationMatrix2D((geometry.cx, geometry.cy), geometry.angle, scale)
    matrix[0, 2] += CROP_SIZE / 2.0 - geometry.cx
    matrix[1, 2] += CROP_SIZE / 2.0 - geometry.cy
    raw = to_gray(cv2.warpAffine(
        image, matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    ))
    blur = float(cv2.Laplacian(raw, cv2.CV_32F).var())
    return clahe(raw), blur


# --------------------------------------------------------------------------- detection


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


# --------------------------------------------------------------------------- tracks over a video


SelectionStrategy = Literal["persistent", "largest"]


@dataclass(frozen=True)
class TrackParams:
    """How detections become the patient's per-frame face.

    `min_iou`: overlap needed to continue a track; `max_gap_frames`: longest run of detector
    misses bridged by interpolation (longer gaps are reported as "no face"); `strategy`:
    "persistent" picks the track seen on most detection frames (ties and tracks within
    `persistence_tolerance` of the best go to the largest), "largest" the largest median face;
    `near`: if set, (x, y) as fractions of the frame, the track passing closest to that point
    wins (a manual override when the default picks the interviewer).
    """

    min_iou: float = 0.3
    max_gap_frames: int = 12
    strategy: SelectionStrategy = "persistent"
    persistence_tolerance: float = 0.8
    near: tuple[float, float] | None = None


@dataclass
class Track:
    """Detections of one face over the video, keyed by frame index."""

    frames: list[int] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    @property
    def last(self) -> Detection:
        return self.detections[-1]

    @property
    def median_side(self) -> float:
        return float(np.median([d.side for d in self.detections]))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


class TrackBuilder:
    """Links the detections of successive detection frames into tracks (greedy, by overlap)."""

    def __init__(self, params: TrackParams | None = None) -> None:
        self.params = params or TrackParams()
        self.tracks: list[Track] = []

    def add(self, frame_index: int, detections: Iterable[Detection]) -> None:
        p = self.params
        live = self.live(frame_index)
        pairs = sorted(
            ((iou(t.last.box, d.box), ti, di) for ti, t in enumerate(live) for di, d in enumerate(detections)),
            reverse=True,
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        dets = list(detections)
        for overlap, ti, di in pairs:
            if overlap < p.min_iou or ti in used_t or di in used_d:
                continue
            self.extend(live[ti], frame_index, dets[di])
            used_t.add(ti)
            used_d.add(di)
        for di, det in enumerate(dets):
            if di not in used_d:
                self.tracks.append(Track([frame_index], [det]))

    def live(self, frame_index: int) -> list[Track]:
        """Tracks whose last detection is recent enough to continue."""
        return [t for t in self.tracks if frame_index - t.frames[-1] <= self.params.max_gap_frames + 1]

    def extend(self, track: Track, frame_index: int, detection: Detection) -> None:
        track.frames.append(frame_index)
        track.detections.append(detection)

    def patient(self, frame_size: tuple[int, int]) -> Track | None:
        """The patient's track by the configured strategy, None when no face was ever found."""
        if not self.tracks:
            return None
        p = self.params
        if p.near is not None:
            w, h = frame_size
            px, py = p.near[0] * w, p.near[1] * h
            return min(self.tracks, key=lambda t: min(math.hypot(d.center[0] - px, d.center[1] - py) for d in t.detections))
        if p.strategy == "largest":
            return max(self.tracks, key=lambda t: (t.median_side, len(t.frames)))
        most = max(len(t.frames) for t in self.tracks)
        contenders = [t for t in self.tracks if len(t.frames) >= p.persistence_tolerance * most]
        return max(contenders, key=lambda t: (t.median_side, len(t.frames)))


@dataclass(frozen=True)
class FramePlacement:
    """The patient's face in one frame: geometry to crop with, confidence, and how it was known."""

    geometry: FaceGeometry
    confidence: float
    detected: bool  # True on a detection frame, False when interpolated between two


class Placements:
    """The patient's face on every frame, as arrays (a few bytes per frame, so hours of video
    stay small): rows of `Detection.row()` (crop geometry cx, cy, side, angle, then the
    detector's per-frame measures, NaN where no face), confidence, and state 0 = no face,
    1 = interpolated or held, 2 = detected. Indexing gives a `FramePlacement` or None."""

    def __init__(self, n: int, width: int = 4) -> None:
        self.rows = np.zeros((n, width), np.float32)
        self.rows[:, 4:] = np.nan
        self.confidence = np.zeros(n, np.float32)
        self.state = np.zeros(n, np.int8)

    @property
    def geometry(self) -> np.ndarray:
        """(n, 4) crop geometry: cx, cy, side, angle."""
        return self.rows[:, :4]

    @property
    def measures(self) -> np.ndarray:
        """(n, width - 4) per-frame measures (none for the Haar stage)."""
        return self.rows[:, 4:]

    def __len__(self) -> int:
        return int(self.state.shape[0])

    def __getitem__(self, i: int) -> FramePlacement | None:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        if self.state[i] == 0:
            return None
        cx, cy, side, angle = (float(v) for v in self.geometry[i])
        return FramePlacement(FaceGeometry(cx, cy, side, angle), float(self.confidence[i]), bool(self.state[i] == 2))

    @property
    def found(self) -> np.ndarray:
        return self.state > 0

    def set(self, i: int, det: Detection, state: int) -> None:
        self.rows[i] = det.row()
        self.confidence[i] = det.confidence
        self.state[i] = state


def interpolate_track(track: Track | None, n_frames: int, max_gap_frames: int, hold_frames: int = 0) -> Placements:
    """Per-frame placement for frames 0..n_frames-1: detections where seen, linear interpolation
    between two detections at most `max_gap_frames` + 1 apart, the first/last detection held for
    `hold_frames` before/after the track (the frames between detection frames), none elsewhere.

    Interpolating between known positions (instead of predicting forward) is possible because
    the pipeline detects over the whole video before it crops; it never lags behind a moving head.
    """
    if track is None or not track.frames:
        return Placements(n_frames)
    frames, dets = track.frames, track.detections
    out = Placements(n_frames, dets[0].row().size)
    for i in range(max(0, frames[0] - hold_frames), min(frames[0], n_frames)):
        out.set(i, dets[0], 1)
    for i in range(frames[-1] + 1, min(frames[-1] + 1 + hold_frames, n_frames)):
        out.set(i, dets[-1], 1)
    for k, (f, det) in enumerate(zip(frames, dets)):
        if 0 <= f < n_frames:
            out.set(f, det, 2)
        if k + 1 == len(frames):
            break
        g = frames[k + 1]
        stop = min(g, n_frames)
        if g - f > max_gap_frames + 1 or stop <= f + 1:
            continue
        a, b = det.row(), dets[k + 1].row()
        t = (np.arange(f + 1, stop) - f)[:, None] / float(g - f)
        out.rows[f + 1 : stop] = a + t * (b - a)
        out.confidence[f + 1 : stop] = min(det.confidence, dets[k + 1].confidence)
        out.state[f + 1 : stop] = 1
    return out


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


class ScheduledTracker(ABC):
    """Full-frame searches and cheap follows over a frame stream, linked into tracks.

    A search runs every `full_every` frames, and on every `detect_every`-th frame while no face is
    followed or a followed face was lost; otherwise each live track is followed (`_follow`).
    Subclasses say how to search (`_search_and_add`) and follow.
    """

    def __init__(self, params: TrackParams | None, detect_every: int, full_every: int) -> None:
        self.builder = TrackBuilder(params)
        self.detect_every = max(1, detect_every)
        self.full_every = max(self.detect_every, full_every)
        self.most_faces = 0  # most faces found by one full-frame search
        self.frame_size = (0, 0)

    def wants(self, position: int) -> bool:
        """Whether the frame at this position needs its pixels."""
        return position % self.detect_every == 0

    def observe(self, position: int, image: np.ndarray) -> None:
        self.frame_size = (image.shape[1], image.shape[0])
        live = self.builder.live(position)
        if live and position % self.full_every != 0:
            follows = [(track, self._follow(track, image)) for track in live]
            if all(det is not None for _, det in follows):
                for track, det in follows:
                    self.builder.extend(track, position, det)  # type: ignore[arg-type]
                return
        # a full search: scheduled, nothing followed, or a followed face was lost
        self._search_and_add(position, image)

    def patient(self) -> Track | None:
        return self.builder.patient(self.frame_size)

    @abstractmethod
    def _follow(self, track: Track, image: np.ndarray) -> Detection | None:
        """The track's face in this frame, or None when it was lost."""

    @abstractmethod
    def _search_and_add(self, position: int, image: np.ndarray) -> None:
        """A full search of the frame; its faces extend or start tracks."""


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

    def _search_and_add(self, position: int, image: np.ndarray) -> None:
        found = self.detector.detect(to_gray(image))
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

