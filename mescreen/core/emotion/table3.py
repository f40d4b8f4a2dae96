"""The emotion CNN of Sharma et al., BDCC 2024, Table 3, as a Keras model builder.

Layer order (Table 3): zero padding, 7x7 conv (16 filters, stride 2), batch norm, ReLU, 3x3 max
pool (stride 2), a residual block 16->16 (identity shortcut), a residual block 32->32 whose
shortcut is a 1x1 projection, global average pooling and a dense softmax. On a 128x128x3 input
with 7 classes this has exactly 22,247 parameters (BN's moving statistics included, as Keras
counts them); tests/core/test_emotion_net.py asserts that.

Everything the paper's ablations vary is a parameter: input shape, number of classes, batch norm
on/off and its momentum, the activation, and the depth (`n_blocks`: 1, 3 or 5 layers in their
Table 5 map to 0, 1 and 2 residual blocks after the stem, see `blocks_for_layers`).

Why the momentum parameter: with ~270 training samples and batch 32 an epoch is ~8 steps, so
Keras' default BN momentum (0.99) leaves the inference-time moving statistics near their
initial values after 40 epochs and the network predicts one class. 0.9 lets them settle.
"""

from __future__ import annotations

from typing import Any

#: Filters of the residual blocks of Table 3, in order.
BLOCK_FILTERS: tuple[int, ...] = (16, 32)


def blocks_for_layers(layers: int) -> int:
    """Residual blocks for the paper's "number of layers" ablation (Table 5: 1, 3, 5).

    The stem convolution is layer 1 and each residual block adds two convolutions, so 1 layer is
    the stem alone, 3 adds the 16->16 block and 5 is the full Table 3 network.
    """
    if layers < 1 or layers % 2 == 0:
        raise ValueError(f"layers must be odd and >= 1 (1, 3, 5), got {layers}")
    return (layers - 1) // 2


def build_emotion_net(
    input_shape: tuple[int, int, int] = (128, 128, 3),
    n_classes: int = 7,
    *,
    batch_norm: bool = True,
    bn_momentum: float = 0.99,
    activation: str = "relu",
    n_blocks: int = 2,
    dropout: float = 0.0,
    width: int = 1,
    stem: tuple[int, int] = (7, 2),
    block_filters: tuple[int, ...] = BLOCK_FILTERS,
    seed: int | None = None,
    name: str = "emotion_net",
) -> Any:
    """The Table 3 network (uncompiled keras.Model); defaults are the paper's (Keras BN defaults).

    `n_blocks` > 2 repeats the 32->32 block (identity shortcut); `dropout` > 0 adds dropout
    before the dense layer (off in the paper's network, so the 22,247 count is unchanged);
    `width` multiplies every convolution's filters (1 is the paper's network); `stem` is the first
    convolution's (kernel, stride) and `block_filters` the blocks' filters before `width`.
    """
    import keras
    from keras import layers

    if n_blocks < 0:
        raise ValueError("n_blocks must be >= 0")
    init = keras.initializers.HeNormal(seed=seed) if seed is not None else "he_normal"
    counter = iter(range(10_000))

    def conv(x: Any, filters: int, size: int, stride: int = 1) -> Any:
        kernel_init = keras.initializers.HeNormal(seed=seed + next(counter)) if seed is not None else init
        return layers.Conv2D(filters, size, strides=stride, padding="same", kernel_initializer=kernel_init)(x)

    def norm(x: Any) -> Any:
        return layers.BatchNormalization(momentum=bn_momentum)(x) if batch_norm else x

    def block(x: Any, filters: int, stride: int) -> Any:
        shortcut = x
        y = layers.Activation(activation)(norm(conv(x, filters, 3, stride)))
        y = norm(conv(y, filters, 3))
        if stride != 1 or x.shape[-1] != filters:
            shortcut = norm(conv(x, filters, 1, stride))
        return layers.Activation(activation)(layers.Add()([y, shortcut]))

    inputs = keras.Input(shape=input_shape)
    x = layers.ZeroPadding2D(stem[0] // 2)(inputs)
    x = layers.Conv2D(block_filters[0] * width, stem[0], strides=stem[1], kernel_initializer=init)(x)
    x = layers.Activation(activation)(norm(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    filters_in = block_filters[0] * width
    for i in range(n_blocks):
        filters = block_filters[min(i, len(block_filters) - 1)] * width
        x = block(x, filters, 2 if filters != filters_in else 1)
        filters_in = filters
    x = layers.GlobalAveragePooling2D()(x)
    if dropout > 0:
        x = layers.Dropout(dropout, seed=seed)(x)
    dense_init = keras.initializers.GlorotUniform(seed=seed) if seed is not None else "glorot_uniform"
    outputs = layers.Dense(n_classes, activation="softmax", kernel_initializer=dense_init)(x)
    return keras.Model(inputs, outputs, name=name)


def build_plain_cnn(
    input_shape: tuple[int, int, int], n_classes: int, *, seed: int | None = None, name: str = "plain_cnn"
) -> Any:
    """The "plain CNN" baseline of the paper's Table 4: two conv/pool stages, no residuals, no BN."""
    import keras
    from keras import layers

    init = keras.initializers.HeNormal(seed=seed) if seed is not None else "he_normal"
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=init)(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init)(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu", kernel_initializer=init)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def build_ststnet(
    input_shape: tuple[int, int, int], n_classes: int, *, seed: int | None = None, name: str = "ststnet"
) -> Any:
    """STSTNet (Liong et al., FG 2019), the shallow network made for these 28x28 flow images.

    Three parallel 3x3 convolutions (3, 5 and 8 filters; ReLU), each max-pooled 3x3 / stride 3,
    concatenated, average-pooled 2x2, flattened into a dense softmax: 1,651 parameters for 3 classes, so far
    less to over-fit to the 52 training people than the Table 3 network's 22k.
    """
    import keras
    from keras import layers

    def init(offset: int) -> Any:
        return keras.initializers.HeNormal(seed=seed + offset) if seed is not None else "he_normal"

    inputs = keras.Input(shape=input_shape)
    branches = []
    for i, filters in enumerate((3, 5, 8)):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=init(i))(inputs)
        branches.append(layers.MaxPooling2D(3, strides=3, padding="same")(x))
    x = layers.AveragePooling2D(2)(layers.Concatenate()(branches))
    x = layers.Flatten()(x)
    dense_init = keras.initializers.GlorotUniform(seed=seed) if seed is not None else "glorot_uniform"
    outputs = layers.Dense(n_classes, activation="softmax", kernel_initializer=dense_init)(x)
    return keras.Model(inputs, outputs, name=name)
