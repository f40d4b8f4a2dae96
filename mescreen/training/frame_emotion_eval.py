"""Evaluation of the per-frame emotion model: FER+ test (once as published, once filmed in a dim
room), CK+48 and MEGC2019 apex crops across datasets, a pixel logistic-regression baseline beside
each, and the real-clip check.

Cross-dataset images go through the runtime path (the landmark face stage, as
mescreen.training.still_faces runs it on dataset face crops, then `FrameEmotionModel.predict` on the
128 crop), as a patient's frames would; real frames and photos through the same stage without the
dataset fallbacks (no face found: counted and left out). FER+ faces are framed as the model was
trained (its `framing`: placed into FER_WINDOW, or through the landmark stage). The baseline reads
the same 48x48 pixels the network reads (standardised), so the two differ only in the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from mescreen.core.emotion.frame.model import FrameEmotionModel, network_input, to_fer_framing
from mescreen.core.labels import FRAME_EMOTIONS, NEGATIVE_EMOTIONS
from mescreen.training.ckplus import read_ckplus_labels
from mescreen.training.ferplus import FerPlus
from mescreen.training.frame_emotion import FrameEmotionConfig, dim_capture, prepare_faces
from mescreen.training.metrics import TABLE_HEADER, ClassificationReport, classification_report
from mescreen.training.still_faces import StillFaces

#: Published FER+ figure to cite beside ours (not the same protocol: majority-vote test accuracy).
PUBLISHED = "VGG13 trained on FER+ label distributions: about 0.85 test accuracy (Barsoum et al., ICMI 2016)"

#: Real-clip segments: expression in the by-eye labels -> emotions that count as read right.
CLIP_TARGETS: dict[str, set[str]] = {"happiness": {"happiness"}, "sadness": set(NEGATIVE_EMOTIONS)}


class PixelBaseline:
    """Class-balanced multinomial logistic regression on the network's 48x48 standardised pixels."""

    def __init__(self, C: float = 0.01, max_iter: int = 300) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, faces: np.ndarray, y: np.ndarray) -> PixelBaseline:
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=self.max_iter)
        self.model_.fit(network_input(faces).reshape(len(faces), -1), y)
        return self

    def predict_proba(self, faces: np.ndarray) -> np.ndarray:
        """(n, 8) in FRAME_EMOTIONS order (the classes were fitted as their indices)."""
        proba = np.zeros((len(faces), len(FRAME_EMOTIONS)))
        proba[:, self.model_.classes_] = self.model_.predict_proba(network_input(faces).reshape(len(faces), -1))
        return proba


def report(y_true: np.ndarray, proba: np.ndarray) -> ClassificationReport:
    """Metrics of the argmax over FRAME_EMOTIONS (macro averages over the classes present)."""
    names = np.array(FRAME_EMOTIONS)
    return classification_report(np.asarray(y_true), names[np.argmax(proba, axis=1)], FRAME_EMOTIONS)


@dataclass
class CropSet:
    """Face-stage crops of a labelled image set; `missed` counts images with no face found."""

    name: str
    crops: np.ndarray  # uint8 (n, 128, 128)
    labels: np.ndarray  # str (n,), in FRAME_EMOTIONS
    missed: int


def crops_of(name: str, paths: list[Path], labels: list[str]) -> CropSet:
    """Run the landmark face stage on each dataset face crop (with its fallbacks for tight crops;
    `missed` counts the images neither the mesh nor Haar found a face in)."""
    faces = StillFaces()
    crops = np.stack([faces(cv2.imread(str(path), cv2.IMREAD_COLOR)) for path in paths])
    return CropSet(name, crops, np.array(labels), faces.counts["fallback"])


def ckplus_crops(root: Path) -> CropSet:
    """All CK+48 peak frames, labels mapped to FER+ names (happy -> happiness etc.; no neutral)."""
    table = read_ckplus_labels(root)
    return crops_of("CK+48 (all 118 subjects)", [root / "ckplus48" / p for p in table["path"]], list(table["emotion"]))


def megc_apex_crops(root: Path) -> CropSet:
    """MEGC2019 apex crops whose dataset `emotion` is one of our classes (repression and other dropped)."""
    table = pd.read_csv(root / "megc2019" / "labels.csv")
    table = table[table["emotion"].isin(FRAME_EMOTIONS)]
    return crops_of("MEGC2019 apex (dataset emotion)", [root / "megc2019" / p for p in table["apex_image"]],
                    list(table["emotion"]))


def model_framing(model: FrameEmotionModel) -> str:
    """How the model's FER+ training faces were framed ("window" for models before the option)."""
    return str(model.meta.get("config", {}).get("framing", "window"))


#: The dim room of the robustness figure: 35% of the light and sensor noise of 3 grey levels, the
#: face filmed at video scale (as the darkened copy of the real-clip check, bench/face_reading.py).
DIM_ROOM = FrameEmotionConfig(dim_gain=(0.35, 0.35), dim_noise=(3.0, 3.0))


