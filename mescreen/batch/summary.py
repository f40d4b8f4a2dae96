"""The end-of-batch table: one line per video (done, skipped, failed with its reason), then totals."""

from __future__ import annotations

from pathlib import Path

from mescreen.batch.runner import BatchReport

_HEADER = ("row", "video", "patient", "status", "session", "detail")


def format_summary(report: BatchReport) -> str:
    """Plain-text table, readable in a terminal and in a log file."""
    lines = [_HEADER]
    for o in report.outcomes:
        detail = o.detail or (f"{o.frames} frames in {o.seconds:.1f} s" if o.status == "done" else "")
        session = "" if o.session_id is None else str(o.session_id)
        lines.append((str(o.row), Path(o.video).name, o.patient, o.status, session, detail))
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADER) - 1)]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths)) + "  " + line[-1]
        for line in lines
    ]
    fps = report.frames / report.seconds if report.seconds > 0 else 0.0
    table.append(
        f"{len(report.outcomes)} videos: {report.count('done')} done, {report.count('skipped')} skipped, "
        f"{report.count('failed')} failed, in {report.seconds:.1f} s on {report.workers} worker(s) "
        f"({report.frames} frames analysed, {fps:.1f} frames/s)."
    )
    return "\n".join(line.rstrip() for line in table)
