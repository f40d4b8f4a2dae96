"""The settings of an AU detector training run, with the shipped model's values as defaults.

One owner for them: `mescreen train au` takes its option defaults from here, and the benches that
retrain the detector (bench/person_normalisation.py, bench/au_weak_faces.py) start from here, so
a change of the shipped setting is made once. Kept free of heavy imports: the command builds its
parser from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingSettings:
    """`weak_per_class` / `weak_weight`: FER+ faces per emotion with prototype AU labels and their
    training weight relative to a coded image, chosen on FER+ valid (bench/au_weak_faces.py);
    `shape_gain`: scale of the face-shape measures beside the HOG projection (0: appearance only),
    chosen by grouped folds; `copies`: the mirror plus copies - 1 jittered images per coded image;
    `face_features`: also read the per-frame emotion network's face features (mescreen.core.aus.detector;
    chosen on FER+ valid and grouped folds: bench/au_weak_faces.py --face-features);
    `wild_threshold_weight`: the FER+ faces' share in choosing each AU's threshold
    (mescreen.core.aus.detector.AUDetector's `wild_weight`; 0.5, both domains alike, set a priori)."""

    seed: int = 0
    copies: int = 2
    n_components: int = 400
    C: float = 0.0005
    weak_per_class: int = 1500
    weak_weight: float = 1.0
    shape_gain: float = 3.0
    face_features: bool = True
    wild_threshold_weight: float = 0.5
