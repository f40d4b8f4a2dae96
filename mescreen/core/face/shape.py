"""Face-shape measures from the 468-point mesh: the geometric half of the AU detector's input.

Why: appearance (HOG) alone reads AUs from texture, which changes with lighting, skin and
camera; many AUs are first of all a change of shape (AU12 pulls the lip corners up and out, AU15
pulls them down, AU25/26 part the lips and drop the jaw, AU1/AU2/AU4 move the brows, AU6/AU7
raise the lower lid and cheek). Each measure is a distance or height in the aligned crop's frame
(`mescreen.core.face.mesh.alignment_geometry`: the eye corners and nose bridge mapped onto fixed
points), so it is already normalised for face size, position and head tilt, in units of the
crop side (CROP_SIZE). Every measure is the mean of the face's two sides, so a mirrored face
gives the same values (mirroring is a training augmentation) and one occluded side halves,
not breaks, a reading.

Vertical measures are positive upward (image y grows downward). Landmark indices follow
MediaPipe's canonical face mesh; the groups below were chosen from its published topology.
"""

from __future__ import annotations

import numpy as np

from mescreen.core.face.crop import CROP_SIZE, FaceGeometry
from mescreen.core.face.mesh import alignment_geometry, crop_matrix

# (right side, left side) landmark pairs: inner, middle and outer brow (upper edge), the eye's
# inner and outer corners and lid midpoints, the lip corners, the nose wings, a cheek point
# below the eye and the lower-lid edge below it.
_BROW_INNER = (107, 336)
_BROW_MID = (105, 334)
_BROW_OUTER = (70, 300)
_EYE_INNER = (133, 362)
_EYE_OUTER = (33, 263)
_LID_UPPER = (159, 386)
_LID_LOWER = (145, 374)
_LIP_CORNER = (61, 291)
_NOSE_WING = (129, 358)
_CHEEK = (205, 425)
_UNDER_EYE = (230, 450)
# Midline points.
_LIP_OUTER_TOP, _LIP_INNER_TOP, _LIP_INNER_BOTTOM, _LIP_OUTER_BOTTOM = 0, 13, 14, 17
_NOSE_TIP, _SUBNASALE, _CHIN = 1, 2, 152

#: Names of the measures, in `face_shape` order (what each mainly moves with, in brackets).
SHAPE_FEATURES = (
    "brow_inner_height",  # inner brow above the eye's inner corner (AU1 up, AU4 down)
    "brow_mid_height",  # (AU1+AU2)
    "brow_outer_height",  # outer brow above the outer corner (AU2)
    "brow_gap",  # distance between the inner brows (AU4 knits them)
    "lid_gap",  # upper to lower lid (AU5 wide, AU6/AU7 narrow, AU43 closed)
    "lower_lid_height",  # lower lid above the eye-corner line (AU6/AU7 raise it)
    "cheek_height",  # cheek point below the eye (AU6 lifts the cheek)
    "under_eye_height",  # (AU6)
    "corner_lift",  # lip corners above the lips' vertical midpoint (AU12 up, AU15 down)
    "corner_to_nose",  # lip corners below the nose tip (AU12 shortens, AU15 lengthens)
    "mouth_width",  # corner to corner (AU12, AU20 widen; AU18, AU23 narrow)
    "lip_gap",  # inner lips apart (AU25)
    "upper_lip_to_nose",  # (AU10 raises the upper lip, AU9 too)
    "lip_thickness",  # outer minus inner lip height (AU23/AU24 thin the lips)
    "chin_drop",  # chin below the nose tip (AU26/AU27 drop the jaw; AU17 raises the chin)
    "lower_lip_to_chin",  # (AU17 shortens, AU16 changes it)
    "nose_wing_width",  # (AU9 flares and lifts the wings)
    "corner_to_nose_wing",  # lip corner to the nose wing (AU12, AU13, AU9/AU10 shorten)
)


def _y(xy: np.ndarray, pair: tuple[int, int]) -> float:
    return float((xy[pair[0], 1] + xy[pair[1], 1]) / 2)


def _dist(xy: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(xy[a] - xy[b]))


def _side_mean(xy: np.ndarray, first: tuple[int, int], second: tuple[int, int]) -> float:
    """Mean over both sides of the distance from `first` to `second`."""
    return (_dist(xy, first[0], second[0]) + _dist(xy, first[1], second[1])) / 2


def aligned_points(points: np.ndarray, geometry: FaceGeometry | None = None) -> np.ndarray:
    """(468, 2) landmarks in the aligned crop's frame, in crop sides (0..1 across the crop);
    `geometry` is the points' own `alignment_geometry` when the caller has it already."""
    matrix = crop_matrix(geometry or alignment_geometry(points))
    return (points[:, :2] @ matrix[:, :2].T + matrix[:, 2]) / CROP_SIZE


def face_shape(points: np.ndarray, geometry: FaceGeometry | None = None) -> tuple[float, ...]:
    """The `SHAPE_FEATURES` of one mesh (468 x 2 or 3 image points; `geometry` as in `aligned_points`)."""
    xy = aligned_points(np.asarray(points, np.float64), geometry)
    eye_line = (_y(xy, _EYE_INNER) + _y(xy, _EYE_OUTER)) / 2
    lips_mid = (xy[_LIP_OUTER_TOP, 1] + xy[_LIP_OUTER_BOTTOM, 1]) / 2
    corners = _y(xy, _LIP_CORNER)
    nose = xy[_NOSE_TIP, 1]
    return (
        _y(xy, _EYE_INNER) - _y(xy, _BROW_INNER),
        eye_line - _y(xy, _BROW_MID),
        _y(xy, _EYE_OUTER) - _y(xy, _BROW_OUTER),
        _dist(xy, *_BROW_INNER),
        _side_mean(xy, _LID_UPPER, _LID_LOWER),
        eye_line - _y(xy, _LID_LOWER),
        eye_line - _y(xy, _CHEEK),
        eye_line - _y(xy, _UNDER_EYE),
        float(lips_mid - corners),
        float(corners - nose),
        _dist(xy, *_LIP_CORNER),
        _dist(xy, _LIP_INNER_TOP, _LIP_INNER_BOTTOM),
        float(xy[_LIP_OUTER_TOP, 1] - xy[_SUBNASALE, 1]),
        _dist(xy, _LIP_OUTER_TOP, _LIP_OUTER_BOTTOM) - _dist(xy, _LIP_INNER_TOP, _LIP_INNER_BOTTOM),
        float(xy[_CHIN, 1] - nose),
        float(xy[_CHIN, 1] - xy[_LIP_OUTER_BOTTOM, 1]),
        _dist(xy, *_NOSE_WING),
        _side_mean(xy, _LIP_CORNER, _NOSE_WING),
    )
