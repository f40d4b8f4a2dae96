"""Train the per-frame emotion model (8 FER+ emotions) on FER+ and ship it to models/."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from mescreen.core.emotion.frame.networks import ARCHITECTURES
    from mescreen.training.frame_emotion import FrameEmotionConfig

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
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    parser.add_argument("--limit", type=int, default=None,
                        help="first N images of each split only (smoke tests; never for a shipped model)")
    parser.add_argument("--out", type=Path, default=None, help="models folder to write (default: models/)")


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (recorded in the model JSON and printed)."""
    line = (f"mescreen train frame-emotion --architecture {args.architecture} --epochs {args.epochs} "
            f"--batch-size {args.batch_size} --learning-rate {args.learning_rate} "
            f"--weight-power {args.weight_power} --seed {args.seed} --framing {args.framing} "
            f"--dim-share {args.dim_share}")
    return line + (f" --limit {args.limit}" if args.limit else "")


def run(args: argparse.Namespace) -> int:
    import time

    from mescreen.core import datapaths
    from mescreen.core.errors import InputError
    from mescreen.cli.convert import convert_and_report
    from mescreen.core.emotion.frame.model import MODEL_STEM, save_network
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
                                framing=args.framing, dim_share=args.dim_share)
    train, valid = data.part("train"), data.part("valid")
    command = command_line(args)
    print(f"{command}\nFER+ train {len(train)} faces, valid {len(valid)} (train's pixel duplicates removed)")
    start = time.perf_counter()
    trainer = FrameEmotionTrainer(config).fit(train, valid)
    seconds = time.perf_counter() - start
    meta = {**trainer.metadata(), "command": command, "n_train": len(train), "n_valid": len(valid),
            "train_seconds": round(seconds, 1),
            "data": "FER2013 faces with FER+ votes, research-only; see models/cards/frame_emotion.md"}
    config_path, weights_path = save_network(trainer.network_, args.out or datapaths.models_dir(), meta)
    print(f"Best valid macro-F1 {max(h[2] for h in trainer.history_):.3f} at epoch {trainer.best_epoch_}; "
          f"{seconds:.0f} s")
    print(f"Wrote {config_path} and {weights_path} ({datapaths.model_version(weights_path)}, "
          f"{weights_path.stat().st_size / 1024:.0f} KB)")
    convert_and_report(weights_path.parent, (MODEL_STEM,))
    return 0
