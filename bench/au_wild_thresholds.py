"""Do the AU detector's thresholds suit faces in the wild? Per AU, on FER+ faces labelled as the
detector's training labels them (each emotion's prototype AUs present, the AUs it never shows
absent: mescreen.training.ferplus_aus), the F1 at the shipped threshold beside the F1-optimal
threshold on those faces (mescreen.training.au_wild_check.weak_label_f1).

Thresholds chosen on lab faces alone were too low for these faces (detector v5: higher optimum
for 11 of its 14 AUs), which is why training now also weighs the FER+ training faces' F1
(AUDetector `wild_weight`). Run on `valid` to compare detectors; `test` only to report.

With `--narrow-eyes`, also AU6 and AU12 active rates on each emotion's faces, all and the quarter with
the narrowest eyes (mescreen.training.au_wild_check.narrow_eye_rates): a crying face squeezes the eyes
like a laugh.

With `--grimace`, also issue 25's in-the-wild grimace target on the same split: AU4 and AU15 on sad
faces against neutral ones (AUC; mescreen.training.au.grimace_lines), the AU detector's selection
rule reads it on valid.

Usage: MESCREEN_DATA=... .venv/bin/python bench/au_wild_thresholds.py [--models DIR] [--split valid|test] [--narrow-eyes] [--grimace]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    parser.add_argument("--split", choices=["valid", "test"], default="valid")
    parser.add_argument("--narrow-eyes", action="store_true", help="also AU6 / AU12 on faces with narrowed eyes")
    parser.add_argument("--grimace", action="store_true", help="also AU4 / AU15 AUC on sad against neutral faces")
    args = parser.parse_args()
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.au_wild_check import narrow_eye_rates, read_faces, weak_label_f1

    stage, emotion = AUStage.load(args.models), FrameEmotionModel.load(args.models)
    wild = read_faces(require_data_root(), stage.detector, args.split, emotion, min_agreement=6)
    rows = weak_label_f1(wild, stage.detector)
    print(f"AU detector {stage.version}, FER+ {args.split} faces with at least 6 of 10 votes")
    print("| AU | faces with it | threshold | F1 there | F1-optimal threshold | F1 there |\n|---|---|---|---|---|---|")
    for au, r in rows.items():
        print(f"| {au} | {r['positives']} | {r['threshold']:.2f} | {r['f1']:.3f} | {r['best_threshold']:.2f} | {r['best_f1']:.3f} |")
    higher = sum(r["best_threshold"] > r["threshold"] for r in rows.values())
    print(f"mean F1 at the thresholds {np.mean([r['f1'] for r in rows.values()]):.3f} "
          f"(at the optimal ones {np.mean([r['best_f1'] for r in rows.values()]):.3f}); "
          f"optimum above the threshold for {higher} of {len(rows)} AUs")
    if args.narrow_eyes:
        table = narrow_eye_rates(wild, stage.detector)
        print("\n| faces | all | AU6 / AU12 active | narrowest-eyed quarter | AU6 / AU12 active there |\n|---|---|---|---|---|")
        for name, r in table.items():
            print(f"| {name} | {r['faces']} | {r['AU6']:.2f} / {r['AU12']:.2f} | {r['narrow faces']} | "
                  f"{r['AU6 narrow']:.2f} / {r['AU12 narrow']:.2f} |")
    if args.grimace:
        from mescreen.training.au_card import grimace_lines
        from mescreen.training.au_wild_check import prototype_check

        check = prototype_check(require_data_root(), stage.detector, split=args.split, features=emotion)
        print("\n" + "\n".join(grimace_lines({}, check)))


if __name__ == "__main__":
    main()
