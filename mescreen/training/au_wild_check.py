"""In-the-wild check of the AU detector on faces it never trained on: FER+ test faces (leak-free)
with a clear crowd label, each emotion's prototype AUs (EMFACS, as in
mescreen.training.ferplus_aus.PROTOTYPES) against neutral faces.

Why: the coded sets are lab faces (posed CK+ peaks, faint MEGC apexes); the clips clinicians
upload are not. FER+ has no AU codes, but a clearly happy web photo should show AU6 and AU12 far
more often than a neutral one, a sad one AU1, AU4 and AU15. Per emotion and prototype AU this
prints the active rate (at the shipped thresholds, raw probabilities: single images have no
person baseline) on that emotion's faces and on neutral faces, and the AUC of the probability
between the two. A second table gives every prototype AU's active rate on every emotion's faces,
so that an AU read into the wrong expression shows too (AU12 on sad faces, AU15 on happy ones).
A check, not a target: no threshold or setting is chosen on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from mescreen.core.aus.activity import active_mask
from mescreen.core.aus.detector import AUDetector, best_f1_threshold, f1_at
from mescreen.core.emotion.frame.model import FrameEmotionModel
from mescreen.training.ferplus import leak_free, load_ferplus
from mescreen.training.ferplus_aus import PROTOTYPES, weak_labels
from mescreen.training.still_faces import StillFaces

#: Crowd votes (of 10) the label needs.
MIN_AGREEMENT = 7


@dataclass
class WildFaces:
    """Raw AU probabilities and face-shape measures (detector.shape_names order) of FER+ faces, per emotion."""

    proba: dict[str, np.ndarray]
    shape: dict[str, np.ndarray]
    crops: dict[str, int]  # face stage counts


def read_faces(
    root: Path, detector: AUDetector, split: str, features: FrameEmotionModel | None, min_agreement: int,
    per_class: int | None = None,
) -> WildFaces:
    """The detector's raw readings of the FER+ `split` faces with at least `min_agreement` of 10 votes
    for their label (the first `per_class` of each emotion; all without it). A detector that reads
    face features needs the emotion model it was trained with as `features`."""
    if detector.embedding_size and features is None:
        raise ValueError("this AU detector reads face features: pass the emotion model as `features`")
    part = leak_free(load_ferplus(root)).part(split)
    agreement = part.votes[np.arange(len(part)), part.targets]
    faces = StillFaces()
    proba: dict[str, np.ndarray] = {}
    shape: dict[str, np.ndarray] = {}
    for emotion in PROTOTYPES:
        rows = np.flatnonzero((part.label == emotion) & (agreement >= min_agreement))[:per_class]
        if rows.size:
            crops = np.stack([faces(im) for im in part.images[rows]])
            embedding = features.predict_with_features(crops)[1] if features is not None else None
            shape[emotion] = faces.take_shapes()
            proba[emotion] = detector.predict_proba(crops, shape[emotion], embedding)
    return WildFaces(proba, shape, faces.counts)


def prototype_check(
    root: Path, detector: AUDetector, per_class: int = 300, split: str = "test",
    features: FrameEmotionModel | None = None,
) -> dict[str, Any]:
    """Per emotion: {au: {"rate": ..., "neutral_rate": ..., "auc": ...}}, plus the face counts, on
    the FER+ `split` ("valid" to compare training settings, "test" to report). A detector that
    reads face features needs the emotion model it was trained with as `features` (read_faces)."""
    wild = read_faces(root, detector, split, features, MIN_AGREEMENT, per_class)
    readings = wild.proba
    out: dict[str, Any] = {"split": split, "faces": {e: int(len(p)) for e, p in readings.items()}, "crops": wild.crops,
                           "min_agreement": MIN_AGREEMENT, "emotions": {}, "rates": rate_table(detector, readings)}
    neutral = readings.get("neutral")
    if neutral is None:
        return out
    for emotion, proba in readings.items():
        positive = PROTOTYPES[emotion][0]
        rows = {}
        for code in positive:
            name = f"AU{code}"
            if name not in detector.au_names:
                continue
            j = detector.au_names.index(name)
            t = float(detector.thresholds_[j])
            y = np.r_[np.ones(len(proba)), np.zeros(len(neutral))]
            rows[name] = {"rate": float(np.mean(active_mask(proba[:, j], t))),
                          "neutral_rate": float(np.mean(active_mask(neutral[:, j], t))),
                          "auc": float(roc_auc_score(y, np.r_[proba[:, j], neutral[:, j]])), "readable": t <= 1.0}
        if rows:
            out["emotions"][emotion] = rows
    return out


def rate_table(detector: AUDetector, readings: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """{au: {emotion: active rate on that emotion's faces}} for the readable prototype AUs."""
    codes = sorted({code for positive, _ in PROTOTYPES.values() for code in positive})
    table: dict[str, dict[str, float]] = {}
    for name in (f"AU{code}" for code in codes):
        if name in detector.au_names and detector.thresholds_[detector.au_names.index(name)] <= 1.0:
            j = detector.au_names.index(name)
            table[name] = {e: float(np.mean(active_mask(p, detector.thresholds_)[:, j])) for e, p in readings.items()}
    return table


def prototype_markdown(check: dict[str, Any]) -> str:
    """Card table of a prototype_check() result."""
    lines = [
        f"FER+ {check.get('split', 'test')} faces (leak-free, at least {check['min_agreement']} of 10 crowd votes for the label; faces per "
        f"emotion {check['faces']}; face stage {check['crops']}):", "",
        "| emotion | prototype AU | active on its faces | active on neutral faces | AUC (its faces vs neutral) |",
        "|---|---|---|---|---|",
    ]
    for emotion, rows in check["emotions"].items():
        for au, r in rows.items():
            rate = f"{r['rate']:.2f}" if r["readable"] else "never (unreliable AU)"
            neutral = f"{r['neutral_rate']:.2f}" if r["readable"] else "–"
            lines.append(f"| {emotion} | {au} | {rate} | {neutral} | {r['auc']:.3f} |")
    rates = check.get("rates") or {}
    if rates:
        emotions = list(check["faces"])
        lines += ["", "Active rate of each prototype AU on each emotion's faces (readable AUs):", "",
                  "| AU | " + " | ".join(emotions) + " |", "|---|" + "---|" * len(emotions)]
        lines += [f"| {au} | " + " | ".join(f"{row[e]:.2f}" for e in emotions) + " |" for au, row in rates.items()]
    return "\n".join(lines)


def weak_label_f1(wild: WildFaces, detector: AUDetector) -> dict[str, dict[str, float]]:
    """Per readable AU that the weak labels teach on the FER+ faces `wild` (read_faces; labelled as
    training labels them: mescreen.training.ferplus_aus): {"f1": F1 at the detector's threshold,
    "threshold": it, "best_threshold": the F1-optimal one on these faces, "best_f1": F1 there,
    "positives": faces}. Why: the prototype check above is threshold-free (AUC); this shows whether
    the thresholds suit faces in the wild."""
    proba = np.concatenate(list(wild.proba.values()))
    Y = np.concatenate([np.tile(weak_labels(e, detector.au_names), (len(p), 1)) for e, p in wild.proba.items()])
    out: dict[str, dict[str, float]] = {}
    for j, name in enumerate(detector.au_names):
        known = Y[:, j] >= 0
        y, p = Y[known, j], proba[known, j]
        if not detector.reliable_[j] or not y.any() or y.all():
            continue
        t, best = float(detector.thresholds_[j]), best_f1_threshold(y, p)
        f1, best_f1 = f1_at(y, p, np.array([t, best]))
        out[name] = {"f1": float(f1), "threshold": t, "best_threshold": best, "best_f1": float(best_f1),
                     "positives": int(y.sum())}
    return out


def narrow_eye_rates(
    wild: WildFaces, detector: AUDetector, aus: tuple[str, ...] = ("AU6", "AU12"), quantile: float = 0.25,
) -> dict[str, dict[str, float]]:
    """Per emotion: each AU's active rate on all its faces ("<AU>") and on the `quantile` of them
    with the narrowest lid gap ("<AU> narrow"; faces without a mesh left out), plus the face counts.
    Why: a crying face squeezes the eyes like a laugh, and the weak labels cannot tell whether a
    sad face with narrowed eyes shows a cheek raise, so the rates there are worth watching."""
    lid = detector.shape_names.index("lid_gap")
    out: dict[str, dict[str, float]] = {}
    for emotion, proba in wild.proba.items():
        gap = wild.shape[emotion][:, lid]
        measured = np.isfinite(gap)
        narrow = measured & (gap <= np.quantile(gap[measured], quantile)) if measured.any() else measured
        row: dict[str, float] = {"faces": int(len(proba)), "narrow faces": int(narrow.sum())}
        active = active_mask(proba, detector.thresholds_)
        for au in aus:
            j = detector.au_names.index(au)
            row[au] = float(active[:, j].mean())
            row[f"{au} narrow"] = float(active[narrow, j].mean()) if narrow.any() else float("nan")
        out[emotion] = row
    return out
