"""The crop contract every model depends on: where a face is, and how its crop is cut.

Every consumer (AU detector, both emotion networks, their training code) gets crops from
`crop_face`, so training and runtime crops are made the same way: grayscale uint8, `CROP_SIZE` x
`CROP_SIZE`, eyes level, histogram-equalised with CLAHE (the paper's pre-processing). Both face
stages (the paper's Haar stage in `haar`, the landmark stage in `mesh`) describe a face as a
`Detection` and cut it through a `FaceGeometry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

#: Side of every face crop handed to the models, in pixels.
CROP_SIZE = 128

#: Crop side relative to the Haar box side (Haar boxes cut the chin and forehead a little).
CROP_MARGIN = 1.15

_CLAHE_CLIP = 2.0
_CLAHE_TILES = (8, 8)


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

