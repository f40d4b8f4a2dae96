"""The audit trail: who read, exported, changed or erased which patient's data, and when.

Rows are added inside the caller's transaction, so an action and its audit row are committed
together or not at all. Details never hold names, notes or search text: after an erasure only
the pseudonymous code and session ids remain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.store.errors import StoreError
from mescreen.store.models import AuditLog, utcnow
from mescreen.store.transactions import transaction


T = TypeVar("T")


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    patient_code: str | None
    session_id: int | None
    detail: str
    outcome: str = "ok"
    client: str | None = None


def record(
    session: Session, actor: str, action: str, *, patient_code: str | None = None,
    session_id: int | None = None, detail: str = "", outcome: str = "ok", client: str | None = None,
    at: datetime | None = None,
) -> None:
    """Add one row to the caller's transaction (`at` defaults to now; given by sign-in checks)."""
    session.add(AuditLog(
        actor=actor[:100], action=action, patient_code=patient_code, session_id=session_id, detail=detail,
        outcome=outcome, client=(client or None) and client[:64], at=at or utcnow(),
    ))


def record_apart(session: Session, actor: str, action: str, **fields: object) -> None:
    """One audit row in its own transaction: for refusals and downloads, where no other change
    is committed with it (a failed action's own transaction rolled back)."""
    with transaction(session):
        record(session, actor, action, **fields)  # type: ignore[arg-type]


def audited_change(session: Session, actor: str, action: str, target: str, change: Callable[[], T]) -> T:
    """Run `change` (one transaction that writes its own audit row); a refusal is audited too,
    naming `target` (e.g. "account 'bob'")."""
    try:
        return change()
    except StoreError as exc:
        record_apart(session, actor, action, detail=f"{target}: {exc}", outcome="refused")
        raise


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; everything is stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def audit_entries(
    session: Session, *, patient_code: str | None = None, actor: str | None = None,
    action: str | None = None, since: datetime | None = None, until: datetime | None = None,
    limit: int = 200,
) -> list[AuditView]:
    """The newest `limit` audit rows matching every filter given (read-only; reading the audit
    is itself audited by the caller that shows it, see `record_apart`)."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    for column, value in ((AuditLog.patient_code, patient_code), (AuditLog.actor, actor),
                          (AuditLog.action, action)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    with transaction(session):
        return [
            AuditView(as_utc(r.at), r.actor, r.action, r.patient_code, r.session_id, r.detail, r.outcome, r.client)
            for r in session.scalars(query).all()
        ]


def audit_actions(session: Session) -> list[str]:
    """Every action name the audit holds, for the audit page's filter."""
    with transaction(session):
        return sorted(session.scalars(select(AuditLog.action).distinct()))
