"""Errors that stop a batch before it starts (cluster unreachable, unknown patients, wrong store)."""

from mescreen.core.errors import MescreenError


class BatchError(MescreenError):
    """The batch cannot run as asked; the message says what to change."""
