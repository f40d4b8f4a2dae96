"""Per-frame action-unit detector: HOG appearance plus face-shape measures, one linear model per AU.

Why this design: the pipeline must read AUs on every analysed frame at >= 150 frames/s on two
CPU cores, so the per-frame cost has to stay near a millisecond. OpenFace (Baltrusaitis et al.,
FG 2015 / 2018) showed that HOG appearance features with linear per-AU models are a solid
baseline for AU occurrence; we follow that recipe: HOG of a downsized crop, standardisation,
PCA, and a class-balanced logistic regression per AU with its own decision threshold chosen on
out-of-fold predictions (never on the data it is scored on), of the coded lab images and, at
`wild_weight`, of weakly labelled faces in the wild. All stages are linear up to the
sigmoid, so prediction is one matrix product; the model is saved as plain `.npz` arrays plus a
JSON sidecar (no pickle: loading a pickle from `models/` would execute code).

Shape: with `shape_names` set, each row also carries the face-mesh measures of
`mescreen.core.face.shape` (lip-corner lift, mouth width, brow heights, lid gap, ...), which read
AUs from geometry rather than texture (OpenFace does the same with its landmark features). They
are standardised and appended to the PCA projection of the HOG part (not projected: a handful of
columns that PCA on 1,764 HOG columns would drown), scaled by `shape_gain`. A face without a mesh
(the paper's Haar stage, a failed mesh) gets the training mean for each measure, so its reading
falls back to appearance alone.

Face features: with `embedding_size` > 0, each row also carries the per-frame emotion network's
face features (mescreen.core.emotion.frame.model: the values its classifier reads), appended after
the shape measures and treated like them (standardised, scaled by `shape_gain`, training mean
when missing). Why: that network learned faces in the wild from 25,000 FER+ faces, the HOG part
only from ~1,300 coded lab images and a few thousand weakly labelled faces; on FER+ valid faces
the features raised the mean AUC of the emotions' prototype AUs from 0.88 to 0.92 (detector v4;
0.965 with the deeper emotion network of v5; bench/RESULTS.md and the model card). The detector is then tied to that emotion model: `metadata["embedding_model"]` holds
its version and the runtime refuses a different one (mescreen.core.aus.stage.AUStage.check_embedding).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from mescreen.core.aus.activity import active_mask
from mescreen.core.errors import InputError
from mescreen.core.labels import AU_NAMES

FORMAT = "mescreen-au-detector/5"
#: Formats `load` reads (version 4 had no face features).
READABLE_FORMATS = ("mescreen-au-detector/4", FORMAT)

if TYPE_CHECKING:  # scikit-learn and scipy.optimize serve fitting only: an analysis starts without them
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class HOGParams:
    """HOG layout on a `size` x `size` grayscale image (cells of `cell` px, 2x2-cell blocks)."""

    size: int = 64
    cell: int = 8
    bins: int = 9

    def descriptor(self) -> cv2.HOGDescriptor:
        block = 2 * self.cell
        return cv2.HOGDescriptor(
            (self.size, self.size), (block, block), (self.cell, self.cell), (self.cell, self.cell), self.bins
        )


def hog_features(crops: np.ndarray, params: HOGParams = HOGParams()) -> np.ndarray:
    """(n, d) float32 HOG features of n grayscale crops of any (equal) size."""
    crops = _as_gray_batch(crops)
    hog = params.descriptor()
    out = np.empty((crops.shape[0], hog.getDescriptorSize()), np.float32)
    for i, crop in enumerate(crops):
        small = crop if crop.shape[0] == params.size else cv2.resize(
            crop, (params.size, params.size), interpolation=cv2.INTER_AREA
        )
        out[i] = hog.compute(small).ravel()
    return out


def _as_gray_batch(crops: np.ndarray) -> np.ndarray:
    crops = np.asarray(crops)
    if crops.ndim == 2:
        crops = crops[None]
    if crops.ndim != 3 or crops.shape[1] != crops.shape[2] or crops.shape[1] < 16:
        raise InputError(f"AU detector expects square grayscale face crops, got an array of shape {crops.shape}.")
    if crops.dtype != np.uint8:
        crops = np.clip(crops, 0, 255).astype(np.uint8)
    return crops


#: Threshold of an AU the detector cannot read reliably: above any probability, so it is never
#: called active (its probability is still reported). Reliable means out-of-fold AUC >= MIN_AUC
#: and F1 >= MIN_F1_GAIN x the F1 of always answering "present".
NEVER_ACTIVE = 2.0
MIN_AUC = 0.7
MIN_F1_GAIN = 1.25

#: Thresholds are kept inside this range: an F1-optimal threshold of ~0 means "always on", which
#: happens for AUs the detector cannot separate (AUC near 0.5) and would flood the mapping.
THRESHOLD_RANGE = (0.05, 0.95)


def best_f1_threshold(y: np.ndarray, p: np.ndarray, bounds: tuple[float, float] = THRESHOLD_RANGE) -> float:
    """Threshold on p within `bounds` that maximises F1 for labels y (0.5 when y has no positives)."""
    return best_blended_threshold([(y, p, 1.0)], bounds)


def f1_at(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """F1 of predicting `p >= t` for labels y, at each threshold t."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, np.float64)
    positives = np.sort(p[y])
    everything = np.sort(p)
    predicted = everything.size - np.searchsorted(everything, thresholds, side="left")
    tp = positives.size - np.searchsorted(positives, thresholds, side="left")
    return 2 * tp / np.maximum(predicted + positives.size, 1)


