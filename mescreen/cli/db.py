"""`mescreen db upgrade|current`: create or migrate the patient store, or say where it stands.

The database is MESCREEN_DB_URL, else var/mescreen.db under the current folder; --url overrides.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="create/migrate the patient database or show its schema revision")
    sub = parser.add_subparsers(dest="db_command", required=True)
    for name, func, text in (
        ("upgrade", _upgrade, "apply all migrations (safe to run again: it only applies missing ones)"),
        ("current", _current, "show the database's schema revision and whether it is up to date"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--url", default=None, help="database URL (default: MESCREEN_DB_URL or var/mescreen.db)")
        command.set_defaults(func=func)


def _upgrade(args: argparse.Namespace) -> int:
    from mescreen.store.engine import database_url, describe_url, upgrade

    url = args.url or database_url()
    revision = upgrade(url)
    print(f"database {describe_url(url)} is at schema revision {revision} (latest)")
    return 0


def _current(args: argparse.Namespace) -> int:
    from mescreen.store.engine import (
        current_revision, database_url, describe_url, head_revision, known_revisions, make_engine,
    )

    url = args.url or database_url()
    engine = make_engine(url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if current is None:
        print(f"database {describe_url(url)} has no mescreen schema yet: run `mescreen db upgrade`")
        return 1
    if current == head:
        state = "latest"
    elif current in known_revisions():
        state = f"latest is {head}: run `mescreen db upgrade`"
    else:
        state = f"newer than this mescreen, which knows up to {head}: upgrade mescreen"
    print(f"database {describe_url(url)} is at schema revision {current} ({state})")
    return 0 if current == head else 1
