"""Entry point of the `mescreen` console script.

Each sub-command lives in its own module of this package and exposes
`register(subparsers)`; main discovers them, so adding a command touches one file. When the
command names its module (`mescreen analyze` -> analyze.py), only that module registers: the
training commands' options read their defaults from training code, whose imports (scikit-learn)
would cost an analysis a second of start-up.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import mescreen.cli
from mescreen.core.errors import MescreenError
from mescreen.core.runtime import set_verbose


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every sub-command, or only `command`'s when a module of that name exists."""
    parser = argparse.ArgumentParser(
        prog="mescreen",
        description="mescreen: micro-expression screening aid (not a diagnostic tool).",
    )
    parser.add_argument("--verbose", action="store_true",
                        help="keep the model runtime's own log lines (for debugging; hidden by default)")
    subparsers = parser.add_subparsers(dest="command", required=True)
    names = sorted(info.name for info in pkgutil.iter_modules(mescreen.cli.__path__) if info.name != "main")
    for name in [command] if command in names else names:
        module = importlib.import_module(f"mescreen.cli.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; expected failures print one clear line and exit 2, never a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(next((a for a in argv if not a.startswith("-")), None)).parse_args(argv)
    set_verbose(args.verbose)
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
