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
from mescreen.core.errors import InputError
from mescreen.core.screening.figures import episode_emotion

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
    parser.add_argument("--create-patient", action="store_true",
                        help="with --patient: create the patient first if the code is new")
    parser.add_argument("--team", metavar="NAME", default=None,
                        help="with --create-patient: the new patient's care team (default: the only team)")
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
    parser.add_argument("--face", choices=("mesh", "paper"), default="mesh",
                        help="face stage: 'mesh' (default) finds faces with BlazeFace and follows them with "
                             "the 468-point face mesh, which also gives head pose, eye and mouth opening; "
                             "'paper' is the seed paper's Haar detection with eye alignment")
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


def _emotion_lines(series: Any) -> list[str]:
    """The per-frame emotion: a still's reading, or the share of face-visible time per emotion."""
    from mescreen.core.screening.figures import emotion_time_counts, has_frame_emotions
    from mescreen.core.labels import au_label

    if not has_frame_emotions(series):
        return []
    counts, read = emotion_time_counts(series)
    if read == 0:
        return ["emotion: no frame with a face to read"]
    if len(series) == 1:
        row = {n: float(p) for n, p in zip(series.emotion_names, series.emotion_prob[0])}
        ranked = sorted(row.items(), key=lambda kv: -kv[1])
        active = [au_label(a) for a, on in zip(series.au_names, series.au_active()[0]) if on]
        return [f"emotion: {', '.join(f'{n} {p:.2f}' for n, p in ranked[:3])}",
                f"active AUs: {', '.join(active) or 'none'}"]
    shares = sorted(((n, c / read) for n, c in counts.items() if c), key=lambda kv: -kv[1])
    return ["emotion over the face-visible time: " + ", ".join(f"{n} {s:.0%}" for n, s in shares)]


def _summary(result: Any) -> str:
    series, video = result.series, result.video
    found = int(series.face_found.sum())
    micro = sum(e.kind == "micro" for e in result.episodes)
    lines = [
        f"{video.file_name}: {video.width}x{video.height}, {video.frames_read} frames analysed, "
        f"face in {found} ({100.0 * found / max(1, len(series)):.0f}%)",
    ]
    lines += _emotion_lines(series)
    lines.append(f"episodes: {len(result.episodes)} ({micro} micro, {len(result.episodes) - micro} macro)")
    for ep in result.episodes:
        aus = "+".join(ep.active_aus) or "-"
        label = episode_emotion(ep)
        sure = f"{ep.confidence:.2f}" if ep.confidence is not None else "-"
        lines.append(
            f"  {ep.onset_s:7.2f}-{ep.offset_s:6.2f} s  {ep.kind:5}  {label:12} conf {sure:4}  "
            f"{ep.cluster or '-':16} AUs {aus}"
        )
    screening = result.screening
    lines.append(f"screening level: {screening.level}" + (f" ({'; '.join(screening.reasons)})" if screening.reasons else ""))
    lines += [f"warning: {w}" for w in result.warnings]
    lines.append(INTENDED_USE)
    return "\n".join(lines)


def stored_line(sessions: Any, session_id: int, patient: str) -> str:
    """Where a result was stored, by the patient's own session number (as the dashboard and the
    PDF name it), with the store's id for scripts."""
    from mescreen.store.recordings import session_number

    with sessions() as session:
        number = session_number(session, session_id)
    return f"stored as session {number} of patient {patient} (store id {session_id})"


def patient_store(args: argparse.Namespace) -> Any:
    """The store, with the patient present (created with --create-patient); fails before minutes
    of analysis are spent when the store or the patient is missing."""
    from mescreen.store.engine import open_store
    from mescreen.store.errors import UnknownPatientError
    from mescreen.store.patients import create_patient, get_patient

    sessions = open_store()
    with sessions() as session:
        try:
            get_patient(session, args.patient, actor=args.uploader)
        except UnknownPatientError:
            if not args.create_patient:
                raise UnknownPatientError(
                    f"no patient with code {args.patient!r}: add --create-patient to create it, or "
                    "`mescreen patient add CODE` first") from None
            create_patient(session, args.patient, actor=args.uploader, team=args.team)
    return sessions


def run(args: argparse.Namespace) -> int:
    from mescreen.core.io.openface_csv import write_openface_csv
    from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video
    from mescreen.core.io.video import file_sha256, probe

    options = AnalysisOptions(max_fps=args.max_fps, face=args.face)
    probe(args.video, options.limits)  # a bad file is reported before models and store are opened
    for out in (args.json, args.csv):
        if out is not None:
            check_output_file(out)
    if args.create_patient and not args.patient:
        raise InputError("--create-patient needs --patient CODE.")
    options.tracking = replace(options.tracking, strategy=args.face_strategy, near=args.face_at)
    sessions = patient_store(args) if args.patient else None
    models = Models.load(options.models_dir)
    bar = _ProgressBar(enabled=not args.no_progress)

    def analyse(path: Path, progress: Any, previous: Any) -> Any:
        return analyze_video(path, replace(options, previous=tuple(previous)), progress=progress, models=models)

    session_id = None
    try:
        if sessions is None:
            result = analyse(args.video, bar, ())
            result.video.sha256 = file_sha256(args.video)
        else:
            from mescreen.service import VideoSource, analyse_for_patient  # the store: only with --patient

            stored = analyse_for_patient(
                sessions, args.patient, VideoSource(args.video), recorded_on=args.recorded_on or date.today(),
                uploader=args.uploader, analyse=analyse, progress=bar,
            )
            result, session_id = stored.result, stored.session_id
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
    if session_id is not None:
        print(stored_line(sessions, session_id, args.patient))
    return 0
