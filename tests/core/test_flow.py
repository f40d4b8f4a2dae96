"""Runtime flow images: sign convention, strain, normalisation, and agreement with the
training augmentation (a mirrored pair must give the mirrored image with u negated)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mescreen.core.emotion.micro.flow import FLOW_SIZE, dense_flow, flow_image, minmax_uint8, optical_strain
from mescreen.training.emotion import augment


def _texture(seed: int = 0, size: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (size, size), dtype=np.uint8), (9, 9), 2.5)


def test_rightward_shift_gives_positive_u_and_no_v() -> None:
    onset = _texture()
    apex = np.roll(onset, 2, axis=1)
    u, v = dense_flow(onset, apex)[32:96, 32:96].mean(axis=(0, 1))
    assert u == pytest.approx(2.0, abs=0.3)
    assert abs(v) < 0.2


def test_downward_shift_gives_positive_v() -> None:
    onset = _texture(1)
    u, v = dense_flow(onset, np.roll(onset, 2, axis=0))[32:96, 32:96].mean(axis=(0, 1))
    assert v == pytest.approx(2.0, abs=0.3)
    assert abs(u) < 0.2


def test_strain_is_zero_for_translation_and_positive_for_expansion() -> None:
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    translation = np.dstack([np.full_like(xx, 3.0), np.full_like(xx, -1.0)])
    expansion = np.dstack([0.1 * xx, 0.1 * yy])
    assert np.allclose(optical_strain(translation), 0.0)
    # u_x = v_y = 0.1, shear 0: sqrt(0.01 + 0.01)
    assert np.allclose(optical_strain(expansion)[5:-5, 5:-5], np.sqrt(0.02), atol=1e-5)


def test_flow_image_matches_the_training_format() -> None:
    onset = _texture(2)
    image = flow_image(onset, np.roll(onset, 1, axis=1))
    assert image.shape == (FLOW_SIZE, FLOW_SIZE, 3) and image.dtype == np.uint8
    for c in range(3):  # each channel min-max normalised on its own, as the MEGC2019 PNGs
        assert image[..., c].min() == 0 and image[..., c].max() == 255


def test_constant_channel_normalises_to_zero() -> None:
    assert not minmax_uint8(np.full((4, 4), 7.0)).any()


def test_mirrored_pair_gives_the_augmentations_mirrored_image() -> None:
    """Training mirrors flow images and replaces u by 1 - u; the runtime must agree."""
    yy, xx = np.mgrid[0:128, 0:128].astype(np.float32)
    base = _texture(3).astype(np.float32)
    # A smooth non-rigid motion (a local bulge) so that u, v and strain all vary.
    bump = 3.0 * np.exp(-((xx - 50) ** 2 + (yy - 70) ** 2) / 400.0)
    apex = cv2.remap(base, (xx - bump).astype(np.float32), (yy - 0.5 * bump).astype(np.float32), cv2.INTER_LINEAR)
    onset_u8, apex_u8 = base.astype(np.uint8), np.clip(apex, 0, 255).astype(np.uint8)
    direct = flow_image(onset_u8, apex_u8).astype(np.float32) / 255
    mirrored_input = flow_image(onset_u8[:, ::-1].copy(), apex_u8[:, ::-1].copy()).astype(np.float32) / 255
    augmented, _ = augment(direct[None], np.array([0]), "flow")
    assert np.abs(augmented[1] - mirrored_input).mean() < 0.05
    # and the unflipped-u hypothesis is clearly worse, so the test can tell the two apart
    wrong = direct[:, ::-1].copy()
    assert np.abs(wrong[..., 0] - mirrored_input[..., 0]).mean() > 2 * np.abs(augmented[1][..., 0] - mirrored_input[..., 0]).mean()


def test_onset_and_apex_must_match() -> None:
    with pytest.raises(ValueError):
        dense_flow(_texture(size=64), _texture(size=128))


def test_training_flow_images_share_the_runtime_sign_convention(data_dir) -> None:  # type: ignore[no-untyped-def]
    """The MEGC2019 flow PNGs are (u, v, strain) with u positive to the right, v downwards.

    Checked on the data itself: in positive (smiling) samples the image-left lip corner moves
    left and the right one right (u darker left of the mouth than right of it), and in surprise
    samples the brows move up (v darker at the brows than at the mouth). The runtime's synthetic
    counterparts must give the same orderings.
    """
    from mescreen.training.megc import flow_images, load_megc

    data = load_megc(data_dir)
    flows = flow_images(data).astype(float)
    assert all(f[..., c].min() == 0 and f[..., c].max() == 255 for f in flows for c in range(3))
    smile = flows[data.label3 == "positive"].mean(axis=0)
    surprise = flows[data.label3 == "surprise"].mean(axis=0)
    assert smile[18:24, 5:11, 0].mean() < smile[18:24, 17:23, 0].mean() - 10
    assert surprise[3:8, 4:24, 1].mean() < surprise[19:24, 6:22, 1].mean() - 10

    # Runtime: the same two motions synthesised on a texture.
    yy, xx = np.mgrid[0:128, 0:128].astype(np.float32)
    base = _texture(4).astype(np.float32)

    def moved(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return np.clip(cv2.remap(base, xx - dx, yy - dy, cv2.INTER_LINEAR), 0, 255).astype(np.uint8)

    def blob(x: float, y: float) -> np.ndarray:
        return np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 150.0).astype(np.float32)

    corners = 2.0 * (blob(100, 90) - blob(28, 90))  # left corner moves left, right corner right
    runtime_smile = flow_image(base.astype(np.uint8), moved(corners, np.zeros_like(xx))).astype(float)
    assert runtime_smile[18:24, 5:11, 0].mean() < runtime_smile[18:24, 17:23, 0].mean() - 10
    brows = -2.0 * blob(64, 25)  # brows move up
    runtime_surprise = flow_image(base.astype(np.uint8), moved(np.zeros_like(xx), brows)).astype(float)
    assert runtime_surprise[3:8, 4:24, 1].mean() < runtime_surprise[19:24, 6:22, 1].mean() - 10


def test_missing_tv_l1_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "optflow")
    with pytest.raises(RuntimeError, match="opencv-contrib-python-headless"):
        dense_flow(_texture(), _texture(1))


def test_opencv_thread_count_does_not_change_the_flow() -> None:
    """Pairs are made in threads (mescreen.core.emotion.micro.classifier), whatever OpenCV's own thread count."""
    onset, apex = _texture(3), np.roll(_texture(3), 2, axis=0)
    threads = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)
        one = dense_flow(onset, apex)
        cv2.setNumThreads(max(2, threads))
        many = dense_flow(onset, apex)
    finally:
        cv2.setNumThreads(threads)
    assert np.array_equal(one, many)


def test_runtime_tv_l1_runs_three_outer_iterations_and_three_warps() -> None:
    """The setting chosen by the rule in bench/RESULTS.md (issue 26): 3 outer iterations, 3 warpings
    per scale, OpenCV's defaults otherwise."""
    onset = _texture(3)
    apex = np.roll(onset, 2, axis=1)
    expected = cv2.optflow.DualTVL1OpticalFlow_create(outerIterations=3, warps=3).calc(onset, apex, None)
    np.testing.assert_array_equal(dense_flow(onset, apex), expected)
    five_warps = cv2.optflow.DualTVL1OpticalFlow_create(outerIterations=3).calc(onset, apex, None)
    assert not np.array_equal(expected, five_warps)  # the setting is seen in the flow
