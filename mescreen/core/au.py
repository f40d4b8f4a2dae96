"""Runtime AU stage: per-frame AU probabilities, normalised to the person being filmed.

Why normalise: a detector trained on other people reads some AUs into a person's resting face
(a low brow reads as AU4, a downturned mouth as AU15). OpenFace's dynamic models correct this by
subtracting the person's median appearance, which is mostly neutral over a long recording
(Baltrusaitis et al., FG 2015). We do the same on the probabilities, streaming:

    p_norm = clip(p_raw - w * (median_window(p_raw) - neutral_level), 0, 1)

`median_window` is the per-AU median of this person's raw probabilities over the last `window`
frames with a face (default 300 frames, 10 s at 30 analysed frames/s; constant memory), and
`neutral_level` is the population's resting level learned in training (the median out-of-fold
probability over training frames coded without that AU). A person whose resting face reads like
the training population's is left unchanged, so the detector's thresholds (chosen out of fold on
raw probabilities) apply to the normalised values. AUs the detector cannot read reliably
(mescreen.core.au_model.reliable) have a threshold above 1: their probability is reported, never
"active". `w = min(1, frames_seen / warmup)` phases the correction in over the first `warmup` frames, when the median still rests on a few frames. An
expression held for more than half the window starts to be absorbed into the baseline.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from mescreen.core.au_model import AUDetector
from mescreen.core import datapaths
from mescreen.core.errors import ModelMissingError

MODEL_FILE = "au_detector.npz"
REBUILD_COMMAND = "mescreen train au"


class AUStage:
    """Streaming AU reader for one person at a time (call `reset()` between people or videos)."""

    def __init__(self, detector: AUDetector, version: str = "", window: int = 300, warmup: int = 30) -> None:
        if window < 1 or warmup < 1:
            raise ValueError("window and warmup must be at least 1 frame")
        self.detector = detector
        self.version = version
        self.window = window
        self.warmup = warmup
        self.au_names: list[str] = list(detector.au_names)
        self.thresholds: np.ndarray = np.asarray(detector.thresholds_, np.float32)
        self.neutral_level: np.ndarray = np.asarray(detector.neutral_level_, np.float32)
        self._history = np.empty((window, len(self.au_names)), np.float32)
        self.reset()

    @classmethod
    def load(cls, models_dir: Path | None = None, window: int = 300, warmup: int = 30) -> "AUStage":
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
        return cls(detector, datapaths.model_version(path), window, warmup)

    def reset(self) -> None:
        """Forget the person's baseline (new person or new video)."""
        self._seen = 0

    def raw_proba(self, crops: np.ndarray) -> np.ndarray:
        """(n, n_au) detector probabilities without person normalisation (batched)."""
        return self.detector.predict_proba(crops)

    def update(self, crop: np.ndarray | None) -> np.ndarray:
        """Person-normalised probabilities of one frame's crop; NaN (and no update) when None."""
        if crop is None:
            return np.full(len(self.au_names), np.nan, np.float32)
        raw = self.detector.predict_proba(crop)[0]
        self._history[self._seen % self.window] = raw
        self._seen += 1
        return self.normalise(raw)

    def normalise(self, raw: np.ndarray) -> np.ndarray:
        """Shift `raw` by the person's current baseline (see the module docstring)."""
        filled = self._history[: min(self._seen, self.window)]
        if filled.shape[0] == 0:
            return np.asarray(raw, np.float32)
        weight = min(1.0, self._seen / self.warmup)
        baseline = np.median(filled, axis=0)
        return np.clip(raw - weight * (baseline - self.neutral_level), 0.0, 1.0).astype(np.float32)

    def active(self, p_norm: np.ndarray) -> list[str]:
        """AU names whose normalised probability reaches its threshold (NaN counts as inactive)."""
        return [name for name, p, t in zip(self.au_names, p_norm, self.thresholds) if p >= t]
