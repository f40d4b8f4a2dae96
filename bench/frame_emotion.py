"""Per-crop cost of the per-frame emotion model in batches, on one CPU core.

Usage: .venv/bin/python bench/frame_emotion.py [--batch 64] [--batches 30] [--models DIR]
Needs models/frame_emotion.* (the shipped one, or a candidate's folder with --models); the cost does not depend on the crops' content, so
random crops are used. Times the whole `predict` (framing, resize, standardising, network), as
wall time and as process CPU time (the honest figure when other jobs share the cores).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    args = parser.parse_args()
    from mescreen.core.face.crop import CROP_SIZE
    from mescreen.core.emotion.frame.model import FrameEmotionModel, to_fer_framing
    from mescreen.training.emotion import limit_threads

    limit_threads(1)
    model = FrameEmotionModel.load(args.models)
    crops = np.random.default_rng(0).integers(0, 256, (args.batch, CROP_SIZE, CROP_SIZE), dtype=np.uint8)
    model.predict(crops)  # trace the graph once
    runs, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(args.batches):
            model.predict(crops)
        runs.append((time.perf_counter() - start) / (args.batches * args.batch))
        cpu.append((time.process_time() - start_cpu) / (args.batches * args.batch))
    start = time.perf_counter()
    for _ in range(args.batches):
        to_fer_framing(crops)
    framing = (time.perf_counter() - start) / (args.batches * args.batch)
    per = float(np.median(runs))
    print(f"FrameEmotionModel.predict ({model.meta['architecture']}), batches of {args.batch}: {per * 1000:.3f} ms/crop "
          f"wall, {float(np.median(cpu)) * 1000:.3f} ms/crop CPU time (median of 3 x {args.batches} batches, "
          f"{1 / per:.0f} crops/s on one thread); of which framing+resize {framing * 1000:.3f} ms/crop")


if __name__ == "__main__":
    main()
