"""Runs mescreen.core.pipeline in a warm worker process and relays its progress, result and errors.

Why a process and not the job thread itself: a spawned process keeps the model runtime's native
memory (and a decoder crash) out of the web server, and a cancelled analysis that does not stop can
be killed. (It was first needed because Keras, which built the networks before they ran on LiteRT,
auto-named layers from per-thread counters that collided inside the Streamlit server.)

Why warm: loading the models took 20-30 s on the server when they ran on TensorFlow (well under a
second on LiteRT), and a process per analysis still pays Python's and the libraries' start-up. An
`AnalysisWorker` is spawned when the dashboard starts, loads the models once, and then takes
analyses one after another. While it is still loading, the
job it was given reports the stage "loading" ("Loading models").

Messages from the child: ("ready",) once the models are loaded (or ("error", kind, message) if
they cannot be), then per analysis ("progress", stage, done, total)... and ("result",
SessionResult) or ("error", kind, message). Cancelling sets an Event the child's progress
callback reads; a child that does not stop within `CANCEL_GRACE_S` is killed and a new one
started, as is a child that died mid-analysis.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
import traceback
import types
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

from mescreen.core import errors
from mescreen.core.errors import Cancelled, MescreenError
from mescreen.core.progress import Progress
from mescreen.core.result import Screening, SessionResult

#: How often the parent checks that the child is still alive while waiting for a message (s).
POLL_S = 0.5
#: How long a cancelled analysis may take to stop by itself before its process is killed (s).
CANCEL_GRACE_S = 5.0
_KNOWN_ERRORS = {cls.__name__: cls for cls in (errors.InputError, errors.NoFaceError,
                                                 errors.ModelMissingError, errors.Cancelled)}

#: In the child: load(): models, and run(models, path, previous, progress) -> SessionResult.
Load = Callable[[], Any]
Run = Callable[[Any, str, Sequence[Screening], Callable[[Progress], bool]], SessionResult]


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


#: glibc's mallopt parameter for the number of malloc arenas, and the worker's limit.
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """In the worker, before its threads start: at most `arenas` glibc malloc arenas. Why: glibc
    gives threads that allocate at once their own arenas (up to eight per core), each keeping what
    it freed, so the warm worker, whose analyses each start reader and flow threads, grew by
    17-19 MiB over its first five analyses before levelling off; with two arenas it grows by under
    1 MiB (bench/analysis_start.py, bench/RESULTS.md). Other C libraries (macOS, musl) are left
    as they are."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.mallopt(_M_ARENA_MAX, arenas)


_MAIN_LOCK = threading.Lock()


@contextmanager
def _bare_main() -> Any:
    """Streamlit runs app.py as the `__main__` module, and a spawned child first re-runs the
    parent's `__main__` file: the worker would run the whole dashboard script (and open the store)
    before loading its models. While a child starts, `__main__` is an empty module."""
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def load_models() -> Any:
    from mescreen.core.pipeline import Models

    return Models.load()


def run_pipeline(models: Any, path: str, previous: Sequence[Screening],
                 progress: Callable[[Progress], bool]) -> SessionResult:
    from mescreen.core.pipeline import AnalysisOptions, analyze_video

    return analyze_video(path, AnalysisOptions(previous=tuple(previous)), progress, models=models)


def _error_message(exc: BaseException) -> tuple[str, str, str]:
    if isinstance(exc, MescreenError):
        return ("error", type(exc).__name__, str(exc))
    return ("error", "unexpected", traceback.format_exc())


def _serve(load: Load, run: Run, inbox: Any, out: Any, cancel: Any) -> None:
    """Entry point of the worker process (module level, so spawn can import it): load the
    models once, then analyse each (path, previous) from `inbox` until it sends None."""
    exit_with_parent()
    limit_malloc_arenas()
    try:
        models = load()
    except BaseException as exc:  # noqa: BLE001 - the parent must learn why, whatever it was
        out.put(_error_message(exc))
        return
    out.put(("ready",))

    def progress(p: Progress) -> bool:
        out.put(("progress", p.stage, p.done, p.total))
        return not cancel.is_set()

    while (job := inbox.get()) is not None:
        path, previous = job
        try:
            out.put(("result", run(models, path, previous, progress)))
        except BaseException as exc:  # noqa: BLE001 - the parent must learn why, whatever it was
            out.put(_error_message(exc))
        gc.collect()  # one analysis' frames and crops go before the next arrives


class UnexpectedAnalysisError(RuntimeError):
    """The child failed on something that is not an expected MescreenError (a bug); carries the
    child's traceback for the server log."""


def _raise(name: str, text: str) -> None:
    if name in _KNOWN_ERRORS:
        raise _KNOWN_ERRORS[name](text)
    if name == "unexpected":
        raise UnexpectedAnalysisError(text)
    raise MescreenError(text)


