"""Frames with a face: the landmark stage (BlazeFace + face mesh) against the paper's Haar stage,
on the shared clips and on harder copies of them made here.

For every clip in $MESCREEN_DATA/videos and each variant (as recorded; darkened to 0.4 of its
brightness; rotated 25 degrees; downscaled to 0.5 and 0.33 of its size; darkened and rotated),
the variant is written to a temporary folder (mp4v), then pass 1 of the pipeline
(`find_patient_faces`, default options apart from the face stage) runs on it and the table
gives the share of frames where the patient's face is placed, and pass 1's CPU milliseconds per
frame (decoding included; CPU time, so it does not depend on the machine's load). Nothing is
written into the repository.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/face_detection.py
"""

from __future__ import annotations

import resource
import tempfile
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from mescreen.core.datapaths import require_data_root
from mescreen.core.pipeline import AnalysisOptions, find_patient_faces
from mescreen.core.io.video import VideoReader

Transform = Callable[[np.ndarray], np.ndarray]


def _darken(image: np.ndarray, gain: float = 0.4) -> np.ndarray:
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _rotate(image: np.ndarray, angle: float = 25.0) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h))


def _scale(factor: float) -> Transform:
    return lambda image: cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


VARIANTS: dict[str, Transform | None] = {
    "as recorded": None,
    "dark x0.4": _darken,
    "rotated 25 deg": _rotate,
    "downscaled 0.5x": _scale(0.5),
    "downscaled 0.33x": _scale(1 / 3),
    "dark + rotated": lambda image: _darken(_rotate(image)),
}


def _write_variant(source: Path, target: Path, transform: Transform) -> None:
    reader = VideoReader(source)
    writer = None
    for frame in reader.frames():
        image = transform(frame.image)
        if writer is None:
            size = (image.shape[1], image.shape[0])
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), reader.info.fps, size)
        writer.write(image)
    if writer is not None:
        writer.release()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _found(path: Path, stage: str) -> tuple[float, float]:
    """Share of frames with the patient's face, and pass-1 CPU ms per frame."""
    reader = VideoReader(path)
    start = _cpu_s()
    faces = find_patient_faces(reader, AnalysisOptions(face=stage))  # type: ignore[arg-type]
    n = max(1, len(faces.frame_index))
    return float(faces.placements.found.mean()), (_cpu_s() - start) * 1000.0 / n


def main() -> None:
    videos = sorted(p for p in (require_data_root() / "videos").iterdir() if p.suffix in (".mp4", ".mov"))
    find_patient_faces(VideoReader(videos[0]), AnalysisOptions(face="mesh"))  # load TensorFlow first
    print("| clip | variant | frames with a face: mesh | Haar (paper) | pass-1 CPU ms/frame: mesh | Haar |")
    print("|---|---|---|---|---|---|")
    totals: dict[str, list[float]] = {"mesh": [], "paper": []}
    with tempfile.TemporaryDirectory() as tmp:
        for video in videos:
            for name, transform in VARIANTS.items():
                path = video
                if transform is not None:
                    path = Path(tmp) / f"{video.stem}.{len(totals['mesh'])}.mp4"
                    _write_variant(video, path, transform)
                mesh_share, mesh_ms = _found(path, "mesh")
                haar_share, haar_ms = _found(path, "paper")
                if video.stem != "no_face":
                    totals["mesh"].append(mesh_share)
                    totals["paper"].append(haar_share)
                print(f"| {video.name} | {name} | {mesh_share:.0%} | {haar_share:.0%} | {mesh_ms:.2f} | "
                      f"{haar_ms:.2f} |")
    mesh, haar = np.mean(totals["mesh"]), np.mean(totals["paper"])
    print(f"\nmean over the clips with a face: mesh {mesh:.0%}, Haar {haar:.0%}")


if __name__ == "__main__":
    main()