def best_blended_threshold(
    parts: Sequence[tuple[np.ndarray, np.ndarray, float]], bounds: tuple[float, float] = THRESHOLD_RANGE,
) -> float:
    """Threshold within `bounds` that maximises sum(weight x F1) over `parts` of (labels, p, weight)
    (the highest such threshold on ties; 0.5 when no part has a positive). A threshold only sits on
    a probability some part reads: between two, F1 cannot change."""
    parts = [(np.asarray(y).astype(bool), np.asarray(p, np.float64), w) for y, p, w in parts if np.any(y)]
    if not parts:
        return 0.5
    candidates = np.unique(np.concatenate([p for _, p, _ in parts]))[::-1]
    candidates = candidates[(candidates >= bounds[0]) & (candidates <= bounds[1])]
    if candidates.size == 0:
        return float(np.clip(0.5, *bounds))
    score = sum(w * f1_at(y, p, candidates) for y, p, w in parts)
    return float(candidates[int(np.argmax(score))])


def reads_reliably(auc: float, f1: float, f1_chance: float) -> bool:
    """The reliability rule on out-of-fold figures: AUC >= MIN_AUC and F1 >= MIN_F1_GAIN x the F1
    of always answering "present" (`f1_chance`)."""
    return bool(auc >= MIN_AUC and f1 >= MIN_F1_GAIN * f1_chance)


