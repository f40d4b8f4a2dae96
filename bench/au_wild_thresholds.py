"""Do the AU detector's thresholds suit faces in the wild? Per AU, on FER+ faces labelled as the
detector's training labels them (each emotion's prototype AUs present, the AUs it never shows
absent: mescreen.training.ferplus_aus), the F1 at the shipped threshold beside the F1-optimal
threshold on those faces (mescreen.training.au_wild_check.weak_label_f1).

Thresholds chosen on lab faces alone were too low for these faces (detector v5: higher optimum
for 11 of its 14 AUs), which is why training now also weighs the FER+ training faces' F1
(AUDetector `wild_weight`). Run on `valid` to compare detectors; `test` only to report.

Usage: MESCREEN_DATA=... .venv/bin/python bench/au_wild_thresholds.py [--models DIR] [--split valid|test]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    parser.add_argument("--split", choices=["valid", "test"], default="valid")
    args = parser.parse_args()
    from mescreen.core.au import AUStage
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.frame_emotion import FrameEmotionModel
    from mescreen.training.au_wild_check import weak_label_f1

    stage = AUStage.load(args.models)
    rows = weak_label_f1(require_data_root(), stage.detector, args.split, FrameEmotionModel.load(args.models))
    print(f"AU detector {stage.version}, FER+ {args.split} faces with at least 6 of 10 votes")
    print("| AU | faces with it | threshold | F1 there | F1-optimal threshold | F1 there |\n|---|---|---|---|---|---|")
    for au, r in rows.items():
        print(f"| {au} | {r['positives']} | {r['threshold']:.2f} | {r['f1']:.3f} | {r['best_threshold']:.2f} | {r['best_f1']:.3f} |")
    higher = sum(r["best_threshold"] > r["threshold"] for r in rows.values())
    print(f"mean F1 at the thresholds {np.mean([r['f1'] for r in rows.values()]):.3f} "
          f"(at the optimal ones {np.mean([r['best_f1'] for r in rows.values()]):.3f}); "
          f"optimum above the threshold for {higher} of {len(rows)} AUs")


if __name__ == "__main__":
    main()
