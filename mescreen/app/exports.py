"""Downloads: one session's PDF report, OpenFace-style per-frame CSV and JSON, the patients
table and the audit log as CSV. Each download is audited when it is made (`audited`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from mescreen.core.io.openface_csv import to_openface_text
from mescreen.core.result import SessionResult
from mescreen.core.io.safe_csv import csv_text
from mescreen.app.patient_report import PatientReportContext, build_patient_report
from mescreen.app.report_pdf import ReportContext, build_report
from mescreen.app.summary import rule_labels
from mescreen.store.audit import record_apart
from mescreen.store.audit import AuditView
from mescreen.store.patients import PatientView
from mescreen.store.session_rows import SessionView


def safe_name(text: str) -> str:
    """`text` as a file-name part: ASCII letters, digits, `_.-` only. When anything had to be
    replaced (e.g. a code in Chinese script) a short hash of the original keeps names apart."""
    plain = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "patient"
    if plain != text:
        plain += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return plain


def file_stem(view: SessionView) -> str:
    """A download name from the pseudonymous code and session (never the uploaded file's name)."""
    return f"mescreen_{safe_name(view.patient_code)}_session{view.number}_{view.recorded_on.isoformat()}"


def audited(sessions: sessionmaker[Session], make: Callable[[], bytes], *, actor: str, action: str,
            patient_code: str | None = None, session_id: int | None = None) -> Callable[[], bytes]:
    """`make`, wrapped so that the download it builds is audited when the user clicks (Streamlit
    calls a download button's data callable then): one row, outcome ok or failed."""
    def build() -> bytes:
        try:
            data = make()
        except Exception as exc:
            with sessions() as session:
                record_apart(session, actor, action, patient_code=patient_code,
                                        session_id=session_id, outcome="failed", detail=type(exc).__name__)
            raise
        with sessions() as session:
            record_apart(session, actor, action, patient_code=patient_code,
                                    session_id=session_id, detail=f"{len(data)} bytes")
        return data

    return build


def pdf_bytes(view: SessionView, result: SessionResult, generated_by: str, patient_note: str = "") -> bytes:
    """The session report, naming the session by its own number (as every page does)."""
    context = ReportContext(
        patient_code=view.patient_code, session_number=view.number,
        recorded_on=view.recorded_on.isoformat(), uploaded_by=view.uploader, generated_by=generated_by,
        session_note=view.notes or "", patient_note=patient_note,
    )
    return build_report(result, context)


def csv_bytes(result: SessionResult) -> bytes:
    """Per-frame OpenFace-style columns (frame, face_id, timestamp, confidence, success, AUxx_r, AUxx_c)."""
    return to_openface_text(result.series).encode("utf-8")


def json_bytes(result: SessionResult) -> bytes:
    return result.to_json().encode("utf-8")


def patient_pdf_bytes(views: Sequence[SessionView], patient_code: str, generated_by: str,
                      patient_note: str = "") -> bytes:
    """The patient-level report: every session, the notes and the trends over time."""
    context = PatientReportContext(patient_code, generated_by, patient_note)
    return build_patient_report(views, context, rule_labels())


def patient_file_stem(patient_code: str) -> str:
    return f"mescreen_{safe_name(patient_code)}_all_sessions"


PATIENT_COLUMNS = ("code", "name", "care team", "sessions", "last recorded", "last screening level")


def patient_rows(patients: Sequence[PatientView]) -> list[tuple[object, ...]]:
    """The patients table as shown on screen and downloaded."""
    return [(p.code, p.display_name or "", p.team, p.n_sessions,
             p.last_recorded_on.isoformat() if p.last_recorded_on else "-", p.last_level or "-")
            for p in patients]


def patients_csv(patients: Sequence[PatientView]) -> bytes:
    return csv_text(PATIENT_COLUMNS, patient_rows(patients)).encode("utf-8")


AUDIT_COLUMNS = ("when (UTC)", "who", "what", "patient", "session", "outcome", "client", "detail")


def audit_rows(entries: Sequence[AuditView]) -> list[tuple[object, ...]]:
    return [(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action, e.patient_code or "",
             "" if e.session_id is None else e.session_id, e.outcome, e.client or "", e.detail)
            for e in entries]


def audit_csv(entries: Sequence[AuditView]) -> bytes:
    return csv_text(AUDIT_COLUMNS, audit_rows(entries)).encode("utf-8")
