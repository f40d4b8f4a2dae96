"""Progress reporting and cancellation for long work (pipeline, training, batch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mescreen.core.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """Where a long job is: which stage, how many units of it are done, out of how many."""

    stage: str  # e.g. "reading", "faces", "aus", "spotting", "emotion", "clusters", "screening"
    done: int
    total: int | None  # None when unknown (a stream without a frame count)
    message: str = ""


#: A callback receives Progress; returning False asks the job to stop (it raises Cancelled).
ProgressCallback = Callable[[Progress], "bool | None"]


def report(callback: ProgressCallback | None, progress: Progress) -> None:
    """Send progress to the caller and stop the job if the caller returned False."""
    if callback is not None and callback(progress) is False:
        raise Cancelled(f"Analysis cancelled during {progress.stage}.")
