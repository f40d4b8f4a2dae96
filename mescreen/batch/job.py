"""What crosses the network for one batch row: the job the client sends and the outcome it gets
back (plain values only), shared by the task, the store writer and the runner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class VideoJob:
    """What the client sends for one row: plain values only (it crosses the network)."""

    row: int
    video: str  # absolute path, as the workers see it (a shared folder when workers are remote)
    patient: str
    recorded_on: dt.date
    uploader: str
    store: str  # fingerprint of the client's database URL (mescreen.batch.store.store_fingerprint)

    @property
    def file_name(self) -> str:
        return Path(self.video).name


@dataclass(frozen=True)
class Outcome:
    """What happened to one row; `seconds` is the time the task spent on the worker."""

    row: int
    video: str
    patient: str
    status: Status
    session_id: int | None = None
    frames: int = 0
    seconds: float = 0.0
    detail: str = ""
