"""The audit trail: who read, exported, changed or erased which patient's data, and when.

Rows are added inside the caller's transaction, so an action and its audit row are committed
together or not at all. Details never hold names, notes or search text: after an erasure only
the pseudonymous code and session ids remain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.store.models import AuditLog
from mescreen.store.transactions import transaction


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    patient_code: str | None
    session_id: int | None
    detail: str


def record(
    session: Session, actor: str, action: str, *, patient_code: str | None = None,
    session_id: int | None = None, detail: str = "",
) -> None:
    session.add(AuditLog(actor=actor, action=action, patient_code=patient_code, session_id=session_id, detail=detail))


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; everything is stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def audit_entries(session: Session, *, patient_code: str | None = None, limit: int = 200) -> list[AuditView]:
    """The newest `limit` audit rows, optionally only those about one patient (read-only)."""
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    if patient_code is not None:
        query = query.where(AuditLog.patient_code == patient_code)
    with transaction(session):
        rows = session.scalars(query).all()
        return [
            AuditView(as_utc(r.at), r.actor, r.action, r.patient_code, r.session_id, r.detail) for r in rows
        ]
