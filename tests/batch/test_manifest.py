"""Manifest parsing: good rows come back typed; every problem is reported with its row number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mescreen.batch.manifest import ManifestError, read_manifest


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_are_typed_and_relative_paths_follow_the_manifest(tmp_path: Path):
    path = _write(tmp_path, "patient,video,recorded_on,comment\nP01, a.mp4 ,2026-01-05,x\n\nP02,/abs/b.mov,2025-12-31,\n")
    rows = read_manifest(path)
    assert [(r.row, r.patient, r.recorded_on) for r in rows] == [
        (2, "P01", dt.date(2026, 1, 5)), (4, "P02", dt.date(2025, 12, 31)),
    ]
    assert rows[0].video == tmp_path.resolve() / "a.mp4"
    assert rows[1].video == Path("/abs/b.mov")


def test_every_bad_row_is_listed_with_its_line(tmp_path: Path):
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    path = _write(tmp_path, "video,patient,recorded_on\n"
                            "a.mp4,P01,05/01/2026\n"       # row 2: not ISO
                            ",P01,2026-01-05\n"            # row 3: no video
                            "b.mp4,,2026-01-05\n"          # row 4: no patient
                            f"c.mp4,P01,{future}\n"        # row 5: future date
                            "a.mp4,P02,2026-01-06\n")      # row 6: same file as row 2
    with pytest.raises(ManifestError) as info:
        read_manifest(path)
    message = str(info.value)
    assert "5 problem(s)" in message
    for expected in ("row 2: recorded_on '05/01/2026' is not a date", "row 3: empty 'video'",
                     "row 4: empty 'patient'", f"row 5: recorded_on {future} is in the future",
                     "row 6: video a.mp4 is already listed on row 2"):
        assert expected in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("video,patient\na.mp4,P01\n", "missing: recorded_on"),
        ("video,patient,recorded_on\n", "lists no videos"),
        ("", "missing: video, patient, recorded_on"),
    ],
)
def test_unusable_manifests(tmp_path: Path, text: str, expected: str):
    with pytest.raises(ManifestError, match=expected):
        read_manifest(_write(tmp_path, text))


def test_missing_and_non_utf8_manifests(tmp_path: Path):
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "nope.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("video,patient,recorded_on\nb\xe9b\xe9.mp4,P01,2026-01-01\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="UTF-8"):
        read_manifest(path)
