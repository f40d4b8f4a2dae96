"""Runtime emotion classifier: the shipped Table 3 CNN applied to a micro-expression's crops.

The pipeline hands over the onset and apex crops of each spotted episode, as the face stage
made them (uint8 grayscale CROP_SIZE x CROP_SIZE, eye-aligned, CLAHE). Depending on what was
trained (`input_kind` in the model's JSON) the model reads the apex crop itself or the
onset->apex flow image built by mescreen/core/emotion/micro/flow.py exactly as for training (mescreen/training/emotion.py
uses the same `network_input`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mescreen.core.datapaths import model_version, models_dir as default_models_dir
from mescreen.core.errors import InputError, ModelMissingError
from mescreen.core.emotion.micro.flow import flow_image, resize_square
from mescreen.core.labels import EMOTIONS_3

if TYPE_CHECKING:  # the runtime is imported only when the model is loaded
    from mescreen.core.emotion.micro.estimator import ConvertedNetwork

#: File stem of the shipped model in models/: emotion_cnn.json + emotion_cnn.weights.npz.
MODEL_STEM = "emotion_cnn"
INPUT_KINDS = ("apex", "flow")

#: Where the MEGC2019 training crops (apex images, and the flow images computed on the same
#: framing) lie inside a face-stage crop, as (x0, y0, x1, y1) in CROP_SIZE pixels: the median
#: over the apex images in which mescreen.core.face.haar.crop_still finds the face (interquartile spread
#: 3-6 px; `mescreen evaluate emotion --input apex --reprocessed` re-measures it). The face
#: stage's crop is looser (CROP_MARGIN) and centred higher than the datasets' crops, so the
#: runtime cuts this window out before building the network input.
DATASET_WINDOW: tuple[int, int, int, int] = (18, 22, 111, 115)


def to_dataset_framing(crop: np.ndarray, window: tuple[int, int, int, int] = DATASET_WINDOW) -> np.ndarray:
    """The part of a face-stage crop that the training images show, resized back to its side."""
    x0, y0, x1, y1 = window
    return resize_square(crop[y0:y1, x0:x1], crop.shape[0])


def network_input(kind: str, images: np.ndarray, size: int) -> np.ndarray:
    """Network input (N, size, size, 3) float32 in [0, 1] from uint8 images.

    apex: (N, H, W) grayscale crops, replicated to the 3 channels of the paper's network.
    flow: (N, 28, 28, 3) (u, v, strain) flow images.
    """
    if kind not in INPUT_KINDS:
        raise ValueError(f"input kind must be one of {INPUT_KINDS}, got {kind!r}")
    resized = np.stack([resize_square(img, size) for img in images]).astype(np.float32) / 255.0
    if kind == "apex":
        resized = np.repeat(resized[..., None], 3, axis=-1)
    return resized


def _check_crop(crop: np.ndarray, name: str) -> np.ndarray:
    crop = np.asarray(crop)
    if crop.ndim != 2 or crop.dtype != np.uint8 or min(crop.shape) < 8:
        raise InputError(f"the {name} face crop must be a grayscale uint8 image, got {crop.dtype} {crop.shape}")
    return crop


class EmotionClassifier:
    """Loads models/emotion_cnn.* and returns negative / positive / surprise probabilities."""

    def __init__(self, estimator: ConvertedNetwork, input_kind: str, input_size: int, version: str) -> None:
        self.estimator = estimator
        self.input_kind = input_kind
        self.input_size = input_size
        self.version = version
        self.labels: list[str] = list(EMOTIONS_3)
        self._order = [list(estimator.classes_).index(label) for label in self.labels]

    @classmethod
    def load(cls, models_dir: Path | None = None) -> EmotionClassifier:
        """The shipped model (its converted network); ModelMissingError names the command that
        rebuilds or converts it."""
        from mescreen.core.emotion.micro.estimator import CONFIG_SUFFIX, WEIGHTS_SUFFIX, ConvertedNetwork

        stem = (models_dir or default_models_dir()) / MODEL_STEM
        config = stem.with_name(stem.name + CONFIG_SUFFIX)
        weights = stem.with_name(stem.name + WEIGHTS_SUFFIX)
        if not (config.is_file() and weights.is_file()):
            raise ModelMissingError(
                f"The emotion model ({weights.name}) is missing from {stem.parent.name}/. "
                "Rebuild it with `mescreen train emotion` (needs the research data, MESCREEN_DATA)."
            )
        estimator, meta = ConvertedNetwork.load(stem)
        if sorted(meta["classes"]) != sorted(EMOTIONS_3):
            raise ModelMissingError(
                f"The emotion model's classes {meta['classes']} are not {EMOTIONS_3}; rebuild it with `mescreen train emotion`."
            )
        return cls(estimator, meta["input_kind"], int(meta["input_shape"][0]), model_version(weights))

    def network_image(self, onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
        """The training-format image of one (onset crop, apex crop) pair: the framed apex crop, or
        the framed pair's flow (TV-L1, about 0.8 s on one core; safe to call from several threads,
        which the pipeline does to make it while reading the video)."""
        apex = _check_crop(apex, "apex")
        if self.input_kind == "apex":
            return to_dataset_framing(apex)
        onset = _check_crop(onset, "onset")
        if onset.shape != apex.shape:
            raise InputError(f"onset and apex crops differ in size: {onset.shape} vs {apex.shape}")
        return flow_image(to_dataset_framing(onset), to_dataset_framing(apex))

    def predict_many(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[dict[str, float]]:
        """Probabilities per (onset crop, apex crop) pair: the pairs' images made side by side, one
        per core (TV-L1 at this size hardly uses OpenCV's own threads: on two, 95% of its work
        stays on the calling thread), then one batched network call."""
        if len(pairs) == 0:
            return []
        workers = max(1, min(len(pairs), os.cpu_count() or 1))
        with ThreadPoolExecutor(workers) as pool:
            return self.read_images(list(pool.map(lambda pair: self.network_image(*pair), pairs)))

    def read_images(self, images: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """`predict_images` of `network_image`s, one {label: probability} per image."""
        if len(images) == 0:
            return []
        return [dict(zip(self.labels, map(float, row))) for row in self.predict_images(np.stack(images))]

    def predict_images(self, images: np.ndarray) -> np.ndarray:
        """(N, 3) probabilities in `labels` order for images already in the training format (flow
        images or framed apex crops): the step shared by the pipeline and external evaluation."""
        proba = self.estimator.predict_proba(network_input(self.input_kind, images, self.input_size))
        return np.asarray(proba)[:, self._order]

    def predict(self, onset_crop: np.ndarray, apex_crop: np.ndarray) -> dict[str, float]:
        """Probabilities of negative / positive / surprise for one micro-expression."""
        return self.predict_many([(onset_crop, apex_crop)])[0]
