"""Entry point of the `mescreen` console script.

Each sub-command lives in its own module of this package and exposes
`register(subparsers)`; main discovers them, so adding a command touches one file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import mescreen.cli
from mescreen.core.errors import MescreenError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mescreen",
        description="mescreen: micro-expression screening aid (not a diagnostic tool).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for info in sorted(pkgutil.iter_modules(mescreen.cli.__path__), key=lambda m: m.name):
        if info.name == "main":
            continue
        module = importlib.import_module(f"mescreen.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; expected failures print one clear line and exit 2, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MescreenError as exc:
        print(f"mescreen: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mescreen: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
