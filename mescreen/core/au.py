"""Runtime AU stage: per-frame AU probabilities, normalised to the person being filmed.

Why normalise: a detector trained on other people reads some AUs into a person's resting face
(a low brow reads as AU4, a downturned mouth as AU15). OpenFace's dynamic models correct this by
subtracting the person's neutral appearance (Baltrusaitis et al., FG 2015). We do the same on the
probabilities, streaming:

    p_norm = clip(p_raw - w * (neutral(p_raw) - neutral_level), 0, 1)

`neutral` is this person's neutral reading of each AU: the low quantile (default 10th
percentile) of their raw probabilities over all frames with a face since `reset()`, with slow
forgetting (half-life 9000 frames, 5 min at 30 frames/s), kept in a fixed-size histogram
(`mescreen.core.baseline.NeutralBaseline`). `neutral_level` is the population's reading at the
same quantile, learned in training from frames coded without the AU, so a person whose resting
face reads like the training population's is left unchanged and the detector's thresholds (chosen
out of fold on raw probabilities) apply to the normalised values. Because the baseline comes from
the person's least expressive frames, an expression held for a long time (a laugh, a sad face)
stays active: it is absorbed only when it fills more than 90% of everything seen. (The previous
running median absorbed any expression held for about 5 s.)

Eyes closed (AU43) is read from geometry, not appearance: no training set here codes it often
enough. With the landmark face stage's per-frame measures (`update(crop, geometry)`, columns as
`mescreen.core.mesh_track.MEASURES`), `p(AU43) = clip(1 - aperture / open_aperture, 0, 1)`, the
mean of both eyes' lid gap / eye width relative to this person's open-eye aperture (the 90th
percentile of their own apertures, same streaming estimate). It is active at `AU43_THRESHOLD`
(0.5: lids at less than half their open distance; the mesh reads about 0.3 open and under 0.1
closed, a ratio near 0.3), set a priori, not fitted. Without geometry AU43 is NaN (not read).

AUs the detector cannot read reliably (mescreen.core.au_model.reliable) have a threshold above
1: their probability is reported, never "active". `w = min(1, frames_seen / warmup)` phases the
correction in over the first `warmup` frames, when the quantile still rests on a few frames.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from mescreen.core.au_model import AUDetector
from mescreen.core import datapaths
from mescreen.core.baseline import NeutralBaseline
from mescreen.core.errors import ModelMissingError
from mescreen.core.mesh_track import MEASURES

MODEL_FILE = "au_detector.npz"
REBUILD_COMMAND = "mescreen train au"

#: AUs read from the per-frame geometry, appended after the detector's, and their thresholds.
GEOMETRIC_AUS = ["AU43"]
AU43_THRESHOLD = 0.5
_EYES = [MEASURES.index("eye_right"), MEASURES.index("eye_left")]


class AUStage:
    """Streaming AU reader for one person at a time (call `reset()` between people or videos)."""

    def __init__(
        self, detector: AUDetector, version: str = "", warmup: int = 30, half_life: float = 9000.0,
    ) -> None:
        if warmup < 1:
            raise ValueError("warmup must be at least 1 frame")
        self.detector = detector
        self.version = version
        self.warmup = warmup
        self.au_names: list[str] = list(detector.au_names) + GEOMETRIC_AUS
        self.thresholds: np.ndarray = np.r_[detector.thresholds_, AU43_THRESHOLD].astype(np.float32)
        self.neutral_level: np.ndarray = np.asarray(detector.neutral_level_, np.float32)
        self.baseline = NeutralBaseline(len(detector.au_names), detector.resting_quantile, half_life)
        self.open_eyes = NeutralBaseline(1, 0.9, half_life)
        unknown = [name for name in detector.shape_names if name not in MEASURES]
        if unknown:
            raise ModelMissingError(f"The AU model reads face-shape measures this version does not make: {unknown}. "
                                    f"Rebuild it with `{REBUILD_COMMAND}`.")
        self._shape_columns = [MEASURES.index(name) for name in detector.shape_names]
        self.reset()

    @classmethod
    def load(cls, models_dir: Path | None = None, warmup: int = 30, half_life: float = 9000.0) -> "AUStage":
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
        return cls(detector, datapaths.model_version(path), warmup, half_life)

    def reset(self) -> None:
        """Forget the person's baseline (new person or new video)."""
        self.baseline.reset()
        self.open_eyes.reset()

    def raw_proba(self, crops: np.ndarray) -> np.ndarray:
        """(n, n_au) detector probabilities without person normalisation (batched)."""
        return self.detector.predict_proba(crops)

    def update(self, crop: np.ndarray | None, geometry: np.ndarray | None = None) -> np.ndarray:
        """Person-normalised probabilities of one frame's crop and face-shape measures (then AU43),
        both from `geometry`, the frame's measures in `MEASURES` order (without it: appearance
        only, AU43 NaN); all NaN (and no update) when the crop is None."""
        if crop is None:
            return np.full(len(self.au_names), np.nan, np.float32)
        shape = np.asarray(geometry, np.float32)[self._shape_columns] if geometry is not None else None
        raw = self.detector.predict_proba(crop, None if shape is None else shape[None])[0]
        self.baseline.add(raw)
        return np.r_[self.normalise(raw), self.eyes_closed(geometry)].astype(np.float32)

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
        if self.baseline.seen == 0:
            return np.asarray(raw, np.float32)
        weight = min(1.0, self.baseline.seen / self.warmup)
        shift = weight * (self.baseline.value() - self.neutral_level)
        return np.clip(raw - shift, 0.0, 1.0).astype(np.float32)

    def active(self, p_norm: np.ndarray) -> list[str]:
        """AU names whose normalised probability reaches its threshold (NaN counts as inactive)."""
        return [name for name, p, t in zip(self.au_names, p_norm, self.thresholds) if p >= t]
