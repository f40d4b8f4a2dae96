"""Training and subject-grouped evaluation of the AU detector (mescreen/core/aus/detector.py).

Data: the CK+48 peak frames (AU columns) and the MEGC2019 apex crops (their `action_units`
FACS strings, parsed by mescreen.core.aus.facs with side and intensity letters read, uncertain "or"
alternatives and ref(...) AUs not counted as present). Both are turned into what the runtime face
stage hands over (grayscale, 128x128, CLAHE) before features are taken.

"No AU" without neutral frames: CK+ has only peak frames, so an AU's negatives are the peak
frames of other sequences not coded with it (e.g. AU12 negatives are surprise, anger, ...
peaks) plus the MEGC apex crops whose code lacks it, which are close to neutral faces because
micro-expressions are faint. The runtime then shifts each person's neutral reading (from the
frames the emotion model calls neutral) onto the population's resting level (mescreen/core/aus/stage.py),
so a person's neutral face reads as "no AU".

Evaluation: outer GroupKFold over subjects (CK+ and MEGC subjects are distinct groups); inside
each outer training part the detector chooses its thresholds from its own grouped out-of-fold
predictions, so the scored fold never influences a threshold. Augmented copies (mirror, small
shift/scale/rotation) inherit their subject's group and are only ever trained on, never scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from mescreen.core.aus.stage import AUStage
from mescreen.core.aus.detector import MIN_AUC, MIN_F1_GAIN, AUDetector, HOGParams, hog_features, reads_reliably
from mescreen.core.datapaths import model_version
from mescreen.core.face.crop import CROP_SIZE
from mescreen.core.face.shape import SHAPE_FEATURES
from mescreen.core.emotion.frame.model import FrameEmotionModel
from mescreen.core.aus.facs import au_vector
from mescreen.core.labels import AU_DESCRIPTIONS, AU_NAMES
from mescreen.training.au_emotion import chain_evaluation, chain_markdown, load_coded_sets
from mescreen.training.au_settings import TrainingSettings
from mescreen.training.ckplus import load_ckplus
from mescreen.training.face_reading import by_expression, check_video, labelled_videos, report_markdown
from mescreen.training.au_wild_check import prototype_check, prototype_markdown
from mescreen.training.ferplus_aus import PROTOTYPES, WeakFaces, load_weak_faces
from mescreen.training.megc import apex_crops, load_megc
from mescreen.training.still_faces import StillFaces

#: `Features.source` of the weakly labelled FER+ faces: in-the-wild rows, never scored.
WILD_SOURCE = "ferplus"

#: crops (n, s, s) -> (n, k) face features of the per-frame emotion network.
Embed = Callable[[np.ndarray], np.ndarray]


@dataclass
class AUData:
    """Crops in the runtime format with their AU labels and subject groups."""

    crops: np.ndarray  # uint8 (n, 128, 128)
    shape: np.ndarray  # float32 (n, k): face-shape measures, NaN where the mesh found no face
    Y: np.ndarray  # int8 (n, n_au)
    groups: np.ndarray  # str (n,): "ckplus:S010", "megc:casme2_sub01", ...
    source: np.ndarray  # str (n,): "ckplus" / "casme2" / "samm"
    emotion: np.ndarray  # str (n,): the dataset's emotion label (not always in EMOTIONS_FINE)
    au_names: list[str] = field(default_factory=lambda: list(AU_NAMES))
    crop_counts: dict[str, int] = field(default_factory=dict)  # mesh / haar / fallback crops

    def __len__(self) -> int:
        return int(self.Y.shape[0])


def load_au_data(root: Path, au_names: list[str] | None = None, limit_subjects: int | None = None) -> AUData:
    """CK+ frames and MEGC apex crops; `limit_subjects` keeps k subjects of each (smoke tests)."""
    au_names = list(au_names or AU_NAMES)
    ck = load_ckplus(root, limit_subjects=limit_subjects)
    megc = load_megc(root)
    if limit_subjects is not None:
        keep = np.isin(megc.subject, sorted(set(megc.subject))[:limit_subjects])
        megc = megc.subset(keep)
    Y_megc = np.array(
        [au_vector(code, au_names, include_uncertain=False) for code in megc.action_units], np.int8
    ).reshape(-1, len(au_names))
    faces = StillFaces()
    crops = np.concatenate([np.stack([faces(im) for im in ck.images]), apex_crops(megc, faces)])
    return AUData(
        crops=crops,
        shape=faces.take_shapes(),
        Y=np.concatenate([ck.au_matrix(au_names), Y_megc]),
        groups=np.concatenate([np.char.add("ckplus:", ck.subject), np.char.add("megc:", megc.subject)]),
        source=np.concatenate([np.full(len(ck), "ckplus"), megc.dataset]),
        emotion=np.concatenate([ck.emotion, megc.emotion]),
        au_names=au_names,
        crop_counts=faces.counts,
    )


def jitter(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small random similarity transform: the face stage's alignment is never exact."""
    size = crop.shape[0]
    angle = rng.uniform(-6, 6)
    scale = rng.uniform(0.85, 1.1)
    shift = rng.uniform(-0.05, 0.05, 2) * size
    M = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    M[:, 2] += shift
    return cv2.warpAffine(crop, M, (size, size), borderMode=cv2.BORDER_REFLECT)


