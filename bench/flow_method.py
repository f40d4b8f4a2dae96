"""What the runtime flow method changes: TV-L1 (the training images' method) against Farneback.

Usage: MESCREEN_DATA=../shared/data .venv/bin/python bench/flow_method.py [--video NAME] [--gap-s 0.2]

Onset frames are not in the data, so no training flow image can be recomputed. This measures
instead, on onset/apex-like pairs of a real interview video (face-stage crops `--gap-s` apart,
framed as the training images, one pair every `--stride` frames):
- time per pair for each method;
- smoothness, the mean absolute difference between neighbouring pixels of each normalised
  channel, beside the same figure for the 278 training flow images (content differs, so only
  the gap between the two methods is meaningful);
- how often the shipped emotion model's answer changes with the method.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np


def farneback(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """OpenCV's Farneback flow with its documented example parameters (mescreen's earlier runtime)."""
    return cv2.calcOpticalFlowFarneback(onset, apex, None, pyr_scale=0.5, levels=3, winsize=15, iterations=3,
                                        poly_n=5, poly_sigma=1.2, flags=0)


def tv_l1_defaults(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """OpenCV's Dual TV-L1 with all its default parameters (the runtime lowers the outer iterations)."""
    return cv2.optflow.DualTVL1OpticalFlow_create().calc(onset, apex, None)


def smoothness(images: np.ndarray) -> np.ndarray:
    """Mean |neighbour difference| per channel of (N, H, W, 3) uint8 images, in 0-255 units."""
    x = images.astype(np.float32)
    return (np.abs(np.diff(x, axis=1)).mean(axis=(0, 1, 2)) + np.abs(np.diff(x, axis=2)).mean(axis=(0, 1, 2))) / 2


def video_pairs(path: str, gap_s: float, stride: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(onset, apex) face-stage crops `gap_s` apart, in the training framing."""
    from mescreen.core.emotion.micro.classifier import to_dataset_framing
    from mescreen.core.face.crop import crop_face
    from mescreen.core.pipeline import AnalysisOptions, find_patient_faces
    from mescreen.core.io.video import VideoReader

    reader = VideoReader(path)
    faces = find_patient_faces(reader, AnalysisOptions())
    gap = max(1, round(gap_s * (reader.info.analysed_fps or 25.0)))
    starts = [p for p in range(0, len(faces.frame_index) - gap, stride)
              if faces.placements.found[p] and faces.placements.found[p + gap]]
    wanted = set(starts) | {p + gap for p in starts}
    crops = {}
    for pos, frame in enumerate(reader.frames()):
        if pos in wanted and frame.image is not None:
            crops[pos] = to_dataset_framing(crop_face(frame.image, faces.placements[pos].geometry)[0])
    return [(crops[p], crops[p + gap]) for p in starts if p in crops and p + gap in crops]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default="WolfgangLanger_Pexels.mp4", help="a file in $MESCREEN_DATA/videos")
    parser.add_argument("--gap-s", type=float, default=0.2, help="onset->apex distance (CASME II median ~0.2 s)")
    parser.add_argument("--stride", type=int, default=4, help="one pair every N frames")
    args = parser.parse_args()

    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.micro.classifier import EmotionClassifier, network_input
    from mescreen.core.emotion.micro.flow import dense_flow, flow_image
    from mescreen.training.megc import flow_images, load_megc

    cv2.setNumThreads(1)
    pairs = video_pairs(str(require_data_root() / "videos" / args.video), args.gap_s, args.stride)
    model = EmotionClassifier.load()
    print(f"{len(pairs)} pairs from {args.video}, {args.gap_s} s apart, 128x128 crops")
    training = smoothness(flow_images(load_megc()))
    print(f"| method | ms per pair | smoothness u / v / strain | shipped model's answer |")
    print("|---|---|---|---|")
    print(f"| training images (278, TV-L1 by the makers) | - | {' / '.join(f'{v:.1f}' for v in training)} | - |")
    answers = {}
    for name, method in (("TV-L1 (runtime)", dense_flow), ("TV-L1, OpenCV defaults", tv_l1_defaults),
                         ("Farneback", farneback)):
        start = time.perf_counter()
        images = np.stack([flow_image(onset, apex, method=method) for onset, apex in pairs])
        ms = (time.perf_counter() - start) / len(pairs) * 1000
        proba = model.estimator.predict_proba(network_input("flow", images, model.input_size))
        answers[name] = np.asarray(model.estimator.classes_)[proba.argmax(axis=1)]
        counts = ", ".join(f"{c} {int((answers[name] == c).sum())}" for c in model.estimator.classes_)
        print(f"| {name} | {ms:.1f} | {' / '.join(f'{v:.1f}' for v in smoothness(images))} | {counts} |")
    for other in ("TV-L1, OpenCV defaults", "Farneback"):
        agree = float(np.mean(answers["TV-L1 (runtime)"] == answers[other]))
        print(f"The shipped model gives the same class with the runtime's flow and with {other} on {agree:.0%} of the pairs.")


if __name__ == "__main__":
    main()
