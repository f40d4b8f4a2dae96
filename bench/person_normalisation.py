"""How the AU person normalisation changes subject-independent readings on coded faces.

Each CK+ and MEGC subject is streamed through a normalisation as if filmed: each coded image held
for `--hold` frames, the subject's images in data order. The probabilities are the AU detector's
grouped out-of-fold readings (the outer-fold detector never saw the subject; same training as
`mescreen train au`), each frame's neutral weight the shipped per-frame emotion model's p(neutral).
Every coded frame here is an expression (CK+ peaks, MEGC apexes), the case a clip without a
neutral stretch poses. Printed per source and overall: mean F1 at the detector's thresholds and
mean AUC over the readable AUs with at least 3 positives, for
- none: the raw probabilities;
- own 10% quantile: the method before 2026-11-29 (the person's 10th percentile mapped onto the
  population resting level, phased in over 30 frames);
- neutral frames, prior N: the runtime (mescreen.core.aus.stage), for several prior sizes N in frames.

Usage: MESCREEN_DATA=... .venv/bin/python bench/person_normalisation.py [--hold 10] [--folds 5]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=int, default=10, help="frames each coded image is held for")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--priors", type=float, nargs="+", default=[30, 100, 300, 1000])
    args = parser.parse_args()
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.labels import FRAME_EMOTIONS
    from mescreen.training.au import detector_factory, evaluate_grouped, face_features, training_features
    from mescreen.training.au_settings import TrainingSettings

    settings = TrainingSettings()
    emotion = face_features(settings)
    data, feats, _, _ = training_features(require_data_root(), settings, log=print, features=emotion)
    _, oof = evaluate_grouped(feats, detector_factory(data.au_names, settings, emotion), data.au_names, args.folds,
                              lambda k, n: print(f"fold {k}/{n}", flush=True))
    neutral = (emotion or FrameEmotionModel.load()).predict(data.crops)[:, FRAME_EMOTIONS.index("neutral")]
    print(f"p(neutral) of the coded faces, mean: " + ", ".join(
        f"{s} {neutral[data.source == s].mean():.2f}" for s in np.unique(data.source)))
    methods: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
        "none": lambda raw, w, resting, th: raw,
        "own 10% quantile": lambda raw, w, resting, th: own_quantile(raw, resting, args.hold),
    }
    for prior in args.priors:
        methods[f"neutral frames, prior {prior:g}"] = (
            lambda raw, w, resting, th, prior=prior: neutral_frames(raw, w, resting, th, prior, args.hold, data.au_names))
    print(f"\nEach image held {args.hold} frames; mean F1 / mean AUC (AUs counted)")
    print("| method | CK+ | CASME II | SAMM | all |\n|---|---|---|---|---|")
    for name, method in methods.items():
        read = np.zeros_like(oof.proba)
        for subject in np.unique(data.groups):
            rows = np.flatnonzero(data.groups == subject)
            read[rows] = method(oof.proba[rows], neutral[rows], oof.resting[rows], oof.thresholds[rows])
        cells = [score(data.Y[m], read[m], oof.thresholds[m]) for m in
                 (data.source == "ckplus", data.source == "casme2", data.source == "samm", np.ones(len(read), bool))]
        print(f"| {name} | " + " | ".join(cells) + " |")


def own_quantile(raw: np.ndarray, resting: np.ndarray, hold: int, warmup: int = 30) -> np.ndarray:
    """The former runtime: shift by the person's streaming 10% quantile minus the resting level."""
    from mescreen.core.aus.baseline import NeutralBaseline

    baseline = NeutralBaseline(raw.shape[1], 0.1)
    out = np.zeros_like(raw)
    for i, row in enumerate(raw):
        for _ in range(hold):
            baseline.add(row)
        weight = min(1.0, baseline.seen / warmup)
        out[i] = np.clip(row - weight * (baseline.value() - resting[i]), 0.0, 1.0)
    return out


def neutral_frames(raw: np.ndarray, weight: np.ndarray, resting: np.ndarray, thresholds: np.ndarray, prior: float,
                   hold: int, au_names: list[str]) -> np.ndarray:
    """The runtime AU stage's normalisation with this subject's fold's resting level."""
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.aus.detector import AUDetector

    detector = AUDetector(au_names)
    detector.thresholds_, detector.neutral_level_ = thresholds[0], resting[0]
    stage = AUStage(detector, prior_frames=prior)
    out = np.zeros_like(raw)
    for i, (row, w) in enumerate(zip(raw, weight)):
        for _ in range(hold):
            stage.baseline.add(row, float(w))
        out[i] = stage.normalise(row)
    return out


def score(Y: np.ndarray, read: np.ndarray, thresholds: np.ndarray) -> str:
    """Mean F1 at the thresholds and mean AUC over readable AUs with >= 3 positives."""
    f1s, aucs = [], []
    for j in range(Y.shape[1]):
        known = Y[:, j] >= 0
        y, p, t = Y[known, j], read[known, j], thresholds[known, j]
        if y.sum() < 3 or np.any(t > 1) or y.sum() == y.size:
            continue
        f1s.append(f1_score(y, p >= t, zero_division=0))
        aucs.append(roc_auc_score(y, p))
    return f"{np.mean(f1s):.3f} / {np.mean(aucs):.3f} ({len(f1s)})" if f1s else "-"


if __name__ == "__main__":
    main()