@dataclass
class Features:
    """HOG rows of the originals, their augmented copies and any weakly labelled faces;
    `original` marks the coded originals (the only rows ever scored or used for thresholds)."""

    X: np.ndarray
    Y: np.ndarray  # 1 / 0 / -1 (unknown)
    groups: np.ndarray
    source: np.ndarray
    original: np.ndarray  # bool
    weight: np.ndarray  # per-row training weight

    def with_weak(
        self, weak: WeakFaces, hog: HOGParams | None, weight: float, faces: StillFaces, embed: Embed | None = None,
    ) -> "Features":
        """These rows plus FER+ faces (made into runtime crops and shapes) at training weight `weight`."""
        crops = np.stack([faces(im) for im in weak.images])
        n = len(weak)
        return Features(
            X=np.concatenate([self.X, feature_rows(crops, faces.take_shapes(), hog, embed)]),
            Y=np.concatenate([self.Y, weak.Y]),
            groups=np.concatenate([self.groups, weak.groups]),
            source=np.concatenate([self.source, np.full(n, WILD_SOURCE)]),
            original=np.concatenate([self.original, np.zeros(n, bool)]),
            weight=np.concatenate([self.weight, np.full(n, weight)]),
        )

    def reweighted(self, source: str, weight: float) -> "Features":
        """The same rows with `source`'s rows at training weight `weight` (0 leaves them out)."""
        rows = np.flatnonzero((self.source != source) | (weight > 0))
        w = np.where(self.source == source, weight, self.weight)
        return Features(self.X[rows], self.Y[rows], self.groups[rows], self.source[rows], self.original[rows], w[rows])


def feature_rows(crops: np.ndarray, shape: np.ndarray, hog: HOGParams | None, embed: Embed | None) -> np.ndarray:
    """Detector rows of crops: HOG (none when `hog` is None), shape measures and (with `embed`)
    the face features."""
    blocks = ([hog_features(crops, hog)] if hog is not None else []) + [shape]
    return np.concatenate(blocks + ([embed(crops)] if embed is not None else []), axis=1)


def appearance(settings: TrainingSettings) -> HOGParams | None:
    """The HOG layout the detector reads, None when `n_components` is 0 (no appearance part)."""
    return HOGParams() if settings.n_components > 0 else None


def face_features(settings: TrainingSettings) -> FrameEmotionModel | None:
    """The shipped per-frame emotion model when the detector reads its face features, else None."""
    return FrameEmotionModel.load() if settings.face_features else None


def embedder(model: FrameEmotionModel | None) -> Embed | None:
    """crops -> the model's face features (None without a model)."""
    return None if model is None else (lambda crops: model.predict_with_features(crops)[1])


def augmented_features(data: AUData, hog: HOGParams | None, seed: int, copies: int = 2, embed: Embed | None = None) -> Features:
    """Originals, their mirror images, and `copies - 1` jittered mirrors/originals each.

    Mirroring keeps the labels: the AU list carries no side, and coded sides (L/R) only say
    which half moved.
    """
    rng = np.random.default_rng(seed)
    blocks = [data.crops, data.crops[:, :, ::-1]]
    for k in range(copies - 1):
        source = data.crops if k % 2 == 0 else data.crops[:, :, ::-1]
        blocks.append(np.stack([jitter(c, rng) for c in source]))
    reps = len(blocks)
    # Shape measures are means of both face sides, so mirrored and jittered copies keep them.
    X = np.concatenate([feature_rows(np.ascontiguousarray(b), data.shape, hog, embed) for b in blocks])
    original = np.zeros(len(data) * reps, bool)
    original[: len(data)] = True
    return Features(
        X=X, Y=np.tile(data.Y, (reps, 1)), groups=np.tile(data.groups, reps),
        source=np.tile(data.source, reps), original=original, weight=np.ones(len(X)),
    )


@dataclass
class OutOfFold:
    """Per original image (n, n_au): the probability, 0/1 prediction, threshold and resting level
    of the outer-fold detector that did not see its subject."""

    proba: np.ndarray
    pred: np.ndarray
    thresholds: np.ndarray
    resting: np.ndarray


def evaluate_grouped(
    feats: Features,
    make_detector: Callable[[], AUDetector],
    au_names: list[str],
    folds: int = 5,
    on_fold: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], OutOfFold]:
    """Outer grouped folds; per-AU F1 / precision / recall / AUC, base rate and support.

    Thresholds are chosen inside each outer training part (nested), so the figures are honest.
    Returns the report and the out-of-fold readings of the original images.
    """
    orig = np.flatnonzero(feats.original)
    n = orig.size
    proba = np.zeros((n, len(au_names)), np.float32)
    pred = np.zeros((n, len(au_names)), np.int8)
    thresholds = np.zeros((n, len(au_names)), np.float32)
    resting = np.zeros((n, len(au_names)), np.float32)
    outer = GroupKFold(folds)
    for k, (train_o, test_o) in enumerate(outer.split(orig, groups=feats.groups[orig])):
        test_groups = set(feats.groups[orig[test_o]])
        train_rows = np.flatnonzero(~np.isin(feats.groups, list(test_groups)))
        det = make_detector().fit_features(
            feats.X[train_rows], feats.Y[train_rows], feats.groups[train_rows], feats.original[train_rows],
            feats.weight[train_rows], feats.source[train_rows] == WILD_SOURCE,
        )
        proba[test_o] = det.predict_proba_features(feats.X[orig[test_o]])
        pred[test_o] = (proba[test_o] >= det.thresholds_).astype(np.int8)
        thresholds[test_o], resting[test_o] = det.thresholds_, det.neutral_level_
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
    return report, OutOfFold(proba, pred, thresholds, resting)


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


