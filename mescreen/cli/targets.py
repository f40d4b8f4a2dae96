"""Shared wiring for commands with per-model targets (`train`, `evaluate`)."""

from __future__ import annotations

import argparse
import importlib


def add_target_commands(parser: argparse.ArgumentParser, targets: dict[str, str]) -> None:
    """One sub-command per target; each target module keeps its heavy imports inside run()."""
    sub = parser.add_subparsers(dest="target", required=True)
    for name, module_name in targets.items():
        module = importlib.import_module(module_name)
        target = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(target)
        target.set_defaults(func=module.run)
