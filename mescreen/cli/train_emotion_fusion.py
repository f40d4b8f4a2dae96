"""Fit the per-frame emotion fusion (frame model + AU probabilities) on FER+ valid and ship it to models/."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="models folder to read the frame and AU models from and write to (default: models/)")


def run(args: argparse.Namespace) -> int:
    import time

    from mescreen.core import datapaths
    from mescreen.training.emotion_fusion import train_and_report

    start = time.perf_counter()
    path = train_and_report(datapaths.require_data_root(), args.out or datapaths.models_dir(),
                            "mescreen train emotion-fusion", lambda line: print(line, flush=True))
    print(f"wrote {path.name} in {time.perf_counter() - start:.0f} s")
    return 0
