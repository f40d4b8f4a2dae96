"""Train the per-frame emotion model (8 FER+ emotions) on FER+ and ship it to models/."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mescreen.core.emotion.frame.networks import ARCHITECTURES
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
    parser.add_argument("--reading-only", action="store_true",
                        help="train nothing: fit --flip / --offsets for the network already in --out (default models/) "
                             "on FER+ valid, record FER+ test, rewrite its JSON only (the weights are not touched)")
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
    from mescreen.cli.convert import convert_and_report
    from mescreen.core.emotion.frame.model import MODEL_STEM, KerasReader, save_network
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
    if args.reading_only:
        return refit_reading(args, data)
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
    reader = KerasReader(trainer.network_)
    meta = read_settings(reader, meta, trainer.valid_faces_, train, valid, args)
    if args.test:
        meta = with_test_figures(reader, meta, data.part("test"))
    config_path, weights_path = save_network(trainer.network_, args.out or datapaths.models_dir(), meta)
    print(f"Wrote {config_path} and {weights_path} ({datapaths.model_version(weights_path)}, "
          f"{weights_path.stat().st_size / 1024:.0f} KB)")
    convert_and_report(weights_path.parent, (MODEL_STEM,))
    return 0


def read_settings(network: Any, meta: dict[str, Any], valid_faces: Any, train: Any, valid: Any,
                  args: argparse.Namespace) -> dict[str, Any]:
    """`meta` with the reading settings: flip, and the logit offsets fitted on FER+ valid (its
    prepared `valid_faces`) with that fit's valid figures."""
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.frame_emotion import class_prior
    from mescreen.training.frame_emotion_offsets import as_mapping, fit_reading

    meta = {**meta, "test_time_flip": args.flip, "logit_offsets": {}}
    proba = FrameEmotionModel(network, meta, "in training").predict_faces(valid_faces)
    offsets, fit = fit_reading(proba, valid.targets, args.offsets, class_prior(train.soft_targets))
    meta = {**meta, "logit_offsets": as_mapping(offsets) if args.offsets != "none" else {}, "offset_fit": fit}
    print(f"Logit offsets ({args.offsets}): {meta['logit_offsets']}; FER+ valid {fit}")
    return meta


def with_test_figures(network: Any, meta: dict[str, Any], test: Any) -> dict[str, Any]:
    """`meta` with FER+ test read once, after every choice: the figures the card and the
    screening's per-emotion wording use (`per_class_recall`)."""
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.frame_emotion_eval import test_figures

    meta = {**meta, **test_figures(FrameEmotionModel(network, meta, "in training"), test)}
    print(f"FER+ test: {meta['fer_test']}; recall {meta['per_class_recall']}")
    return meta


def refit_reading(args: argparse.Namespace, data: Any) -> int:
    """--reading-only: the reading settings of an already trained network, its JSON rewritten."""
    import json

    from mescreen.core import datapaths
    from mescreen.core.emotion.frame.model import CONFIG_SUFFIX, MODEL_STEM, FrameEmotionModel
    from mescreen.training.frame_emotion import prepare_faces
    from mescreen.training.frame_emotion_eval import model_framing

    folder = args.out or datapaths.models_dir()
    model = FrameEmotionModel.load(folder)
    valid = data.part("valid")
    stale = ("per_class_recall", "per_class_recall_source", "fer_test")  # of the old reading
    kept = {k: v for k, v in model.meta.items() if k not in stale}
    meta = {**kept, "config": {**kept.get("config", {}), "flip": args.flip, "offsets": args.offsets},
            "reading_command": f"mescreen train frame-emotion --reading-only --{'' if args.flip else 'no-'}flip "
                               f"--offsets {args.offsets}" + ("" if args.test else " --no-test")}
    meta = read_settings(model.network, meta, prepare_faces(valid.images, model_framing(model)), data.part("train"),
                         valid, args)
    if args.test:
        meta = with_test_figures(model.network, meta, data.part("test"))
    path = folder / (MODEL_STEM + CONFIG_SUFFIX)
    path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"Wrote {path} (weights unchanged: {FrameEmotionModel.load(folder).version})")
    return 0
