"""What the face did in an episode, from its stored face-mesh landmarks (features, not the face).

An episode keeps the 468 landmarks (MediaPipe's face-mesh numbering, see mescreen.core.face.mesh) at
onset and apex, in the aligned face crop's 0..1 coordinates. Both sets are aligned on the eye
corners and the nose bridge, so what differs between them is expression, not head movement. This
module measures how far each face region moved and which regions moved most; the screen
(mescreen/app/charts.py) and the PDF (mescreen/app/report_pdf.py) draw the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mescreen.core.face.mesh import LEFT_EYE_OUTER, N_LANDMARKS, RIGHT_EYE_OUTER
from mescreen.core.result import Episode
from mescreen.app.au_words import REGIONS, au_region

__all__ = ["CONTOURS", "REGIONS", "REGION_COLOURS", "REGION_POINTS", "STILL_COLOUR", "Evidence", "episode_evidence",
           "schematic_regions"]

#: Lines drawn for each region (closed loops repeat their first index), MediaPipe's face-mesh
#: contours: eyebrows, eyes, lips, nose bridge and base, face outline.
CONTOURS: dict[str, list[list[int]]] = {
    "brows": [[70, 63, 105, 66, 107], [46, 53, 52, 65, 55], [300, 293, 334, 296, 336], [276, 283, 282, 295, 285]],
    "eyelids": [[33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246, 33],
                [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466, 263]],
    "nose": [[168, 6, 197, 195, 5, 4, 1], [98, 97, 2, 326, 327]],
    "mouth": [[61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185, 61],
              [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191, 78]],
    "outline": [[10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
                 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10]],
}

#: Landmarks whose movement is measured for each region (contour points plus the cheek and chin
#: surfaces, which have no contour of their own).
REGION_POINTS: dict[str, list[int]] = {
    "brows": sorted({i for line in CONTOURS["brows"] for i in line}),
    "eyelids": sorted({i for line in CONTOURS["eyelids"] for i in line}),
    "cheeks": [50, 101, 36, 205, 187, 123, 116, 117, 118, 119, 280, 330, 266, 425, 411, 352, 345, 346, 347, 348],
    "nose": sorted({i for line in CONTOURS["nose"] for i in line}),
    "mouth": sorted({i for line in CONTOURS["mouth"] for i in line}),
    "chin and jaw": [152, 175, 199, 200, 148, 176, 149, 377, 400, 378, 171, 396],
}

#: A region counts as moving when it moved at least this share of the most-moving region's
#: distance, and at least MIN_MOVEMENT: with one clear movement the others are mostly noise.
MOVING_SHARE = 0.5
#: Smallest movement (share of the distance between the outer eye corners) called a movement:
#: about the landmarks' frame-to-frame jitter on a still face.
MIN_MOVEMENT = 0.005


@dataclass(frozen=True)
class Evidence:
    """An episode's landmarks and what moved between onset and apex."""

    onset: np.ndarray  # (468, 2) x, y in 0..1 crop coordinates (y down)
    apex: np.ndarray  # (468, 2)
    movement: dict[str, float]  # region -> mean landmark distance, share of the eye-corner distance
    moving: list[str]  # regions that moved (most first)
    au_regions: dict[str, list[str]]  # region -> the episode's active AUs that move it

    def region_colour(self, region: str) -> str:
        return REGION_COLOURS.get(region, "#999999") if region in self.moving else STILL_COLOUR

    def caption(self) -> str:
        """One sentence for clinicians: which regions moved, how much, and the AUs read there."""
        if not self.moving:
            return "No region moved more than the landmarks' usual jitter between onset and apex."
        parts = []
        for region in self.moving:
            aus = ", ".join(self.au_regions.get(region, []))
            parts.append(f"{region} ({100 * self.movement[region]:.1f}%{'; ' + aus if aus else ''})")
        return ("Moved most between onset and apex (distance as % of the eye-corner distance; AUs read "
                "there): " + "; ".join(parts) + ".")


#: One colour per face region, the same on the glossary page, in the evidence pictures and the PDF.
REGION_COLOURS: dict[str, str] = {
    "brows": "#0072B2", "eyelids": "#56B4E9", "cheeks": "#E69F00", "nose": "#8C6D1F",
    "mouth": "#D55E00", "chin and jaw": "#CC79A7",
}
STILL_COLOUR = "#B0B0B0"


def _points(value: object) -> np.ndarray | None:
    arr = np.asarray(value, dtype=float)
    return arr[:, :2] if arr.ndim == 2 and arr.shape[0] == N_LANDMARKS and arr.shape[1] >= 2 else None


def episode_evidence(episode: Episode) -> Evidence | None:
    """The episode's evidence, or None when it has no landmarks (Haar face stage, older sessions)."""
    onset = _points(episode.landmarks.get("onset", []))
    apex = _points(episode.landmarks.get("apex", []))
    if onset is None or apex is None:
        return None
    scale = float(np.linalg.norm(onset[RIGHT_EYE_OUTER] - onset[LEFT_EYE_OUTER])) or 1.0
    distance = np.linalg.norm(apex - onset, axis=1) / scale
    movement = {region: float(distance[idx].mean()) for region, idx in REGION_POINTS.items()}
    largest = max(movement.values())
    moving = sorted((r for r, m in movement.items() if m >= max(MOVING_SHARE * largest, MIN_MOVEMENT)),
                    key=lambda r: -movement[r])
    au_regions: dict[str, list[str]] = {}
    for au in episode.active_aus:
        au_regions.setdefault(au_region(au), []).append(au)
    return Evidence(onset, apex, movement, moving, au_regions)


def schematic_regions() -> dict[str, list[tuple[float, float, float, float]]]:
    """Where each region sits on a schematic face (boxes x0, y0, x1, y1 in 0..1, y down; the
    cheeks are two, beside the nose, not under it): the glossary picture, which needs no patient's
    landmarks. Each box carries its region's label."""
    return {
        "brows": [(0.22, 0.25, 0.78, 0.33)], "eyelids": [(0.22, 0.35, 0.78, 0.45)],
        "nose": [(0.42, 0.47, 0.58, 0.62)],
        "cheeks": [(0.16, 0.47, 0.40, 0.62), (0.60, 0.47, 0.84, 0.62)],
        "mouth": [(0.26, 0.64, 0.74, 0.80)], "chin and jaw": [(0.34, 0.82, 0.66, 0.93)],
    }
