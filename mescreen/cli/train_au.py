"""Train the AU detector (CK+48 + MEGC2019 apex crops + FER+ faces with prototype AU labels) and the AU->emotion mapping; ship both to models/."""

from __future__ import annotations

import argparse
from pathlib import Path

from mescreen.training.au_settings import TrainingSettings

#: The shipped model's settings: the option defaults.
SHIPPED = TrainingSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", choices=["detector", "mapping"], default=None,
                        help="rebuild one artefact only (default: both au_detector.npz and au_emotion.json)")
    parser.add_argument("--seed", type=int, default=SHIPPED.seed, help="augmentation and PCA seed (default %(default)s)")
    parser.add_argument("--folds", type=int, default=5, help="outer subject-grouped folds of the evaluation (default 5)")
    parser.add_argument("--copies", type=int, default=SHIPPED.copies,
                        help="augmented copies per image: the mirror plus COPIES-1 jittered ones (default %(default)s)")
    parser.add_argument("--components", type=int, default=SHIPPED.n_components,
                        help="PCA components of the HOG appearance part (0: no appearance part, face shape and "
                             "face features only; default %(default)s)")
    parser.add_argument("--C", type=float, default=SHIPPED.C, help="inverse L2 strength per AU (default %(default)s)")
    parser.add_argument("--weak-per-class", type=int, default=SHIPPED.weak_per_class,
                        help="FER+ faces per emotion with prototype AU labels added to training (0: none; default "
                             "%(default)s, chosen with --weak-weight on FER+ valid: bench/au_weak_faces.py)")
    parser.add_argument("--weak-weight", type=float, default=SHIPPED.weak_weight,
                        help="training weight of each FER+ face relative to a coded image (default %(default)s)")
    parser.add_argument("--shape-gain", type=float, default=SHIPPED.shape_gain,
                        help="scale of the face-shape measures beside the HOG projection (0: appearance only; "
                             "default %(default)s, chosen by grouped folds)")
    parser.add_argument("--wild-threshold-weight", type=float, default=SHIPPED.wild_threshold_weight,
                        help="share of the FER+ faces' F1 in choosing each AU's threshold, beside the coded images' "
                             "(0: coded images only; default %(default)s)")
    parser.add_argument("--no-face-features", action="store_true",
                        help="do not read the per-frame emotion network's face features (HOG and shape only)")
    parser.add_argument("--no-eval", action="store_true", help="skip the grouped-fold evaluation (faster; card gets no figures)")
    parser.add_argument("--limit-subjects", type=int, default=None,
                        help="use the first K subjects of each dataset only (smoke tests; never for a shipped model)")
    parser.add_argument("--out", type=Path, default=None, help="models folder to write (default: models/)")


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (written into the model JSON and card)."""
    parts = [f"mescreen train au --seed {args.seed} --folds {args.folds} --copies {args.copies} "
             f"--components {args.components} --C {args.C} --weak-per-class {args.weak_per_class} "
             f"--weak-weight {args.weak_weight} --shape-gain {args.shape_gain} "
             f"--wild-threshold-weight {args.wild_threshold_weight}"]
    if args.no_face_features:
        parts.append("--no-face-features")
    if args.only:
        parts.append(f"--only {args.only}")
    if args.no_eval:
        parts.append("--no-eval")
    if args.limit_subjects is not None:
        parts.append(f"--limit-subjects {args.limit_subjects}")
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    import time

    from mescreen.core.datapaths import models_dir, require_data_root
    from mescreen.training.au import train_and_report
    from mescreen.training.au_emotion import train_mapping_and_report

    root = require_data_root()
    out = args.out or models_dir()
    cmd = command_line(args)
    start = time.time()
    if args.only in (None, "detector"):
        settings = TrainingSettings(
            seed=args.seed, copies=args.copies, n_components=args.components, C=args.C,
            weak_per_class=args.weak_per_class, weak_weight=args.weak_weight, shape_gain=args.shape_gain,
            face_features=not args.no_face_features, wild_threshold_weight=args.wild_threshold_weight,
        )
        path = train_and_report(root, out, settings, folds=args.folds, evaluate=not args.no_eval,
                                limit_subjects=args.limit_subjects, command=cmd, log=print)
        print(f"wrote {path} ({time.time() - start:.0f} s)")
    if args.only in (None, "mapping"):
        path = train_mapping_and_report(root, out, command="mescreen train au --only mapping", log=print)
        print(f"wrote {path} ({time.time() - start:.0f} s)")
    return 0
