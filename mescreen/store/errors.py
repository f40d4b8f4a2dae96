"""Store errors a clinician or administrator can read.

All derive from `mescreen.core.errors.MescreenError`, so the CLI and the dashboard show their message as is
instead of a traceback; every message says what went wrong and, where possible, what to do.
"""

from __future__ import annotations

import re

from mescreen.core.errors import MescreenError


class StoreError(MescreenError):
    """The database could not be opened, read or written (bad URL, file not writable, ...)."""


class DuplicatePatientError(StoreError):
    """A patient with this pseudonymous code already exists."""


class UnknownPatientError(StoreError):
    """No patient has this code (never created, or erased)."""


class UnknownSessionError(StoreError):
    """No analysed session has this id."""


class DuplicateUserError(StoreError):
    """A user with this name already exists."""


class UnknownUserError(StoreError):
    """No user has this name."""


class UnknownTeamError(StoreError):
    """No care team has this name, or the user may not use it."""


class DuplicateTeamError(StoreError):
    """A care team with this name already exists."""


class SignInThrottledError(StoreError):
    """Too many failed sign-ins for a name or from a client; the message never says whether the
    account exists."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SchemaNotReadyError(StoreError):
    """The database has no mescreen tables yet, or an older schema: `mescreen db upgrade` fixes it."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer mescreen than this one; this code must not write to it."""


class InvalidValueError(StoreError):
    """A value given to the store is unusable (empty patient code, unknown role, short password...)."""


_CREDENTIALS = re.compile(r"(?P<scheme>^[^:/?#]*://)?(?P<user>[^:@/]*):[^/]*@")


def mask_credentials(text: str) -> str:
    """`text` with any `user:password@` written as `user:***@`; works on URLs that do not parse."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme'] or ''}{m['user']}:***@", text)


def driver_reason(exc: BaseException) -> str:
    """The database driver's own first line, without SQLAlchemy's statement dump and help link
    (and without any password a driver may quote from its connection string)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return mask_credentials(text.splitlines()[0]) if text else type(exc).__name__
