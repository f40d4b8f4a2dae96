"""AU -> emotion mapping: the paper's step "map combinations of activated AUs to emotions".

Two mappers with the same interface (`predict_proba(active_aus) -> {emotion: p}` over
mescreen.core.labels.EMOTIONS_FINE):

- `AUEmotionMapper`: learned from the datasets' own coding sheets (CASME II, SAMM, CK+): a
  class-balanced multinomial logistic regression on which AUs are active. Learned because
  spontaneous micro-expressions rarely show a full prototype (CASME II codes most disgust as
  4+7 or 4+9, not 9+15+16).
- `PrototypeRules`: the FACS / EMFACS prototype combinations as a knowledge-based baseline. The
  prototypes are those of the FACS Investigator's Guide (Ekman, Friesen & Hager, 2002; EMFACS:
  Friesen & Ekman, 1983) as commonly tabulated (happiness 6+12; sadness 1+4+15; surprise
  1+2+5B+26; fear 1+2+4+5+7+20+26; anger 4+5+7+23; disgust 9+15+16; contempt R12A+R14A), with the
  alternative criteria Lucey et al. (CVPRW 2010, CK+ Table 2) used to validate CK+ labels
  (disgust 9 or 10; sadness 6+15; contempt 14). Intensity and side letters are not used, since
  the runtime detector reports occurrence only. A set scores an emotion by its best Jaccard
  overlap with one of the emotion's combinations.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core import datapaths
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE

MODEL_FILE = "au_emotion.json"
REBUILD_COMMAND = "mescreen train au --only mapping"
FORMAT = "mescreen-au-emotion/1"

PROTOTYPES: dict[str, list[frozenset[int]]] = {
    "anger": [frozenset({4, 5, 7, 23})],
    "contempt": [frozenset({12, 14}), frozenset({14})],
    "disgust": [frozenset({9, 15, 16}), frozenset({9}), frozenset({10})],
    "fear": [frozenset({1, 2, 4, 5, 7, 20, 26})],
    "happiness": [frozenset({6, 12})],
    "sadness": [frozenset({1, 4, 15}), frozenset({6, 15})],
    "surprise": [frozenset({1, 2, 5, 26})],
}


def au_numbers(active_aus: Collection[str | int]) -> frozenset[int]:
    """{"AU4", "AU7"} or {4, 7} -> frozenset({4, 7})."""
    out = set()
    for au in active_aus:
        text = str(au).upper()
        out.add(int(text[2:] if text.startswith("AU") else text))
    return frozenset(out)


class PrototypeRules:
    """FACS/EMFACS prototype combinations (see the module docstring); nothing to fit."""

    classes: list[str] = list(EMOTIONS_FINE)
    version = "facs-emfacs-prototypes/1"

    def scores(self, active_aus: Collection[str | int]) -> np.ndarray:
        """Best Jaccard overlap with each emotion's combinations, in EMOTIONS_FINE order."""
        aus = au_numbers(active_aus)
        return np.array([
            max((len(aus & p) / len(aus | p) for p in PROTOTYPES[e]), default=0.0) for e in EMOTIONS_FINE
        ])

    def predict_proba(self, active_aus: Collection[str | int]) -> dict[str, float]:
        s = self.scores(active_aus)
        p = s / s.sum() if s.sum() > 0 else np.full(len(s), 1.0 / len(s))
        return dict(zip(EMOTIONS_FINE, map(float, p)))

    def predict(self, au_sets: Sequence[Collection[str | int]]) -> list[str]:
        """Best-matching emotion per set (ties go to the first in EMOTIONS_FINE order)."""
        return [EMOTIONS_FINE[int(np.argmax(self.scores(s)))] for s in au_sets]


