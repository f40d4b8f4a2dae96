"""Training and evaluation of the emotion fusion (mescreen/core/emotion_fusion.py).

Protocol: the frame model was trained on the FER+ train split and selected on valid by its own
figures; the fusion is fitted on the leak-free valid split (faces the frame model never trained
on), its C chosen by 5 folds grouped by pixel hash inside valid, and reported on the leak-free
test split and across datasets on CK+48 (all subjects) beside the frame model alone and a
logistic regression on the AU probabilities alone (the simple baseline). Every image goes
through the runtime's landmark face stage (mescreen.training.still_faces), so the frame model,
the AU detector and the fusion read what they read on a video frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from mescreen.core.au_model import AUDetector
from mescreen.core.datapaths import model_version
from mescreen.core.emotion_fusion import MODEL_FILE, EmotionFusion
from mescreen.core.frame_emotion import FrameEmotionModel
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.training.ckplus import read_ckplus_labels
from mescreen.training.ferplus import leak_free, load_ferplus
from mescreen.training.frame_emotion_eval import report
from mescreen.training.metrics import TABLE_HEADER, ClassificationReport
from mescreen.training.still_faces import StillFaces

C_GRID = (0.01, 0.1, 1.0)


@dataclass
class Readings:
    """What the runtime reads of each image: frame-model and AU probabilities, and the label."""

    emotion: np.ndarray  # (n, 8)
    au: np.ndarray  # (n, k)
    label: np.ndarray  # str (n,)
    groups: np.ndarray  # str (n,)

    @property
    def y(self) -> np.ndarray:
        return np.array([FRAME_EMOTIONS.index(v) for v in self.label])


def read_images(images: list[np.ndarray], labels: np.ndarray, groups: np.ndarray, frame: FrameEmotionModel,
                au: AUDetector, faces: StillFaces) -> Readings:
    """Face stage, frame model and AU detector on each image (batched after cropping)."""
    crops = np.stack([faces(im) for im in images])
    shapes = faces.take_shapes()
    return Readings(frame.predict(crops), au.predict_proba(crops, shapes), np.asarray(labels), np.asarray(groups))


def choose_C(data: Readings, au_names: list[str], log: Callable[[str], None]) -> float:
    """The C with the best mean macro-F1 over grouped folds of the fitting data."""
    scores = {}
    for C in C_GRID:
        f1 = []
        for train, test in GroupKFold(5).split(data.au, groups=data.groups):
            model = EmotionFusion(au_names, C).fit(data.emotion[train], data.au[train], data.y[train])
            f1.append(report(data.label[test], model.predict_proba(data.emotion[test], data.au[test])).uf1)
        scores[C] = float(np.mean(f1))
        log(f"C={C}: grouped-fold macro-F1 {scores[C]:.3f}")
    return max(scores, key=lambda c: scores[c])


class AUBaseline:
    """Class-balanced multinomial logistic regression on the AU probabilities alone."""

    def fit(self, au: np.ndarray, y: np.ndarray) -> "AUBaseline":
        self.model_ = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(au, y)
        return self

    def predict_proba(self, au: np.ndarray) -> np.ndarray:
        proba = np.zeros((len(au), len(FRAME_EMOTIONS)))
        proba[:, self.model_.classes_] = self.model_.predict_proba(au)
        return proba


def section(title: str, rows: dict[str, ClassificationReport]) -> str:
    head, rule = TABLE_HEADER.split("\n")
    lines = [f"### {title}", "", "| reading " + head, "|---" + rule]
    lines += [f"| {name} " + r.row() for name, r in rows.items()]
    fused = rows["fusion (shipped)"]
    lines += ["", "Confusion, fusion (rows true, columns predicted):", "", fused.confusion_markdown()]
    return "\n".join(lines)


def evaluate(name: str, data: Readings, fusion: EmotionFusion, baseline: AUBaseline) -> tuple[str, dict[str, Any]]:
    rows = {
        "frame model alone": report(data.label, data.emotion),
        "fusion (shipped)": report(data.label, fusion.predict_proba(data.emotion, data.au)),
        "AU probabilities alone, logistic regression (baseline)": report(data.label, baseline.predict_proba(data.au)),
    }
    figures = {k: {"accuracy": r.accuracy, "uf1": r.uf1, "uar": r.uar} for k, r in rows.items()}
    return section(f"{name}: {len(data.label)} faces", rows), figures


def train_and_report(root: Path, out_dir: Path, command: str, log: Callable[[str], None] = print) -> Path:
    """Fit on FER+ valid, report on FER+ test and CK+48, save the fusion and its card."""
    frame = FrameEmotionModel.load(out_dir)
    au = AUDetector.load(Path(out_dir) / "au_detector.npz")
    au_names = list(au.au_names)
    faces = StillFaces()
    ferplus = leak_free(load_ferplus(root))
    parts = {}
    for split in ("valid", "test"):
        part = ferplus.part(split)
        parts[split] = read_images(list(part.images), part.label, part.pixel_hash, frame, au, faces)
        log(f"FER+ {split}: {len(part)} faces read")
    table = read_ckplus_labels(root)
    ck_images = [cv2.imread(str(root / "ckplus48" / p), cv2.IMREAD_GRAYSCALE) for p in table["path"]]
    ckplus = read_images(ck_images, np.asarray(table["emotion"]), np.asarray(table["subject"]), frame, au, faces)
    log(f"face stage on all images: {faces.counts}")
    valid = parts["valid"]
    C = choose_C(valid, au_names, log)
    fusion = EmotionFusion(au_names, C).fit(valid.emotion, valid.au, valid.y)
    baseline = AUBaseline().fit(valid.au, valid.y)
    sections, figures = [], {}
    for name, data in (("FER+ test (leak-free)", parts["test"]), ("CK+48, all 118 subjects (cross-dataset)", ckplus)):
        text, figures[name] = evaluate(name, data, fusion, baseline)
        sections.append(text)
        log(text)
    fusion.metadata = {"command": command, "C": C, "C_grid": list(C_GRID), "fitted_on": f"FER+ valid, leak-free, {len(valid.label)} faces",
                       "face_stage": faces.counts, "frame_model": frame.version, "au_model": model_version(Path(out_dir) / "au_detector.npz"),
                       "figures": figures}
    path = Path(out_dir) / MODEL_FILE
    fusion.save(path)
    card = Path(out_dir) / "cards" / "emotion_fusion.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(fusion_card(fusion, model_version(path), sections))
    return path


def fusion_card(fusion: EmotionFusion, version: str, sections: list[str]) -> str:
    meta = fusion.metadata
    return "\n".join([
        f"# Model card: emotion fusion (`models/{MODEL_FILE}`)", "",
        f"Version: `{version}`. Rebuild (deterministic, no random step): `{meta['command']}` with "
        "MESCREEN_DATA pointing at the research data; it reads the shipped frame-emotion and AU models, so rebuild it "
        f"after either (this one read frame model `{meta['frame_model']}` and AU model `{meta['au_model']}`).", "",
        "**Not a clinical instrument.** It names the expression a face shows in one frame.", "",
        "## What it does",
        "The per-frame emotion the pipeline stores and charts: a multinomial logistic regression on the frame "
        "model's 8 log-probabilities and the AU detector's probabilities "
        f"({', '.join(fusion.au_names)}), standardised, rare emotions weighted by (largest class / class)^"
        f"{fusion.weight_power} (`mescreen/core/emotion_fusion.py`). Why: the frame model reads the face as a whole and "
        "confuses faces that look alike overall; the AU detector reads brows and lip corners from texture and mesh "
        "shape. The rule is learned, not hand-set, on faces neither model was trained on.", "",
        "## Data and protocol",
        f"Fitted on {meta['fitted_on']} (FER2013 faces, Goodfellow et al. ICONIP 2013, with FER+ crowd votes, Barsoum "
        "et al. ICMI 2016; research use only, no face is in the repository), majority label. C chosen from "
        f"{meta['C_grid']} by 5 folds grouped by pixel hash inside valid: C = {meta['C']}. Every image went through "
        f"the runtime landmark face stage: {meta['face_stage']}. Reported on the leak-free FER+ test split (this is "
        "the third time the test split is read in this project: twice for the frame model, see its card) and across "
        "datasets on all CK+48 peak frames (Lucey et al. CVPRW 2010; no neutral class; research use only). The AU "
        "probabilities here are raw (no person baseline: single images); in a video they are person-normalised. "
        "The AU detector was trained on the CK+48 images themselves (models/cards/au_detector.md), so on CK+ the rows "
        "that read AU probabilities (the fusion and the AU baseline) are not cross-dataset for their AU part and are "
        "flattered; the FER+ test rows are clean (the AU detector saw FER+ train faces only).", "",
        "## Figures (printed by the rebuild command)", "", *sections, "",
    ])
