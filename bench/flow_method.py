"""What the runtime flow method changes: TV-L1 (the training images' method) against Farneback,
and (`--settings`) cheaper TV-L1 settings against the runtime's.

Usage: MESCREEN_DATA=../shared/data .venv/bin/python bench/flow_method.py [--video NAME] [--gap-s 0.2]
       MESCREEN_DATA=../shared/data .venv/bin/python bench/flow_method.py --settings [--video NAME ...]

Onset frames are not in the data, so no training flow image can be recomputed. This measures
instead, on onset/apex-like pairs of a real interview video (face-stage crops `--gap-s` apart,
framed as the training images, one pair every `--stride` frames):
- time per pair for each method;
- smoothness, the mean absolute difference between neighbouring pixels of each normalised
  channel, beside the same figure for the 278 training flow images (content differs, so only
  the gap between the two methods is meaningful);
- how often the shipped emotion model's answer changes with the method.

`--settings` prints, for each TV-L1 setting in `SETTINGS` (OpenCV's parameters; the runtime's is
mescreen.core.emotion.micro.flow.TVL1_PARAMS), CPU ms per pair (one thread), the mean image
difference to the runtime's flow images (grey levels), and how often the shipped model gives the
same class as with the runtime's flow and as with OpenCV's default TV-L1, over the pairs of every
`--video` given (one table row per setting, pairs of all videos together, then per video).
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


#: TV-L1 settings measured by `--settings`: OpenCV parameter names (its binding spells the inner
#: iterations "innnerIterations"). The first is OpenCV's default, the second the runtime's before.
SETTINGS: dict[str, dict[str, float]] = {
    "OpenCV defaults": {},
    "outer 3 (runtime until issue 26)": {"outerIterations": 3},
    "outer 3, warps 3": {"outerIterations": 3, "warps": 3},
    "outer 3, inner 15": {"outerIterations": 3, "innnerIterations": 15},
    "outer 3, inner 10": {"outerIterations": 3, "innnerIterations": 10},
    "outer 3, warps 3, inner 15": {"outerIterations": 3, "warps": 3, "innnerIterations": 15},
    "outer 3, warps 3, inner 10": {"outerIterations": 3, "warps": 3, "innnerIterations": 10},
    "outer 2, warps 3, inner 15": {"outerIterations": 2, "warps": 3, "innnerIterations": 15},
}


def tv_l1(params: dict[str, float]):  # type: ignore[no-untyped-def]
    """A flow method: OpenCV's Dual TV-L1 with `params`."""
    return lambda onset, apex: cv2.optflow.DualTVL1OpticalFlow_create(**params).calc(onset, apex, None)


def settings_table(videos: list[str], gap_s: float, stride: int) -> None:
    """The `--settings` table (see the module docstring)."""
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.micro.classifier import EmotionClassifier
    from mescreen.core.emotion.micro.flow import TVL1_PARAMS, flow_image

    model = EmotionClassifier.load()
    pairs, source = [], []
    for video in videos:
        found = video_pairs(str(require_data_root() / "videos" / video), gap_s, stride)
        pairs += found
        source += [video] * len(found)
    source_arr = np.array(source)
    print(f"{len(pairs)} pairs ({', '.join(f'{v} {int((source_arr == v).sum())}' for v in videos)}), {gap_s} s apart; "
          f"runtime setting {TVL1_PARAMS}")
    results = {}
    for name, params in {"runtime": dict(TVL1_PARAMS), **SETTINGS}.items():
        method = tv_l1(params)
        start = time.thread_time()
        images = np.stack([flow_image(onset, apex, method=method) for onset, apex in pairs])
        ms = (time.thread_time() - start) / len(pairs) * 1000
        results[name] = (ms, images, model.predict_images(images).argmax(axis=1))
    _, runtime_images, runtime_class = results["runtime"]
    default_class = results["OpenCV defaults"][2]
    print("| TV-L1 setting | CPU ms per pair | image difference to the runtime's | same class as the runtime's flow "
          "| same class as OpenCV defaults |")
    print("|---|---|---|---|---|")

    def agreement(cls: np.ndarray, reference: np.ndarray) -> str:
        """Share of equal classes per video, then over all pairs."""
        shares = [f"{np.mean(cls[source_arr == v] == reference[source_arr == v]):.1%}" for v in videos]
        return " / ".join(shares) + (f" (all {np.mean(cls == reference):.1%})" if len(videos) > 1 else "")

    for name, (ms, images, cls) in results.items():
        if name != "runtime":
            print(f"| {name} | {ms:.0f} | {np.abs(images.astype(float) - runtime_images).mean():.2f} | "
                  f"{agreement(cls, runtime_class)} | {agreement(cls, default_class)} |")
    print(f"\nShares per video in the order {', '.join(videos)}.")


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
    parser.add_argument("--video", nargs="+", default=["WolfgangLanger_Pexels.mp4"], help="files in $MESCREEN_DATA/videos")
    parser.add_argument("--settings", action="store_true", help="compare TV-L1 settings (see the module docstring)")
    parser.add_argument("--gap-s", type=float, default=0.2, help="onset->apex distance (CASME II median ~0.2 s)")
    parser.add_argument("--stride", type=int, default=4, help="one pair every N frames")
    args = parser.parse_args()

    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.micro.classifier import EmotionClassifier, network_input
    from mescreen.core.emotion.micro.flow import dense_flow, flow_image
    from mescreen.training.megc import flow_images, load_megc

    cv2.setNumThreads(1)
    if args.settings:
        settings_table(args.video, args.gap_s, args.stride)
        return
    args.video = args.video[0]
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