class AUEmotionMapper:
    """Learned AU-set -> fine-emotion mapping (scikit-learn style: fit / predict_proba / predict).

    `au_names`: the AUs used as inputs (others in a set are ignored: the runtime detector reads
    only these); `C`: inverse L2 strength. Emotions absent from the training data get probability 0.
    """

    def __init__(self, au_names: list[str] | None = None, C: float = 1.0) -> None:
        self.au_names = list(au_names or AU_NAMES)
        self.C = C
        self.version = ""
        self.metadata: dict[str, Any] = {}

    def _matrix(self, au_sets: Sequence[Collection[str | int]]) -> np.ndarray:
        index = {int(name[2:]): j for j, name in enumerate(self.au_names)}
        X = np.zeros((len(au_sets), len(self.au_names)), np.float64)
        for i, s in enumerate(au_sets):
            for au in au_numbers(s):
                if au in index:
                    X[i, index[au]] = 1.0
        return X

    def fit(self, au_sets: Sequence[Collection[str | int]], emotions: Sequence[str]) -> "AUEmotionMapper":
        from sklearn.linear_model import LogisticRegression  # fitting only: the runtime reads coef_ / intercept_

        y = np.asarray(emotions, str)
        unknown = sorted(set(y) - set(EMOTIONS_FINE))
        if unknown:
            raise ValueError(f"emotions outside EMOTIONS_FINE: {unknown}")
        classes = [e for e in EMOTIONS_FINE if e in set(y)]
        if len(classes) < 2:
            raise ValueError("need at least two emotions to learn a mapping")
        lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=5000).fit(self._matrix(au_sets), y)
        self.classes_ = [str(c) for c in lr.classes_]
        self.coef_ = lr.coef_ if len(self.classes_) > 2 else np.vstack([-lr.coef_, lr.coef_])
        self.intercept_ = lr.intercept_ if len(self.classes_) > 2 else np.array([-lr.intercept_[0], lr.intercept_[0]])
        return self

    def proba_matrix(self, au_sets: Sequence[Collection[str | int]]) -> np.ndarray:
        """(n, len(EMOTIONS_FINE)) probabilities; unseen emotions get 0."""
        logits = self._matrix(au_sets) @ np.asarray(self.coef_).T + np.asarray(self.intercept_)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        out = np.zeros((len(au_sets), len(EMOTIONS_FINE)))
        for j, c in enumerate(self.classes_):
            out[:, EMOTIONS_FINE.index(c)] = p[:, j]
        return out

    def predict_proba(self, active_aus: Collection[str | int]) -> dict[str, float]:
        """Probability of each fine emotion given the set of active AUs."""
        return dict(zip(EMOTIONS_FINE, map(float, self.proba_matrix([active_aus])[0])))

    def predict(self, au_sets: Sequence[Collection[str | int]]) -> list[str]:
        return [EMOTIONS_FINE[int(i)] for i in np.argmax(self.proba_matrix(au_sets), axis=1)]

    def save(self, path: Path) -> None:
        """Plain JSON (weights as lists): readable, diffable, no pickle."""
        data = {
            "format": FORMAT, "au_names": self.au_names, "C": self.C, "classes": self.classes_,
            "coef": np.asarray(self.coef_).round(6).tolist(), "intercept": np.asarray(self.intercept_).round(6).tolist(),
            "metadata": self.metadata,
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, models_dir: Path | None = None) -> "AUEmotionMapper":
        """The shipped mapping; ModelMissingError names the command that rebuilds it."""
        path = Path(models_dir or datapaths.models_dir()) / MODEL_FILE
        if not path.is_file():
            raise ModelMissingError(
                f"The AU-to-emotion mapping ({MODEL_FILE}) is missing from {path.parent.name}/. "
                f"Rebuild it with `{REBUILD_COMMAND}` (needs the research data in MESCREEN_DATA)."
            )
        try:
            data = json.loads(path.read_text())
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            mapper = cls(data["au_names"], data["C"])
            mapper.classes_ = list(data["classes"])
            mapper.coef_ = np.asarray(data["coef"], np.float64)
            mapper.intercept_ = np.asarray(data["intercept"], np.float64)
        except (ValueError, KeyError) as exc:
            raise ModelMissingError(
                f"The AU-to-emotion mapping {MODEL_FILE} could not be read ({exc}). Rebuild it with `{REBUILD_COMMAND}`."
            ) from exc
        mapper.metadata = data.get("metadata", {})
        mapper.version = datapaths.model_version(path)
        return mapper
