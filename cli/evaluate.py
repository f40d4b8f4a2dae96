"""`mescreen evaluate TARGET`: subject-independent evaluation of a model, printing every figure."""

from __future__ import annotations

import argparse

from cli.targets import add_target_commands

#: target name -> module in cli/ exposing add_arguments(parser) and run(args) -> int
TARGETS = {"emotion": "cli.evaluate_emotion", "mapping": "cli.evaluate_mapping"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a model subject-independently (LOSO / grouped folds)")
    add_target_commands(parser, TARGETS)
