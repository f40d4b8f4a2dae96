"""`mescreen train TARGET`: rebuild one of the shipped models from the research data."""

from __future__ import annotations

import argparse

from mescreen.cli.targets import add_target_commands

#: target name -> module in mescreen/cli/ exposing add_arguments(parser) and run(args) -> int
TARGETS = {"emotion": "mescreen.cli.train_emotion", "au": "mescreen.cli.train_au", "clusters": "mescreen.cli.train_clusters",
           "frame-emotion": "mescreen.cli.train_frame_emotion"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a model from the research data (MESCREEN_DATA)")
    add_target_commands(parser, TARGETS)
