"""Per-frame cost of the runtime AU stage (HOG + linear models + person normalisation).

Usage: .venv/bin/python bench/au_stage.py [--frames 2000]
Needs the shipped models/au_detector.npz; uses face crops of the real-face test video when
MESCREEN_DATA is set, random crops otherwise (the cost does not depend on the content).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def crops_for_bench(n: int) -> np.ndarray:
    from mescreen.core.datapaths import data_root
    from mescreen.training.au import runtime_reference_crops

    root = data_root()
    crops = runtime_reference_crops(root) if root is not None else np.zeros((0, 128, 128), np.uint8)
    if len(crops) == 0:
        crops = np.random.default_rng(0).integers(0, 256, (64, 128, 128), dtype=np.uint8)
    return crops[np.arange(n) % len(crops)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    args = parser.parse_args()
    from mescreen.core.aus.stage import AUStage

    stage = AUStage.load()
    crops = crops_for_bench(args.frames)
    stage.update(crops[0])
    times = []
    for _ in range(3):
        stage.reset()
        start = time.perf_counter()
        for crop in crops:
            stage.update(crop)
        times.append((time.perf_counter() - start) / len(crops))
    batch_start = time.perf_counter()
    stage.raw_proba(crops)
    batch = (time.perf_counter() - batch_start) / len(crops)
    per = float(np.median(times))
    print(f"AUStage.update: {per * 1000:.3f} ms/frame (median of 3 x {len(crops)} frames, "
          f"{1 / per:.0f} frames/s on one core); raw_proba batched: {batch * 1000:.3f} ms/frame")


if __name__ == "__main__":
    main()
