"""`mescreen convert`: convert the trained Keras networks in models/ to the files the analysis runs
(LiteRT; once, at build time). Needs the training extra (TensorFlow): pip install -e ".[train]".

Converts each network whose converted file is missing or was made from other weights, checks it
against the Keras network (largest output difference at most 1e-4, else nothing is written) and
records the weights version it was made from in the network's JSON. `mescreen train frame-emotion`
and `mescreen train emotion` end with this step.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("convert", help="convert trained networks to the files the analysis runs",
                                   description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    parser.add_argument("--force", action="store_true", help="convert again even where the file is current")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mescreen.core.datapaths import models_dir

    convert_and_report(args.models or models_dir(), force=args.force)
    return 0


def convert_and_report(folder: Path, stems: tuple[str, ...] | None = None, force: bool = False) -> dict:
    """Convert (mescreen.training.convert.convert_folder), print a line per network, return the records."""
    from mescreen.core.errors import InputError
    from mescreen.training.convert import NETWORKS, convert_folder

    try:
        done = convert_folder(folder, stems, force)
    except ImportError as exc:
        raise InputError(f"converting needs TensorFlow, the training extra ({exc.name} is missing): "
                         'pip install -e ".[train]"') from exc
    for network in NETWORKS:
        if (stems is not None and network.stem not in stems) or not network.weights(folder).is_file():
            continue
        record = done.get(network.stem)
        print(f"{network.converted(folder).name}: " + (
            f"converted from {record['weights']} (largest difference {record['max_difference']:.1e})" if record
            else "current"))
    return done
