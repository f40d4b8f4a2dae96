"""`mescreen import FILE --patient CODE`: an OpenFace 2 or py-feat per-frame CSV run through
mescreen's spotting, emotion, ME clusters and screening, and stored as a session of the patient
(the dashboard's Import page, from the command line). The file's times are checked as on that
page; when they cannot be right, give the recording's frame rate with --fps.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
from datetime import date
from pathlib import Path

from mescreen.cli.analyze import INTENDED_USE, patient_store, stored_line
from mescreen.cli.arguments import past_date, positive_number


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="analyse an OpenFace 2 or py-feat per-frame CSV and store it for a patient",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("file", type=Path, help="per-frame CSV written by OpenFace 2 or py-feat")
    parser.add_argument("--patient", metavar="CODE", required=True, help="store the session for this patient code")
    parser.add_argument("--create-patient", action="store_true", help="create the patient first if the code is new")
    parser.add_argument("--team", metavar="NAME", default=None,
                        help="care team of a patient made by --create-patient (default: the only team)")
    parser.add_argument("--fps", type=positive_number, metavar="FPS",
                        help="frame rate of the recording: defines the times from the frame numbers (needed "
                             "when the file's own times cannot be right)")
    parser.add_argument("--recorded-on", type=past_date, default=None, metavar="YYYY-MM-DD",
                        help="recording date stored with the session (default: today)")
    parser.add_argument("--uploader", default=f"cli:{getpass.getuser()}",
                        help="name recorded as uploader (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mescreen.core.errors import InputError
    from mescreen.core.io.peer_import import TimingError, read_peer_csv
    from mescreen.service import PeerCsvSource, analyse_for_patient

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError(f"{args.file}: cannot be read ({exc.strerror}).") from None
    try:
        peer = read_peer_csv(data, name=args.file.name, fps=args.fps)  # refused before the store is opened
    except TimingError as exc:
        raise TimingError(f"{exc} Use --fps FPS.") from None
    print(peer.describe())
    sessions = patient_store(args)
    stored = analyse_for_patient(
        sessions, args.patient, PeerCsvSource(peer, hashlib.sha256(data).hexdigest()),
        recorded_on=args.recorded_on or date.today(), uploader=args.uploader,
    )
    result = stored.result
    print(f"episodes: {len(result.episodes)}; screening level: {result.screening.level}")
    print(stored_line(sessions, stored.session_id, args.patient))
    print(INTENDED_USE)
    return 0