def fails_evaluation(per_au: dict[str, Any]) -> list[str]:
    """AUs whose nested (outer-fold) figures fail the detector's reliability rule: AUC below
    MIN_AUC or F1 below MIN_F1_GAIN x the F1 of always answering 'present'. Why: the final fit
    judges reliability on its own inner folds only, which can pass an AU that the honest
    evaluation shows it cannot read (AU16 on 2026-11-29: passed inside, out-of-fold F1 0.00, AUC 0.63)."""
    return [r["au"] for r in per_au["rows"]
            if r["auc"] is not None and not reads_reliably(r["auc"], r["f1"], r["f1_chance"])]


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


def train_detector(feats: Features, make_detector: Callable[[], AUDetector]) -> AUDetector:
    """The shipped model: all subjects, thresholds from grouped out-of-fold predictions."""
    return make_detector().fit_features(feats.X, feats.Y, feats.groups, feats.original, feats.weight,
                                        feats.source == WILD_SOURCE)


def training_features(
    root: Path,
    settings: TrainingSettings = TrainingSettings(),
    *,
    limit_subjects: int | None = None,
    log: Callable[[str], None] = lambda _: None,
    features: FrameEmotionModel | None = None,
) -> tuple[AUData, Features, dict[str, int], StillFaces]:
    """The coded images, their training rows (augmented, plus weakly labelled FER+ faces when
    `weak_per_class` and `weak_weight` are positive; with the face features of `features`), the
    FER+ faces per emotion and their cropper."""
    data = load_au_data(root, limit_subjects=limit_subjects)
    log(f"{len(data)} images, {np.unique(data.groups).size} subjects; crops: {data.crop_counts}")
    embed, hog = embedder(features), appearance(settings)
    feats = augmented_features(data, hog, settings.seed, settings.copies, embed)
    weak_faces = StillFaces()
    weak_counts: dict[str, int] = {}
    if settings.weak_per_class > 0 and settings.weak_weight > 0:
        per_class = settings.weak_per_class if limit_subjects is None else min(settings.weak_per_class, 10 * limit_subjects)
        weak = load_weak_faces(root, data.au_names, per_class=per_class, seed=settings.seed)
        feats = feats.with_weak(weak, hog, settings.weak_weight, weak_faces, embed)
        weak_counts = {str(e): int((weak.emotion == e).sum()) for e in np.unique(weak.emotion)}
        log(f"{len(weak)} FER+ faces with prototype AU labels: {weak_counts}; crops: {weak_faces.counts}")
    return data, feats, weak_counts, weak_faces


def detector_factory(
    au_names: list[str], settings: TrainingSettings = TrainingSettings(), features: FrameEmotionModel | None = None,
) -> Callable[[], AUDetector]:
    """Makes unfitted detectors with these settings (a shape gain of 0 means appearance only) that
    read the face features of `features` (None: none)."""
    gain = settings.shape_gain
    size = features.feature_size if features is not None else 0
    hog = appearance(settings)
    return lambda: AUDetector(au_names, hog, settings.n_components, settings.C, random_state=settings.seed,
                              shape_names=SHAPE_FEATURES if gain > 0 else (), shape_gain=gain or 1.0,
                              embedding_size=size, wild_weight=settings.wild_threshold_weight)


