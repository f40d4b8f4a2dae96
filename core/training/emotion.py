"""Training and LOSO evaluation of the emotion CNN (the paper's Table 3 network).

`EmotionCNN` is a scikit-learn-style estimator around Keras: fit / predict / predict_proba /
save / load, seeded so a run is reproducible on the same machine and library versions. With
`n_members` > 1 it is a seed ensemble whose members are averaged inside one Keras model, so the
runtime still makes a single TF call per batch.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.emotion import network_input
from core.emotion_net import build_emotion_net, build_plain_cnn
from core.labels import EMOTIONS_3
from core.training.loso import EstimatorFactory, Views, out_of_fold_views
from core.training.megc import MegcSet, apex_crops, flow_images
from core.training.metrics import TABLE_HEADER, ClassificationReport, classification_report

#: Files of a saved model: configuration (JSON) and weights as plain arrays (.npz, never a
#: pickle; 4x smaller than Keras' .weights.h5, whose per-variable HDF5 overhead dominates here).
CONFIG_SUFFIX = ".json"
WEIGHTS_SUFFIX = ".weights.npz"


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
    seed: int = 0


class EmotionCNN:
    """The Table 3 CNN as an estimator; X is (N, H, W, C) float32 network input in [0, 1]."""

    def __init__(self, config: EmotionCNNConfig | None = None, **overrides: Any) -> None:
        self.config = EmotionCNNConfig(**{**asdict(config or EmotionCNNConfig()), **overrides})
        self.classes_: np.ndarray = np.array([])
        self.input_shape_: tuple[int, int, int] | None = None
        self.model_: Any = None

    def _build(self, input_shape: tuple[int, int, int], n_classes: int, member: int) -> Any:
        c = self.config
        seed, name = c.seed + 1000 * member, f"member_{member}"
        if c.architecture == "plain":
            return build_plain_cnn(input_shape, n_classes, seed=seed, name=name)
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

    def fit(self, X: np.ndarray, y: np.ndarray) -> EmotionCNN:
        import keras

        c = self.config
        self.classes_ = np.unique(np.asarray(y).astype(str))
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])  # type: ignore[assignment]
        targets = np.searchsorted(self.classes_, np.asarray(y).astype(str))
        X_train, t_train = augment(X.astype(np.float32), targets, c.flip)
        weights = None
        if c.class_weight:
            counts = np.bincount(targets, minlength=len(self.classes_)).astype(float)
            weights = {i: len(targets) / (len(counts) * n) for i, n in enumerate(counts) if n > 0}
        members = []
        for k in range(c.n_members):
            keras.utils.set_random_seed(c.seed + 1000 * k)
            model = self._build(self.input_shape_, len(self.classes_), k)  # type: ignore[arg-type]
            rate: Any = c.learning_rate
            if c.lr_decay:
                steps = c.epochs * int(np.ceil(len(t_train) / c.batch_size))
                rate = keras.optimizers.schedules.CosineDecay(c.learning_rate, steps)
            optimizer = keras.optimizers.SGD(rate, momentum=0.9) if c.optimizer == "sgd" else keras.optimizers.Adam(rate)
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
            model.fit(X_train, t_train, batch_size=c.batch_size, epochs=c.epochs, class_weight=weights,
                      shuffle=True, verbose=0)
            members.append(model)
        self.model_ = self._ensemble(members)
        return self

    def _forward(self, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
        if self.model_ is None:
            raise RuntimeError("EmotionCNN is not fitted")
        out = [np.asarray(self.model_(X[i:i + batch_size].astype(np.float32), training=False))
               for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def proba_views(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Probabilities without ("plain") and with ("mirrored") test-time mirroring."""
        plain = self._forward(X)
        if self.config.flip == "none" or len(X) == 0:
            return {"plain": plain}
        mirrored = augment(X.astype(np.float32), np.zeros(len(X), int), self.config.flip)[0][len(X):]
        return {"plain": plain, "mirrored": (plain + self._forward(mirrored)) / 2}

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        views = self.proba_views(X) if self.config.tta else {"plain": self._forward(X)}
        return views.get("mirrored", views["plain"])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def save(self, stem: Path, extra: dict[str, Any] | None = None) -> tuple[Path, Path]:
        """Write `<stem>.json` (config, classes, input shape, `extra`) and `<stem>.weights.h5`."""
        if self.model_ is None:
            raise RuntimeError("EmotionCNN is not fitted")
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
    def load(cls, stem: Path) -> tuple[EmotionCNN, dict[str, Any]]:
        """The estimator saved at `stem`, and the whole JSON (with any `extra` keys)."""
        meta = json.loads(stem.with_name(stem.name + CONFIG_SUFFIX).read_text())
        est = cls(EmotionCNNConfig(**meta["config"]))
        est.classes_ = np.array(meta["classes"])
        est.input_shape_ = tuple(meta["input_shape"])  # type: ignore[assignment]
        members = [est._build(est.input_shape_, len(est.classes_), k)  # type: ignore[arg-type]
                   for k in range(est.config.n_members)]
        est.model_ = est._ensemble(members)
        with np.load(stem.with_name(stem.name + WEIGHTS_SUFFIX), allow_pickle=False) as arrays:
            est.model_.set_weights([arrays[k] for k in sorted(arrays.files)])
        return est, meta


