"""Runtime per-frame emotion model: 8 FER+ emotions (neutral + 7) for every analysed face crop.

Input: a batch of the face stage's crops (uint8 grayscale CROP_SIZE x CROP_SIZE, eye-aligned,
CLAHE; mescreen.core.face.crop.crop_face). The network was trained on FER+ faces, which are framed
tighter than our crop (roughly forehead to chin, ear to ear), so `predict` first cuts
`FER_WINDOW` out of the crop and shrinks it to the 48x48 input, then standardises each face's
pixels (zero mean, unit variance: lighting changes between frames then matter less).

Two reading settings from the model JSON (version 4; both absent in older models):
- `test_time_flip`: each face is also read mirrored and the two probabilities are averaged: a
  face's expression does not depend on its side, and the mirror is a second look at the same face
  for the cost of a second pass. The face features stay those of the face as seen: the AU detector
  trained on averaged features read brow raises into a talking mouth (tests/core/test_constructed_clips.py).
- `logit_offsets` (emotion -> offset): added to the log-probabilities before they are normalised
  again (post-hoc logit adjustment, Menon et al., ICLR 2021). FER+ has 73 neutral faces for every
  disgusted one, so the network's argmax seldom says disgust or contempt even when they are its
  second reading; the offsets, fitted on FER+ valid (mescreen.training.frame_emotion_offsets),
  move its decisions towards the rare classes. They change the probabilities, not the features.

The weights are plain npz arrays (training rebuilds the Keras network from its name in the JSON,
mescreen.core.emotion.frame.networks, so loading never unpickles anything); the runtime reads the
network converted from them once at build time (frame_emotion.tflite, mescreen.training.convert).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mescreen.core.datapaths import model_version, models_dir as default_models_dir
from mescreen.core.emotion.recall import recall_from_meta
from mescreen.core.errors import InputError, ModelMissingError
from mescreen.core.face.crop import CROP_SIZE
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.core.runtime import LiteModel, converted_file

#: Files in models/: frame_emotion.json (metadata) + frame_emotion.weights.npz (weights).
MODEL_STEM = "frame_emotion"
CONFIG_SUFFIX = ".json"
WEIGHTS_SUFFIX = ".weights.npz"
REBUILD_COMMAND = "mescreen train frame-emotion"
#: Output names of the converted network (mescreen.training.convert writes them).
FEATURES, PROBABILITIES = "features", "probabilities"

#: Side of the network input (FER2013's image size).
INPUT_SIZE = 48

#: The part of a face-stage crop (x0, y0, x1, y1 in CROP_SIZE pixels) that matches FER's framing.
#: Chosen by eye on crops of the real clips and images beside FER+ training faces (model card).
FER_WINDOW: tuple[int, int, int, int] = (10, 12, 118, 120)


def to_fer_framing(crops: np.ndarray, window: tuple[int, int, int, int] = FER_WINDOW) -> np.ndarray:
    """(n, 48, 48) uint8: each crop's FER-like window, shrunk with area interpolation."""
    x0, y0, x1, y1 = window
    return np.stack([cv2.resize(c[y0:y1, x0:x1], (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
                     for c in crops]) if len(crops) else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)


def network_input(faces: np.ndarray) -> np.ndarray:
    """(n, 48, 48, 1) float32 from (n, 48, 48) uint8 faces: per-face zero mean, unit variance."""
    x = np.asarray(faces, dtype=np.float32).reshape(len(faces), INPUT_SIZE, INPUT_SIZE)
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    return ((x - mean) / np.maximum(std, 1.0))[..., None]


def check_crops(crops: np.ndarray) -> np.ndarray:
    """The crops as a (n, CROP_SIZE, CROP_SIZE) uint8 array, or an InputError saying what is wrong."""
    crops = np.asarray(crops)
    if crops.ndim != 3 or crops.dtype != np.uint8 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE):
        raise InputError(f"face crops must be uint8 (n, {CROP_SIZE}, {CROP_SIZE}), got {crops.dtype} {crops.shape}")
    return crops


