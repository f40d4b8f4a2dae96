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
from mescreen.core.aus.detector import AUDetector, HOGParams, hog_features, reads_reliably
from mescreen.core.datapaths import model_version
from mescreen.core.face.crop import CROP_SIZE
from mescreen.core.face.shape import SHAPE_FEATURES
from mescreen.core.emotion.frame.model import FrameEmotionModel
from mescreen.core.aus.facs import au_vector
from mescreen.core.labels import AU_NAMES
from mescreen.training.au_card import detector_card, grimace_lines, markdown_table, with_history
from mescreen.training.au_emotion import chain_evaluation, chain_markdown, load_coded_sets
from mescreen.training.au_settings import TrainingSettings
from mescreen.training.ckplus import load_ckplus
from mescreen.training.face_reading import check_video, labelled_videos, report_markdown
from mescreen.training.au_wild_check import prototype_check, prototype_markdown
from mescreen.training.ferplus_aus import WeakFaces, load_weak_faces
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
        **({"embedding_model": emotion.features_version} if emotion is not None else {}),
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
        log("\n".join(grimace_lines(videos, wild)))
        detector.metadata["wild"] = wild
        detector.save(path)
    card = Path(out_dir) / "cards" / "au_detector.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(with_history(detector_card(detector, model_version(path)), card))
    return path




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
