"""Evaluate the AU->emotion mapping across datasets (CASME II, SAMM, CK+) against the FACS/EMFACS rules."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the learned mapping (default 1.0)")


def run(args: argparse.Namespace) -> int:
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au_emotion import cross_dataset_evaluation, load_coded_sets, markdown_report

    table = load_coded_sets(require_data_root())
    print(markdown_report(cross_dataset_evaluation(table, args.C)))
    return 0
