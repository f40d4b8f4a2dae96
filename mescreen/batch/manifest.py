"""Reading a batch manifest: one CSV row per recording (video path, patient code, recording date).

A manifest is typed by people, so every problem is reported with its row number, all at once,
before any work is handed to the cluster: a batch of hundreds of videos should not fail on row 312
an hour after it started because of a typo in a date.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from mescreen.core.errors import InputError

#: Column names a manifest must have (any order, extra columns are ignored).
COLUMNS = ("video", "patient", "recorded_on")

#: How many row problems are listed before the message is cut short.
MAX_LISTED_PROBLEMS = 20


class ManifestError(InputError):
    """The manifest cannot be used; the message lists each problem with its row number."""


@dataclass(frozen=True)
class ManifestRow:
    """One recording to analyse. `row` is the CSV line number (the header is line 1)."""

    row: int
    video: Path
    patient: str
    recorded_on: dt.date


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse and check a manifest. Relative video paths are taken relative to the manifest's folder,
    so a manifest can travel with its videos. Whether the videos exist is NOT checked here: a missing
    video is one failed session, not a reason to refuse the other rows."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            missing = [name for name in COLUMNS if name not in header]
            if missing:
                raise ManifestError(
                    f"Manifest {path.name}: the header (line 1) must name the columns "
                    f"{', '.join(COLUMNS)}; missing: {', '.join(missing)}."
                )
            reader.fieldnames = header
            rows, problems = _parse_rows(reader, path.parent.resolve())
    except FileNotFoundError:
        raise ManifestError(f"Manifest not found: {path}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"Manifest {path.name} is not UTF-8 text (save it as CSV, UTF-8).") from None
    except csv.Error as exc:
        raise ManifestError(f"Manifest {path.name} is not valid CSV: {exc}") from None
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(listed)
        tail = f"\n  ... and {more} more" if more else ""
        raise ManifestError(f"Manifest {path.name} has {len(problems)} problem(s):\n  " + "\n  ".join(listed) + tail)
    if not rows:
        raise ManifestError(f"Manifest {path.name} lists no videos.")
    return rows


def _parse_rows(reader: csv.DictReader, base: Path) -> tuple[list[ManifestRow], list[str]]:
    rows: list[ManifestRow] = []
    problems: list[str] = []
    first_row_of: dict[Path, int] = {}
    for record in reader:
        line = reader.line_num
        values = {name: (record.get(name) or "").strip() for name in COLUMNS}
        if not any(values.values()):
            continue  # a blank line, or one of commas only
        row_problems = [f"row {line}: empty '{name}'" for name, value in values.items() if not value]
        recorded_on = None
        if values["recorded_on"]:
            try:
                recorded_on = dt.date.fromisoformat(values["recorded_on"])
            except ValueError:
                row_problems.append(f"row {line}: recorded_on '{values['recorded_on']}' is not a date YYYY-MM-DD")
        if recorded_on is not None and recorded_on > dt.date.today():
            row_problems.append(f"row {line}: recorded_on {recorded_on} is in the future")
        video = None
        if values["video"]:
            video = Path(values["video"]).expanduser()
            video = video if video.is_absolute() else base / video
            if video in first_row_of:
                # The same file twice would race two workers for one recording.
                row_problems.append(f"row {line}: video {values['video']} is already listed on row {first_row_of[video]}")
            else:
                first_row_of[video] = line
        if row_problems:
            problems.extend(row_problems)
            continue
        assert video is not None and recorded_on is not None
        rows.append(ManifestRow(row=line, video=video, patient=values["patient"], recorded_on=recorded_on))
    return rows, problems
