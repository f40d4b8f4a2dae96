"""Checks of command-line values made before any work starts: a run that would fail only after
minutes of analysis (output path unusable) or store nonsense (a recording date in the future)
is refused at once, with the same rules as the dashboard."""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import date
from pathlib import Path
from typing import Any

from mescreen.core.errors import InputError


def past_date(text: str) -> date:
    """A YYYY-MM-DD recording date, today or earlier (the dashboard's date picker allows no later)."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None
    if value > date.today():
        raise argparse.ArgumentTypeError(f"{value} is in the future: a recording date is today or earlier")
    return value


def positive_number(text: str) -> float:
    """A number above zero (frames per second)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def check_output_file(path: Path) -> None:
    """Raise InputError unless a file can be written at `path` (checked before the analysis)."""
    target = path.expanduser().resolve()
    if target.is_dir():
        raise InputError(f"cannot write {path}: it is a folder; give a file name, e.g. {path / 'result.json'}")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: the folder {folder} does not exist.")
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"cannot write {path}: the file is not writable.")
    if not target.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: the folder {folder} is not writable.")


def add_store_options(*commands: argparse.ArgumentParser) -> None:
    """--url (which store) and --actor (who, in the audit log) for commands that read or change the store."""
    for command in commands:
        command.add_argument("--url", default=None, help="database URL (default: MESCREEN_DB_URL or var/mescreen.db)")
        command.add_argument("--actor", default=f"cli:{getpass.getuser()}",
                             help="name recorded in the audit log (default: %(default)s)")


def store_session(args: argparse.Namespace) -> Any:
    """A SQLAlchemy session on the store named by --url (the store is imported here, not at the top:
    commands that never touch it start faster)."""
    from mescreen.store.engine import open_store

    return open_store(args.url)()
