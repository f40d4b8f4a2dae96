"""`mescreen team add|list|assign`: care teams from the terminal.

Clinicians see only their care teams' patients (mescreen/store/access.py). The same store
functions as the dashboard's Users page, so every change is audited the same way, under the
name given by --actor (default: cli:<login name>).
"""

from __future__ import annotations

import argparse

from mescreen.cli.arguments import add_store_options, store_session


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("team", help="add or list care teams; assign patients and users to them")
    sub = parser.add_subparsers(dest="team_command", required=True)

    add = sub.add_parser("add", help="create a care team")
    add.add_argument("name")
    add.set_defaults(func=_add)

    listing = sub.add_parser("list", help="list care teams with their members and number of patients")
    listing.set_defaults(func=_list)

    assign = sub.add_parser("assign", help="move a patient to a team, or put a user in (or out of) a team")
    assign.add_argument("team")
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", metavar="CODE", help="move this patient (and all their sessions) to the team")
    who.add_argument("--user", metavar="NAME", help="make this user a member of the team")
    assign.add_argument("--remove", action="store_true", help="with --user: take the user out of the team instead")
    assign.set_defaults(func=_assign)

    add_store_options(*(add, listing, assign))


def _add(args: argparse.Namespace) -> int:
    from mescreen.store.teams import create_team

    with store_session(args) as session:
        team = create_team(session, args.name, actor=args.actor)
    print(f"created care team {team.name!r}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from mescreen.store.teams import list_teams

    with store_session(args) as session:
        teams = list_teams(session)
    if not teams:
        print("no care teams yet: add one with `mescreen team add NAME`")
    for team in teams:
        print(f"{team.name}\t{team.n_patients} patient(s)\tmembers: {', '.join(team.members) or 'none'}")
    return 0


def _assign(args: argparse.Namespace) -> int:
    from mescreen.core.errors import InputError
    from mescreen.store.teams import move_patient, set_member

    if args.remove and not args.user:
        raise InputError("--remove takes a user out of a team; a patient always belongs to one team: "
                         "move it with --patient CODE to another team instead.")
    with store_session(args) as session:
        if args.patient:
            move_patient(session, args.patient, args.team, actor=args.actor)
            print(f"patient {args.patient} is now in care team {args.team!r}")
        else:
            set_member(session, args.team, args.user, not args.remove, actor=args.actor)
            print(f"{args.user!r} is {'no longer' if args.remove else 'now'} a member of care team {args.team!r}")
    return 0
