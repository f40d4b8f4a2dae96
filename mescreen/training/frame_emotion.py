"""Training of the per-frame emotion model on FER+ (soft labels, rare classes weighted).

Protocol (data README): train on `train`, pick the epoch on `valid` (macro-F1 of the majority
labels, pixel duplicates of train removed), report `test` once (mescreen/training/frame_emotion_eval.py).
Target: each image's normalised 8-emotion vote distribution (Barsoum et al., ICMI 2016: the
crowd's disagreement is information). Loss: cross-entropy against it with per-class weights
(inverse vote mass to the power `weight_power`), so disgust, contempt and
fear (119, 119 and 532 training faces against 8,739 neutral) are not ignored. Or (`loss`
"logit-adjusted", version 4's candidate) the cross-entropy of the logits shifted by tau x the log
class prior (Menon et al., ICLR 2021). Either way the shipped model's decisions are then moved
towards the rare classes by logit offsets fitted on valid (mescreen.training.frame_emotion_offsets).

Augmentation targets real video rather than FER's web photos: random scale / shift / rotation
(+-15 deg) / mirror in one affine warp (our crop is framed differently from FER's), then
brightness, contrast and gamma, occasional blur and occasional down-and-up sampling (small,
soft faces in interview video). Dim rooms: brightness and gamma changes after the face stage's
CLAHE do not teach what a dim camera does before it (few grey levels, sensor noise that CLAHE then
amplifies); on FER+ valid faces captured dim (x0.35 plus noise of 3 grey levels at video scale)
model v3's macro-F1 fell from 0.633 to 0.576 and its sadness recall from 0.72 to 0.56. With
`dim_share` > 0 each training face also gets one "dim capture" copy (`dim_capture`: at video scale,
gain and noise drawn from `dim_gain` and `dim_noise`, then through the same face stage), and each
epoch draws that share of the faces from their copy; the ranges were set a priori to span a
well-lit room to a dim one, not fitted. Off by default: the model trained with 0.3 read dim FER+
valid faces better (macro-F1 0.639) but the AU detector on its features missed its selection rule,
so it did not ship (bench/RESULTS.md, "Dim rooms"). All randomness comes from seeded numpy
generators (the dim copies from their own, so the other augmentations draw as without them).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import cv2
import numpy as np

from mescreen.core.face.crop import CROP_SIZE, clahe
from mescreen.core.emotion.frame.model import FER_WINDOW, INPUT_SIZE, network_input, to_fer_framing
from mescreen.core.emotion.frame.networks import build_frame_net
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.training.ferplus import FerPlus
from mescreen.training.metrics import classification_report


@dataclass
class FrameEmotionConfig:
    """Every choice that changes the trained model (recorded in the model's JSON)."""

    architecture: str = "table3-deep"
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_power: float = 0.5  # 0: unweighted, 1: full inverse frequency
    patience: int = 6  # stop after this many epochs without a better valid macro-F1
    max_scale: float = 0.15  # zoom in/out by up to 15 %
    max_shift: float = 0.08  # of the side
    max_rotation: float = 15.0  # degrees
    seed: int = 0
    framing: str = "mesh"  # "mesh": the landmark face stage's crop (ships); "window": placed into FER_WINDOW (v1)
    dim_share: float = 0.0  # share of faces drawn from their dim-capture copy each epoch (0: none)
    dim_gain: tuple[float, float] = (0.15, 0.7)  # brightness kept by the dim camera
    dim_noise: tuple[float, float] = (0.5, 5.0)  # sensor noise, grey levels (s.d.) at video scale
    loss: str = "weighted"  # "weighted": class-weighted cross-entropy; "logit-adjusted": see `logit_adjusted_loss`
    tau: float = 1.0  # strength of the logit adjustment of the "logit-adjusted" loss
    flip: bool = True  # read each face and its mirror at run time (model JSON `test_time_flip`; v4 reading)
    offsets: str = "prior"  # logit offsets fitted on valid after training: "none", "prior" or "per-class" (v4: prior)


#: Side (px) at which a FER face is "filmed" for its dim copy: a face in 640x360 interview video.
VIDEO_FACE_SIZE = 192


def dim_capture(images: np.ndarray, rng: np.random.Generator, config: FrameEmotionConfig) -> np.ndarray:
    """(n, VIDEO_FACE_SIZE, VIDEO_FACE_SIZE) uint8: each face as a dim camera would film it, at the
    size it has in video (noise added to a 48 px face would be magnified into blotches by the crop)."""
    n = len(images)
    gain = rng.uniform(*config.dim_gain, n)
    noise = rng.uniform(*config.dim_noise, n)
    out = np.empty((n, VIDEO_FACE_SIZE, VIDEO_FACE_SIZE), np.uint8)
    for i, image in enumerate(images):
        big = cv2.resize(image, (VIDEO_FACE_SIZE,) * 2, interpolation=cv2.INTER_CUBIC).astype(np.float32)
        out[i] = np.clip(np.rint(big * gain[i] + rng.normal(0.0, noise[i], big.shape)), 0, 255)
    return out


def prepare_faces(images: np.ndarray, framing: str) -> np.ndarray:
    """FER images as the runtime would hand them to the network. "window": each face is placed
    into FER_WINDOW of a CROP_SIZE canvas (edges replicated), gets the face stage's CLAHE there and
    is cut out and shrunk again by the runtime's own `to_fer_framing` (CLAHE on the 48 px image
    itself would use 3x smaller tiles and amplify noise). "mesh": each face goes through the
    runtime's landmark face stage itself (mescreen.training.still_faces), so the network learns
    on exactly the alignment and framing a video frame gets."""
    if not len(images):
        return images
    if framing == "mesh":
        from mescreen.training.still_faces import StillFaces

        faces = StillFaces()
        return to_fer_framing(np.stack([faces(img) for img in images]))
    x0, y0, x1, y1 = FER_WINDOW
    canvases = [clahe(cv2.copyMakeBorder(cv2.resize(img, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC),
                                         y0, CROP_SIZE - y1, x0, CROP_SIZE - x1, cv2.BORDER_REPLICATE))
                for img in images]
    return to_fer_framing(np.stack(canvases))


def class_weights(soft_targets: np.ndarray, power: float) -> np.ndarray:
    """(8,) float32 (mass_max / mass) ** power over each class's summed vote share, scaled so the
    average face weighs 1. Vote mass, not majority counts: contempt and disgust get stray votes
    on many faces (368 and 298 faces' worth against 119 majority labels each)."""
    mass = soft_targets.sum(axis=0).astype(float)
    weights = (mass.max() / np.maximum(mass, 1.0)) ** power
    return (weights / np.average(weights, weights=mass)).astype(np.float32)


def class_prior(soft_targets: np.ndarray) -> np.ndarray:
    """(8,) float64: each class's share of the training votes (what the network learns as its prior)."""
    mass = soft_targets.sum(axis=0).astype(float) + 1e-3
    return mass / mass.sum()


LOSSES = ("weighted", "logit-adjusted")


def soft_cross_entropy(q: Any, p: Any, weights: Any, margin: Any = None) -> Any:
    """Mean class-weighted cross-entropy of the network's probabilities `q` against the vote
    distributions `p` (TensorFlow tensors); with `margin` (tau x log prior), of softmax(log q +
    margin) instead: the logit-adjusted loss, whose minimiser is q proportional to p / prior**tau,
    i.e. the network learns to answer as if the classes were balanced."""
    import tensorflow as tf

    log_q = tf.math.log(tf.clip_by_value(q, 1e-7, 1.0))
    if margin is not None:
        log_q = tf.nn.log_softmax(log_q + margin)
    return -tf.reduce_mean(tf.reduce_sum(weights * p * log_q, axis=1))


def augment(faces: np.ndarray, rng: np.random.Generator, config: FrameEmotionConfig) -> np.ndarray:
    """One random variant of each (n, 48, 48) uint8 face; see the module docstring."""
    n, size = len(faces), INPUT_SIZE
    out = np.empty_like(faces)
    scale = rng.uniform(1 - config.max_scale, 1 + config.max_scale, n)
    angle = rng.uniform(-config.max_rotation, config.max_rotation, n)
    shift = rng.uniform(-config.max_shift, config.max_shift, (n, 2)) * size
    flip = rng.random(n) < 0.5
    blur = np.where(rng.random(n) < 0.25, rng.uniform(0.4, 1.2, n), 0.0)
    shrink = np.where(rng.random(n) < 0.2, rng.integers(20, 40, n), 0)
    centre = (size / 2 - 0.5, size / 2 - 0.5)
    for i in range(n):
        matrix = cv2.getRotationMatrix2D(centre, angle[i], scale[i])
        matrix[:, 2] += shift[i]
        face = cv2.warpAffine(faces[i], matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if flip[i]:
            face = face[:, ::-1]
        if shrink[i]:
            small = cv2.resize(face, (int(shrink[i]),) * 2, interpolation=cv2.INTER_AREA)
            face = cv2.resize(small, (size, size), interpolation=cv2.INTER_LINEAR)
        if blur[i] > 0:
            face = cv2.GaussianBlur(face, (0, 0), blur[i])
        out[i] = face
    x = out.astype(np.float32) / 255.0
    gamma = np.exp(rng.uniform(np.log(0.6), np.log(1.6), (n, 1, 1)))
    contrast = rng.uniform(0.6, 1.4, (n, 1, 1))
    brightness = rng.uniform(-0.2, 0.2, (n, 1, 1))
    x = (x ** gamma - 0.5) * contrast + 0.5 + brightness
    return np.clip(x * 255.0, 0, 255).astype(np.uint8)


def macro_f1(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Macro-F1 over the 8 classes of the argmax predictions (the model-selection figure)."""
    names = np.array(FRAME_EMOTIONS)
    return classification_report(names[y_true], names[np.argmax(proba, axis=1)], FRAME_EMOTIONS).uf1


class FrameEmotionTrainer:
    """Fits the network on prepared FER+ faces; `history_` holds (epoch, loss, valid UF1, seconds)."""

    def __init__(self, config: FrameEmotionConfig | None = None, log: Callable[[str], None] = print) -> None:
        self.config = config or FrameEmotionConfig()
        self.log = log
        self.network_: Any = None
        self.valid_faces_ = np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
        self.best_epoch_ = 0
        self.history_: list[tuple[int, float, float, float]] = []

    def fit(self, train: FerPlus, valid: FerPlus) -> FrameEmotionTrainer:
        """Train on `train`, keep the weights of the epoch with the best macro-F1 on `valid`."""
        import keras
        import tensorflow as tf

        c = self.config
        keras.utils.set_random_seed(c.seed)
        rng = np.random.default_rng(c.seed)
        faces, targets = prepare_faces(train.images, c.framing), train.soft_targets
        dim_rng = np.random.default_rng([c.seed, 1])
        dim_faces = prepare_faces(dim_capture(train.images, dim_rng, c), c.framing) if c.dim_share > 0 else None
        self.valid_faces_ = prepare_faces(valid.images, c.framing)
        valid_x, valid_y = network_input(self.valid_faces_), valid.targets
        weights = tf.constant(class_weights(targets, c.weight_power))
        if c.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {c.loss!r}")
        # "logit-adjusted" (Menon et al., ICLR 2021): the cross-entropy of softmax(logits + tau *
        # log prior) against the votes, so a rare class must win by a margin that grows as it is rarer;
        # the network itself (read without the term) then answers as if the classes were balanced.
        margin = tf.constant((c.tau * np.log(class_prior(targets))).astype(np.float32)) if c.loss == "logit-adjusted" else None
        network = build_frame_net(c.architecture, INPUT_SIZE, len(FRAME_EMOTIONS), seed=c.seed)
        steps = c.epochs * -(-len(faces) // c.batch_size)
        optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(c.learning_rate, steps))
        variables = network.trainable_variables
        optimizer.build(variables)

        @tf.function(reduce_retracing=True)
        def step(x: Any, p: Any) -> Any:
            with tf.GradientTape() as tape:
                loss = soft_cross_entropy(network(x, training=True), p, weights, margin)
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        forward = tf.function(lambda x: network(x, training=False), reduce_retracing=True)
        best, best_weights, start = -1.0, None, time.perf_counter()
        for epoch in range(1, c.epochs + 1):
            if dim_faces is not None:  # this epoch's share of faces from their dim copy
                chosen = np.where((dim_rng.random(len(faces)) < c.dim_share)[:, None, None], dim_faces, faces)
            else:
                chosen = faces
            x_all = network_input(augment(chosen, rng, c))
            order = rng.permutation(len(faces))
            losses = [float(step(x_all[b], targets[b]))
                      for b in (order[i:i + c.batch_size] for i in range(0, len(order), c.batch_size))]
            proba = np.concatenate([np.asarray(forward(valid_x[i:i + 512])) for i in range(0, len(valid_x), 512)])
            score = macro_f1(valid_y, proba)
            seconds = time.perf_counter() - start
            self.history_.append((epoch, float(np.mean(losses)), score, round(seconds, 1)))
            self.log(f"  epoch {epoch}/{c.epochs}: loss {np.mean(losses):.4f}, valid macro-F1 {score:.3f} ({seconds:.0f} s)")
            if score > best:
                best, best_weights, self.best_epoch_ = score, network.get_weights(), epoch
            elif epoch - self.best_epoch_ >= c.patience:
                break
        network.set_weights(best_weights)
        self.network_ = network
        return self

    def metadata(self) -> dict[str, Any]:
        """What the runtime and the model card need to know about this fit."""
        return {"architecture": self.config.architecture, "input_size": INPUT_SIZE, "classes": list(FRAME_EMOTIONS),
                "config": asdict(self.config), "best_epoch": self.best_epoch_,
                "history": [list(h) for h in self.history_]}
