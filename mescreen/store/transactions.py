"""One transaction per store call.

Every store function (patients, recordings, session_queries, erasure, transfer, users, teams) runs inside `transaction(session)`: it commits when the function
succeeds and rolls back on any error, so a caller never sees half a save and never has to call
commit itself. Database failures become StoreError with the driver's reason, which the CLI and
dashboard display as a plain message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from mescreen.store.errors import StoreError, driver_reason


@contextmanager
def transaction(session: Session, *, conflict: StoreError | None = None) -> Iterator[Session]:
    """`conflict` is raised instead when a uniqueness constraint fails: the caller checked first,
    but another process (PostgreSQL runs transactions side by side) inserted the same key since."""
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if conflict is None:
            raise StoreError(f"the database refused the change: {driver_reason(exc)}") from exc
        raise conflict from exc
    except SQLAlchemyError as exc:
        session.rollback()
        raise StoreError(f"the database refused the change: {driver_reason(exc)}") from exc
    except BaseException:
        session.rollback()
        raise
