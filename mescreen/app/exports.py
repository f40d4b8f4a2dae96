"""Downloads of one analysed session: the PDF report, OpenFace-style per-frame CSV, and JSON."""

from __future__ import annotations

import re

from mescreen.core.openface_csv import to_openface_text
from mescreen.core.result import SessionResult
from mescreen.app.report_pdf import ReportContext, build_report
from mescreen.store.repository import SessionView


def file_stem(view: SessionView) -> str:
    """A download name from the pseudonymous code and session (never the uploaded file's name)."""
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", view.patient_code)
    return f"mescreen_{code}_session{view.id}_{view.recorded_on.isoformat()}"


def pdf_bytes(view: SessionView, result: SessionResult, generated_by: str) -> bytes:
    context = ReportContext(
        patient_code=view.patient_code, session_id=view.id, recorded_on=view.recorded_on.isoformat(),
        uploaded_by=view.uploader, generated_by=generated_by,
    )
    return build_report(result, context)


def csv_bytes(result: SessionResult) -> bytes:
    """Per-frame OpenFace-style columns (frame, face_id, timestamp, confidence, success, AUxx_r, AUxx_c)."""
    return to_openface_text(result.series).encode("utf-8")


def json_bytes(result: SessionResult) -> bytes:
    return result.to_json().encode("utf-8")