def reliable(y: np.ndarray, p: np.ndarray) -> bool:
    """Whether out-of-fold probabilities p separate labels y well enough to call the AU active."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return False
    f1 = float(f1_at(y, p, np.array([best_f1_threshold(y, p)]))[0])
    return reads_reliably(roc_auc_score(y, p), f1, 2 * y.mean() / (1 + y.mean()))


class AUDetector:
    """Multi-label AU occurrence from face crops (scikit-learn style: fit / predict_proba / predict).

    Parameters: `au_names` the AUs (columns of Y), `hog` the feature layout (None: no appearance
    part, the shape measures and face features alone), `n_components` PCA size, `C` the inverse L2
    strength of each logistic regression, `threshold_folds` the folds of the out-of-fold
    predictions used to choose each AU's threshold (grouped by subject when `groups` is given to
    fit), `resting_quantile` the quantile of the out-of-fold probabilities on
    frames without an AU that is stored as its population resting level (the runtime maps each
    person's neutral reading onto it, mescreen/core/aus/stage.py), `random_state` for PCA.
    `wild_weight` is the share of the in-the-wild faces (fit's `wild_mask`) in choosing each
    threshold: it maximises (1 - wild_weight) x F1 on the coded images + wild_weight x F1 on those
    faces (out of fold both), for every AU their labels teach. Why: thresholds fitted on lab faces
    alone are too low for faces in the wild (on FER+ valid faces, detector v5's F1-optimal
    thresholds were higher for 11 of its 14 prototype AUs; bench/RESULTS.md), so neutral
    interview faces read AUs they do not show.

    Labels Y are 1 (present), 0 (absent) or -1 (unknown: the row does not teach that AU, e.g. an
    AU that often accompanies a weakly labelled face's emotion); `sample_weight` down-weights
    weakly labelled rows. `shape_names` are the face-shape measures appended to each row (empty:
    appearance only) and `shape_gain` their scale after standardisation (see the module doc);
    `embedding_size` the number of emotion-network face features appended after them (0: none).
    """

    def __init__(
        self,
        au_names: list[str] | None = None,
        hog: HOGParams | None = HOGParams(),
        n_components: int = 400,
        C: float = 0.0005,
        threshold_folds: int = 4,
        resting_quantile: float = 0.1,
        random_state: int = 0,
        shape_names: tuple[str, ...] = (),
        shape_gain: float = 1.0,
        embedding_size: int = 0,
        wild_weight: float = 0.0,
    ) -> None:
        self.au_names = list(au_names or AU_NAMES)
        self.hog = hog
        self.n_components = n_components
        self.C = C
        self.threshold_folds = threshold_folds
        self.resting_quantile = resting_quantile
        self.random_state = random_state
        self.shape_names = tuple(shape_names)
        self.shape_gain = shape_gain
        self.embedding_size = embedding_size
        self.wild_weight = wild_weight
        self.metadata: dict[str, Any] = {}

    # -- features ---------------------------------------------------------------------------
    def features(
        self, crops: np.ndarray, shape: np.ndarray | None = None, embedding: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n, d + k + e) rows: HOG of the crops (d = 0 without an appearance part), the k shape
        measures, the e face features (NaN where not measured). A detector that reads no face
        features ignores any it is given."""
        hog = (hog_features(crops, self.hog) if self.hog is not None
               else np.zeros((len(_as_gray_batch(crops)), 0), np.float32))
        embedding = embedding if self.embedding_size else None
        blocks = [hog]
        for name, values, k in (("face-shape measures", shape, len(self.shape_names)),
                                ("face features", embedding, self.embedding_size)):
            values = np.full((len(hog), k), np.nan, np.float32) if values is None else np.asarray(values, np.float32)
            values = values.reshape(len(hog), -1)
            if values.shape[1] != k:
                raise InputError(f"the AU detector reads {k} {name}, got {values.shape[1]}")
            blocks.append(values)
        return np.concatenate(blocks, axis=1)

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The HOG part and the appended part (shape measures, then face features)."""
        k = len(self.shape_names) + self.embedding_size
        return X[:, : X.shape[1] - k], X[:, X.shape[1] - k:]

    # -- training ---------------------------------------------------------------------------
    def fit(
        self, crops: np.ndarray, Y: np.ndarray, groups: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None, shape: np.ndarray | None = None,
        embedding: np.ndarray | None = None,
    ) -> "AUDetector":
        """Fit on crops (n, s, s) (and their shape measures and face features) and a label
        matrix Y (n, n_au) of 1 / 0 / -1 (unknown)."""
        return self.fit_features(self.features(crops, shape, embedding), Y, groups, sample_weight=sample_weight)

    def fit_features(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        groups: np.ndarray | None = None,
        threshold_mask: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        wild_mask: np.ndarray | None = None,
    ) -> "AUDetector":
        """Fit on precomputed features; thresholds come from out-of-fold probabilities.

        `threshold_mask` selects the rows whose out-of-fold probabilities choose the thresholds
        and the resting levels (e.g. the coded original images, not their augmented copies nor
        weakly labelled faces); `wild_mask` the in-the-wild rows that share the threshold choice
        at `wild_weight` (none: coded rows alone).
        """
        Y = np.asarray(Y, dtype=np.int8)
        if Y.ndim != 2 or Y.shape[1] != len(self.au_names) or Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y must be (n, {len(self.au_names)}), got {Y.shape} for {X.shape[0]} crops")
        mask = np.ones(len(Y), bool) if threshold_mask is None else np.asarray(threshold_mask, bool)
        weight = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        wild = np.zeros(len(Y), bool) if wild_mask is None or self.wild_weight <= 0 else np.asarray(wild_mask, bool)
        # One label-free projection (standardisation + PCA of the HOG part, standardised shape
        # measures) of all rows, shared by the inner folds: refitting it per fold costs most of
        # the training time and uses no label.
        hog, shape = self._split(np.asarray(X, np.float32))
        self.shape_mean_ = np.nan_to_num(np.nanmean(shape, axis=0), nan=0.0).astype(np.float32)
        shape = np.where(np.isfinite(shape), shape, self.shape_mean_)
        shape_scale = np.maximum(shape.std(axis=0), 1e-6) / self.shape_gain
        appearance = self._appearance_projection(hog)
        P = np.concatenate([appearance(hog), (shape - self.shape_mean_) / shape_scale], axis=1)
        oof = self.out_of_fold_proba(P, Y, groups, weight)
        thresholds, resting = [], []
        for j in range(Y.shape[1]):
            known = mask & (Y[:, j] >= 0)
            y, p = Y[known, j], oof[known, j]
            taught = wild & (Y[:, j] >= 0)
            parts = [(y, p, 1.0)]
            if np.any(Y[taught, j] == 0):  # the wild faces teach this AU only with both classes
                parts = [(y, p, 1.0 - self.wild_weight), (Y[taught, j], oof[taught, j], self.wild_weight)]
            thresholds.append(best_blended_threshold(parts) if reliable(y, p) else NEVER_ACTIVE)
            # Population resting level: the low quantile of out-of-fold probabilities on frames
            # coded without the AU. The runtime maps each person's same quantile onto it.
            resting.append(np.quantile(p[y == 0], self.resting_quantile) if np.any(y == 0) else 0.0)
        self.thresholds_ = np.array(thresholds, np.float32)
        self.neutral_level_ = np.array(resting, np.float32)
        coef, intercept = self._fit_heads(P, Y, weight)
        n_pca = P.shape[1] - shape.shape[1]
        hog_w, hog_b = appearance.fold(coef[:, :n_pca], intercept)
        shape_coef = coef[:, n_pca:] / shape_scale  # (n_au, k): on raw measures
        self.weights_ = np.concatenate([hog_w, shape_coef.T.astype(np.float32)])
        self.bias_ = (hog_b - shape_coef @ self.shape_mean_).astype(np.float32)
        return self

    def _appearance_projection(self, hog: np.ndarray) -> "_Projection":
        """Standardisation + PCA of the HOG part, fitted on all rows (none without HOG columns)."""
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        if hog.shape[1] == 0:
            return _Projection(None, None)
        scaler = StandardScaler().fit(hog)
        pca = PCA(
            n_components=min(self.n_components, *hog.shape), svd_solver="randomized", random_state=self.random_state,
        ).fit(scaler.transform(hog))
        return _Projection(scaler, pca)

    def out_of_fold_proba(
        self, P: np.ndarray, Y: np.ndarray, groups: np.ndarray | None, sample_weight: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probabilities for every row of projected features P from heads that did not see its
        group (or fold)."""
        from sklearn.model_selection import GroupKFold, KFold

        weight = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        if groups is not None:
            splitter = GroupKFold(max(2, min(self.threshold_folds, np.unique(groups).size)))
        else:
            splitter = KFold(self.threshold_folds, shuffle=True, random_state=self.random_state)
        oof = np.zeros(Y.shape, np.float32)
        for train, test in splitter.split(P, Y, groups):
            coef, intercept = self._fit_heads(P[train], Y[train], weight[train])
            oof[test] = _sigmoid(P[test] @ coef.T + intercept)
        return oof

    def _fit_heads(self, P: np.ndarray, Y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One class-balanced, weighted logistic regression per AU on projected features (rows
        with an unknown label, -1, are left out of that AU's model), all AUs in one optimisation."""
        W = np.zeros(Y.shape, np.float64)
        for j in range(Y.shape[1]):
            known = (Y[:, j] >= 0) & (weight > 0)
            if np.any(Y[known, j] == 1) and np.any(Y[known, j] == 0):
                W[known, j] = weight[known] * balanced_weights(Y[known, j], weight[known])
        coef, intercept = fit_logistic_heads(P, np.clip(Y, 0, 1), W, self.C)
        for j in range(Y.shape[1]):  # AU never (or always) present here: constant output
            y = Y[(Y[:, j] >= 0) & (weight > 0), j]
            if y.size == 0 or y.min() == y.max():
                coef[j], intercept[j] = 0.0, 10.0 if y.size and y[0] else -10.0
        return coef, intercept

    # -- prediction -------------------------------------------------------------------------
    def predict_proba_features(self, X: np.ndarray) -> np.ndarray:
        """Probabilities of feature rows; missing shape measures (NaN) count as the training mean."""
        hog, shape = self._split(np.asarray(X, np.float32))
        shape = np.where(np.isfinite(shape), shape, self.shape_mean_)
        return _sigmoid(np.concatenate([hog, shape], axis=1) @ self.weights_ + self.bias_)

    def predict_proba(
        self, crops: np.ndarray, shape: np.ndarray | None = None, embedding: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n, n_au) probability that each AU is active, un-normalised (no person baseline)."""
        return self.predict_proba_features(self.features(crops, shape, embedding))

    @property
    def reliable_(self) -> np.ndarray:
        """(n_au,) bool: AUs that can be called active (the others have threshold NEVER_ACTIVE)."""
        return self.thresholds_ <= 1.0

    def never_active(self, au_names: list[str]) -> None:
        """Mark these AUs unreliable after fitting (their probability is still reported)."""
        for name in au_names:
            self.thresholds_[self.au_names.index(name)] = NEVER_ACTIVE

    def predict(
        self, crops: np.ndarray, shape: np.ndarray | None = None, embedding: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n, n_au) 0/1 at each AU's out-of-fold threshold."""
        return active_mask(self.predict_proba(crops, shape, embedding), self.thresholds_).astype(np.int8)

    # -- persistence ------------------------------------------------------------------------
    _ARRAYS = ("weights_", "bias_", "thresholds_", "neutral_level_", "shape_mean_")

    def save(self, path: Path) -> None:
        """Write `path` (.npz arrays) and `path` with suffix .json (settings, AU list, metadata)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **{name.rstrip("_"): getattr(self, name) for name in self._ARRAYS})
        meta = {
            "format": FORMAT,
            "au_names": self.au_names,
            "hog": None if self.hog is None else {"size": self.hog.size, "cell": self.hog.cell, "bins": self.hog.bins},
            "n_components": self.n_components,
            "C": self.C,
            "threshold_folds": self.threshold_folds,
            "resting_quantile": self.resting_quantile,
            "random_state": self.random_state,
            "shape_names": list(self.shape_names),
            "shape_gain": self.shape_gain,
            "embedding_size": self.embedding_size,
            "wild_weight": self.wild_weight,
            "metadata": self.metadata,
        }
        path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "AUDetector":
        """Read a detector written by save(); arrays only (allow_pickle=False)."""
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text())
        if meta.get("format") not in READABLE_FORMATS:
            raise ValueError(f"{path.name}: not an AU detector file (format {meta.get('format')!r})")
        det = cls(
            meta["au_names"], HOGParams(**meta["hog"]) if meta["hog"] else None, meta["n_components"], meta["C"],
            meta["threshold_folds"], meta["resting_quantile"], meta["random_state"],
            tuple(meta["shape_names"]), meta["shape_gain"], int(meta.get("embedding_size", 0)),
            float(meta.get("wild_weight", 0.0)),
        )
        det.metadata = meta.get("metadata", {})
        with np.load(path, allow_pickle=False) as arrays:
            for name in cls._ARRAYS:
                setattr(det, name, arrays[name.rstrip("_")].astype(np.float32))
        return det


def fit_logistic_heads(
    P: np.ndarray, Y: np.ndarray, W: np.ndarray, C: float, max_iter: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """L2-regularised logistic regressions, one per column of Y (n, k) with row weights W (n, k),
    fitted together by L-BFGS: minimises sum_ij W_ij logloss(Y_ij, P_i . coef_j + b_j) +
    |coef_j|^2 / (2C), scikit-learn's LogisticRegression objective (lbfgs, L2, sample_weight)
    scaled by 1/C. Why not one LogisticRegression per AU: one matrix product serves all AUs, which
    makes training several times faster. Returns coef (k, d) and intercept (k,)."""
    from scipy.optimize import minimize

    n, d = P.shape
    k = Y.shape[1]
    P64 = np.asarray(P, np.float64)
    Yf = np.asarray(Y, np.float64)

    def loss_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef = theta[: d * k].reshape(d, k)
        b = theta[d * k:]
        z = P64 @ coef + b
        # logloss = log(1 + exp(z)) - y z, computed stably
        loss = float(np.sum(W * (np.logaddexp(0.0, z) - Yf * z)) + np.sum(coef * coef) / (2 * C))
        r = W * (1.0 / (1.0 + np.exp(-z)) - Yf)
        grad = np.concatenate([(P64.T @ r + coef / C).ravel(), r.sum(axis=0)])
        return loss, grad

    result = minimize(loss_and_grad, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "gtol": 1e-6})
    theta = result.x
    return theta[: d * k].reshape(d, k).T.copy(), theta[d * k:].copy()


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)


def balanced_weights(y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-row factors that give both classes the same total weight (scikit-learn's "balanced",
    computed on the weighted counts so that down-weighted rows do not tilt the balance)."""
    positive = float(weight[y == 1].sum())
    negative = float(weight[y == 0].sum())
    total = positive + negative
    return np.where(y == 1, total / (2 * positive), total / (2 * negative))


@dataclass(frozen=True)
class _Projection:
    """The appearance part's standardisation and PCA (both None: the detector reads no HOG)."""

    scaler: StandardScaler | None
    pca: PCA | None

    def __call__(self, hog: np.ndarray) -> np.ndarray:
        if self.pca is None:
            return np.zeros((len(hog), 0), np.float32)
        return self.pca.transform(self.scaler.transform(hog))

    def fold(self, coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fold standardisation, PCA and the per-AU models into one affine map: (d, n_au) weights
        and (n_au,) bias. Prediction is then one matmul, and the saved model holds only this map,
        not the PCA basis it derives from (400 x d, twenty times larger)."""
        if self.pca is None:
            return np.zeros((0, len(intercept)), np.float32), np.asarray(intercept, np.float32)
        mean, scale, components, pca_mean, coef, intercept = (
            np.asarray(a, np.float32)
            for a in (self.scaler.mean_, self.scaler.scale_, self.pca.components_, self.pca.mean_, coef, intercept)
        )
        W = (coef @ components) / scale  # (n_au, d)
        b = intercept - W @ mean - coef @ (components @ pca_mean)
        return W.T.astype(np.float32).copy(), b.astype(np.float32)
