"""Real-video check of the AU stage against by-eye segment labels (`<video>.labels.csv`).

Why: the coded training sets are lab faces; what matters is whether the runtime chain (face
stage, detector, person normalisation) reads a real recording. A labels file lists segments
(`clip, start_s, end_s, expression, aus, ...`, `aus` like "6+12+25"); for each segment we report
each listed AU's active rate (normalised probability >= the detector's threshold) inside and
outside it and the AUC of its probability inside versus outside, plus a table of every listed AU's
active rate in every labelled segment. The same clip is also read darkened, rotated and
downscaled, the ways real recordings differ. This is a check, never a tuning target.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from mescreen.core.aus.activity import active_mask
from mescreen.core.aus.stage import AUStage
from mescreen.core.face.crop import crop_face
from mescreen.core.aus.facs import parse_facs
from mescreen.core.emotion.frame.model import FrameEmotionModel
from mescreen.core.labels import AU_DESCRIPTIONS, FRAME_EMOTIONS
from mescreen.core.pipeline import AnalysisOptions, FaceBatch, find_patient_faces
from mescreen.core.io.video import VideoReader


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    expression: str
    aus: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.expression} {self.start_s:.1f}-{self.end_s:.1f} s"


def read_labels(labels_csv: Path) -> list[Segment]:
    """Every segment of a labels file (`aus` empty where it lists none)."""
    table = pd.read_csv(labels_csv, dtype={"aus": str}, keep_default_na=False)
    return [
        Segment(float(row.start_s), float(row.end_s), str(row.expression).strip().lower(),
                tuple(parse_facs(row.aus).au_names() if row.aus else ()))
        for row in table.itertuples()
    ]


def read_segments(labels_csv: Path) -> list[Segment]:
    """Segments of a labels file that list at least one AU."""
    return [s for s in read_labels(labels_csv) if s.aus]


def _rotate(image: np.ndarray, degrees: float = 15.0) -> np.ndarray:
    h, w = image.shape[:2]
    M = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, M, (w, h), borderMode=cv2.BORDER_REPLICATE)


#: Ways a real recording differs: dim light (35% brightness plus sensor-like noise), a head
#: tilted 15 degrees, half the resolution.
VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
    "original": None,
    "dark": lambda im: np.clip(im * 0.35 + np.random.default_rng(0).normal(0, 3, im.shape), 0, 255).astype(np.uint8),
    "rotated 15°": _rotate,
    "downscaled 0.5x": lambda im: cv2.resize(im, (im.shape[1] // 2, im.shape[0] // 2), interpolation=cv2.INTER_AREA),
}


def transformed_copy(video: Path, transform: Callable[[np.ndarray], np.ndarray], folder: Path) -> Path:
    """The video with every frame transformed, written losslessly enough (MJPG, quality 95)."""
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    out_path = folder / "variant.avi"
    writer = None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frame = transform(frame)
        if writer is None:
            writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (frame.shape[1], frame.shape[0]))
            writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
        writer.write(frame)
    capture.release()
    if writer is not None:
        writer.release()
    return out_path


def read_aus(video: Path, stage: AUStage, emotion: FrameEmotionModel) -> tuple[np.ndarray, np.ndarray]:
    """(time_s (n,), person-normalised AU probabilities (n, n_au), NaN where no face) as the
    pipeline reads them: its default face pass (landmark stage), crops, and the AU stage given each
    frame's landmark measures and the emotion model's p(neutral)."""
    faces = find_patient_faces(VideoReader(video), AnalysisOptions())
    n = len(faces.frame_index)
    out = np.full((n, len(stage.au_names)), np.nan, np.float32)
    batch = FaceBatch(stage, emotion, out, np.full((n, len(FRAME_EMOTIONS)), np.nan, np.float32))
    measures = faces.placements.measures
    for pos, frame in enumerate(VideoReader(video).frames(stop_after=n - 1)):
        place = faces.placements[pos] if pos < n else None
        if place is not None and frame.image is not None:
            batch.add(pos, crop_face(frame.image, place.geometry)[0], measures[pos] if measures.shape[1] else None)
    batch.flush()
    return faces.time_s, out


def segment_report(time_s: np.ndarray, proba: np.ndarray, stage: AUStage, segments: list[Segment]) -> dict:
    """Per segment and listed AU: active rate inside / outside, AUC; and the cross table."""
    face = ~np.isnan(proba).all(axis=1)
    active = active_mask(proba, stage.thresholds) & face[:, None]
    index = {name: j for j, name in enumerate(stage.au_names)}
    listed = sorted({a for s in segments for a in s.aus}, key=lambda a: int(a[2:]))
    rows, cross = [], {}
    for seg in segments:
        inside = face & (time_s >= seg.start_s) & (time_s <= seg.end_s)
        outside = face & ~inside
        cross[seg.name] = {a: float(active[inside, index[a]].mean()) if a in index and inside.any() else None
                           for a in listed}
        for au in seg.aus:
            row = {"segment": seg.name, "au": au, "frames_in": int(inside.sum()), "frames_out": int(outside.sum())}
            if au not in index:
                rows.append(row | {"read": False})
                continue
            j = index[au]
            p_in, p_out = proba[inside, j], proba[outside, j]
            p_in, p_out = p_in[np.isfinite(p_in)], p_out[np.isfinite(p_out)]
            y = np.r_[np.ones(p_in.size), np.zeros(p_out.size)]
            p = np.r_[p_in, p_out]
            rows.append(row | {
                "read": bool(stage.thresholds[j] <= 1.0),
                "active_in": float(active[inside, j].mean()) if inside.any() else None,
                "active_out": float(active[outside, j].mean()) if outside.any() else None,
                "auc": float(roc_auc_score(y, p)) if p_in.size and p_out.size else None,
            })
    return {"face_frames": int(face.sum()), "frames": int(len(face)), "rows": rows, "cross": cross}


def check_video(video: Path, stage: AUStage, emotion: FrameEmotionModel, variants: dict = VARIANTS) -> dict[str, dict]:
    """segment_report of the video and each variant of it (needs `<video stem>.labels.csv`)."""
    segments = read_segments(video.with_suffix(".labels.csv"))
    reports = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, transform in variants.items():
            path = video if transform is None else transformed_copy(video, transform, Path(folder))
            time_s, proba = read_aus(path, stage, emotion)
            reports[name] = segment_report(time_s, proba, stage, segments)
    return reports


def labelled_videos(root: Path) -> list[Path]:
    """Videos under root/videos with a labels file beside them."""
    return sorted(p for p in (Path(root) / "videos").iterdir()
                  if p.suffix.lower() in {".mp4", ".mov", ".avi", ".mkv", ".webm"} and p.with_suffix(".labels.csv").is_file())


def report_markdown(video_name: str, reports: dict[str, dict]) -> str:
    """Markdown tables of check_video()'s result."""
    fmt = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
    lines = []
    for variant, rep in reports.items():
        lines += [f"**{video_name}, {variant}** ({rep['face_frames']} of {rep['frames']} frames with a face)", "",
                  "| segment | AU | active inside | active outside | AUC inside vs outside |", "|---|---|---|---|---|"]
        for r in rep["rows"]:
            label = f"{r['au']} ({AU_DESCRIPTIONS.get(r['au'], '?')})"
            if not r.get("read", True) and "active_in" not in r:
                lines.append(f"| {r['segment']} | {label} | not in the detector | | |")
                continue
            note = "" if r["read"] else " (unreliable: never active)"
            lines.append(f"| {r['segment']} | {label}{note} | {fmt(r['active_in'])} | {fmt(r['active_out'])} | {fmt(r['auc'])} |")
        listed = next(iter(rep["cross"].values()), {})
        lines += ["", "Active rate of each listed AU in each segment:", "",
                  "| AU | " + " | ".join(rep["cross"]) + " |", "|---" * (len(rep["cross"]) + 1) + "|"]
        for au in listed:
            lines.append(f"| {au} | " + " | ".join(fmt(rep["cross"][s][au]) for s in rep["cross"]) + " |")
        pooled = by_expression(rep)
        lines += ["", "Pooled by expression (segments of the same expression together, weighted by frames):", "",
                  "| AU | " + " | ".join(pooled) + " |", "|---" * (len(pooled) + 1) + "|"]
        for au in listed:
            lines.append(f"| {au} | " + " | ".join(fmt(pooled[e][au]) for e in pooled) + " |")
        lines.append("")
    return "\n".join(lines)


def by_expression(report: dict) -> dict[str, dict[str, float | None]]:
    """Active rate of each listed AU per expression, the segments of one expression pooled
    (weighted by their frames with a face)."""
    frames = {r["segment"]: r["frames_in"] for r in report["rows"]}
    pooled: dict[str, dict[str, float | None]] = {}
    expressions = sorted({name.split(" ")[0] for name in report["cross"]})
    for expression in expressions:
        segments = [s for s in report["cross"] if s.split(" ")[0] == expression]
        total = sum(frames[s] for s in segments)
        aus = next(iter(report["cross"].values())).keys()
        pooled[expression] = {
            au: None if total == 0 or any(report["cross"][s][au] is None for s in segments)
            else sum(report["cross"][s][au] * frames[s] for s in segments) / total
            for au in aus
        }
    return pooled