class FrameEmotionModel:
    """The shipped per-frame emotion network; `predict` returns (n, 8) probabilities.

    It runs the converted network (mescreen.core.runtime: LiteRT, no TensorFlow), whose file hands
    out the probabilities and what the classifier reads (the face features the AU detector uses),
    so both come from one pass."""

    emotion_names: list[str] = list(FRAME_EMOTIONS)

    def __init__(self, network: LiteModel | KerasReader, meta: dict[str, Any], version: str,
                 features_version: str | None = None) -> None:
        self.network = network
        self.meta = meta
        self.version = version
        #: The version of the face features alone: the weights' (the reading settings change only the
        #: probabilities), so the AU detector is tied to the network, not to how it is read.
        self.features_version = features_version or version
        #: Recall per emotion on FER+ test, from the JSON ({} when it records none): see
        #: mescreen.core.emotion.recall.
        self.per_class_recall = recall_from_meta(meta)
        self.feature_size = int(network.run(np.zeros((1, *network.input_shape), np.float32))[FEATURES].shape[-1])
        self.flip = bool(meta.get("test_time_flip", False))
        self.offsets = offset_vector(meta.get("logit_offsets"))

    @classmethod
    def load(cls, models_dir: Path | None = None) -> FrameEmotionModel:
        """The shipped model; ModelMissingError names the command that rebuilds (or converts) it."""
        folder = models_dir or default_models_dir()
        config = folder / (MODEL_STEM + CONFIG_SUFFIX)
        weights = folder / (MODEL_STEM + WEIGHTS_SUFFIX)
        if not (config.is_file() and weights.is_file()):
            raise ModelMissingError(
                f"The per-frame emotion model ({weights.name}) is missing from {folder.name}/. Rebuild it "
                f"with `{REBUILD_COMMAND}` (needs the research data, MESCREEN_DATA)."
            )
        meta = json.loads(config.read_text())
        if meta.get("classes") != FRAME_EMOTIONS:
            raise ModelMissingError(f"The per-frame emotion model's classes {meta.get('classes')} are not "
                                    f"{FRAME_EMOTIONS}; rebuild it with `{REBUILD_COMMAND}`.")
        weights_version = model_version(weights)
        return cls(LiteModel(converted_file(weights, meta)), meta, reading_version(weights_version, meta),
                   weights_version)

    def predict_faces(self, faces: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(n, 8) float32 for faces already in FER framing, (n, 48, 48) uint8 (training, evaluation)."""
        return self._read(faces, batch_size)[0]

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """(n, 8) float32 probabilities in `emotion_names` order for a batch of face-stage crops."""
        return self.predict_faces(to_fer_framing(check_crops(crops)))

    def predict_with_features(self, crops: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """`predict` and, from the same pass, the (n, feature_size) face features the classifier
        reads (its last hidden layer), which the AU detector also reads."""
        return self._read(to_fer_framing(check_crops(crops)), batch_size)

    def _read(self, faces: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, face features) of FER-framed faces, in batches."""
        probs, features = [], []
        for i in range(0, len(faces), batch_size):
            x = network_input(faces[i:i + batch_size])
            if self.flip:  # the face and its mirror in one pass: the mean of their probabilities, the
                # features of the face as seen (what the AU detector reads; see features_version)
                out = self.network.run(np.concatenate([x, x[:, :, ::-1]]))
                f = np.asarray(out[FEATURES], np.float32)[:len(x)]
                p = np.asarray(out[PROBABILITIES], np.float32).reshape(2, len(x), -1).mean(axis=0)
            else:
                out = self.network.run(x)
                f, p = (np.asarray(out[k], np.float32) for k in (FEATURES, PROBABILITIES))
            features.append(f)
            probs.append(adjust(p, self.offsets))
        if not probs:
            return np.zeros((0, len(FRAME_EMOTIONS)), np.float32), np.zeros((0, self.feature_size), np.float32)
        return np.concatenate(probs), np.concatenate(features)


def offset_vector(offsets: dict[str, float] | None) -> np.ndarray:
    """(8,) float32 in FRAME_EMOTIONS order from the JSON's emotion -> offset mapping (zeros if none)."""
    offsets = offsets or {}
    unknown = set(offsets) - set(FRAME_EMOTIONS)
    if unknown:
        raise ModelMissingError(f"The per-frame emotion model's logit offsets name unknown emotions {sorted(unknown)}; "
                                f"rebuild it with `{REBUILD_COMMAND}`.")
    return np.array([float(offsets.get(name, 0.0)) for name in FRAME_EMOTIONS], np.float32)


def adjust(proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 8) float32: `proba` with `offsets` added to its logarithm, normalised to sum 1 again."""
    if not offsets.any():
        return proba
    logits = np.log(np.maximum(proba, 1e-12)) + offsets
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


def reading_version(weights_version: str, meta: dict[str, Any]) -> str:
    """The version recorded in results: the weights' version, with the reading settings that change
    the probabilities it returns (the face features stay the weights', `features_version`)."""
    version = weights_version + ("+flip" if meta.get("test_time_flip") else "")
    if any((meta.get("logit_offsets") or {}).values()):
        digest = hashlib.sha256(json.dumps(meta["logit_offsets"], sort_keys=True).encode()).hexdigest()[:8]
        version += f"+offsets@{digest}"
    return version


def build_network(meta: dict[str, Any]) -> Any:
    """The untrained network the metadata names (weights are set by the caller)."""
    from mescreen.core.emotion.frame.networks import build_frame_net

    return build_frame_net(meta["architecture"], int(meta["input_size"]), len(meta["classes"]))


def with_named_outputs(network: Any) -> Any:
    """The Keras network with the two outputs the runtime reads, named as in its converted file:
    the face features (what the classifier reads) and the probabilities."""
    import keras

    return keras.Model(network.inputs[0], {FEATURES: network.layers[-1].input, PROBABILITIES: network.outputs[0]})


class KerasReader:
    """A Keras network read as the runtime reads its converted file (`run` -> named outputs), for
    the choices training makes before converting (reading settings, the FER+ test figures)."""

    def __init__(self, network: Any) -> None:
        self._network = with_named_outputs(network)
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in network.inputs[0].shape[1:])

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.asarray(value) for name, value in self._network(batch, training=False).items()}


def save_network(network: Any, folder: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write `frame_emotion.json` (meta) and `frame_emotion.weights.npz` (weights, in layer order)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / (MODEL_STEM + CONFIG_SUFFIX)
    weights = folder / (MODEL_STEM + WEIGHTS_SUFFIX)
    config.write_text(json.dumps(meta, indent=2) + "\n")
    with weights.open("wb") as handle:  # np.savez would append ".npz" to a str path
        np.savez_compressed(handle, **{f"w{i:03d}": w for i, w in enumerate(network.get_weights())})
    return config, weights