def ferplus_section(model: FrameEmotionModel, baseline: PixelBaseline, test: FerPlus, dim: bool = False) -> str:
    """FER+ test split (leak-free): the model and the baseline, with both confusion matrices;
    `dim`: each face first filmed in `DIM_ROOM` (mescreen.training.frame_emotion.dim_capture)."""
    images = dim_capture(test.images, np.random.default_rng(0), DIM_ROOM) if dim else test.images
    faces = prepare_faces(images, model_framing(model))
    ours = report(test.label, model.predict_faces(faces))
    base = report(test.label, baseline.predict_proba(faces))
    room = ", filmed in a dim room (35% light, sensor noise of 3 grey levels)" if dim else ""
    return _section(f"FER+ test, {len(test)} faces (pixel duplicates of train removed){room}", ours, base)


def crop_section(model: FrameEmotionModel, baseline: PixelBaseline, crops: CropSet) -> str:
    """A cross-dataset set through the runtime path, model and baseline."""
    ours = report(crops.labels, model.predict(crops.crops))
    base = report(crops.labels, baseline.predict_proba(to_fer_framing(crops.crops)))
    title = f"{crops.name}: {len(crops.labels)} faces ({crops.missed} without a face found by the mesh or Haar: the image itself, enlarged, was read)"
    return _section(title, ours, base)


def _section(title: str, ours: ClassificationReport, base: ClassificationReport) -> str:
    head, rule = TABLE_HEADER.split("\n")
    lines = [f"### {title}", "", "| model " + head, "|---" + rule,
             "| frame emotion network " + ours.row(), "| pixel logistic regression (baseline) " + base.row(), "",
             "Confusion, network (rows true, columns predicted):", "", ours.confusion_markdown(), "",
             "Confusion, baseline:", "", base.confusion_markdown()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- real clip

#: Image changes for the robustness figures of the real-clip check.
VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "original": lambda f: f,
    "darkened (x0.35)": lambda f: (f.astype(np.float32) * 0.35).astype(np.uint8),
    "rotated 15 deg": lambda f: cv2.warpAffine(
        f, cv2.getRotationMatrix2D((f.shape[1] / 2, f.shape[0] / 2), 15, 1.0), (f.shape[1], f.shape[0]),
        borderMode=cv2.BORDER_REPLICATE),
    "downscaled to 1/3": lambda f: cv2.resize(f, (f.shape[1] // 3, f.shape[0] // 3), interpolation=cv2.INTER_AREA),
}


def read_frames(video: Path) -> tuple[list[np.ndarray], float]:
    """All frames of a short clip (BGR) and its frame rate."""
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


def clip_check(model: FrameEmotionModel, video: Path, labels_csv: Path) -> str:
    """Per labelled segment and image variant: share of frames whose top emotion is the expected
    one (laughing -> happiness; crying -> any negative emotion, sadness alone in brackets)."""
    frames, fps = read_frames(video)
    segments = pd.read_csv(labels_csv)
    lines = [f"### Real clip {video.name}: {len(frames)} frames, by-eye segments (information only, never "
             "used to choose a model)", "",
             "| variant | segment | expression | frames with a face | expected emotion top | "
             "sadness top | top emotions (share) |", "|---|---|---|---|---|---|---|"]
    stage = StillFaces()
    for variant, change in VARIANTS.items():
        faces = [stage.find(change(frame)) for frame in frames]
        found = np.array([f is not None for f in faces])
        top = np.full(len(frames), "", dtype=object)
        if found.any():
            proba = model.predict(np.stack([f for f in faces if f is not None]))
            top[found] = np.array(FRAME_EMOTIONS)[np.argmax(proba, axis=1)]
        times = np.arange(len(frames)) / fps
        for seg in segments.itertuples():
            in_seg = (times >= seg.start_s) & (times <= seg.end_s)
            tops = top[in_seg & found]
            expected = CLIP_TARGETS.get(seg.expression)
            hit = f"{np.isin(tops, list(expected)).mean():.0%}" if expected and len(tops) else "-"
            sad = f"{np.mean(tops == 'sadness'):.0%}" if seg.expression == "sadness" and len(tops) else "-"
            values, counts = np.unique(tops, return_counts=True)
            share = ", ".join(f"{v} {c / len(tops):.0%}" for v, c in sorted(zip(values, counts), key=lambda vc: -vc[1])[:3])
            lines.append(f"| {variant} | {seg.start_s:.1f}-{seg.end_s:.1f} s | {seg.expression} | "
                         f"{len(tops)}/{int(in_seg.sum())} | {hit} | {sad} | {share} |")
    return "\n".join(lines)


def images_check(model: FrameEmotionModel, folder: Path) -> str:
    """Top emotions of the face in each still of the shared image folder."""
    lines = ["### Still images (largest face of each)", "", "| image | top emotion | second |", "|---|---|---|"]
    stage = StillFaces()
    for path in sorted(folder.iterdir()):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        face = stage.find(image) if image is not None else None
        if face is None:
            lines.append(f"| {path.name} | no face found | |")
            continue
        proba = model.predict(face[None])[0]
        first, second = np.argsort(proba)[::-1][:2]
        lines.append(f"| {path.name} | {FRAME_EMOTIONS[first]} {proba[first]:.2f} | "
                     f"{FRAME_EMOTIONS[second]} {proba[second]:.2f} |")
    return "\n".join(lines)