def augment(X: np.ndarray, targets: np.ndarray, flip: str) -> tuple[np.ndarray, np.ndarray]:
    """Append horizontally mirrored copies; for flow, mirroring also negates u.

    The u channel is min-max normalised, so -u normalised is 1 - u; v and strain only move.
    """
    if flip == "none":
        return X, targets
    if flip not in {"image", "flow"}:
        raise ValueError(f"flip must be none, image or flow, got {flip!r}")
    mirrored = X[:, :, ::-1, :].copy()
    if flip == "flow":
        mirrored[..., 0] = 1.0 - mirrored[..., 0]
    return np.concatenate([X, mirrored]), np.concatenate([targets, targets])


# --------------------------------------------------------------------------- data, training, LOSO

#: Published MEGC2019 LOSO UF1 on the same 3-class subsets (CASME II, SAMM), for comparison.
PUBLISHED_UF1: dict[str, tuple[float, float]] = {
    "STSTNet (Liong et al., FG 2019)": (0.838, 0.659),
    "OFF-ApexNet (Gan et al., 2019)": (0.876, 0.541),
    "HTNet (Wang et al., 2024)": (0.953, 0.813),
}


def make_inputs(data: MegcSet, kind: str, size: int, apex: np.ndarray | None = None) -> np.ndarray:
    """Network inputs for `data`: the flow PNGs, or apex crops (default: the dataset's, prepared
    as the face stage would; pass `apex` to use crops made another way)."""
    if kind == "flow":
        return network_input("flow", flow_images(data), size)
    return network_input("apex", apex_crops(data) if apex is None else apex, size)


@dataclass
class EmotionEvaluation:
    """Pooled LOSO metrics of one configuration on the whole set and on each source dataset."""

    name: str
    reports: dict[str, ClassificationReport]  # "all", "casme2", "samm"
    n_folds: int
    seconds: float
    proba: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))


def evaluate(
    name: str,
    data: MegcSet,
    X: np.ndarray,
    make_estimator: EstimatorFactory,
    *,
    y: np.ndarray | None = None,
    labels: list[str] | None = None,
    n_folds: int | None = None,
    verbose: bool = False,
) -> EmotionEvaluation:
    """LOSO (or grouped folds) over `data.subject`; targets default to label3."""
    return evaluate_views(name, data, X, make_estimator, y=y, labels=labels, n_folds=n_folds, verbose=verbose)[""]


def evaluate_views(
    name: str,
    data: MegcSet,
    X: np.ndarray,
    make_estimator: EstimatorFactory,
    *,
    views: Views | None = None,
    y: np.ndarray | None = None,
    labels: list[str] | None = None,
    n_folds: int | None = None,
    verbose: bool = False,
) -> dict[str, EmotionEvaluation]:
    """`evaluate` for each named prediction `views` gives (default: predict_proba, named "")."""
    y = data.label3 if y is None else np.asarray(y)
    labels = labels or list(EMOTIONS_3)
    start = time.perf_counter()

    def on_fold(i: int, n: int) -> None:
        if verbose:
            print(f"  [{name}] fold {i}/{n} ({time.perf_counter() - start:.0f} s)", flush=True)

    kwargs = {"views": views} if views is not None else {}
    oofs = out_of_fold_views(make_estimator, X, y, data.subject, classes=labels, n_folds=n_folds,
                             on_fold=on_fold, **kwargs)
    seconds = time.perf_counter() - start
    out = {}
    for view, oof in oofs.items():
        reports = {"all": classification_report(y, oof.y_pred, labels)}
        for part in ("casme2", "samm"):
            mask = data.dataset == part
            if mask.any():
                reports[part] = classification_report(y[mask], oof.y_pred[mask], labels)
        out[view] = EmotionEvaluation(f"{name}, {view}" if view else name, reports, oof.n_folds, seconds, oof.proba)
    return out


def describe(evaluation: EmotionEvaluation) -> str:
    """Markdown: one metrics row per subset and the confusion matrices."""
    lines = [f"### {evaluation.name}", "",
             f"{evaluation.n_folds} subject-grouped folds, {evaluation.seconds:.0f} s.", "",
             "| subset " + TABLE_HEADER.split("\n")[0], "|---" + TABLE_HEADER.split("\n")[1]]
    lines += [f"| {part} " + rep.row() for part, rep in evaluation.reports.items()]
    for part, rep in evaluation.reports.items():
        lines += ["", f"Confusion ({part}):", "", rep.confusion_markdown()]
    return "\n".join(lines)


def published_table(evaluations: list[EmotionEvaluation]) -> str:
    """Our UF1/UAR beside the published LOSO UF1 on the same MEGC2019 3-class subsets."""
    lines = ["| method | CASME II UF1 | SAMM UF1 | all 278 UF1 | all 278 UAR |", "|---|---|---|---|---|"]
    for name, (casme, samm) in PUBLISHED_UF1.items():
        lines.append(f"| {name} (published) | {casme:.3f} | {samm:.3f} | – | – |")
    for ev in evaluations:
        r = ev.reports
        lines.append(f"| {ev.name} (this repository) | {r['casme2'].uf1:.3f} | {r['samm'].uf1:.3f} | "
                     f"{r['all'].uf1:.3f} | {r['all'].uar:.3f} |")
    return "\n".join(lines)


def limit_threads(n: int = 1) -> None:
    """Keep TensorFlow to `n` threads: the training machine has 2 cores shared with other work."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:  # already initialised: the setting cannot change any more
        pass


@dataclass(frozen=True)
class EmotionSetup:
    """What `mescreen train emotion` ships by default: input, input size and training settings."""

    input_kind: str = "flow"
    size: int = 28
    config: EmotionCNNConfig = field(default_factory=lambda: EmotionCNNConfig(flip="flow", tta=True))


SHIPPED = EmotionSetup()
