"""Runtime per-frame emotion model: 8 FER+ emotions (neutral + 7) for every analysed face crop.

Input: a batch of the face stage's crops (uint8 grayscale CROP_SIZE x CROP_SIZE, eye-aligned,
CLAHE; mescreen.core.face.crop.crop_face). The network was trained on FER+ faces, which are framed
tighter than our crop (roughly forehead to chin, ear to ear), so `predict` first cuts
`FER_WINDOW` out of the crop and shrinks it to the 48x48 input, then standardises each face's
pixels (zero mean, unit variance: lighting changes between frames then matter less).

The weights are plain npz arrays (training rebuilds the Keras network from its name in the JSON,
mescreen.core.emotion.frame.networks, so loading never unpickles anything); the runtime reads the
network converted from them once at build time (frame_emotion.tflite, mescreen.training.convert).
"""

from __future__ import annotations

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

    def __init__(self, network: LiteModel, meta: dict[str, Any], version: str) -> None:
        self.network = network
        self.meta = meta
        self.version = version
        #: Recall per emotion on FER+ test, from the JSON ({} when it records none): see
        #: mescreen.core.emotion.recall.
        self.per_class_recall = recall_from_meta(meta)
        self.feature_size = int(network.run(np.zeros((1, *network.input_shape), np.float32))[FEATURES].shape[-1])

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
        return cls(LiteModel(converted_file(weights, meta)), meta, model_version(weights))

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
            out = self.network.run(network_input(faces[i:i + batch_size]))
            features.append(np.asarray(out[FEATURES], np.float32))
            probs.append(np.asarray(out[PROBABILITIES], np.float32))
        if not probs:
            return np.zeros((0, len(FRAME_EMOTIONS)), np.float32), np.zeros((0, self.feature_size), np.float32)
        return np.concatenate(probs), np.concatenate(features)


def build_network(meta: dict[str, Any]) -> Any:
    """The untrained network the metadata names (weights are set by the caller)."""
    from mescreen.core.emotion.frame.networks import build_frame_net

    return build_frame_net(meta["architecture"], int(meta["input_size"]), len(meta["classes"]))


def save_network(network: Any, folder: Path, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write `frame_emotion.json` (meta) and `frame_emotion.weights.npz` (weights, in layer order)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / (MODEL_STEM + CONFIG_SUFFIX)
    weights = folder / (MODEL_STEM + WEIGHTS_SUFFIX)
    config.write_text(json.dumps(meta, indent=2) + "\n")
    with weights.open("wb") as handle:  # np.savez would append ".npz" to a str path
        np.savez_compressed(handle, **{f"w{i:03d}": w for i, w in enumerate(network.get_weights())})
    return config, weights
