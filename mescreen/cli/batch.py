"""`mescreen batch MANIFEST.csv`: analyse many recordings on a Dask cluster and store every result.

The manifest is a CSV with the columns video, patient, recorded_on (YYYY-MM-DD); relative video
paths are relative to the manifest's folder. Results go to the store named by MESCREEN_DB_URL
(PostgreSQL when workers run on several machines; with --scheduler every worker needs mescreen
installed, the videos at the same paths and MESCREEN_DB_URL naming the same database). Patient
codes must exist unless --create-patients is given. Videos already analysed with the same content
and model versions are skipped, so a batch can simply be run again after a failure. Exit status:
0 when every video is done or was already analysed, 1 when any video failed (the table says
why), 2 when the batch could not start.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch", help="analyse the videos listed in a CSV manifest on a Dask cluster",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("manifest", type=Path, help="CSV with columns video, patient, recorded_on")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="address of a running Dask scheduler (default: start a local cluster)")
    parser.add_argument("--workers", type=_positive, metavar="N",
                        help="worker processes of the local cluster (default: one per CPU core)")
    parser.add_argument("--create-patients", action="store_true",
                        help="create patient codes that do not exist yet (default: refuse the manifest)")
    parser.add_argument("--team", metavar="NAME", default=None,
                        help="with --create-patients: the new patients' care team (default: the only team)")
    parser.add_argument("--uploader", default=f"batch:{getpass.getuser()}",
                        help="name recorded as uploader and in the audit log (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in logs)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mescreen.batch.errors import BatchError
    from mescreen.batch.manifest import read_manifest
    from mescreen.batch.runner import run_batch
    from mescreen.batch.summary import format_summary

    if args.scheduler and args.workers:
        raise BatchError("--workers sizes the local cluster; with --scheduler the cluster's own workers are used")
    if args.team and not args.create_patients:
        raise BatchError("--team names the care team of new patients: give it with --create-patients")
    rows = read_manifest(args.manifest)
    report = run_batch(
        rows, uploader=args.uploader, scheduler=args.scheduler, workers=args.workers,
        create_patients=args.create_patients, team=args.team, show_progress=not args.no_progress,
    )
    print(format_summary(report))
    return 1 if report.any_failed else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
