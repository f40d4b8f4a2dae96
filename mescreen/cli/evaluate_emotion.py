"""Generalisation of the emotion CNN: LOSO and cross-dataset on MEGC2019, beside pixel baselines.

The default run prints LOSO over the 278 samples (UF1, UAR, accuracy, confusion, every seed of
the ensemble), then the cross-dataset protocol (CASME II -> SAMM, SAMM -> CASME II) and both
raw-pixel baselines under every protocol (mescreen/training/protocols.py). `--external DIR`
scores the shipped model, untrained, on another data folder. Variants: `--reprocessed` feeds apex crops re-made by the runtime face stage (mescreen/core/face/ (crop.py, haar.py, tracks.py)
crop_still) instead of the dataset's aligned crops; `--casme-emotions` evaluates on CASME II's own
emotion classes; `--ablations` runs the paper's Tables 4-8 and writes models/cards/emotion_ablations.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    parser.add_argument("--no-cross-dataset", action="store_true",
                        help="LOSO of the model only: skip the cross-dataset protocol and the pixel baselines")
    parser.add_argument("--no-loso", action="store_true",
                        help="skip the model's LOSO (the costly part): cross-dataset protocol, and the baselines' LOSO")
    parser.add_argument("--external", type=Path, default=None, metavar="DIR",
                        help="score the SHIPPED model (no training) on DIR, laid out like megc2019/ "
                             "(labels.csv, flow/ and/or apex/), beside the pixel baselines trained on MEGC2019")
    parser.add_argument("--report", type=Path, default=None,
                        help="also write the printed Markdown to this file (for --ablations default: "
                             "models/cards/emotion_ablations.md)")


def _reprocessed_crops(data: MegcSet) -> tuple[np.ndarray, int, list[float]]:
    """Apex crops as the runtime makes them: face stage (crop_still), then the dataset window.

    Samples where the face stage finds no face keep the dataset's crop. Also returns the median
    window the dataset image occupies inside the face-stage crop (to check DATASET_WINDOW).
    """
    import numpy as np

    from mescreen.core.emotion.micro.classifier import to_dataset_framing
    from mescreen.core.face.crop import CROP_MARGIN, CROP_SIZE
    from mescreen.core.face.haar import crop_still
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


def generalisation_report(data: MegcSet, X: np.ndarray, config: Any, within: Any | None, view: str, *,
                          n_folds: int | None, jobs: int) -> str:
    """The model's cross-dataset figures, both pixel baselines under every protocol, and the bar."""
    from functools import partial

    import numpy as np

    from mescreen.training.emotion import EmotionCNN, fit_params_for, proba_views
    from mescreen.training.protocols import (
        CROSS_DATASET, ProtocolRow, bar_check, baseline_rows, cross_dataset, protocol_name, protocol_table,
        within_name,
    )

    model = f"this model ({view})"
    rows = [] if within is None else [ProtocolRow(within_name(n_folds), model, within)]
    lines = ["## Generalisation protocols", "",
             "Cross-dataset: trained on every sample of one dataset, tested on every sample of the other "
             "(no person, camera or coding team in common). Baselines: the raw flow pixels, standardised, "
             "into class-balanced logistic regression and RBF SVM (scikit-learn defaults otherwise), "
             "trained and tested on exactly the same samples. Fixed settings and epochs: nothing is "
             "chosen on the test people.", ""]
    member_lines = []
    for train, test in CROSS_DATASET:
        name = protocol_name(train, test)
        reports = cross_dataset(data, X, partial(EmotionCNN, config), train, test, views=proba_views,
                                fit_params=fit_params_for(config, data))
        rows.append(ProtocolRow(name, model, reports[view]))
        members = [r.uf1 for v, r in reports.items() if v.startswith("member") and v.endswith(view)]
        if members:
            member_lines.append(f"{name}: each member alone UF1 {np.mean(members):.3f} ± {np.std(members):.3f} "
                                f"({', '.join(f'{u:.3f}' for u in members)})")
        lines += [f"Confusion, this model, {name}:", "", reports[view].confusion_markdown(), ""]
    rows += baseline_rows(data, X, n_folds=n_folds, n_jobs=jobs)
    lines += [protocol_table(rows), ""]
    if member_lines:
        lines += ["Seed spread: " + "; ".join(member_lines) + ".", ""]
    lines.append(bar_check(rows, model))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from functools import partial

    import numpy as np

    from mescreen.core import datapaths
    from mescreen.core.errors import InputError
    from mescreen.training.ablations import ablation_markdown, run_ablations
    from mescreen.training.emotion import (
        EmotionCNN, describe, evaluate_views, fit_params_for, make_inputs, member_table, proba_views,
        published_table,
    )

    if args.external is not None:
        from mescreen.training.external import external_report

        load_data(args)  # thread count, and a clear message if the training data is missing
        text = external_report(args.external)
        print(text)
        if args.report is not None:
            args.report.write_text(text + "\n")
        return 0
    data = load_data(args)
    if args.reprocessed and args.input != "apex":
        raise InputError("--reprocessed re-crops apex images; use it with --input apex")
    config = config_from_args(args)
    command = command_line(args, "evaluate")
    protocol = "LOSO" if args.folds is None else f"{args.folds} subject-grouped folds"
    lines = [f"Command: `{command}" + (f" --folds {args.folds}" if args.folds else "")]

    if args.no_loso:
        X = make_inputs(data, args.input, args.size)
        view = "mirrored" if config.tta else "plain"
        lines[0] += " --no-loso`"
        lines += ["", generalisation_report(data, X, config, None, view, n_folds=args.folds, jobs=args.jobs)]
        report = args.report
    elif args.ablations:
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
            from mescreen.core.emotion.micro.classifier import DATASET_WINDOW

            apex, missed, window = _reprocessed_crops(data)
            lines.append(f"Re-processed apex crops with mescreen.core.face.haar.crop_still, then the dataset window "
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
                             y=y, labels=labels, n_folds=args.folds, n_jobs=args.jobs, verbose=True,
                             fit_params=fit_params_for(config, data))
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
        if not (args.casme_emotions or args.no_cross_dataset):
            view = "mirrored" if config.tta else "plain"
            lines += ["", generalisation_report(data, X, config, evs[view].reports["all"], view,
                                                n_folds=args.folds, jobs=args.jobs)]
        elif args.no_cross_dataset:
            lines[0] = lines[0][:-1] + " --no-cross-dataset`"
        report = args.report
    text = "\n".join(lines)
    print(text)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text + "\n")
        print(f"Wrote {report}")
    return 0
