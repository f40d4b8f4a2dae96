"""Stand-ins for the model loading and the pipeline inside an analysis worker process (module
level, so a spawned process can import them): what happens is chosen by the file's name."""

from __future__ import annotations

import os
import time
import uuid
from typing import Callable, Sequence

from mescreen.core.errors import ModelMissingError
from mescreen.core.progress import Progress, report
from mescreen.core.result import Screening, SessionResult


def slow_load(seconds: float) -> dict[str, str]:
    """Models that take `seconds` to load; each load has its own id."""
    time.sleep(seconds)
    return {"load_id": uuid.uuid4().hex}


def missing_load() -> None:
    raise ModelMissingError("models/au.npz is missing: rebuild it with `mescreen train-au`.")


def fake_run(models: dict[str, str], path: str, previous: Sequence[Screening],
             progress: Callable[[Progress], bool]) -> SessionResult:
    """ok*: three progress reports and a result whose warning names the load; die*: the process
    exits mid-analysis; stuck*: one report, then no report for a minute (cancel cannot reach it);
    slow*: reports every 10 ms until cancelled."""
    from tests.app.conftest import make_result

    name = os.path.basename(path)
    report(progress, Progress("faces", 0, 3))
    if name.startswith("die"):
        os._exit(9)
    if name.startswith("stuck"):
        time.sleep(60)
    if name.startswith("slow"):
        for i in range(100_000):
            report(progress, Progress("aus", i, 100_000))
            time.sleep(0.01)
    for i in (1, 2, 3):
        report(progress, Progress("faces", i, 3))
    result = make_result()
    result.warnings = [f"load {models['load_id']}", f"pid {os.getpid()}"]
    return result