def train_and_report(
    root: Path,
    out_dir: Path,
    settings: TrainingSettings = TrainingSettings(),
    *,
    folds: int = 5,
    evaluate: bool = True,
    limit_subjects: int | None = None,
    command: str = "",
    log: Callable[[str], None] = lambda _: None,
) -> Path:
    """Evaluate (grouped folds), fit on everything, save the model and its card; returns the .npz.

    With `weak_per_class` > 0 and `weak_weight` > 0, FER+ faces with prototype AU labels
    (mescreen.training.ferplus) are added to every training part at weight `weak_weight`; they are
    never scored. The evaluation then also runs without them (the coded-only detector, i.e. the
    same logistic regressions on the same HOG input) so that their effect is measured.
    """
    emotion = face_features(settings)
    data, feats, weak_counts, weak_faces = training_features(root, settings, limit_subjects=limit_subjects, log=log,
                                                             features=emotion)
    make = detector_factory(data.au_names, settings, emotion)
    report: dict[str, Any] = {}
    if evaluate:
        report, oof = evaluate_grouped(feats, make, data.au_names, folds, lambda k, n: log(f"fold {k}/{n}"))
        log(markdown_table(report["per_au"]))
        for source, metrics in report["per_source"].items():
            log(f"{source}: mean F1 {metrics['mean_f1']:.3f}, mean AUC {metrics['mean_auc']:.3f} (n={metrics['n']})")
        if weak_counts:
            coded_only, _ = evaluate_grouped(feats.reweighted(WILD_SOURCE, 0.0), make, data.au_names, folds)
            report["coded_only"] = {"per_au": coded_only["per_au"], "per_source": coded_only["per_source"]}
            log("without the FER+ faces:\n" + markdown_table(coded_only["per_au"]))
        active = [{name for name, on in zip(data.au_names, row) if on} for row in oof.pred]
        report["chain"] = chain_evaluation(load_coded_sets(root), active, data.emotion, data.source)
        log(chain_markdown(report["chain"]))
    framing: dict[str, Any] = {}
    if evaluate:
        reference = runtime_reference_crops(root)
        if len(reference):
            framing = {"runtime_crops": int(len(reference))}
            framing.update({str(s): framing_offset(reference, data.crops[data.source == s]) for s in np.unique(data.source)})
            log(f"framing of training crops against runtime video crops: {framing}")
    detector = train_detector(feats, make)
    if evaluate:
        detector.never_active(fails_evaluation(report["per_au"]))
    detector.metadata = {
        "command": command,
        "seed": settings.seed,
        **({"embedding_model": emotion.version} if emotion is not None else {}),
        "data": {
            "images": len(data),
            "subjects": int(np.unique(data.groups).size),
            "by_source": {str(s): int((data.source == s).sum()) for s in np.unique(data.source)},
            "crops": data.crop_counts,
            "augmentation": f"mirror + {settings.copies - 1} jittered copies (rotation ±6°, scale 0.85-1.1, shift ±5%)",
            "weak": {"per_class": settings.weak_per_class, "weight": settings.weak_weight, "faces": weak_counts, "crops": weak_faces.counts},
        },
        "evaluation": report,
        "framing": framing,
    }
    path = Path(out_dir) / "au_detector.npz"
    detector.save(path)
    if evaluate and limit_subjects is None:  # a subset model is a smoke test, not worth a video check
        stage = AUStage(detector)
        emotion = emotion or FrameEmotionModel.load()  # the shipped emotion model
        videos = {video.name: check_video(video, stage, emotion) for video in labelled_videos(root)}
        for name, reports in videos.items():
            log(report_markdown(name, reports))
        detector.metadata["videos"] = videos
        wild = prototype_check(root, detector, per_class=300, split="test", features=emotion)
        log(prototype_markdown(wild))
        detector.metadata["wild"] = wild
        detector.save(path)
    card = Path(out_dir) / "cards" / "au_detector.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(detector_card(detector, model_version(path)))
    return path


