"""The paper's Table 3 network: exact parameter count and the ablation knobs."""

from __future__ import annotations

import pytest

from mescreen.core.emotion.table3 import blocks_for_layers, build_emotion_net, build_plain_cnn


def test_table3_network_has_the_papers_22247_parameters() -> None:
    model = build_emotion_net((128, 128, 3), 7)
    assert model.count_params() == 22_247
    assert model.output_shape == (None, 7)


def test_classes_and_input_are_parameters() -> None:
    model = build_emotion_net((28, 28, 3), 3, bn_momentum=0.9)
    assert model.input_shape == (None, 28, 28, 3)
    assert model.output_shape == (None, 3)
    # Only the dense layer depends on the class count: 4 classes fewer -> 4 * (32 + 1) parameters fewer.
    assert model.count_params() == 22_247 - 4 * 33


def test_batch_norm_off_removes_every_bn_parameter() -> None:
    # 5 BN layers over 16+16+16+32+32+32 channels... counted as 4 values per channel.
    with_bn = build_emotion_net((64, 64, 3), 3).count_params()
    without = build_emotion_net((64, 64, 3), 3, batch_norm=False).count_params()
    assert with_bn - without == 4 * (16 + 16 + 16 + 32 + 32 + 32)


def test_momentum_and_activation_reach_the_layers() -> None:
    model = build_emotion_net((32, 32, 3), 3, bn_momentum=0.8, activation="elu")
    bns = [layer for layer in model.layers if layer.__class__.__name__ == "BatchNormalization"]
    acts = {layer.get_config()["activation"] for layer in model.layers if layer.__class__.__name__ == "Activation"}
    assert bns and all(abs(layer.momentum - 0.8) < 1e-9 for layer in bns)
    assert acts == {"elu"}


@pytest.mark.parametrize(("layers", "blocks"), [(1, 0), (3, 1), (5, 2)])
def test_depth_variants_of_table5(layers: int, blocks: int) -> None:
    assert blocks_for_layers(layers) == blocks
    convs = [layer for layer in build_emotion_net((32, 32, 3), 3, n_blocks=blocks).layers
             if layer.__class__.__name__ == "Conv2D" and layer.kernel_size != (1, 1)]
    assert len(convs) == layers


def test_even_layer_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        blocks_for_layers(4)


def test_plain_cnn_baseline_builds() -> None:
    assert build_plain_cnn((28, 28, 3), 3).output_shape == (None, 3)
