"""`mescreen evaluate TARGET`: subject-independent evaluation of a model, printing every figure."""

from __future__ import annotations

import argparse

from mescreen.cli.targets import add_target_commands

#: target name -> module in mescreen/cli/ exposing add_arguments(parser) and run(args) -> int
TARGETS = {"emotion": "mescreen.cli.evaluate_emotion", "mapping": "mescreen.cli.evaluate_mapping",
           "frame-emotion": "mescreen.cli.evaluate_frame_emotion"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a model subject-independently (LOSO / grouped folds)")
    add_target_commands(parser, TARGETS)
