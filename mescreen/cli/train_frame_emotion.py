"""Train the per-frame emotion model (8 FER+ emotions) on FER+ and ship it to models/."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mescreen.core.frame_emotion_net import ARCHITECTURES
    from mescreen.training.frame_emotion import LOSSES, FrameEmotionConfig
    from mescreen.training.frame_emotion_offsets import FORMS

    c = FrameEmotionConfig()
    parser.add_argument("--architecture", choices=ARCHITECTURES, default=c.architecture,
                        help=f"network (default {c.architecture})")
    parser.add_argument("--epochs", type=int, default=c.epochs, help=f"most epochs (default {c.epochs})")
    parser.add_argument("--batch-size", type=int, default=c.batch_size, help=f"default {c.batch_size}")
    parser.add_argument("--learning-rate", type=float, default=c.learning_rate, help=f"default {c.learning_rate}")
    parser.add_argument("--weight-power", type=float, default=c.weight_power,
                        help=f"class weights (max count / count) ** P (default {c.weight_power})")
    parser.add_argument("--seed", type=int, default=c.seed, help=f"random seed (default {c.seed})")
    parser.add_argument("--framing", choices=["window", "mesh"], default=c.framing,
                        help=f"how FER faces are framed for training: placed in FER_WINDOW, or cropped by the landmark "
                             f"face stage as video frames are (default {c.framing})")
    parser.add_argument("--dim-share", type=float, default=c.dim_share,
                        help=f"share of faces drawn each epoch from their dim-camera copy (default {c.dim_share}; 0: none)")
    parser.add_argument("--loss", choices=LOSSES, default=c.loss,
                        help=f"class-weighted cross-entropy, or logit-adjusted by --tau x log prior (default {c.loss})")
    parser.add_argument("--tau", type=float, default=c.tau, help=f"strength of the logit-adjusted loss (default {c.tau})")
    parser.add_argument("--flip", action=argparse.BooleanOptionalAction, default=c.flip,
                        help=f"read each face and its mirror at run time (default {c.flip})")
    parser.add_argument("--offsets", choices=FORMS, default=c.offsets,
                        help=f"logit offsets fitted on FER+ valid after training (default {c.offsets})")
    parser.add_argument("--test", action=argparse.BooleanOptionalAction, default=True,
                        help="read FER+ test once at the end and record its per-class recall in the model JSON "
                             "(default; --no-test for a candidate that is not chosen yet)")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    parser.add_argument("--limit", type=int, default=None,
                        help="first N images of each split only (smoke tests; never for a shipped model)")
    parser.add_argument("--out", type=Path, default=None, help="models folder to write (default: models/)")


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (recorded in the model JSON and printed)."""
    line = (f"mescreen train frame-emotion --architecture {args.architecture} --epochs {args.epochs} "
            f"--batch-size {args.batch_size} --learning-rate {args.learning_rate} "
            f"--weight-power {args.weight_power} --seed {args.seed} --framing {args.framing} "
            f"--dim-share {args.dim_share} --loss {args.loss} --tau {args.tau} "
            f"--{'' if args.flip else 'no-'}flip --offsets {args.offsets}")
    return line + (f" --limit {args.limit}" if args.limit else "") + ("" if args.test else " --no-test")


def run(args: argparse.Namespace) -> int:
    import time

    from mescreen.core import datapaths
    from mescreen.core.errors import InputError
    from mescreen.core.frame_emotion import save_network
    from mescreen.training.emotion import limit_threads
    from mescreen.training.ferplus import leak_free, load_ferplus
    from mescreen.training.frame_emotion import FrameEmotionConfig, FrameEmotionTrainer

    limit_threads(args.threads)
    try:
        data = leak_free(load_ferplus(datapaths.require_data_root(), per_split=args.limit))
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from exc
    config = FrameEmotionConfig(architecture=args.architecture, epochs=args.epochs, batch_size=args.batch_size,
                                learning_rate=args.learning_rate, weight_power=args.weight_power, seed=args.seed,
                                framing=args.framing, dim_share=args.dim_share, loss=args.loss, tau=args.tau,
                                flip=args.flip, offsets=args.offsets)
    train, valid = data.part("train"), data.part("valid")
    command = command_line(args)
    print(f"{command}\nFER+ train {len(train)} faces, valid {len(valid)} (train's pixel duplicates removed)")
    start = time.perf_counter()
    trainer = FrameEmotionTrainer(config).fit(train, valid)
    seconds = time.perf_counter() - start
    meta = {**trainer.metadata(), "command": command, "n_train": len(train), "n_valid": len(valid),
            "train_seconds": round(seconds, 1),
            "data": "FER2013 faces with FER+ votes, research-only; see models/cards/frame_emotion.md"}
    print(f"Best valid macro-F1 {max(h[2] for h in trainer.history_):.3f} at epoch {trainer.best_epoch_}; "
          f"{seconds:.0f} s")
    meta = read_settings(trainer, meta, train, valid)
    if args.test:  # read once, after every choice: the figures the card and the screening's wording use
        from mescreen.core.frame_emotion import FrameEmotionModel
        from mescreen.training.frame_emotion_eval import test_figures

        meta = {**meta, **test_figures(FrameEmotionModel(trainer.network_, meta, "in training"), data.part("test"))}
        print(f"FER+ test: {meta['fer_test']}; recall {meta['per_class_recall']}")
    config_path, weights_path = save_network(trainer.network_, args.out or datapaths.models_dir(), meta)
    print(f"Wrote {config_path} and {weights_path} ({datapaths.model_version(weights_path)}, "
          f"{weights_path.stat().st_size / 1024:.0f} KB)")
    return 0


def read_settings(trainer: Any, meta: dict[str, Any], train: Any, valid: Any) -> dict[str, Any]:
    """`meta` with the reading settings: flip, and the logit offsets fitted on FER+ valid with that
    fit's valid figures."""
    from mescreen.core.frame_emotion import FrameEmotionModel
    from mescreen.training.frame_emotion import class_prior
    from mescreen.training.frame_emotion_offsets import as_mapping, fit_reading

    c = trainer.config
    meta = {**meta, "test_time_flip": c.flip}
    proba = FrameEmotionModel(trainer.network_, meta, "in training").predict_faces(trainer.valid_faces_)
    offsets, fit = fit_reading(proba, valid.targets, c.offsets, class_prior(train.soft_targets))
    meta = {**meta, "logit_offsets": as_mapping(offsets) if c.offsets != "none" else {}, "offset_fit": fit}
    print(f"Logit offsets ({c.offsets}): {meta['logit_offsets']}; FER+ valid {fit}")
    return meta
