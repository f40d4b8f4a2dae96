"""Test doubles of the trained models, with the runtime interfaces the pipeline calls.

They let the pipeline's wiring (passes, spotting, episode description, clusters, screening,
serialisation, bad inputs) be tested without the trained files; the real models are exercised
by their own tests and by the end-to-end test that runs when they are present. Outputs are
deterministic functions of the crops, never constants, so a wiring mistake changes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, Sequence

import numpy as np

from mescreen.core.labels import AU_NAMES, EMOTIONS_3, EMOTIONS_FINE, FRAME_EMOTIONS
from mescreen.core.pipeline import Models

REFERENCE = Path(__file__).resolve().parents[2] / "models" / "me_clusters_reference.json"


class FakeAUStage:
    au_names = list(AU_NAMES)
    version = "fake-au@0"
    thresholds = np.full(len(AU_NAMES), 0.5, np.float32)

    def __init__(self) -> None:
        self.updates = 0

    def reset(self) -> None:
        self.updates = 0

    def check_embedding(self, emotion_version: str) -> None:
        pass

    def update(self, crop: np.ndarray | None, geometry: np.ndarray | None = None, neutral: float = 0.0,
               embedding: np.ndarray | None = None) -> np.ndarray:
        self.updates += 1
        if crop is None:
            return np.full(len(self.au_names), np.nan, np.float32)
        rows = np.array_split(crop.astype(np.float32), len(self.au_names), axis=0)
        return np.array([r.mean() / 255.0 for r in rows], np.float32)

    def update_many(self, crops: np.ndarray, geometries: Sequence[np.ndarray | None], neutral: np.ndarray,
                    embedding: np.ndarray | None = None) -> np.ndarray:
        return np.stack([self.update(c, g, float(w)) for c, g, w in zip(crops, geometries, neutral)])


class FakeEmotion:
    version = "fake-emotion@0"
    labels = list(EMOTIONS_3)
    input_kind = "apex"

    def network_image(self, onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
        assert onset.shape == apex.shape == (128, 128) and apex.dtype == np.uint8
        return apex

    def read_images(self, images: Sequence[np.ndarray]) -> list[dict[str, float]]:
        out = []
        for apex in images:
            m = float(apex.mean()) / 255.0
            raw = np.array([1.0 + m, 1.0, 2.0 - m])
            out.append(dict(zip(self.labels, (raw / raw.sum()).tolist())))
        return out


class FakeMapper:
    version = "fake-mapper@0"

    def predict_proba(self, active_aus: Collection[str]) -> dict[str, float]:
        weights = np.array([1.0 + (i in (2, 6)) * len(active_aus) for i in range(len(EMOTIONS_FINE))])
        return dict(zip(EMOTIONS_FINE, (weights / weights.sum()).tolist()))


class FakeFrameEmotion:
    """Per-frame emotion from the crop's brightness: a lower half brighter than the upper half
    reads as happiness, else neutral (a deterministic function of the crop, never constant)."""

    version = features_version = "fake-frame-emotion@0"
    emotion_names = list(FRAME_EMOTIONS)

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.per_class_recall: dict[str, float] = {}  # unknown, as a JSON without it

    def predict(self, crops: np.ndarray) -> np.ndarray:
        assert crops.ndim == 3 and crops.shape[1:] == (128, 128) and crops.dtype == np.uint8
        self.calls.append(len(crops))
        top = crops[:, :64].mean(axis=(1, 2)) / 255.0
        bottom = crops[:, 64:].mean(axis=(1, 2)) / 255.0
        logits = np.zeros((len(crops), len(FRAME_EMOTIONS)), np.float64)
        logits[:, FRAME_EMOTIONS.index("neutral")] = 40.0 * top
        logits[:, FRAME_EMOTIONS.index("happiness")] = 40.0 * bottom
        raw = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (raw / raw.sum(axis=1, keepdims=True)).astype(np.float32)

    def predict_with_features(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = self.predict(crops)
        return probs, np.log(probs + 1e-6)


def fake_models() -> Models:
    """Fakes for AU, emotion, per-frame emotion and mapper; the shipped reference clusters (a
    committed file)."""
    from mescreen.core.episodes.clusters import ReferenceClusters

    return Models(au=FakeAUStage(), emotion=FakeEmotion(), mapper=FakeMapper(),
                  clusters=ReferenceClusters.load(REFERENCE.parent), frame_emotion=FakeFrameEmotion())
