"""`mescreen patient add|list|show|export|import|delete`: patients from the terminal.

The same store functions as the dashboard, so every read, export, import and erasure is
audited the same way, under the name given by --actor (default: cli:<login name>).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mescreen.cli.arguments import add_store_options, store_session
from mescreen.core.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("patient", help="add, list, show, export, import or delete patients")
    sub = parser.add_subparsers(dest="patient_command", required=True)

    add = sub.add_parser("add", help="create a patient under a pseudonymous code")
    add.add_argument("code")
    add.add_argument("--name", default=None, help="optional display name (stored as given)")
    add.add_argument("--notes", default=None)
    add.add_argument("--team", default=None, metavar="NAME",
                     help="the patient's care team (default: the only team, when there is exactly one)")
    add.set_defaults(func=_add)

    listing = sub.add_parser("list", help="list patients (code, sessions, latest screening level)")
    listing.add_argument("--search", default="", help="only codes or names containing this text")
    listing.set_defaults(func=_list)

    show = sub.add_parser("show", help="a patient's sessions, oldest first")
    show.add_argument("code")
    show.set_defaults(func=_show)

    export = sub.add_parser("export", help="write a patient and all their sessions as JSON")
    export.add_argument("code")
    export.add_argument("--out", type=Path, required=True, metavar="FILE.json")
    export.set_defaults(func=_export)

    imp = sub.add_parser("import", help="read a patient exported with `mescreen patient export`")
    imp.add_argument("file", type=Path, metavar="FILE.json")
    imp.add_argument("--team", default=None, metavar="NAME",
                     help="the patient's care team (default: the only team, when there is exactly one)")
    imp.set_defaults(func=_import)

    delete = sub.add_parser("delete", help="erase a patient with every session and kept video")
    delete.add_argument("code")
    delete.add_argument("--yes", action="store_true", help="do not ask to type the code again")
    delete.set_defaults(func=_delete)

    add_store_options(*(add, listing, show, export, imp, delete))


def _add(args: argparse.Namespace) -> int:
    from mescreen.store.patients import create_patient

    with store_session(args) as session:
        patient = create_patient(session, args.code, display_name=args.name, notes=args.notes,
                                            actor=args.actor, team=args.team)
    print(f"created patient {patient.code} in care team {patient.team!r}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from mescreen.store.patients import list_patients

    with store_session(args) as session:
        patients = list_patients(session, args.search, actor=args.actor)
    if not patients:
        print("no patients" + (f" matching {args.search!r}" if args.search else " yet: add one with `mescreen patient add CODE`"))
    for p in patients:
        last = p.last_recorded_on.isoformat() if p.last_recorded_on else "-"
        print(f"{p.code}\t{p.n_sessions} session(s)\tlast recorded {last}\tlevel {p.last_level or '-'}\t"
              f"care team {p.team}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from mescreen.store.patients import get_patient
    from mescreen.store.session_queries import patient_timeline

    with store_session(args) as session:
        patient = get_patient(session, args.code, actor=args.actor)
        views = patient_timeline(session, args.code, actor=args.actor)
    print(f"patient {patient.code}" + (f" ({patient.display_name})" if patient.display_name else ""))
    if not views:
        print("no sessions yet")
    for v in views:
        detail = f"level {v.level}" if v.status == "done" else (v.error or "")
        print(f"session {v.number} (id {v.id})\trecorded {v.recorded_on.isoformat()}\t{v.status}\t{v.file_name}\t{detail}")
    print("A screening aid, never a diagnosis.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from mescreen.store.transfer import export_patient

    if not args.out.resolve().parent.is_dir():
        raise InputError(f"cannot write {args.out}: the folder {args.out.resolve().parent} does not exist.")
    with store_session(args) as session:
        data = export_patient(session, args.code, actor=args.actor)
    args.out.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
    print(f"patient {args.code} with {len(data['sessions'])} session(s) written to {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from mescreen.store.transfer import import_patient

    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{args.file} is not a readable mescreen export: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{args.file} is not a mescreen patient export (expected a JSON object).")
    with store_session(args) as session:
        code = import_patient(session, data, actor=args.actor, team=args.team)
    print(f"imported patient {code}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from mescreen.store.erasure import delete_patient

    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError("deleting a patient asks for the code again; without a terminal, add --yes.")
        typed = input(f"This erases patient {args.code} and everything about them. Type the code to confirm: ")
        if typed.strip() != args.code:
            print("the code did not match; nothing was deleted")
            return 1
    with store_session(args) as session:
        delete_patient(session, args.code, actor=args.actor)
    print(f"patient {args.code} and all their data were deleted")
    return 0
