"""`mescreen user add|list|set-role|set-password|delete`: dashboard accounts.

`mescreen user add NAME --role admin` creates the first administrator, who then manages the
other accounts in the dashboard. Passwords are prompted for (never echoed, never on the command
line, where other users of the machine could read them); scripts pipe one in with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from mescreen.core.errors import MescreenError

ROLES = ("clinician", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage dashboard accounts (clinicians and admins)")
    sub = parser.add_subparsers(dest="user_command", required=True)

    add = sub.add_parser("add", help="create an account (the first one should be an admin)")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="clinician")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--team", action="append", default=None, metavar="NAME",
                     help="a clinician's care team (repeat for several; default: the only team, when there is "
                          "exactly one)")
    add.set_defaults(func=_add)

    listing = sub.add_parser("list", help="list accounts and their roles")
    listing.set_defaults(func=_list)

    role = sub.add_parser("set-role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(func=_set_role)

    password = sub.add_parser("set-password", help="set a new password for an account")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(func=_set_password)

    delete = sub.add_parser("delete", help="remove an account (the last admin cannot be removed)")
    delete.add_argument("username")
    delete.set_defaults(func=_delete)

    for command in (add, listing, role, password, delete):
        command.add_argument("--url", default=None, help="database URL (default: MESCREEN_DB_URL or var/mescreen.db)")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise MescreenError("the two passwords differ; nothing was changed")
    if not password:
        raise MescreenError("no password given; nothing was changed")
    return password


def _actor() -> str:
    """Who the audit log names for account changes made here: the operating-system user."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # no user name in this environment (some containers)
        return "command line"


def _session(args: argparse.Namespace):
    from mescreen.store.engine import open_store

    return open_store(args.url)()


def _add(args: argparse.Namespace) -> int:
    from mescreen.store.teams import teams_of
    from mescreen.store.users import create_user

    password = _read_password(args)
    with _session(args) as session:
        user = create_user(session, args.username, password, args.role, actor=_actor(), teams=args.team)
        teams = teams_of(session, user.username)
    print(f"created {user.role} account {user.username!r}"
          + (f" in care team(s) {', '.join(teams)}" if teams else ""))
    return 0


def _list(args: argparse.Namespace) -> int:
    from mescreen.store.users import list_users

    with _session(args) as session:
        users = list_users(session)
    if not users:
        print("no accounts yet: create an admin with `mescreen user add NAME --role admin`")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        print(f"{user.username}\t{user.role}\tlast sign-in: {last}")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from mescreen.store.users import set_role

    with _session(args) as session:
        set_role(session, args.username, args.role, actor=_actor())
    print(f"{args.username!r} is now {args.role}")
    return 0


def _set_password(args: argparse.Namespace) -> int:
    from mescreen.store.users import set_password

    password = _read_password(args)
    with _session(args) as session:
        set_password(session, args.username, password, actor=_actor())
    print(f"password of {args.username!r} changed")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from mescreen.store.users import delete_user

    with _session(args) as session:
        delete_user(session, args.username, actor=_actor())
    print(f"account {args.username!r} deleted")
    return 0
