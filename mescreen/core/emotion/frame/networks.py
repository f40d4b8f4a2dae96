"""Network builders of the per-frame emotion model (48x48x1 input, 8 FER+ classes).

Candidates, all cheap enough to run on every analysed frame on one CPU core (models/cards/frame_emotion.md):
- "table3": the paper's Table 3 network (mescreen.core.emotion.table3), 48x48x1 input;
  "table3-wide": the same layers with twice the filters (32, 32, 64; ~4x the multiply-adds; version 2).
- "table3-deep" (ships, version 3): the Table 3 layout with finer early resolution and one more block: a 3x3
  stride-1 stem (32 filters) instead of 7x7 stride 2, then residual blocks of 32, 64 and 128
  filters (24, 12 and 6 px maps) and dropout 0.3 before the softmax; about 27 M multiply-adds.
  Why: table3-wide reaches a 12x12 map after its stem and pool, where a lip corner is a pixel
  or two; this keeps the stem's output at the input's resolution.
- "sepnet": a mini-Xception (Arriaga et al., 2017 style): a stride-2 3x3 stem, three residual blocks of
  two depthwise-separable convolutions (32, 64, 128 filters) each ending in a stride-2 max
  pool with a strided 1x1 shortcut, global average pooling, dropout and a softmax. About 4 M
  multiply-adds per face. Why this small: depthwise convolutions train slowly on CPU (twice these
  widths behind a full-resolution stem cost 220 s per FER+ epoch on the shared 2 cores, too slow
  for the ~25 minute training budget; this one costs ~35 s of CPU per epoch for the network).

The runtime rebuilds the network from its name and loads the weights from plain npz arrays.
"""

from __future__ import annotations

from typing import Any

from mescreen.core.emotion.table3 import build_emotion_net

ARCHITECTURES = ("table3", "table3-wide", "table3-deep", "sepnet")
#: Filters of the sepnet's residual blocks.
SEPNET_FILTERS: tuple[int, ...] = (32, 64, 128)


def build_sepnet(
    input_shape: tuple[int, int, int], n_classes: int, *, dropout: float = 0.3, seed: int = 0,
    name: str = "sepnet",
) -> Any:
    """The mini-Xception candidate (uncompiled keras.Model); see the module docstring."""
    import keras
    from keras import layers

    seeds = iter(range(seed, seed + 10_000))

    def init() -> Any:
        return keras.initializers.HeNormal(seed=next(seeds))

    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, kernel_initializer=init())(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for filters in SEPNET_FILTERS:
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False, kernel_initializer=init())(x)
        shortcut = layers.BatchNormalization()(shortcut)
        y = x
        for i in range(2):
            y = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False,
                                       depthwise_initializer=init(), pointwise_initializer=init())(y)
            y = layers.BatchNormalization()(y)
            if i == 0:
                y = layers.ReLU()(y)
        y = layers.MaxPooling2D(3, strides=2, padding="same")(y)
        x = layers.ReLU()(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout, seed=seed)(x)
    outputs = layers.Dense(n_classes, activation="softmax",
                           kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(x)
    return keras.Model(inputs, outputs, name=name)


def build_frame_net(architecture: str, input_size: int, n_classes: int, *, seed: int = 0) -> Any:
    """The named candidate for a (input_size, input_size, 1) standardised gray input."""
    shape = (input_size, input_size, 1)
    if architecture in ("table3", "table3-wide"):
        width = 2 if architecture == "table3-wide" else 1
        return build_emotion_net(shape, n_classes, width=width, seed=seed, name=architecture)
    if architecture == "table3-deep":
        return build_emotion_net(shape, n_classes, stem=(3, 1), block_filters=(32, 64, 128), n_blocks=3,
                                 dropout=0.3, seed=seed, name=architecture)
    if architecture == "sepnet":
        return build_sepnet(shape, n_classes, seed=seed)
    raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
