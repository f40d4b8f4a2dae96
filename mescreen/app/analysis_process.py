"""Runs mescreen.core.pipeline in a child process and relays its progress, result and errors.

Why a process and not the job thread itself: Keras builds models by auto-naming layers from
per-thread counters, and inside the Streamlit server those counters collide while page fragments
rerun (the emotion model then fails to build with "The name conv2d is used 6 times"). A spawned
process also keeps TensorFlow's memory out of the web server and returns it after each analysis.

The child sends ("progress", stage, done, total), then ("result", SessionResult) or
("error", kind, message); cancelling sets an Event that the child's progress callback reads.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

from mescreen.core import errors
from mescreen.core.errors import MescreenError
from mescreen.core.progress import Progress
from mescreen.core.result import Screening, SessionResult

#: How often the parent checks that the child is still alive while waiting for a message (s).
POLL_S = 0.5
_KNOWN_ERRORS = {cls.__name__: cls for cls in (errors.InputError, errors.NoFaceError,
                                                 errors.ModelMissingError, errors.Cancelled)}


def exit_with_parent() -> None:
    """In a child process: exit as soon as the parent dies (killed server: no orphan analysis
    keeps a recording open and the CPU busy)."""
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's sentinel closes, however it died
        os._exit(3)

    threading.Thread(target=watch, name="mescreen-parent-watch", daemon=True).start()


def _child(path: str, previous: list[Screening], out: Any, cancel: Any) -> None:
    """Entry point of the child process (module level, so spawn can import it)."""
    exit_with_parent()
    try:
        from mescreen.core.pipeline import AnalysisOptions, analyze_video

        def progress(p: Progress) -> bool:
            out.put(("progress", p.stage, p.done, p.total))
            return not cancel.is_set()

        result = analyze_video(path, AnalysisOptions(previous=tuple(previous)), progress)
        out.put(("result", result))
    except MescreenError as exc:
        out.put(("error", type(exc).__name__, str(exc)))
    except BaseException:  # noqa: BLE001 - the parent must learn why, whatever it was
        out.put(("error", "unexpected", traceback.format_exc()))


class UnexpectedAnalysisError(RuntimeError):
    """The child failed on something that is not an expected MescreenError (a bug); carries the
    child's traceback for the server log."""


def analyze_in_process(path: Path, progress: Callable[[Progress], bool],
                       previous: Sequence[Screening]) -> SessionResult:
    """analyze_video(path) in a fresh process; same contract as the pipeline (MescreenError
    subclasses re-raised with their message, Cancelled when `progress` returns False)."""
    context = mp.get_context("spawn")
    out, cancel = context.Queue(), context.Event()
    child = context.Process(target=_child, args=(str(path), list(previous), out, cancel),
                            name="mescreen-analysis", daemon=True)
    child.start()
    try:
        while True:
            try:
                message = out.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive():
                    raise MescreenError(
                        f"The analysis process stopped unexpectedly (exit code {child.exitcode}); "
                        "the recording may be too large for this server's memory.") from None
                continue
            kind = message[0]
            if kind == "progress":
                if progress(Progress(message[1], message[2], message[3])) is False:
                    cancel.set()
            elif kind == "result":
                return message[1]
            else:
                name, text = message[1], message[2]
                if name in _KNOWN_ERRORS:
                    raise _KNOWN_ERRORS[name](text)
                if name == "unexpected":
                    raise UnexpectedAnalysisError(text)
                raise MescreenError(text)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
        out.close()
