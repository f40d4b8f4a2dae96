"""Running the shipped networks: every model file is run by LiteRT (`ai-edge-litert`, the TFLite
interpreter on its own), never by TensorFlow.

Why LiteRT: the face models already are TFLite files, and the Keras networks are converted once,
at build time, to TFLite files checked into models/ (mescreen.training.convert, `mescreen convert`).
Against TensorFlow it starts in about 0.1 s instead of 4-5 s, takes a fraction of the memory and of
the install; against ONNX Runtime it runs the face mesh and eye models 3x faster
(bench/runtime_compare.py; figures in bench/RESULTS.md).

Each converted network's JSON holds a `runtime` record: the converted file, the weights version it
was converted from and the file's own hash. `converted_file` refuses a file converted from other
weights (new weights and a stale conversion) or changed since, naming the command that rebuilds it.

Framework logging: LiteRT's C++ side prints "Created TensorFlow Lite XNNPACK delegate" and the like
to the process's stderr, which clinicians should not see. `quiet_native_logs` silences it while an
interpreter is made, unless `MESCREEN_VERBOSE` is set (`mescreen --verbose`), which child processes
(the dashboard's warm workers, Dask workers) inherit.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core.datapaths import model_version
from mescreen.core.errors import ModelMissingError

#: Set (to anything but "" or "0") to keep the frameworks' own log lines, for debugging.
VERBOSE_ENV = "MESCREEN_VERBOSE"
#: Key of the conversion record in a network's JSON.
RECORD_KEY = "runtime"
#: The command that (re)converts every Keras network in a models folder.
CONVERT_COMMAND = "mescreen convert"
#: The suffix of a converted network, next to its weights.
CONVERTED_SUFFIX = ".tflite"


def verbose() -> bool:
    """Whether the frameworks' own log lines are kept (`mescreen --verbose`)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def set_verbose(on: bool) -> None:
    """Keep (or silence) framework log lines here and in every process started from here."""
    if on:
        os.environ[VERBOSE_ENV] = "1"
    else:
        os.environ.pop(VERBOSE_ENV, None)


@contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Native code's stderr goes to /dev/null inside this block (Python's own errors are raised
    as exceptions, so nothing a user needs is lost); a no-op when verbose."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def file_digest(path: Path) -> str:
    """Short content hash of a converted file, as recorded beside it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def converted_file(weights: Path, meta: dict[str, Any]) -> Path:
    """The converted network of `weights`, checked against the record in its JSON `meta`."""
    record = meta.get(RECORD_KEY) or {}
    version = model_version(weights)
    path = weights.parent / str(record.get("file", ""))
    hint = f"Convert it with `{CONVERT_COMMAND}` (needs the training extra: pip install -e \".[train]\")."
    if record.get("weights") != version:
        raise ModelMissingError(f"{weights.name} has no runtime file converted from these weights "
                                f"({version}). {hint}")
    if not path.is_file() or file_digest(path) != record.get("sha256"):
        raise ModelMissingError(f"{path.name}, the runtime file of {weights.name}, is missing or was changed "
                                f"after its conversion. {hint}")
    return path


class LiteModel:
    """One .tflite file on `threads` CPU threads. An interpreter is not safe to share between
    threads, so each user owns one (batch workers run analyses in threads)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        if not path.is_file():
            raise ModelMissingError(f"The model file {path.name} is missing.")
        with quiet_native_logs():
            self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self._interpreter.allocate_tensors()
        details = self._interpreter.get_input_details()[0]
        self._input = details["index"]
        #: One example's input shape (without the batch axis).
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in details["shape"][1:])
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        signatures = self._interpreter.get_signature_list()
        self._runner = self._interpreter.get_signature_runner() if len(signatures) == 1 else None
        self._runner_input = next(iter(signatures.values()))["inputs"][0] if self._runner else ""
        self.output_names: list[str] = list(next(iter(signatures.values()))["outputs"]) if self._runner else []

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Outputs for one input, in the model's output order, without the batch axis."""
        self._interpreter.set_tensor(self._input, tensor[None])
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(i)[0] for i in self._outputs]

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Named outputs for a batch of any size (converted networks, whose file names its outputs)."""
        if self._runner is None:
            raise ValueError("this model file has no named signature; call it one input at a time")
        return self._runner(**{self._runner_input: np.ascontiguousarray(batch, np.float32)})
