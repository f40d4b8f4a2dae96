"""`mescreen train TARGET`: rebuild one of the shipped models from the research data."""

from __future__ import annotations

import argparse

from cli.targets import add_target_commands

#: target name -> module in cli/ exposing add_arguments(parser) and run(args) -> int
TARGETS = {"emotion": "cli.train_emotion", "au": "cli.train_au", "clusters": "cli.train_clusters"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a model from the research data (MESCREEN_DATA)")
    add_target_commands(parser, TARGETS)
