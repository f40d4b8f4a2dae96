"""Evaluate the AU->emotion mapping: across datasets (CASME II, SAMM, CK+), or the shipped one on any coding sheet."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the learned mapping (default 1.0)")
    parser.add_argument("--sheet", type=Path, default=None,
                        help="score the SHIPPED mapping on this coding sheet (CSV with an AU column and an emotion column)")
    parser.add_argument("--au-column", default="Action Units", help="the sheet's FACS code column (default 'Action Units')")
    parser.add_argument("--emotion-column", default="Estimated Emotion",
                        help="the sheet's emotion column (default 'Estimated Emotion')")


def run(args: argparse.Namespace) -> int:
    if args.sheet is not None:
        import pandas as pd

        from mescreen.core.emotion.au_mapping import AUEmotionMapper
        from mescreen.core.errors import InputError
        from mescreen.training.au_emotion import score_sheet, sheet_markdown

        try:
            sheet = pd.read_csv(args.sheet, dtype=str)
        except (OSError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read the sheet {args.sheet}: {exc}") from exc
        mapper = AUEmotionMapper.load()
        print(sheet_markdown(score_sheet(mapper, sheet, args.au_column, args.emotion_column), mapper, args.sheet.name))
        return 0
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au_emotion import cross_dataset_evaluation, load_coded_sets, markdown_report

    table = load_coded_sets(require_data_root())
    print(markdown_report(cross_dataset_evaluation(table, args.C)))
    return 0
