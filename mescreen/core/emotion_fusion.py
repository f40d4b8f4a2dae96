"""Per-frame emotion from two readings of the same face: the frame model's 8 probabilities and the
AU detector's probabilities (the rule that combines them, learned, not hand-set).

Why: the frame model reads the whole face as web raters named photos, and confuses faces whose
overall look is alike (a crying face with shut eyes and stretched lips looks like a closed-eye
smile); the AU detector reads the parts that tell them apart (brows lowered or raised, lip
corners down or pulled up), from texture and from the mesh's shape measures. The fusion is a
multinomial logistic regression on [log frame-model probabilities, AU probabilities],
standardised, fitted on FER+ faces the frame model was not trained on (the validation split), with
the FER+ crowd majority as the label and rare emotions weighted up. It is stored as plain arrays
(scaler folded into the weights: one matrix product per batch), so loading runs no code.

At run time the AU probabilities are the person-normalised ones (mescreen.core.au), on stills
(training) they are raw: a person whose resting face reads like the training population's gets the
same values either way. A frame without an AU reading keeps the frame model's probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mescreen.core import datapaths
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import FRAME_EMOTIONS

MODEL_FILE = "emotion_fusion.json"
REBUILD_COMMAND = "mescreen train emotion-fusion"
FORMAT = "mescreen-emotion-fusion/1"
_FLOOR = 1e-4  # frame-model probabilities are floored before the log


def fusion_inputs(emotion_proba: np.ndarray, au_proba: np.ndarray) -> np.ndarray:
    """(n, 8 + k) rows: log frame-model probabilities, then AU probabilities."""
    e = np.log(np.clip(np.asarray(emotion_proba, np.float64), _FLOOR, 1.0))
    return np.concatenate([e, np.asarray(au_proba, np.float64)], axis=1)


class EmotionFusion:
    """Fused 8-emotion probabilities (scikit-learn style: fit / predict_proba).

    Parameters: `au_names` the AU columns it reads (by name, so the AU model's column order may
    change), `C` the inverse L2 strength, `weight_power` how strongly rare emotions are weighted
    (class weight = (largest class / class) ** power).
    """

    def __init__(self, au_names: Sequence[str], C: float = 1.0, weight_power: float = 0.5) -> None:
        self.au_names = list(au_names)
        self.C = C
        self.weight_power = weight_power
        self.metadata: dict[str, Any] = {}
        self.version = ""

    def fit(self, emotion_proba: np.ndarray, au_proba: np.ndarray, y: np.ndarray) -> "EmotionFusion":
        """Fit on frame-model probabilities (n, 8), AU probabilities (n, k) and labels y (n,) as
        indices into FRAME_EMOTIONS."""
        from sklearn.linear_model import LogisticRegression

        X = fusion_inputs(emotion_proba, au_proba)
        y = np.asarray(y, np.int64)
        if X.shape[1] != len(FRAME_EMOTIONS) + len(self.au_names) or len(y) != len(X):
            raise ValueError(f"expected (n, {len(FRAME_EMOTIONS)}) + (n, {len(self.au_names)}) inputs and n labels")
        counts = np.bincount(y, minlength=len(FRAME_EMOTIONS)).astype(np.float64)
        weight = (counts.max() / np.maximum(counts, 1.0)) ** self.weight_power
        mean, scale = X.mean(axis=0), np.maximum(X.std(axis=0), 1e-6)
        model = LogisticRegression(C=self.C, max_iter=2000).fit((X - mean) / scale, y, sample_weight=weight[y])
        coef = np.zeros((len(FRAME_EMOTIONS), X.shape[1]))
        intercept = np.full(len(FRAME_EMOTIONS), -30.0)  # an emotion absent from training: never chosen
        if len(model.classes_) == 2:  # scikit-learn keeps one row for two classes: logit of the second
            coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
            intercept[model.classes_[0]] = 0.0
        else:
            coef[model.classes_] = model.coef_
            intercept[model.classes_] = model.intercept_
        self.weights_ = (coef / scale).T  # (8 + k, 8) on raw inputs
        self.bias_ = intercept - (coef / scale) @ mean
        return self

    def predict_proba(self, emotion_proba: np.ndarray, au_proba: np.ndarray) -> np.ndarray:
        """(n, 8) fused probabilities; rows with any AU missing (NaN) keep `emotion_proba`."""
        emotion_proba = np.asarray(emotion_proba, np.float32)
        au_proba = np.asarray(au_proba, np.float64)
        out = emotion_proba.copy()
        rows = np.isfinite(au_proba).all(axis=1) & np.isfinite(emotion_proba).all(axis=1)
        if rows.any():
            z = fusion_inputs(emotion_proba[rows], au_proba[rows]) @ self.weights_ + self.bias_
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            out[rows] = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    def columns(self, au_names: Sequence[str]) -> list[int]:
        """Positions of this model's AUs among `au_names` (ModelMissingError if one is absent)."""
        missing = [a for a in self.au_names if a not in au_names]
        if missing:
            raise ModelMissingError(f"The emotion fusion reads AUs the AU model does not give: {missing}. "
                                    f"Rebuild it with `{REBUILD_COMMAND}`.")
        return [list(au_names).index(a) for a in self.au_names]

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({
            "format": FORMAT, "emotions": list(FRAME_EMOTIONS), "au_names": self.au_names, "C": self.C,
            "weight_power": self.weight_power, "weights": np.round(self.weights_, 7).tolist(),
            "bias": np.round(self.bias_, 7).tolist(), "metadata": self.metadata,
        }, indent=1) + "\n")

    @classmethod
    def load(cls, models_dir: Path | None = None) -> "EmotionFusion":
        path = Path(models_dir or datapaths.models_dir()) / MODEL_FILE
        try:
            meta = json.loads(path.read_text())
            if meta.get("format") != FORMAT or meta.get("emotions") != list(FRAME_EMOTIONS):
                raise ValueError(f"not an emotion fusion file (format {meta.get('format')!r})")
            model = cls(meta["au_names"], meta["C"], meta["weight_power"])
            model.weights_ = np.asarray(meta["weights"], np.float64)
            model.bias_ = np.asarray(meta["bias"], np.float64)
            model.metadata = meta.get("metadata", {})
        except (OSError, ValueError, KeyError) as exc:
            raise ModelMissingError(
                f"The emotion fusion model ({MODEL_FILE}) is missing or unreadable in {path.parent.name}/ ({exc}). "
                f"Rebuild it with `{REBUILD_COMMAND}`."
            ) from exc
        model.version = datapaths.model_version(path)
        return model