def detector_card(detector: AUDetector, version: str) -> str:
    """The model card, written from the figures of the run that produced the model."""
    meta = detector.metadata
    data = meta["data"]
    evaluation = meta.get("evaluation") or {}
    aus = ", ".join(f"{a} ({AU_DESCRIPTIONS.get(a, '?')})" for a in detector.au_names)
    unreliable = [a for a, ok in zip(detector.au_names, detector.reliable_) if not ok]
    thresholds = " | ".join(f"{a} {t:.2f}" if t <= 1 else f"{a} never (unreliable)"
                            for a, t in zip(detector.au_names, detector.thresholds_))
    neutral = " | ".join(f"{a} {t:.3f}" for a, t in zip(detector.au_names, detector.neutral_level_))
    parts = [
        "# Model card: AU detector (`models/au_detector.npz` + `.json`)",
        "",
        f"Version: `{version}`. Rebuild: `{meta.get('command', '')}` (seed {meta.get('seed')}), "
        "with MESCREEN_DATA pointing at the research data. Load: `mescreen.core.aus.stage.AUStage.load()` (runtime, "
        "person-normalised) or `mescreen.core.aus.detector.AUDetector.load(path)`; tested in tests/core/test_au_model.py "
        "and tests/core/test_au_stage.py.",
        "",
        "## What it does",
        f"Per-frame occurrence probability of {len(detector.au_names)} action units: {aus}. "
        "These are the AUs of the seed paper's Table 1 that the training data codes often enough "
        "(AU11, 18, 21, 22 have fewer than 10 CK+ sequences and are left out). The runtime stage adds AU43 "
        "(eyes closed), read from the landmark stage's eye aperture, not from this model "
        "(`mescreen/core/aus/stage.py`; never active when no geometry is given).",
        "",
        "Method (after OpenFace's appearance models, Baltrusaitis et al. FG 2015): "
        + (f"HOG ({detector.hog.size}x{detector.hog.size} px, {detector.hog.cell}-px cells, {detector.hog.bins} bins) "
           f"of the 128x128 face crop, standardisation, PCA ({detector.n_components} components), "
           if detector.hog is not None else "no appearance part (no HOG: trained with `--components 0`), ")
        + f"one class-balanced logistic regression per AU (C={detector.C}), folded into one affine map. "
        + ("Beside the HOG projection each row " if detector.hog is not None else "Each row ")
        + f"carries {len(detector.shape_names)} face-shape measures from the 468-point mesh "
        f"({', '.join(detector.shape_names) or 'none'}; `mescreen/core/face/shape.py`: heights and distances in the "
        "aligned crop's frame, each the mean of both face sides), standardised and scaled by "
        f"{detector.shape_gain} (a face without a mesh gets the training mean, i.e. appearance alone; the gain was chosen "
        "among 0, 1 and 3 by the mean F1 of the grouped evaluation below, so the figures below are slightly optimistic "
        "for it: bench/RESULTS.md, 'AU detector with face shape'). "
        + (f"Each row also carries the {detector.embedding_size} face features of the per-frame emotion network "
           f"(`{detector.metadata.get('embedding_model', '')}`, trained on FER+: the values its classifier reads), "
           f"standardised and scaled like the shape measures: that network learned in-the-wild faces from 25,000 "
           "photos, which ~1,300 coded lab images cannot teach HOG. " if detector.embedding_size else "")
        + "With the person normalisation 0.73 ms per frame on one core of a heavily shared machine (`bench/au_stage.py --frames 500`; the face "
        "features come free with the emotion model's own pass). Trained on coded images (CK+, MEGC) "
        "and on FER+ in-the-wild faces with weak AU labels from their emotion's prototype (below). Decision thresholds maximise "
        + (f"{1 - detector.wild_weight:g} x F1 on the coded images + {detector.wild_weight:g} x F1 on the FER+ faces "
           "(for each AU their weak labels teach; the coded images alone for the others), both on grouped out-of-fold "
           "predictions: thresholds set on lab faces alone were too low for faces in the wild "
           "(`bench/au_wild_thresholds.py`). " if detector.wild_weight > 0 else
           "F1 on grouped out-of-fold predictions of the coded images. ")
        + "They are kept within [0.05, 0.95] so that no AU is 'always on'. An AU whose out-of-fold AUC is below "
        f"{MIN_AUC} or whose F1 is below {MIN_F1_GAIN}x the F1 of always answering 'present' is shipped "
        "as unreliable: its probability is reported but its threshold is above 1, so it is never called "
        "active (the same rule is applied inside every evaluation fold, so the figures below include it), and "
        "so is an AU whose nested out-of-fold figures below fail the same rule, even if the final fit's own "
        "inner folds pass it.",
        "",
        f"Thresholds: {thresholds}",
        "",
        f"Population resting level (the {detector.resting_quantile:.0%} quantile of the out-of-fold probabilities "
        f"on coded images without the AU): {neutral}",
        "",
        "## Data and terms",
        f"{data['images']} images of {data['subjects']} subjects: {data['by_source']}. CK+48 peak frames "
        "(Lucey et al., CVPRW 2010; Kanade, Cohn & Tian, FG 2000) with the 23 binary AU columns; "
        "MEGC2019 composite apex crops of CASME II (Yan et al., PLoS ONE 2014) and SAMM (Davison et al., "
        "IEEE TAC 2018) with their FACS strings parsed by `mescreen.core.aus.facs` (side and intensity letters read; "
        "`ref(...)` AUs and uncertain 'or' alternatives not counted as present). Composite protocol: See et "
        "al., FG 2019. These datasets are released for non-commercial research under signed agreements; "
        "the weights are derived from them and inherit research-only use. No image is in the repository.",
        "",
        f"Crops: every image went through the runtime landmark face stage (`mescreen.training.still_faces`: BlazeFace "
        f"and the mesh on the enlarged, bordered image; the mesh on the image itself when BlazeFace misses): "
        f"{data['crops']} (haar = no mesh, the Haar stage's crop and no shape; fallback = no face found, the image "
        "enlarged to 128 px + CLAHE). "
        f"Augmentation: {data['augmentation']}.",
        "",
        weak_section(data.get("weak") or {}, detector.wild_weight),
        "",
        "## How 'no AU' is learned, and the person normalisation",
        "CK+ has no neutral frames. An AU's negatives are the peak frames of other CK+ sequences not "
        "coded with it, the MEGC apex crops whose code lacks it (micro-expressions are faint, so those "
        "are close to neutral faces) and, with FER+, the neutral faces and the faces of emotions whose "
        "prototype lacks it. The runtime (`mescreen/core/aus/stage.py`) then corrects each person's resting face, as "
        "OpenFace's dynamic models do: `p_norm = clip(p_raw - (neutral - resting_level), 0, 1)`, where `neutral` "
        "is the mean of the person's raw probabilities over the frames the per-frame emotion model calls neutral "
        "(each frame weighted by its p(neutral)), shrunk towards the resting level above as if 300 fully neutral "
        "frames (10 s at 30 frames/s) had read exactly that, with slow forgetting (half-life 9000 frames = 5 min "
        "at 30 frames/s; constant memory, `mescreen/core/aus/baseline.py`). A clip without a neutral-looking face is "
        "thus left as read, and an expression, however long it is held, carries little neutral weight and is "
        "not normalised away (tested with a constructed 5-s neutral + 15-s smile stream, and a cry-then-laugh "
        "stream with no neutral frame, in tests/core/test_au_stage.py). The person's 10% quantile used before "
        "assumed a neutral tenth of every clip; on CK+ and MEGC subjects (expressions only) it cut the mean "
        "out-of-fold F1 from 0.719 to 0.470, while this estimator gives 0.721 (prior sizes of 30 / 100 / 1000 "
        "frames: 0.645 / 0.706 / 0.719; 300 was chosen on the same comparison with an earlier detector, "
        "where it was best too; "
        "`bench/person_normalisation.py`, bench/RESULTS.md 'Person normalisation'). These coded faces cannot show "
        "what the correction gains: they are all expressions, and the detector's thresholds were fitted to them.",
        "",
    ]
    if evaluation:
        parts += [
            "## Evaluation",
            f"Protocol: {evaluation['protocol']}; {evaluation['n_images']} original images (augmented copies "
            f"never scored), {evaluation['n_subjects']} subjects. F1 of always-on = the F1 a detector that "
            "always says 'present' gets (2b/(1+b) for base rate b): the chance level to beat. AUC is "
            "threshold-free. All figures are from raw (un-normalised) probabilities of single peak/apex "
            "images; `bench/person_normalisation.py` streams the same out-of-fold readings subject by subject "
            "through the person normalisation (previous section).",
            "",
            "All images:",
            "",
            markdown_table(evaluation["per_au"]),
            "",
        ]
        for source, metrics in evaluation["per_source"].items():
            parts += [f"{source} images only:", "", markdown_table(metrics), ""]
        if evaluation.get("coded_only"):
            parts += [
                "## Do the FER+ faces help? (same folds, same scored images)",
                "The baseline is the same per-AU logistic regression on the same input (HOG, shape and any face features), trained on the coded "
                "images only (the previous detector's recipe). Both are scored on the held-out coded images only.",
                "",
                comparison_table(evaluation["coded_only"], evaluation),
                "",
            ]
        if evaluation.get("chain"):
            parts += [
                "## Detector + AU-to-emotion mapping, end to end",
                "The runtime chain on the same images: the out-of-fold active AUs above, mapped to an emotion "
                "by a mapping learned from the coding sheets of the other two datasets (the detector never saw "
                "the image's subject, the mapping never saw its dataset). Compare with the mapping on the "
                "coders' own AU sets (models/cards/au_emotion.md): the gap is the cost of detector errors. "
                "Chance UAR is 1 / (number of emotions in the images): 0.14 for SAMM and CK+ (7), 0.33 for the "
                "CASME II images (disgust, happiness, surprise), so both micro-expression rows are at or below chance.",
                "",
                chain_markdown(evaluation["chain"]),
                "",
            ]
    framing = meta.get("framing") or {}
    if framing:
        rows = [f"| {s} | {v['scale']:.3f} | {v['dx']} | {v['dy']} | {v['correlation']:.3f} |"
                for s, v in framing.items() if isinstance(v, dict)]
        parts += [
            "## Do training crops line up with runtime crops?",
            f"Mean crop of each training source fitted onto the mean of {framing['runtime_crops']} runtime crops "
            "(face stage on every 10th frame of the real-face test videos videos/*.mp4: two people, so a "
            "coarse reference) by a similarity transform "
            "(scale < 1 means the training faces appear larger than runtime faces; shifts in px of 128):",
            "",
            "| source | scale | dx | dy | correlation after fit |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "The scale and shift jitter of the augmentation is meant to cover these offsets.",
            "",
        ]
    videos = meta.get("videos") or {}
    if videos:
        parts += [
            "## Real-video check (by-eye labels; a check, never a tuning target)",
            "Each labelled video under MESCREEN_DATA/videos (`<name>.labels.csv` beside it) read by the runtime "
            "chain (face stage, this detector, person normalisation), as printed by `bench/face_reading.py`: per "
            "labelled segment, each listed AU's share of frames called active (normalised probability >= the "
            "threshold above) inside and outside the segment, and the AUC of its probability inside versus "
            "outside; also on a darkened, a 15°-rotated and a half-resolution copy. The labels are one careful "
            "observer's reading, not certified FACS coding; AUs the detector does not read are listed as such.",
            "",
        ]
        parts += bar_lines(videos)
        parts += [report_markdown(name, reports) for name, reports in videos.items()]
    if meta.get("wild"):
        parts += [
            "## In the wild: FER+ test faces by their emotion's prototype AUs (a check, never a tuning target)",
            "Faces the detector never trained on (leak-free FER+ test split), read raw (single photos have no person "
            "baseline): each emotion's prototype AUs against neutral faces (`mescreen.training.au_wild_check`, also "
            "printed by `bench/face_reading.py`).",
            "",
            prototype_markdown(meta["wild"]),
            "",
        ]
    parts += [
        "## Intended use",
        "Reading which AUs move, frame by frame, in mescreen's screening aid, as input to spotting "
        "summaries, the AU-to-emotion mapping and ME sub-division. A screening aid, never a diagnosis; "
        "not for decisions about a person on its own.",
        "",
        "## Known limits",
        "- Trained mostly on posed, peak-intensity CK+ expressions: subtle spontaneous AUs (micro-"
        "expressions) are read far worse, as the CASME II / SAMM rows show (near chance for most AUs).",
        f"- Shipped as unreliable (never called active): {', '.join(unreliable) or 'none'}. Rare AUs (AU10, "
        "AU16, AU26; AU14/AU15 to a lesser degree) have few positives and low F1 in the folds.",
        "- Occurrence only, no intensity; no side (L/R) although codes have one.",
        "- 48x48 CK+ sources limit detail; HOG is sensitive to pose beyond about ±20° and to occlusion "
        "(glasses, hands, beards).",
        "- Demographics follow CK+ (mostly young US adults), CASME II (Chinese students) and SAMM "
        "(mixed, UK); performance on other groups is unmeasured.",
        "- Hyper-parameters of the appearance model were chosen for an earlier detector on the same grouped "
        "folds among about ten settings (C 0.05 to 0.0005, PCA 100 to 600 components, HOG 64 or 96 px, 1 or 2 "
        "jittered copies; mean F1 0.585 to 0.634): a small optimism in the figures above. The FER+ number "
        f"({(data.get('weak') or {}).get('per_class')} per emotion) and weight ({(data.get('weak') or {}).get('weight')}) "
        "and the face features were chosen on FER+ valid faces and the grouped folds (`bench/au_weak_faces.py`, "
        "bench/RESULTS.md), never on the FER+ test faces or the video below; the PCA basis is fitted once per "
        "training part (label-free) and shared by its inner threshold folds.",
        "- FER+ labels are weak: a face gets its emotion's prototype AUs, not a coding of that face. They "
        "teach in-the-wild appearance and neutral faces, and can teach wrong AUs where a face differs from "
        "the prototype.",
        "- Face features tie this detector to one emotion model (its version is in the JSON; the runtime refuses "
        "another): retraining the per-frame emotion model means rebuilding this detector (`make models` does both, in order). That network was trained "
        "on FER+ training faces, the same faces that carry the weak labels here, so on those training rows its "
        "features are cleaner than on new faces; the FER+ valid and test checks are the honest figures.",
        "- The person normalisation rests on the emotion model's p(neutral): a clip in which no frame looks "
        "neutral is left as read, with the detector's in-the-wild resting bias (the FER+ test table: neutral faces "
        "read AU1 and AU4 active in part).",
        "- Eyes closed (AU43) has no appearance model: no training set here codes it often enough. It is read from "
        "the eye-contour aperture relative to the person's open eyes; a strong laugh narrows the eyes and can read "
        "as closed, and an eye covered by a hand reads as its contour model guesses.",
        "- A crying face with the eyes squeezed shut, the cheeks raised and the lips pressed is read in part as "
        "AU12 and AU6, as in a smile (bars 1 and 2, sadness side, in the check below). AU6 (cheek raiser) with "
        "AU15 is one of EMFACS's sadness combinations; that clip's labels do not list it.",
        "- Thresholds weigh FER+ faces by their weak labels, which leave AU6 and AU7 unknown on sad faces and "
        "count every sad face as showing AU1, AU4 and AU15: where a face differs from its emotion's prototype, "
        "its threshold share follows the prototype.",
        "",
    ]
    return "\n".join(parts)


