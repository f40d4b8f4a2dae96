"""The Keras networks converted, once, at build time, to the files the runtime runs (LiteRT, no
TensorFlow: mescreen.core.runtime).

`mescreen convert [--models DIR]` converts every network in a models folder whose converted file is
missing or was made from other weights; `mescreen train frame-emotion` and `mescreen train emotion`
end with the same step for the network they wrote, so `make models` ships converted files. Whatever
the network's architecture or input size, it is rebuilt from its JSON and weights as training saved
them (the per-frame network by name, the micro-expression ensemble from its configuration), exported
with named outputs and converted with TensorFlow's own converter (float32, no quantisation).

Every conversion is checked before it is recorded: the converted file, run by the runtime, must give
the Keras network's outputs within `PARITY_TOLERANCE` (1e-4) on fixed inputs, else nothing is
written. The record in the network's JSON (`runtime`) names the file, the weights version it was
made from, its own hash, the converter and the largest difference found; the runtime refuses a file
whose record does not match (mescreen.core.runtime.converted_file). tests/core/test_converted_networks.py
checks the same parity on whatever networks are shipped.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core.datapaths import model_version
from mescreen.core.emotion.frame import model as frame_model
from mescreen.core.emotion.micro import estimator as micro_estimator
from mescreen.core.emotion.micro.classifier import MODEL_STEM as MICRO_STEM
from mescreen.core.errors import ModelMissingError
from mescreen.core.runtime import (
    CONVERT_COMMAND, CONVERTED_SUFFIX, RECORD_KEY, LiteModel, converted_file, file_digest, quiet_native_logs,
)

#: Largest difference allowed between any output of the Keras network and of its converted file.
PARITY_TOLERANCE = 1e-4
#: Inputs per distribution in the parity check.
PARITY_SAMPLES = 16


@dataclass(frozen=True)
class Convertible:
    """A network the runtime reads converted: its file stem in models/ and how to rebuild it in Keras
    (a model whose outputs are named as the runtime reads them)."""

    stem: str
    weights_suffix: str
    keras_model: Callable[[Path], Any]

    def weights(self, folder: Path) -> Path:
        return folder / (self.stem + self.weights_suffix)

    def config(self, folder: Path) -> Path:
        return folder / (self.stem + ".json")

    def converted(self, folder: Path) -> Path:
        return folder / (self.stem + CONVERTED_SUFFIX)


def frame_emotion_keras(folder: Path) -> Any:
    """The per-frame network with both outputs the runtime reads: face features and probabilities."""
    import keras

    meta = json.loads((folder / (frame_model.MODEL_STEM + frame_model.CONFIG_SUFFIX)).read_text())
    network = frame_model.build_network(meta)
    with np.load(folder / (frame_model.MODEL_STEM + frame_model.WEIGHTS_SUFFIX), allow_pickle=False) as arrays:
        network.set_weights([arrays[k] for k in sorted(arrays.files)])
    return keras.Model(network.inputs[0], {frame_model.FEATURES: network.layers[-1].input,
                                        frame_model.PROBABILITIES: network.outputs[0]})


def micro_emotion_keras(folder: Path) -> Any:
    """The micro-expression network (the whole seed ensemble, averaged) with its probabilities named;
    input preparation and test-time mirroring stay outside, shared (estimator.NetworkReader)."""
    import keras

    estimator, _ = micro_estimator.EmotionNetwork.load(folder / MICRO_STEM)
    network = estimator.model_
    return keras.Model(network.inputs[0], {micro_estimator.PROBABILITIES: network.outputs[0]})


NETWORKS: tuple[Convertible, ...] = (
    Convertible(frame_model.MODEL_STEM, frame_model.WEIGHTS_SUFFIX, frame_emotion_keras),
    Convertible(MICRO_STEM, micro_estimator.WEIGHTS_SUFFIX, micro_emotion_keras),
)


def parity_inputs(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Fixed inputs of one network: uniform in [0, 1] (image-like), standard normal (standardised
    faces), a smooth ramp and zeros, `PARITY_SAMPLES` of each random kind."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return np.concatenate([
        rng.random((PARITY_SAMPLES, *shape), dtype=np.float32),
        rng.standard_normal((PARITY_SAMPLES, *shape), dtype=np.float32),
        np.stack([ramp, np.zeros(shape, np.float32)]),
    ])


def largest_difference(keras_model: Any, converted: LiteModel) -> float:
    """The largest absolute difference of any named output, Keras against the converted file."""
    x = parity_inputs(converted.input_shape)
    expected = {name: np.asarray(value) for name, value in keras_model(x, training=False).items()}
    got = converted.run(x)
    if set(got) != set(expected):
        raise ValueError(f"the converted file's outputs {sorted(got)} are not the network's {sorted(expected)}")
    return max(float(np.abs(got[name] - expected[name]).max()) for name in expected)


def is_current(network: Convertible, folder: Path) -> bool:
    """Whether the converted file in `folder` was made from the weights there (and is unchanged)."""
    try:
        converted_file(network.weights(folder), json.loads(network.config(folder).read_text()))
    except ModelMissingError:
        return False
    return True


def convert(network: Convertible, folder: Path) -> dict[str, Any]:
    """Convert one network in `folder`, check it, write the file and its record; the record."""
    with quiet_native_logs():  # TensorFlow's import logs (absl, oneDNN, CPU features) to stderr
        import tensorflow as tf

    weights = network.weights(folder)
    if not (weights.is_file() and network.config(folder).is_file()):
        raise ModelMissingError(f"{weights.name} or its JSON is missing from {folder}; train it first.")
    target = network.converted(folder)
    scratch = target.with_name(target.name + ".part")
    with quiet_native_logs(), contextlib.redirect_stdout(io.StringIO()):  # Keras prints its export summary
        model = network.keras_model(folder)
        scratch.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    try:
        difference = largest_difference(model, LiteModel(scratch))
        if difference > PARITY_TOLERANCE:
            raise ValueError(f"{target.name}: the converted network differs from the Keras network by "
                             f"{difference:.2e} (more than {PARITY_TOLERANCE:g}); not written")
        scratch.replace(target)
    finally:
        scratch.unlink(missing_ok=True)
    record = {"file": target.name, "weights": model_version(weights), "sha256": file_digest(target),
              "converter": f"tensorflow {tf.__version__}", "max_difference": float(f"{difference:.3g}"),
              "command": CONVERT_COMMAND}
    meta = json.loads(network.config(folder).read_text())
    meta[RECORD_KEY] = record
    network.config(folder).write_text(json.dumps(meta, indent=2) + "\n")
    return record


def convert_folder(folder: Path, stems: tuple[str, ...] | None = None, force: bool = False) -> dict[str, dict[str, Any]]:
    """Convert every network in `folder` (or those named) whose converted file is not current;
    the records written, by stem. Networks whose weights are absent are skipped."""
    done = {}
    for network in NETWORKS:
        if stems is not None and network.stem not in stems:
            continue
        if not network.weights(folder).is_file() or (not force and is_current(network, folder)):
            continue
        done[network.stem] = convert(network, folder)
    return done
