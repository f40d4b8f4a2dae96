"""Leave-one-subject-out evaluation of the emotion CNN on MEGC2019 (UF1, UAR, accuracy, confusion).

Variants: `--reprocessed` feeds apex crops re-made by the runtime face stage (mescreen/core/face.py
crop_still) instead of the dataset's aligned crops; `--casme-emotions` evaluates on CASME II's own
emotion classes; `--ablations` runs the paper's Tables 4-8 and writes models/cards/emotion_ablations.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from mescreen.cli.train_emotion import add_config_arguments, command_line, config_from_args, load_data

if TYPE_CHECKING:
    import numpy as np

    from mescreen.training.megc import MegcSet


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--folds", type=int, default=None,
                        help="k folds grouped by subject instead of leave-one-subject-out (default: LOSO)")
    parser.add_argument("--reprocessed", action="store_true",
                        help="apex input only: re-detect and re-crop each apex image with the runtime face stage")
    parser.add_argument("--casme-emotions", action="store_true",
                        help="CASME II part only, with its own emotion labels instead of the 3 composite classes")
    parser.add_argument("--jobs", type=int, default=1,
                        help="fit folds in this many processes, one TensorFlow thread each (default 1)")
    parser.add_argument("--ablations", action="store_true",
                        help="run the paper's ablations (Tables 4-8) and write one table")
    parser.add_argument("--report", type=Path, default=None,
                        help="also write the printed Markdown to this file (for --ablations default: "
                             "models/cards/emotion_ablations.md)")


def _reprocessed_crops(data: MegcSet) -> tuple[np.ndarray, int, list[float]]:
    """Apex crops as the runtime makes them: face stage (crop_still), then the dataset window.

    Samples where the face stage finds no face keep the dataset's crop. Also returns the median
    window the dataset image occupies inside the face-stage crop (to check DATASET_WINDOW).
    """
    import numpy as np

    from mescreen.core.emotion import to_dataset_framing
    from mescreen.core.face import CROP_MARGIN, CROP_SIZE, crop_still
    from mescreen.training.megc import apex_crops, prepare_apex

    missed = 0
    windows: list[list[float]] = []

    def prepare(image: np.ndarray) -> np.ndarray:
        nonlocal missed
        found = crop_still(image)
        if found is None:
            missed += 1
            return prepare_apex(image)
        x, y, w, h = found.box
        scale = CROP_SIZE / (max(w, h) * CROP_MARGIN)
        cx, cy = x + w / 2, y + h / 2
        height, width = image.shape[:2]
        windows.append([(0 - cx) * scale + CROP_SIZE / 2, (0 - cy) * scale + CROP_SIZE / 2,
                        (width - cx) * scale + CROP_SIZE / 2, (height - cy) * scale + CROP_SIZE / 2])
        return to_dataset_framing(found.crop)

    crops = apex_crops(data, prepare)
    return crops, missed, np.median(np.array(windows), axis=0).round(1).tolist() if windows else []


def run(args: argparse.Namespace) -> int:
    from functools import partial

    import numpy as np

    from mescreen.core import datapaths
    from mescreen.core.errors import InputError
    from mescreen.training.ablations import ablation_markdown, run_ablations
    from mescreen.training.emotion import (
        EmotionCNN, describe, evaluate_views, make_inputs, member_table, proba_views, published_table,
    )

    data = load_data(args)
    if args.reprocessed and args.input != "apex":
        raise InputError("--reprocessed re-crops apex images; use it with --input apex")
    config = config_from_args(args)
    command = command_line(args, "evaluate")
    protocol = "LOSO" if args.folds is None else f"{args.folds} subject-grouped folds"
    lines = [f"Command: `{command}" + (f" --folds {args.folds}" if args.folds else "")]

    if args.ablations:
        X = make_inputs(data, args.input, args.size)
        results = run_ablations(data, X, config, n_folds=args.folds, n_jobs=args.jobs, verbose=True)
        lines[0] += " --ablations`"
        lines += ["", f"Protocol: {protocol} over the 278 MEGC2019 samples, 3 classes, input {args.input} "
                  f"{args.size}x{args.size}; every CNN row changes one setting of the base configuration "
                  "(the command's options). Baselines read the standardised raw pixels; SVM and tree use "
                  "balanced class weights; SGD rows use momentum 0.9 and learning rate 0.01; \"layers\" "
                  "counts the stem convolution plus two per residual block (1, 3, 5 = 0, 1, 2 blocks). "
                  "Times are wall seconds on the shared 2-core machine.", "", ablation_markdown(results)]
        report = args.report or datapaths.models_dir() / "cards" / "emotion_ablations.md"
    else:
        apex = None
        if args.reprocessed:
            from mescreen.core.emotion import DATASET_WINDOW

            apex, missed, window = _reprocessed_crops(data)
            lines.append(f"Re-processed apex crops with mescreen.core.face.crop_still, then the dataset window "
                         f"{DATASET_WINDOW} (measured now: {window}): no face found in {missed} of "
                         f"{len(data)} images (those keep the dataset crop).")
            lines[0] += " --reprocessed"
        y, labels, name = None, None, f"{args.input} {args.size}x{args.size}"
        if args.casme_emotions:
            data = data.subset(data.dataset == "casme2")
            y = data.emotion
            labels = sorted(set(y.tolist()))
            lines[0] += " --casme-emotions"
            name += " (CASME II own emotions)"
        lines[0] += "`"
        X = make_inputs(data, args.input, args.size, apex=apex)
        evs = evaluate_views(name, data, X, partial(EmotionCNN, config), views=proba_views,
                             y=y, labels=labels, n_folds=args.folds, n_jobs=args.jobs, verbose=True)
        lines += ["", f"Protocol: {protocol}, {len(data)} samples, {np.unique(data.subject).size} subjects. "
                  "Each trained model is scored without (plain) and with test-time mirroring (mirrored); "
                  f"this configuration uses {'mirrored' if config.tta else 'plain'}."]
        combined = [ev for view, ev in evs.items() if not view.startswith("member")]
        members = [ev for view, ev in evs.items() if view.startswith("member")]
        for ev in combined:
            lines += ["", describe(ev)]
        if members:
            lines += ["", "Each ensemble member alone (same folds; the spread over seeds):", "", member_table(members)]
        if not args.casme_emotions:
            lines += ["", published_table(combined)]
        report = args.report
    text = "\n".join(lines)
    print(text)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text + "\n")
        print(f"Wrote {report}")
    return 0
