"""Training and subject-grouped evaluation of the AU detector (core/au_model.py).

Data: the CK+48 peak frames (AU columns) and the MEGC2019 apex crops (their `action_units`
FACS strings, parsed by core.facs with side and intensity letters read, uncertain "or"
alternatives and ref(...) AUs not counted as present). Both are turned into what the runtime face
stage hands over (grayscale, 128x128, CLAHE) before features are taken.

"No AU" without neutral frames: CK+ has only peak frames, so an AU's negatives are the peak
frames of other sequences not coded with it (e.g. AU12 negatives are surprise, anger, ...
peaks) plus the MEGC apex crops whose code lacks it, which are close to neutral faces because
micro-expressions are faint. The runtime then shifts each person's running median onto the
population's resting level (core/au.py), so a person's neutral face reads as "no AU".

Evaluation: outer GroupKFold over subjects (CK+ and MEGC subjects are distinct groups); inside
each outer training part the detector chooses its thresholds from its own grouped out-of-fold
predictions, so the scored fold never influences a threshold. Augmented copies (mirror, small
shift/scale/rotation) inherit their subject's group and are only ever trained on, never scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from core.au_model import AUDetector, HOGParams, hog_features
from core.facs import au_vector
from core.labels import AU_NAMES
from core.training.ckplus import load_ckplus
from core.training.megc import RUNTIME_CROP, apex_crops, clahe, load_megc, resize


@dataclass
class AUData:
    """Crops in the runtime format with their AU labels and subject groups."""

    crops: np.ndarray  # uint8 (n, 128, 128)
    Y: np.ndarray  # int8 (n, n_au)
    groups: np.ndarray  # str (n,): "ckplus:S010", "megc:casme2_sub01", ...
    source: np.ndarray  # str (n,): "ckplus" / "casme2" / "samm"
    au_names: list[str] = field(default_factory=lambda: list(AU_NAMES))

    def __len__(self) -> int:
        return int(self.Y.shape[0])


def ckplus_crop(image48: np.ndarray) -> np.ndarray:
    """A CK+48 image as a runtime crop: enlarged to 128 and CLAHE (the face stage's format)."""
    return clahe(resize(image48, RUNTIME_CROP))


def megc_action_units(root: Path) -> dict[str, str]:
    """sample -> FACS string from megc2019/labels.csv (the shared loader does not carry it)."""
    table = pd.read_csv(Path(root) / "megc2019" / "labels.csv", usecols=["sample", "action_units"], dtype=str)
    return dict(zip(table["sample"], table["action_units"].fillna("")))


def load_au_data(root: Path, au_names: list[str] | None = None, limit_subjects: int | None = None) -> AUData:
    """CK+ frames and MEGC apex crops; `limit_subjects` keeps k subjects of each (smoke tests)."""
    au_names = list(au_names or AU_NAMES)
    ck = load_ckplus(root, limit_subjects=limit_subjects)
    megc = load_megc(root)
    if limit_subjects is not None:
        keep = np.isin(megc.subject, sorted(set(megc.subject))[:limit_subjects])
        megc = megc.subset(keep)
    codes = megc_action_units(root)
    Y_megc = np.array(
        [au_vector(codes[s], au_names, include_uncertain=False) for s in megc.sample], np.int8
    ).reshape(-1, len(au_names))
    crops = np.concatenate([np.stack([ckplus_crop(im) for im in ck.images]), apex_crops(megc)])
    return AUData(
        crops=crops,
        Y=np.concatenate([ck.au_matrix(au_names), Y_megc]),
        groups=np.concatenate([np.char.add("ckplus:", ck.subject), np.char.add("megc:", megc.subject)]),
        source=np.concatenate([np.full(len(ck), "ckplus"), megc.dataset]),
        au_names=au_names,
    )


def jitter(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small random similarity transform: the face stage's alignment is never exact."""
    size = crop.shape[0]
    angle = rng.uniform(-6, 6)
    scale = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-0.05, 0.05, 2) * size
    M = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    M[:, 2] += shift
    return cv2.warpAffine(crop, M, (size, size), borderMode=cv2.BORDER_REFLECT)


@dataclass
class Features:
    """HOG rows of the originals and their augmented copies; `original` marks scored rows."""

    X: np.ndarray
    Y: np.ndarray
    groups: np.ndarray
    source: np.ndarray
    original: np.ndarray  # bool


def augmented_features(data: AUData, hog: HOGParams, seed: int, copies: int = 2) -> Features:
    """Originals, their mirror images, and `copies - 1` jittered mirrors/originals each.

    Mirroring keeps the labels: the AU list carries no side, and coded sides (L/R) only say
    which half moved.
    """
    rng = np.random.default_rng(seed)
    blocks = [data.crops, data.crops[:, :, ::-1]]
    for k in range(copies - 1):
        source = data.crops if k % 2 == 0 else data.crops[:, :, ::-1]
        blocks.append(np.stack([jitter(c, rng) for c in source]))
    X = np.concatenate([hog_features(np.ascontiguousarray(b), hog) for b in blocks])
    reps = len(blocks)
    original = np.zeros(len(data) * reps, bool)
    original[: len(data)] = True
    return Features(
        X=X, Y=np.tile(data.Y, (reps, 1)), groups=np.tile(data.groups, reps),
        source=np.tile(data.source, reps), original=original,
    )


def evaluate_grouped(
    feats: Features, make_detector: Any, au_names: list[str], folds: int = 5, on_fold: Any = None
) -> dict[str, Any]:
    """Outer grouped folds; per-AU F1 / precision / recall / AUC, base rate and support.

    Thresholds are chosen inside each outer training part (nested), so the figures are honest.
    """
    orig = np.flatnonzero(feats.original)
    n = orig.size
    proba = np.zeros((n, len(au_names)), np.float32)
    pred = np.zeros((n, len(au_names)), np.int8)
    outer = GroupKFold(folds)
    for k, (train_o, test_o) in enumerate(outer.split(orig, groups=feats.groups[orig])):
        test_groups = set(feats.groups[orig[test_o]])
        train_rows = np.flatnonzero(~np.isin(feats.groups, list(test_groups)))
        det = make_detector().fit_features(
            feats.X[train_rows], feats.Y[train_rows], feats.groups[train_rows], feats.original[train_rows]
        )
        proba[test_o] = det.predict_proba_features(feats.X[orig[test_o]])
        pred[test_o] = (proba[test_o] >= det.thresholds_).astype(np.int8)
        if on_fold is not None:
            on_fold(k + 1, folds)
    Y = feats.Y[orig]
    source = feats.source[orig]
    report: dict[str, Any] = {
        "protocol": f"GroupKFold({folds}) over subjects, CK+ and MEGC subjects separate groups; "
        "thresholds chosen on inner grouped out-of-fold predictions of each outer training part",
        "n_images": int(n),
        "n_subjects": int(np.unique(feats.groups[orig]).size),
        "per_au": per_au_metrics(Y, proba, pred, au_names),
        "per_source": {
            s: per_au_metrics(Y[source == s], proba[source == s], pred[source == s], au_names)
            for s in ("ckplus", "casme2", "samm") if np.any(source == s)
        },
    }
    return report


def per_au_metrics(Y: np.ndarray, proba: np.ndarray, pred: np.ndarray, au_names: list[str]) -> dict[str, Any]:
    """Per-AU table plus means over the AUs that have positives (the others have no F1)."""
    rows = []
    for j, name in enumerate(au_names):
        y, p, yhat = Y[:, j], proba[:, j], pred[:, j]
        support = int(y.sum())
        has_both = 0 < support < y.size
        rows.append({
            "au": name,
            "support": support,
            "base_rate": float(y.mean()) if y.size else 0.0,
            "f1": float(f1_score(y, yhat, zero_division=0)) if support else None,
            "precision": float(precision_score(y, yhat, zero_division=0)) if support else None,
            "recall": float(recall_score(y, yhat, zero_division=0)) if support else None,
            "auc": float(roc_auc_score(y, p)) if has_both else None,
            "f1_chance": float(2 * y.mean() / (1 + y.mean())) if support else None,
        })
    scored = [r for r in rows if r["f1"] is not None]
    with_auc = [r for r in rows if r["auc"] is not None]
    return {
        "n": int(Y.shape[0]),
        "rows": rows,
        "mean_f1": float(np.mean([r["f1"] for r in scored])) if scored else None,
        "mean_auc": float(np.mean([r["auc"] for r in with_auc])) if with_auc else None,
        "mean_f1_chance": float(np.mean([r["f1_chance"] for r in scored])) if scored else None,
        "n_aus_scored": len(scored),
    }


def markdown_table(metrics: dict[str, Any]) -> str:
    """Per-AU Markdown table of a per_au_metrics() result."""
    lines = ["| AU | support | base rate | F1 | precision | recall | AUC | F1 of always-on |", "|---" * 8 + "|"]
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    for r in metrics["rows"]:
        lines.append(
            f"| {r['au']} | {r['support']} | {r['base_rate']:.3f} | {fmt(r['f1'])} | {fmt(r['precision'])} | "
            f"{fmt(r['recall'])} | {fmt(r['auc'])} | {fmt(r['f1_chance'])} |"
        )
    lines.append(
        f"| **mean** ({metrics['n_aus_scored']} AUs, n={metrics['n']}) | | | {fmt(metrics['mean_f1'])} | | | "
        f"{fmt(metrics['mean_auc'])} | {fmt(metrics['mean_f1_chance'])} |"
    )
    return "\n".join(lines)


def train_detector(feats: Features, make_detector: Any) -> AUDetector:
    """The shipped model: all subjects, thresholds from grouped out-of-fold predictions."""
    return make_detector().fit_features(feats.X, feats.Y, feats.groups, feats.original)
