"""Slowing down password guessing: per account name and per client, from the audit log.

Each failed sign-in is an audit row (action `sign_in`, outcome `failed`) holding the name typed
and the browser's address. After `FREE_FAILURES` failures for a name (or `FREE_CLIENT_FAILURES`
from one address) within `WINDOW`, and since that name's last successful sign-in, each further
attempt must wait twice as long as the one before (30 s, 1 min, 2 min, ... at most `MAX_WAIT`). Names
that do not exist are counted the same way, so a lock-out says nothing about which accounts
exist. Keeping the count in the database means every server process sees the same count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mescreen.store.audit import as_utc
from mescreen.store.models import AuditLog

FREE_FAILURES = 5
FREE_CLIENT_FAILURES = 20
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
SIGN_IN = "sign_in"


def _wait(failures: list[datetime], free: int, now: datetime) -> timedelta:
    """How long from `now` until the next attempt is allowed, given these failure times."""
    extra = len(failures) - free
    if extra < 0:
        return timedelta(0)
    wait = min(FIRST_WAIT * 2 ** min(extra, 20), MAX_WAIT)
    return max(max(failures) + wait - now, timedelta(0))


def _failures(session: Session, column: object, value: str, since: datetime) -> list[datetime]:
    rows = session.execute(
        select(AuditLog.at, AuditLog.outcome)
        .where(column == value, AuditLog.action == SIGN_IN, AuditLog.at >= since)  # type: ignore[operator]
        .order_by(AuditLog.id)
    ).all()
    failures: list[datetime] = []
    for at, outcome in rows:
        if outcome == "ok" and column is AuditLog.actor:
            failures = []  # the account's own successful sign-in starts its count again
        elif outcome == "failed":
            failures.append(as_utc(at))
    return failures


def wait_before_sign_in(session: Session, username: str, client: str | None, now: datetime) -> timedelta:
    """Zero when a sign-in may be tried now, else how long to wait (per account, per client)."""
    since = now - WINDOW
    wait = _wait(_failures(session, AuditLog.actor, username, since), FREE_FAILURES, now)
    if client:
        wait = max(wait, _wait(_failures(session, AuditLog.client, client, since), FREE_CLIENT_FAILURES, now))
    return wait