def bar_lines(videos: dict[str, Any]) -> list[str]:
    """The issue's four bars, checked on every video variant whose labels have both a happiness
    and a sadness segment (rates pooled per expression, from face_reading.by_expression)."""
    lines = ["Bars (issue 12), on each clip labelled with happiness and sadness segments: (1) AU12 and (2) AU6 "
             "active in >= 80% of the happiness frames and <= 10% of the sadness frames; (3) AU43 separates "
             "sadness (here: active in >= 50% of the sadness frames and <= 10% of the happiness frames); "
             "(4) AU4 and AU15 more often active in sadness than in happiness.", "",
             "| clip, variant | AU12 happy / sad | AU6 happy / sad | AU43 sad / happy | AU4, AU15 sad vs happy |",
             "|---|---|---|---|---|"]
    fmt = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    for name, reports in videos.items():
        for variant, rep in reports.items():
            pooled = by_expression(rep)
            if not {"happiness", "sadness"} <= set(pooled):
                continue
            h, d = pooled["happiness"], pooled["sadness"]

            def rate(table: dict, au: str) -> float:
                return table.get(au) if table.get(au) is not None else 0.0

            def ok(flag: bool) -> str:
                return "met" if flag else "NOT met"

            bar12 = rate(h, "AU12") >= 0.8 and rate(d, "AU12") <= 0.1
            bar6 = rate(h, "AU6") >= 0.8 and rate(d, "AU6") <= 0.1
            bar43 = rate(d, "AU43") >= 0.5 and rate(h, "AU43") <= 0.1
            bar4 = rate(d, "AU4") > rate(h, "AU4") and rate(d, "AU15") > rate(h, "AU15")
            lines.append(
                f"| {name}, {variant} | {fmt(h.get('AU12'))} / {fmt(d.get('AU12'))} {ok(bar12)} | "
                f"{fmt(h.get('AU6'))} / {fmt(d.get('AU6'))} {ok(bar6)} | {fmt(d.get('AU43'))} / {fmt(h.get('AU43'))} "
                f"{ok(bar43)} | AU4 {fmt(d.get('AU4'))} vs {fmt(h.get('AU4'))}, AU15 {fmt(d.get('AU15'))} vs "
                f"{fmt(h.get('AU15'))} {ok(bar4)} |"
            )
    return lines + [""]


