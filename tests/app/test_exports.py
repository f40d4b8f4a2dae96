"""Session downloads: the CSV reads back as OpenFace output, JSON round-trips, names carry no file name."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pytest

from mescreen.core.io.peer_import import read_peer_csv
from mescreen.core.result import SessionResult
from mescreen.app import exports
from mescreen.store.audit import audit_entries
from mescreen.store.engine import make_engine, session_factory, upgrade
from mescreen.store.patients import PatientView
from mescreen.store.session_rows import SessionView


def _view(code: str = "P 0042/x") -> SessionView:
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    return SessionView(
        id=3, number=2, patient_code=code, recorded_on=date(2026, 11, 20), uploader="ada",
        file_name="Jane Roe interview.mp4", content_hash="0" * 64, status="done", error=None,
        created_at=now, updated_at=now, level="watch", indicators={}, raised=[], emotion_shares={},
        summary={}, versions={}, video_path=None,
    )


def test_csv_export_reads_back_as_openface_output(result):
    peer = read_peer_csv(exports.csv_bytes(result), name="export.csv")
    assert peer.tool == "openface" and len(peer.series) == len(result.series)
    np.testing.assert_array_equal(peer.series.face_found, result.series.face_found)
    np.testing.assert_allclose(peer.series.time_s, result.series.time_s, atol=1e-3)


def test_json_export_round_trips(result):
    assert SessionResult.from_json(exports.json_bytes(result).decode()).equals(result)


def test_download_names_use_the_code_not_the_file_name():
    stem = exports.file_stem(_view())
    assert stem == "mescreen_P_0042_x-3f0fc3c0_session2_2026-11-20"  # the session number, not the id 3
    assert exports.file_stem(_view("P-0042")) == "mescreen_P-0042_session2_2026-11-20"


def test_download_names_of_non_latin_codes_stay_apart():
    stems = {exports.file_stem(_view(code)) for code in ("患者一", "患者二", "患者三")}
    assert len(stems) == 3
    assert all(stem.isascii() for stem in stems)


def test_pdf_export_is_a_pdf(result):
    assert exports.pdf_bytes(_view(), result, "ada").startswith(b"%PDF")


def _patient(code: str) -> PatientView:
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    return PatientView(code=code, display_name="@evil", notes=None, created_at=now, updated_at=now,
                       n_sessions=0, last_recorded_on=None, last_level=None)


def test_patients_csv_neutralises_formulas():
    text = exports.patients_csv([_patient("=HYPERLINK(\"https://evil.example\")")]).decode()
    assert text.splitlines()[1].startswith("\"'=HYPERLINK(") and ",'@evil," in text


def test_downloads_are_audited_when_made(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    build = exports.audited(sessions, lambda: b"pdf bytes", actor="ada", action="download_pdf",
                            patient_code="P-1", session_id=4)
    with sessions() as s:
        assert audit_entries(s) == []  # nothing is audited until the user clicks
    assert build() == b"pdf bytes"

    def broken() -> bytes:
        raise RuntimeError("report failed")

    with pytest.raises(RuntimeError):
        exports.audited(sessions, broken, actor="ada", action="download_pdf", patient_code="P-1", session_id=4)()
    with sessions() as s:
        rows = [(a.actor, a.action, a.patient_code, a.session_id, a.outcome) for a in audit_entries(s)]
    assert rows == [("ada", "download_pdf", "P-1", 4, "failed"), ("ada", "download_pdf", "P-1", 4, "ok")]
    engine.dispose()
