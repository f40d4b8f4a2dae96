"""Train the emotion CNN (paper's Table 3 network) on all 278 MEGC2019 samples and ship it to models/."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `train emotion` and `evaluate emotion`; defaults are the shipped setup."""
    from mescreen.training.emotion import SHIPPED

    c = SHIPPED.config
    parser.add_argument("--input", choices=["flow", "apex"], default=SHIPPED.input_kind,
                        help=f"network input: onset->apex flow image or apex face crop (default {SHIPPED.input_kind})")
    parser.add_argument("--arch", choices=list(ARCHITECTURES), default=_arch_name(c.architecture),
                        help="network: paper (Table 3 of Sharma et al.), plain (Table 4's plain CNN) or ststnet "
                             f"(Liong et al., FG 2019) (default {_arch_name(c.architecture)})")
    parser.add_argument("--size", type=int, default=SHIPPED.size, help=f"input side in pixels (default {SHIPPED.size})")
    parser.add_argument("--epochs", type=int, default=c.epochs, help=f"default {c.epochs}")
    parser.add_argument("--batch-size", type=int, default=c.batch_size, help=f"default {c.batch_size}")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default=c.optimizer)
    parser.add_argument("--learning-rate", type=float, default=c.learning_rate)
    parser.add_argument("--bn-momentum", type=float, default=c.bn_momentum,
                        help=f"batch-norm momentum (default {c.bn_momentum}; Keras' 0.99 collapses on this small set)")
    parser.add_argument("--members", type=int, default=c.n_members, help=f"seed-ensemble size (default {c.n_members})")
    parser.add_argument("--no-flip", action="store_true", help="no horizontal-mirror augmentation")
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=c.tta,
                        help=f"average each prediction with that of the mirrored input (default {c.tta})")
    parser.add_argument("--lr-decay", action=argparse.BooleanOptionalAction, default=c.lr_decay,
                        help=f"cosine learning-rate decay over the epochs (default {c.lr_decay})")
    parser.add_argument("--shift", type=int, default=c.shift,
                        help=f"random translation of training images by up to N pixels (default {c.shift})")
    parser.add_argument("--rotate", type=float, default=c.rotate,
                        help=f"random rotation of training images by up to N degrees (default {c.rotate})")
    parser.add_argument("--zoom", type=float, default=c.zoom,
                        help=f"random scaling of training images by 1 +- this fraction (default {c.zoom})")
    parser.add_argument("--magnitude", type=float, default=c.magnitude,
                        help=f"random flow-magnitude scaling by 1 +- this fraction (default {c.magnitude})")
    parser.add_argument("--mixup", type=float, default=c.mixup,
                        help=f"mixup of training pairs with Beta(alpha, alpha), 0 = off (default {c.mixup})")
    parser.add_argument("--dropout", type=float, default=c.dropout,
                        help=f"dropout before the paper network's dense layer (default {c.dropout})")
    parser.add_argument("--regions", action=argparse.BooleanOptionalAction, default=c.regions,
                        help=f"keep only the brow/eye and mouth regions of the input (default {c.regions})")
    parser.add_argument("--au-weight", type=float, default=c.au_weight,
                        help=f"weight of the auxiliary AU-detection loss on the coded AUs, 0 = off (default {c.au_weight})")
    parser.add_argument("--seed", type=int, default=c.seed, help=f"random seed (default {c.seed})")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow threads (default 1)")


#: --arch names -> EmotionCNNConfig.architecture ("table3" is the paper's network, as saved models name it).
ARCHITECTURES = {"paper": "table3", "plain": "plain", "ststnet": "ststnet"}


def _arch_name(architecture: str) -> str:
    return next(name for name, value in ARCHITECTURES.items() if value == architecture)


def config_from_args(args: argparse.Namespace) -> Any:
    """The EmotionCNNConfig the options describe (mirroring is sign-correct for flow input)."""
    from dataclasses import replace

    from mescreen.training.emotion import SHIPPED

    flip = "none" if args.no_flip else ("flow" if args.input == "flow" else "image")
    return replace(SHIPPED.config, epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                   learning_rate=args.learning_rate, bn_momentum=args.bn_momentum, n_members=args.members,
                   flip=flip, tta=args.tta and flip != "none", lr_decay=args.lr_decay, shift=args.shift,
                   architecture=ARCHITECTURES[args.arch], rotate=args.rotate, zoom=args.zoom,
                   magnitude=args.magnitude, mixup=args.mixup, dropout=args.dropout, regions=args.regions,
                   au_weight=args.au_weight, seed=args.seed)


def load_data(args: argparse.Namespace) -> Any:
    """Set TensorFlow's thread count, then load MEGC2019, turning a missing folder into a clear message."""
    from mescreen.core.errors import InputError
    from mescreen.training.emotion import limit_threads
    from mescreen.training.megc import load_megc

    limit_threads(args.threads)
    try:
        return load_megc()
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from exc


def command_line(args: argparse.Namespace, verb: str) -> str:
    """The command that reproduces this run (recorded in the model JSON and printed)."""
    parts = [f"mescreen {verb} emotion --input {args.input} --size {args.size} --epochs {args.epochs}",
             f"--batch-size {args.batch_size} --optimizer {args.optimizer} --learning-rate {args.learning_rate}",
             f"--bn-momentum {args.bn_momentum} --members {args.members} --seed {args.seed}",
             "--tta" if args.tta else "--no-tta", "--lr-decay" if args.lr_decay else "--no-lr-decay",
             f"--shift {args.shift}"]
    parts.append(f"--arch {args.arch} --rotate {args.rotate} --zoom {args.zoom} --magnitude {args.magnitude} "
                 f"--mixup {args.mixup} --dropout {args.dropout} {'--regions' if args.regions else '--no-regions'} "
                 f"--au-weight {args.au_weight}")
    if args.no_flip:
        parts.append("--no-flip")
    return " ".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N samples only (smoke tests; never for a shipped model)")
    parser.add_argument("--out", type=Path, default=None, help="models folder to write (default: models/)")


def run(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from mescreen.cli.convert import convert_and_report
    from mescreen.core import datapaths
    from mescreen.core.emotion.micro.classifier import MODEL_STEM
    from mescreen.training.emotion import EmotionCNN, fit_params_for, make_inputs

    data = load_data(args)
    if args.limit:
        data = data.subset(np.arange(min(args.limit, len(data))))
    config = config_from_args(args)
    X = make_inputs(data, args.input, args.size)
    start = time.perf_counter()
    model = EmotionCNN(config).fit(X, data.label3, **fit_params_for(config, data))
    seconds = time.perf_counter() - start
    command = command_line(args, "train") + (f" --limit {args.limit}" if args.limit else "")
    out_dir = args.out or datapaths.models_dir()
    extra = {"input_kind": args.input, "command": command, "n_samples": len(data),
             "n_subjects": int(np.unique(data.subject).size), "train_seconds": round(seconds, 1),
             "data": "MEGC2019 composite (CASME II + SAMM), research-only; see models/cards/emotion_cnn.md"}
    config_path, weights_path = model.save(out_dir / MODEL_STEM, extra=extra)
    print(f"Trained on {len(data)} samples in {seconds:.0f} s: {command}")
    print(f"Wrote {config_path} and {weights_path} ({datapaths.model_version(weights_path)}, "
          f"{weights_path.stat().st_size / 1024:.0f} KB)")
    convert_and_report(out_dir, (MODEL_STEM,))
    return 0
