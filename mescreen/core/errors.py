"""Errors a user can read: every failure the pipeline expects is one of these, never a traceback."""


class MescreenError(Exception):
    """Base class; its message is shown to the clinician as is."""


class InputError(MescreenError):
    """The file given is not something mescreen can analyse (not a video, empty, truncated, too large)."""


class NoFaceError(MescreenError):
    """No face was found in any frame."""


class ModelMissingError(MescreenError):
    """A trained model file is absent; the message says which command rebuilds it."""


class Cancelled(MescreenError):
    """The caller asked the analysis to stop."""
