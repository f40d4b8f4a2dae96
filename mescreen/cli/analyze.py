"""`mescreen analyze VIDEO`: analyse one recording, print a summary, write JSON / OpenFace-style
CSV, and with --patient store the session for that patient (store: MESCREEN_DB_URL, default the
SQLite file var/mescreen.db). A screening aid, never a diagnosis.
"""

from __future__ import annotations

import argparse
import getpass
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from mescreen.cli.arguments import check_output_file, past_date, positive_number

INTENDED_USE = "mescreen is a screening aid for clinicians, never a diagnosis."


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze", help="analyse one recorded interview (video or still image)",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("video", type=Path, help="mp4, mov, avi, mkv, webm, or a jpg/png still")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the full result as JSON")
    parser.add_argument("--csv", type=Path, metavar="OUT",
                        help="write per-frame values with OpenFace column names (frame, timestamp, AU01_r, ...)")
    parser.add_argument("--patient", metavar="CODE", help="store the session for this patient code")
    parser.add_argument("--recorded-on", type=past_date, default=None, metavar="YYYY-MM-DD",
                        help="recording date stored with --patient (default: today)")
    parser.add_argument("--uploader", default=f"cli:{getpass.getuser()}",
                        help="name recorded as uploader with --patient (default: %(default)s)")
    parser.add_argument("--max-fps", type=positive_number, metavar="FPS",
                        help="analyse at most this many frames per second")
    parser.add_argument("--face-at", type=_point, metavar="X,Y",
                        help="follow the face nearest this point, as fractions of width and height "
                             "(e.g. 0.3,0.4), when the default picks the wrong person")
    parser.add_argument("--face-strategy", choices=("persistent", "largest"), default="persistent",
                        help="which face is the patient when several are seen: the one seen longest "
                             "(default; ties go to the larger) or the largest")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in logs)")
    parser.set_defaults(func=run)


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected two numbers X,Y, e.g. 0.3,0.4") from None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise argparse.ArgumentTypeError("X and Y are fractions of the picture: between 0 and 1")
    return x, y


class _ProgressBar:
    """One tqdm bar per pipeline stage, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage = ""
        self.bar: Any = None

    def __call__(self, progress: Any) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if progress.stage != self.stage:
            self.close()
            self.stage = progress.stage
            self.bar = tqdm(total=progress.total, desc=f"{progress.stage:>9}", unit="frame", leave=False)
        if progress.total is not None and self.bar.total != progress.total:
            self.bar.total = progress.total
        self.bar.update(progress.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _summary(result: Any) -> str:
    series, video = result.series, result.video
    found = int(series.face_found.sum())
    micro = sum(e.kind == "micro" for e in result.episodes)
    lines = [
        f"{video.file_name}: {video.width}x{video.height}, {video.frames_read} frames analysed, "
        f"face in {found} ({100.0 * found / max(1, len(series)):.0f}%)",
        f"episodes: {len(result.episodes)} ({micro} micro, {len(result.episodes) - micro} macro)",
    ]
    for ep in result.episodes:
        aus = "+".join(ep.active_aus) or "-"
        lines.append(
            f"  {ep.onset_s:7.2f}-{ep.offset_s:6.2f} s  {ep.kind:5}  {ep.emotion or '?':10} {ep.cluster or '-':16} AUs {aus}"
        )
    screening = result.screening
    lines.append(f"screening level: {screening.level}" + (f" ({'; '.join(screening.reasons)})" if screening.reasons else ""))
    lines += [f"warning: {w}" for w in result.warnings]
    lines.append(INTENDED_USE)
    return "\n".join(lines)


def _previous(args: argparse.Namespace) -> list[Any]:
    """The patient's earlier screenings (longitudinal indicators); fails early if the patient or
    store is missing, before minutes of analysis are spent."""
    from mescreen.store.engine import open_store
    from mescreen.store.repository import previous_screenings

    with open_store()() as session:
        return previous_screenings(session, args.patient)


def _store(args: argparse.Namespace, result: Any) -> int:
    from mescreen.store.engine import open_store
    from mescreen.store.repository import save_session

    with open_store()() as session:
        return save_session(
            session, args.patient, result, recorded_on=args.recorded_on or date.today(),
            uploader=args.uploader, file_name=result.video.file_name, content_hash=result.video.sha256,
        )


def run(args: argparse.Namespace) -> int:
    from mescreen.core.openface_csv import write_openface_csv
    from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video
    from mescreen.core.video import probe

    options = AnalysisOptions(max_fps=args.max_fps)
    probe(args.video, options.limits)  # a bad file is reported before models and store are opened
    for out in (args.json, args.csv):
        if out is not None:
            check_output_file(out)
    options.tracking = replace(options.tracking, strategy=args.face_strategy, near=args.face_at)
    if args.patient:
        options.previous = _previous(args)
    models = Models.load(options.models_dir)
    bar = _ProgressBar(enabled=not args.no_progress)
    try:
        result = analyze_video(args.video, options, progress=bar, models=models)
    finally:
        bar.close()
    if args.json:
        args.json.write_text(result.to_json(), encoding="utf-8")
    if args.csv:
        write_openface_csv(result.series, args.csv)
    print(_summary(result))
    if args.json:
        print(f"result written to {args.json}")
    if args.csv:
        print(f"per-frame CSV written to {args.csv}")
    if args.patient:
        session_id = _store(args, result)
        print(f"stored as session {session_id} of patient {args.patient}")
    return 0