def weak_section(weak: dict[str, Any], wild_weight: float = 0.0) -> str:
    """Card paragraph on the FER+ faces with prototype AU labels (`wild_weight`: their share in the
    thresholds)."""
    if not weak.get("faces"):
        return "No weakly labelled faces were used."
    rules = "; ".join(
        f"{e}: " + ("+".join(str(a) for a in pos) or "none") + (f" (unknown: {'+'.join(str(a) for a in unk)})" if unk else "")
        for e, (pos, unk) in PROTOTYPES.items()
    )
    return (
        f"Weak labels: {sum(weak['faces'].values())} FER+ training faces (FER2013, Goodfellow et al. ICONIP 2013; "
        f"FER+ votes, Barsoum et al. ICMI 2016), at most {weak['per_class']} per emotion with at least 6 of 10 "
        f"crowd votes for their label: {weak['faces']}; crops: {weak['crops']}. Each face gets its emotion's "
        f"prototype AUs (EMFACS, Ekman & Friesen; FACS Investigator's Guide, Ekman, Friesen & Hager 2002) as "
        f"present, AUs that often but not always accompany that emotion as unknown (the face is not used for "
        f"them), and every other AU as absent: {rules}. Each face counts {weak['weight']} of a coded image in the "
        "logistic regressions (class balance is computed on the weighted counts). "
        + (f"Their out-of-fold F1 weighs {wild_weight:g} in each AU's threshold (above); resting levels and every "
           "figure below come from coded images. " if wild_weight > 0 else
           "They are training rows only: thresholds, resting levels and every figure below come from coded images. ")
        + "FER2013 faces are research-only (no licence covers them); none is in the repository."
    )