class AnalysisWorker:
    """One worker process, seen from the server. `analyze` has the pipeline's contract
    (MescreenError subclasses re-raised with their message, Cancelled when `progress` returns
    False) and is called by one thread at a time.

    `warm=False` starts the process for each analysis and stops it after (the test suite's
    dashboards; a server that must not keep the models in memory between analyses)."""

    def __init__(self, *, warm: bool = True, load: Load = load_models, run: Run = run_pipeline) -> None:
        self.warm = warm
        self._target = partial(_serve, load, run)
        self._context = mp.get_context("spawn")
        self._process: Any = None
        self._ready = False
        if warm:
            self.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Spawn the process; it loads the models in the background (returns at once)."""
        self._inbox, self._out, self._cancel = self._context.Queue(), self._context.Queue(), self._context.Event()
        self._ready = False
        self._process = self._context.Process(target=self._target, args=(self._inbox, self._out, self._cancel),
                                              name="mescreen-analysis", daemon=True)
        with _bare_main():
            self._process.start()

    def stop(self) -> None:
        """Ask the process to finish, killing it if it does not within a few seconds."""
        if self._process is None:
            return
        if self._process.is_alive() and self._ready:  # one still loading has nothing to finish
            self._inbox.put(None)
            self._process.join(timeout=5)
        self._kill()

    def analyze(self, path: Path, progress: Callable[[Progress], bool],
                previous: Sequence[Screening]) -> SessionResult:
        if not self._alive():
            self.start()
        try:
            self._wait_until_ready(progress)
            self._cancel.clear()
            self._inbox.put((str(path), list(previous)))
            return self._follow(progress)
        finally:
            if not self.warm:
                self.stop()

    # ------------------------------------------------------------------ internals

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _kill(self) -> None:
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._process.close()
        self._process, self._ready = None, False
        for q in (self._inbox, self._out):
            q.close()
            q.cancel_join_thread()

    def _restart(self) -> None:
        """A new warm process in place of a dead or stuck one (it loads in the background)."""
        self._kill()
        if self.warm:
            self.start()

    def _died(self) -> MescreenError:
        code = self._process.exitcode if self._process is not None else None
        self._restart()
        return MescreenError(f"The analysis process stopped unexpectedly (exit code {code}); the recording "
                             "may be too large for this server's memory. The analysis service was restarted.")

    def _next(self, timeout_s: float = POLL_S) -> tuple | None:
        """The child's next message, None after `timeout_s` without one; raises when the child died."""
        try:
            return self._out.get(timeout=timeout_s) if timeout_s > 0 else self._out.get_nowait()
        except queue.Empty:
            if not self._alive():
                raise self._died() from None
            return None

    def _wait_until_ready(self, progress: Callable[[Progress], bool]) -> None:
        """Report "loading" until the models are loaded; cancel and load errors end the wait."""
        while not self._ready:
            message = self._next(0)
            if message is None:
                if progress(Progress("loading", 0, None)) is False:
                    raise Cancelled("Analysis cancelled while the models were loading.")
                message = self._next()
            if message is None:
                continue
            if message[0] == "ready":
                self._ready = True
            else:
                self._kill()  # the next analysis tries again, e.g. once the missing model is built
                _raise(message[1], message[2])

    def _follow(self, progress: Callable[[Progress], bool]) -> SessionResult:
        cancelled_at: float | None = None
        last = Progress("starting", 0, None)  # until the pipeline's first report
        while True:
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                self._restart()  # the analysis did not reach its next progress report in time
                raise Cancelled("Analysis cancelled.")
            message = self._next()
            if message is not None and message[0] == "progress":
                last = Progress(message[1], message[2], message[3])
            if message is None or message[0] == "progress":
                # A quiet stage still hears a cancel: the callback is asked again every POLL_S.
                if progress(last) is False and cancelled_at is None:
                    self._cancel.set()
                    cancelled_at = time.monotonic()
            elif message[0] == "result":
                return message[1]
            else:
                _raise(message[1], message[2])


class WorkerPool:
    """`size` analysis workers shared by the job registry's threads (one thread per worker, so a
    thread always finds one idle)."""

    def __init__(self, size: int = 1, *, warm: bool = True, load: Load = load_models,
                 run: Run = run_pipeline) -> None:
        self.workers = [AnalysisWorker(warm=warm, load=load, run=run) for _ in range(size)]
        self._idle: queue.Queue[AnalysisWorker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)

    def analyze(self, path: Path, progress: Callable[[Progress], bool],
                previous: Sequence[Screening]) -> SessionResult:
        worker = self._idle.get()
        try:
            return worker.analyze(path, progress, previous)
        finally:
            self._idle.put(worker)

    def shutdown(self) -> None:
        for worker in self.workers:
            worker.stop()
