"""Runtime AU stage: per-frame AU probabilities, normalised to the person being filmed.

Why normalise: a detector trained on other people reads some AUs into a person's resting face
(a low brow reads as AU4, a downturned mouth as AU15; in-the-wild neutral FER+ faces read AU1,
AU4 and AU15 near 0.5, above their thresholds). OpenFace's dynamic models correct this by
subtracting the person's neutral appearance (Baltrusaitis et al., FG 2015). We do the same on the
probabilities, streaming:

    p_norm = clip(p_raw - (neutral - neutral_level), 0, 1)

`neutral_level` is the population's resting reading of each AU, learned in training (the low
quantile of out-of-fold probabilities on frames coded without the AU): the level the detector's
thresholds, chosen on raw probabilities, expect of a neutral face. `neutral` is this person's
neutral reading: the mean of their raw probabilities over the frames the per-frame emotion model
calls neutral, each frame weighted by its p(neutral), and shrunk towards `neutral_level` as if
`prior_frames` (default 300, 10 s at 30 frames/s) fully neutral frames read exactly that
(`mescreen.core.aus.baseline.NeutralFaceLevel`; slow forgetting, half-life 9000 frames; fixed
memory). So a clip without a neutral-looking face is left as read, and a held expression is never
absorbed: a laugh, however long, carries little neutral weight.

Why not the person's own low quantile (the method before): it assumes the resting face fills a
tenth of the clip, and clips of crying then laughing break that. On CK+ and MEGC subjects (all
frames expressions) it cut the mean out-of-fold F1 from 0.719 (no normalisation) to 0.470; this
estimator keeps it at 0.721 (bench/person_normalisation.py with AU detector v5.1, which also
compares prior sizes: 30 / 100 / 1000 frames give 0.645 / 0.706 / 0.719; 300 was chosen on the
same comparison with v3, where it was best).

Eyes closed (AU43) is read from geometry, not appearance: no training set here codes it often
enough. With the landmark face stage's per-frame measures (`update(crop, geometry)`, columns as
`mescreen.core.face.mesh_track.MEASURES`), `p(AU43) = clip(1 - aperture / open_aperture, 0, 1)`, the
mean of both eyes' lid gap / eye width relative to this person's open-eye aperture (the 90th
percentile of their own apertures, same streaming estimate). It is active at `AU43_THRESHOLD`
(0.5: lids at less than half their open distance; the mesh reads about 0.3 open and under 0.1
closed, a ratio near 0.3), set a priori, not fitted. Without geometry AU43 is NaN (not read).
The open-eye estimate starts from `OPEN_EYE_PRIOR` counted as `OPEN_EYE_PRIOR_FRAMES` frames:
without it a recording that opens on shut eyes (a cry) took the shut eyes for this person's open
ones and read no AU43 until the eyes opened. The prior is the narrow end of open eyes in the
population: the 10% quantile of the aperture of FER+ training faces labelled neutral
(bench/open_eye_prior.py: 0.285 over 391 of 400 faces; median 0.365). Why the narrow end: while
the prior holds, shut eyes (under 0.1) still read closed against it, and a person with narrow
eyes is not read as closing them when they squint. A person whose eyes open wider takes over as
soon as their open frames make a tenth of the frames seen; 30 prior frames (about a second) mean
shut eyes must last about 300 frames (ten seconds) before they become the open level.

Face features: a detector trained with the per-frame emotion network's face features
(mescreen.core.aus.detector) reads them beside each crop (`update_many(..., embedding)`); it names the
emotion model version it was trained with, and `check_embedding` refuses any other.

AUs the detector cannot read reliably (mescreen.core.aus.detector.reliable) have a threshold above
1: their probability is reported, never "active".
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mescreen.core.aus.detector import AUDetector
from mescreen.core import datapaths
from mescreen.core.aus.baseline import NeutralBaseline, NeutralFaceLevel
from mescreen.core.errors import ModelMissingError
from mescreen.core.face.mesh_track import MEASURES

MODEL_FILE = "au_detector.npz"
REBUILD_COMMAND = "mescreen train au"

#: AUs read from the per-frame geometry, appended after the detector's, and their thresholds.
GEOMETRIC_AUS = ["AU43"]
AU43_THRESHOLD = 0.5
#: Population open-eye aperture and its weight in frames (see the module docstring).
OPEN_EYE_PRIOR = 0.285
OPEN_EYE_PRIOR_FRAMES = 30.0
_EYES = [MEASURES.index("eye_right"), MEASURES.index("eye_left")]


class AUStage:
    """Streaming AU reader for one person at a time (call `reset()` between people or videos)."""

    def __init__(
        self, detector: AUDetector, version: str = "", prior_frames: float = 300.0, half_life: float = 9000.0,
    ) -> None:
        self.detector = detector
        self.version = version
        self.au_names: list[str] = list(detector.au_names) + GEOMETRIC_AUS
        self.thresholds: np.ndarray = np.r_[detector.thresholds_, AU43_THRESHOLD].astype(np.float32)
        self.neutral_level: np.ndarray = np.asarray(detector.neutral_level_, np.float32)
        self.baseline = NeutralFaceLevel(self.neutral_level, prior_frames, half_life)
        self.open_eyes = NeutralBaseline(1, 0.9, half_life, prior=np.array([OPEN_EYE_PRIOR]),
                                         prior_frames=OPEN_EYE_PRIOR_FRAMES)
        unknown = [name for name in detector.shape_names if name not in MEASURES]
        if unknown:
            raise ModelMissingError(f"The AU model reads face-shape measures this version does not make: {unknown}. "
                                    f"Rebuild it with `{REBUILD_COMMAND}`.")
        self._shape_columns = [MEASURES.index(name) for name in detector.shape_names]
        self.reset()

    @classmethod
    def load(cls, models_dir: Path | None = None, prior_frames: float = 300.0, half_life: float = 9000.0) -> "AUStage":
        """The shipped detector; ModelMissingError names the command that rebuilds it."""
        path = Path(models_dir or datapaths.models_dir()) / MODEL_FILE
        if not path.is_file() or not path.with_suffix(".json").is_file():
            raise ModelMissingError(
                f"The AU model ({MODEL_FILE} and its .json) is missing from {path.parent.name}/. "
                f"Rebuild it with `{REBUILD_COMMAND}` (needs the research data in MESCREEN_DATA)."
            )
        try:
            detector = AUDetector.load(path)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            raise ModelMissingError(
                f"The AU model {MODEL_FILE} could not be read ({exc}). Rebuild it with `{REBUILD_COMMAND}`."
            ) from exc
        return cls(detector, datapaths.model_version(path), prior_frames, half_life)

    def reset(self) -> None:
        """Forget the person's baseline (new person or new video)."""
        self.baseline.reset()
        self.open_eyes.reset()

    def raw_proba(self, crops: np.ndarray) -> np.ndarray:
        """(n, n_au) detector probabilities without person normalisation (batched)."""
        return self.detector.predict_proba(crops)

    @property
    def embedding_model(self) -> str | None:
        """Version of the emotion model whose face features the detector reads (None: it reads none)."""
        return str(self.detector.metadata.get("embedding_model", "")) if self.detector.embedding_size else None

    def check_embedding(self, emotion_version: str) -> None:
        """ModelMissingError when the detector reads face features of another emotion model."""
        wanted = self.embedding_model
        if wanted is not None and wanted != emotion_version:
            raise ModelMissingError(
                f"The AU model was trained with the face features of emotion model {wanted or 'unknown'}, but "
                f"{emotion_version} is installed. Rebuild the AU model with `{REBUILD_COMMAND}`.")

    def update(
        self, crop: np.ndarray | None, geometry: np.ndarray | None = None, neutral: float = 0.0,
        embedding: np.ndarray | None = None,
    ) -> np.ndarray:
        """Person-normalised probabilities of one frame's crop and face-shape measures (then AU43),
        both from `geometry`, the frame's measures in `MEASURES` order (without it: appearance
        only, AU43 NaN); all NaN (and no update) when the crop is None. `neutral` is the emotion
        model's p(neutral) of this frame: its weight in the person's neutral level (0: none);
        `embedding` its face features (without them the detector uses their training mean)."""
        if crop is None:
            return np.full(len(self.au_names), np.nan, np.float32)
        features = None if embedding is None else np.asarray(embedding)[None]
        return self.update_many(np.asarray(crop)[None], [geometry], np.array([neutral]), features)[0]

    def update_many(
        self, crops: np.ndarray, geometries: Sequence[np.ndarray | None], neutral: np.ndarray,
        embedding: np.ndarray | None = None,
    ) -> np.ndarray:
        """`update` for consecutive frames of one person, in order: one detector call for all."""
        rows = [np.asarray(g, np.float32)[self._shape_columns] if g is not None else None for g in geometries]
        shape = None
        if any(r is not None for r in rows):  # a frame without geometry reads its shape as the training mean
            shape = np.stack([r if r is not None else np.full(len(self._shape_columns), np.nan, np.float32)
                              for r in rows])
        raw = self.detector.predict_proba(crops, shape, embedding)
        out = np.empty((len(raw), len(self.au_names)), np.float32)
        for i, (row, geometry, weight) in enumerate(zip(raw, geometries, neutral)):
            self.baseline.add(row, float(weight))
            out[i] = np.r_[self.normalise(row), self.eyes_closed(geometry)]
        return out

    def eyes_closed(self, geometry: np.ndarray | None) -> float:
        """p(AU43): 1 - eye aperture / this person's open-eye aperture (see the module docstring)."""
        eyes = np.asarray(geometry, np.float32)[_EYES] if geometry is not None else np.zeros(0, np.float32)
        eyes = eyes[np.isfinite(eyes)]
        if eyes.size == 0:
            return float("nan")
        aperture = float(eyes.mean())
        self.open_eyes.add(np.array([aperture]))
        open_level = float(self.open_eyes.value()[0])
        return float(np.clip(1.0 - aperture / open_level, 0.0, 1.0)) if open_level > 0 else float("nan")

    def normalise(self, raw: np.ndarray) -> np.ndarray:
        """Shift `raw` by the person's current neutral reading (see the module docstring)."""
        shift = self.baseline.value() - self.neutral_level
        return np.clip(raw - shift, 0.0, 1.0).astype(np.float32)