def comparison_table(coded_only: dict[str, Any], shipped: dict[str, Any]) -> str:
    """Mean F1 / AUC per source and per-AU F1 / AUC, coded-only baseline beside the shipped setting."""
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    lines = ["| images | mean F1, coded only | mean F1, + FER+ | mean AUC, coded only | mean AUC, + FER+ |",
             "|---|---|---|---|---|"]
    for name, a, b in [("all", coded_only["per_au"], shipped["per_au"])] + [
        (s, coded_only["per_source"][s], shipped["per_source"][s]) for s in shipped["per_source"]
    ]:
        lines.append(f"| {name} (n={b['n']}) | {fmt(a['mean_f1'])} | {fmt(b['mean_f1'])} | "
                     f"{fmt(a['mean_auc'])} | {fmt(b['mean_auc'])} |")
    lines += ["", "| AU | F1, coded only | F1, + FER+ | AUC, coded only | AUC, + FER+ |", "|---|---|---|---|---|"]
    for a, b in zip(coded_only["per_au"]["rows"], shipped["per_au"]["rows"]):
        lines.append(f"| {b['au']} ({AU_DESCRIPTIONS.get(b['au'], '?')}) | {fmt(a['f1'])} | {fmt(b['f1'])} | "
                     f"{fmt(a['auc'])} | {fmt(b['auc'])} |")
    return "\n".join(lines)


def runtime_reference_crops(root: Path, every: int = 10) -> np.ndarray:
    """Crops the landmark face stage makes from the real-face test videos (videos/*.mp4), every k-th frame."""
    faces = StillFaces()
    crops = []
    for path in sorted((Path(root) / "videos").glob("*.mp4")):
        capture = cv2.VideoCapture(str(path))
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                found = faces.counts["mesh"]
                crop = faces.crop_and_shape(frame)[0]
                if faces.counts["mesh"] > found:
                    crops.append(crop)
            index += 1
        capture.release()
    return np.stack(crops) if crops else np.zeros((0, CROP_SIZE, CROP_SIZE), np.uint8)


def framing_offset(reference: np.ndarray, crops: np.ndarray) -> dict[str, float]:
    """Similarity (scale, shift) that best maps the mean of `crops` onto the mean of `reference`.

    A coarse, honest check that training crops are framed like runtime crops: scale 1 and shift 0
    mean identical framing; the correlation says how alike the two mean faces are afterwards.
    """
    size = reference.shape[1]
    inner = slice(size // 8, size - size // 8)

    def normalised(img: np.ndarray) -> np.ndarray:
        region = img[inner, inner]
        return (region - region.mean()) / (region.std() + 1e-6)

    ref = normalised(reference.mean(0).astype(np.float32))
    mean = crops.mean(0).astype(np.float32)
    best = {"correlation": -1.0, "scale": 1.0, "dx": 0.0, "dy": 0.0}
    for scale in np.arange(0.8, 1.251, 0.025):
        for dx in range(-12, 13, 2):
            for dy in range(-12, 13, 2):
                M = cv2.getRotationMatrix2D((size / 2, size / 2), 0.0, float(scale))
                M[:, 2] += (dx, dy)
                warped = cv2.warpAffine(mean, M, (size, size), borderMode=cv2.BORDER_REFLECT)
                corr = float((normalised(warped) * ref).mean())
                if corr > best["correlation"]:
                    best = {"correlation": round(corr, 3), "scale": round(float(scale), 3), "dx": dx, "dy": dy}
    return best
