"""Downloads of one analysed session: the PDF report, OpenFace-style per-frame CSV, and JSON."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mescreen.core.openface_csv import to_openface_text
from mescreen.core.result import SessionResult
from mescreen.app.patient_report import PatientReportContext, build_patient_report
from mescreen.app.report_pdf import ReportContext, build_report
from mescreen.app.summary import rule_labels
from mescreen.store.repository import SessionView


def file_stem(view: SessionView) -> str:
    """A download name from the pseudonymous code and session (never the uploaded file's name)."""
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", view.patient_code)
    return f"mescreen_{code}_session{view.id}_{view.recorded_on.isoformat()}"


def pdf_bytes(view: SessionView, result: SessionResult, generated_by: str, number: int | None = None) -> bytes:
    """The session report; `number` is the patient's own session number (the store id without it)."""
    context = ReportContext(
        patient_code=view.patient_code, session_id=view.id if number is None else number,
        recorded_on=view.recorded_on.isoformat(),
        uploaded_by=view.uploader, generated_by=generated_by,
    )
    return build_report(result, context)


def csv_bytes(result: SessionResult) -> bytes:
    """Per-frame OpenFace-style columns (frame, face_id, timestamp, confidence, success, AUxx_r, AUxx_c)."""
    return to_openface_text(result.series).encode("utf-8")


def json_bytes(result: SessionResult) -> bytes:
    return result.to_json().encode("utf-8")


def patient_pdf_bytes(views: Sequence[SessionView], patient_code: str, generated_by: str) -> bytes:
    """The patient-level report: every session and the trends over time."""
    return build_patient_report(views, PatientReportContext(patient_code, generated_by), rule_labels())


def patient_file_stem(patient_code: str) -> str:
    return f"mescreen_{re.sub(r'[^A-Za-z0-9_.-]+', '_', patient_code)}_all_sessions"
