"""The micro-expression emotion network: its configuration, input preparation, the fitted Keras
estimator that loads from plain arrays (models/emotion_cnn.json + .weights.npz) and the converted
network the runtime runs (models/emotion_cnn.tflite, LiteRT: no TensorFlow).

Training (mescreen.training.emotion) imports this module and adds `fit`; the runtime never
imports training code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core.emotion.table3 import build_emotion_net, build_plain_cnn, build_ststnet
from mescreen.core.runtime import LiteModel, converted_file

#: Files of a saved model: configuration (JSON) and weights as plain arrays (.npz, never a
#: pickle; 4x smaller than Keras' .weights.h5, whose per-variable HDF5 overhead dominates here).
CONFIG_SUFFIX = ".json"
WEIGHTS_SUFFIX = ".weights.npz"
#: Output name of the converted network (mescreen.training.convert writes it).
PROBABILITIES = "probabilities"


@dataclass
class EmotionCNNConfig:
    """Every choice that changes the trained model (recorded in the model's JSON)."""

    architecture: str = "table3"  # "table3" (the paper's network) or "plain" (Table 4 baseline)
    epochs: int = 40
    batch_size: int = 16
    optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    learning_rate: float = 1e-3
    batch_norm: bool = True
    bn_momentum: float = 0.9
    activation: str = "relu"
    n_blocks: int = 2
    dropout: float = 0.0
    class_weight: bool = True  # inverse class frequency, so negative does not swamp the others
    flip: str = "none"  # "none", "image" (mirror) or "flow" (mirror and negate u)
    n_members: int = 1
    tta: bool = False  # average the prediction with that of the mirrored input (needs flip)
    lr_decay: bool = False  # cosine decay of the learning rate to 0 over the epochs
    shift: int = 0  # random translation of each training image by up to this many pixels
    rotate: float = 0.0  # random rotation of each training image by up to this many degrees
    zoom: float = 0.0  # random scaling of each training image by a factor in [1 - zoom, 1 + zoom]
    magnitude: float = 0.0  # random flow-magnitude scaling by a factor in [1 - m, 1 + m] (see train_in_graph)
    mixup: float = 0.0  # Beta(alpha, alpha) mixup of pairs of training samples (0: off)
    regions: bool = False  # keep only the brow/eye and mouth regions of the input (see region_input)
    au_weight: float = 0.0  # weight of the auxiliary AU-detection loss (needs `au` in fit; 0: off)
    seed: int = 0


def mirrored(X: np.ndarray, flip: str) -> np.ndarray:
    """X mirrored left-right; for flow ("flow") u is negated too. The u channel is min-max
    normalised, so -u normalised is 1 - u; v and strain only move."""
    if flip not in {"image", "flow"}:
        raise ValueError(f"flip must be image or flow, got {flip!r}")
    out = X[:, :, ::-1, :].copy()
    if flip == "flow":
        out[..., 0] = 1.0 - out[..., 0]
    return out


#: Brow/eye and mouth boxes (row0, row1, col0, col1) in a 28x28 aligned flow image: where the
#: training set's mean optical strain peaks (eyes and brows rows 1-12, mouth rows 16-27).
REGIONS_28: tuple[tuple[int, int, int, int], ...] = ((1, 13, 2, 26), (16, 28, 5, 23))


def region_input(X: np.ndarray) -> np.ndarray:
    """X with everything outside the brow/eye and mouth regions set to each channel's median.

    The HTNet idea (Wang et al., 2024) in its simplest form: MEs live in these regions, while the
    rest (face outline, nose, background) carries head motion and camera differences. The
    MEGC2019 flow images are aligned by the datasets, so fixed boxes (scaled to X's size) are a
    fair first approximation; the median stands in for "no movement" after min-max normalisation.
    """
    X = np.asarray(X, np.float32)
    size = X.shape[1]
    keep = np.zeros(X.shape[1:3], bool)
    for r0, r1, c0, c1 in REGIONS_28:
        keep[r0 * size // 28:r1 * size // 28, c0 * size // 28:c1 * size // 28] = True
    median = np.median(X.reshape(len(X), -1, X.shape[-1]), axis=1)[:, None, None, :]
    return np.where(keep[None, :, :, None], X, median).astype(np.float32)


class NetworkReader:
    """Network outputs turned into the estimator's predictions: input preparation (`regions`),
    test-time mirroring and the class order. Shared by the Keras estimator (`EmotionNetwork`, for
    training) and the converted network the runtime runs (`ConvertedNetwork`), so both predict alike."""

    config: EmotionCNNConfig
    classes_: np.ndarray

    def _forward(self, X: np.ndarray, model: Any = None, batch_size: int = 256) -> np.ndarray:
        raise NotImplementedError

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, np.float32)
        return region_input(X) if self.config.regions else X

    def _mirrored(self, X: np.ndarray) -> np.ndarray:
        """X mirrored as training mirrored it (for flow, u negated too)."""
        return mirrored(X.astype(np.float32), self.config.flip)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        plain = self._forward(X)
        if not (self.config.tta and self.config.flip != "none" and len(X)):
            return plain
        return (plain + self._forward(self._mirrored(X))) / 2

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ConvertedNetwork(NetworkReader):
    """The fitted network as the runtime runs it: the file converted from its weights
    (mescreen.training.convert), run by LiteRT (mescreen.core.runtime), without TensorFlow."""

    def __init__(self, config: EmotionCNNConfig, classes: np.ndarray, input_shape: tuple[int, ...],
                 model: LiteModel) -> None:
        self.config, self.classes_, self.input_shape_, self.model = config, classes, input_shape, model

    def _forward(self, X: np.ndarray, model: Any = None, batch_size: int = 256) -> np.ndarray:
        X = self._prepare(X)
        out = [self.model.run(X[i:i + batch_size])[PROBABILITIES] for i in range(0, len(X), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, len(self.classes_)), np.float32)

    @classmethod
    def load(cls, stem: Path) -> tuple[ConvertedNetwork, dict[str, Any]]:
        """The converted network saved at `stem`, and the whole JSON; ModelMissingError (naming the
        command) when it was not converted from the weights there."""
        meta = json.loads(stem.with_name(stem.name + CONFIG_SUFFIX).read_text())
        path = converted_file(stem.with_name(stem.name + WEIGHTS_SUFFIX), meta)
        return cls(EmotionCNNConfig(**meta["config"]), np.array(meta["classes"]), tuple(meta["input_shape"]),
                   LiteModel(path)), meta


class EmotionNetwork(NetworkReader):
    """The Table 3 CNN (or a Table 4 variant) as a fitted Keras estimator: predict / predict_proba /
    save / load; X is (N, H, W, C) float32 network input in [0, 1]. Training subclasses it with `fit`
    (mescreen.training.emotion.EmotionCNN); the runtime reads its converted file (`ConvertedNetwork`)."""

    def __init__(self, config: EmotionCNNConfig | None = None, **overrides: Any) -> None:
        self.config = EmotionCNNConfig(**{**asdict(config or EmotionCNNConfig()), **overrides})
        self.classes_: np.ndarray = np.array([])
        self.input_shape_: tuple[int, int, int] | None = None
        self.model_: Any = None
        self.members_: list[Any] = []
        self._graph: tuple[Any, Any] | None = None  # (network, its traced forward pass): see trace_forward

    def trace_forward(self) -> None:
        """Trace the fitted network's forward pass once, for every batch size, and use it from now
        on. Why: called eagerly, Keras runs the ensemble layer by layer in Python (about 0.15 s per
        prediction for five members, twice with test-time mirroring); the graph is much faster, and
        tracing it at load keeps that cost out of the first analysis."""
        import tensorflow as tf

        model = self.model_
        shape = [None, *(self.input_shape_ or model.input_shape[1:])]
        graph = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, tf.float32)])
        graph(tf.zeros([1, *shape[1:]], tf.float32))
        self._graph = (model, graph)

    def _build(self, input_shape: tuple[int, int, int], n_classes: int, member: int) -> Any:
        c = self.config
        seed, name = c.seed + 1000 * member, f"member_{member}"
        if c.architecture == "plain":
            return build_plain_cnn(input_shape, n_classes, seed=seed, name=name)
        if c.architecture == "ststnet":
            return build_ststnet(input_shape, n_classes, seed=seed, name=name)
        if c.architecture != "table3":
            raise ValueError(f"unknown architecture {c.architecture!r}")
        return build_emotion_net(
            input_shape, n_classes, batch_norm=c.batch_norm, bn_momentum=c.bn_momentum,
            activation=c.activation, n_blocks=c.n_blocks, dropout=c.dropout, seed=seed, name=name,
        )

    def _ensemble(self, members: list[Any]) -> Any:
        import keras

        if len(members) == 1:
            return members[0]
        inputs = keras.Input(shape=self.input_shape_)
        return keras.Model(inputs, keras.layers.Average()([m(inputs) for m in members]), name="emotion_ensemble")

    def _forward(self, X: np.ndarray, model: Any = None, batch_size: int = 256) -> np.ndarray:
        model = model or self.model_
        if model is None:
            raise RuntimeError("the emotion network is not fitted")
        X = self._prepare(X)
        call = self._graph[1] if self._graph and self._graph[0] is model else lambda x: model(x, training=False)
        out = [np.asarray(call(X[i:i + batch_size].astype(np.float32))) for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def proba_views(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Probabilities without ("plain") and with ("mirrored") test-time mirroring; for a seed
        ensemble also each member's ("member 0 plain", ...), to show the spread over seeds."""
        models = {"": self.model_}
        if len(self.members_) > 1:
            models.update({f"member {k} ": m for k, m in enumerate(self.members_)})
        mirrored = self._mirrored(X) if self.config.flip != "none" and len(X) else None
        views = {}
        for prefix, model in models.items():
            plain = self._forward(X, model)
            views[prefix + "plain"] = plain
            if mirrored is not None:
                views[prefix + "mirrored"] = (plain + self._forward(mirrored, model)) / 2
        return views

    def save(self, stem: Path, extra: dict[str, Any] | None = None) -> tuple[Path, Path]:
        """Write `<stem>.json` (config, classes, input shape, `extra`) and `<stem>.weights.h5`."""
        if self.model_ is None:
            raise RuntimeError("the emotion network is not fitted")
        stem.parent.mkdir(parents=True, exist_ok=True)
        config_path = stem.with_name(stem.name + CONFIG_SUFFIX)
        weights_path = stem.with_name(stem.name + WEIGHTS_SUFFIX)
        meta = {"config": asdict(self.config), "classes": self.classes_.tolist(),
                "input_shape": list(self.input_shape_ or ()), **(extra or {})}
        config_path.write_text(json.dumps(meta, indent=2) + "\n")
        arrays = {f"w{i:03d}": w for i, w in enumerate(self.model_.get_weights())}
        with weights_path.open("wb") as handle:  # np.savez would append ".npz" to a str path
            np.savez_compressed(handle, **arrays)
        return config_path, weights_path

    @classmethod
    def load(cls, stem: Path) -> tuple[EmotionNetwork, dict[str, Any]]:
        """The estimator saved at `stem`, and the whole JSON (with any `extra` keys)."""
        meta = json.loads(stem.with_name(stem.name + CONFIG_SUFFIX).read_text())
        est = cls(EmotionCNNConfig(**meta["config"]))
        est.classes_ = np.array(meta["classes"])
        est.input_shape_ = tuple(meta["input_shape"])  # type: ignore[assignment]
        est.members_ = [est._build(est.input_shape_, len(est.classes_), k)  # type: ignore[arg-type]
                        for k in range(est.config.n_members)]
        est.model_ = est._ensemble(est.members_)
        with np.load(stem.with_name(stem.name + WEIGHTS_SUFFIX), allow_pickle=False) as arrays:
            est.model_.set_weights([arrays[k] for k in sorted(arrays.files)])
        est.trace_forward()
        return est, meta
