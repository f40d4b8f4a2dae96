"""Onset->apex optical-flow images, made as the MEGC2019 training images were.

The training images (megc2019/flow/, the STSTNet / HTNet input) are 28x28 RGB with channels
(u, v, optical strain), each channel min-max normalised to 0-255 independently. Their makers
used TV-L1 flow (Zach, Pock & Bischof, DAGM 2007; STSTNet, Liong et al., FG 2019), so mescreen
does too: OpenCV's Dual TV-L1 (default parameters but `TVL1_PARAMS`), from the contrib
build of the same OpenCV 4.x (`cv2.optflow`), on the two 128x128 face crops. Optical strain is the magnitude of
the flow's strain tensor (Liong et al.; STSTNet):
    strain = sqrt(u_x^2 + v_y^2 + 0.5 * (u_y + v_x)^2)
Flow and strain are computed at crop resolution, then shrunk to 28x28 by area averaging, then
each channel is min-max normalised. u is positive to the right, v positive downwards (image
coordinates), as in OpenCV and the TV-L1 implementations the datasets' tools used.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

#: Side of the flow images the emotion model is trained on.
FLOW_SIZE = 28

#: TV-L1 outer iterations (OpenCV's default is 10). On the demo video's episode pairs 3 gave
#: images within 0.7 grey levels (of 255) of the default's, the same class from the shipped model
#: on 97% of 30 pairs and the same mirror symmetry, at 0.79 s per pair instead of 2.61 s (one
#: core); at the default the pipeline benchmark fell below its 150 frames/s target.
TVL1_OUTER_ITERATIONS = 3
#: TV-L1 warpings per scale (OpenCV's default is 5). Issue 26: 3 cost 35% less CPU per pair (337 against
#: 517 ms) and gave the shipped model's class of the 5-warp flow on 98.3% of the demo
#: clip's 117 pairs and that of OpenCV's full default TV-L1 on 99.1% (the 5-warp flow: 99.1%), the one
#: setting of `bench/flow_method.py --settings` that passed the rule written before (bench/RESULTS.md).
TVL1_WARPS = 3
#: Every TV-L1 parameter the runtime sets (OpenCV's names; its binding spells the inner iterations
#: "innnerIterations"); the others keep OpenCV's defaults.
TVL1_PARAMS: dict[str, float] = {"outerIterations": TVL1_OUTER_ITERATIONS, "warps": TVL1_WARPS}


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Area interpolation when shrinking, bicubic when enlarging; unchanged when already `size`."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    method = cv2.INTER_AREA if size < image.shape[0] else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=method)


def dense_flow(onset: np.ndarray, apex: np.ndarray) -> np.ndarray:
    """(H, W, 2) float32 TV-L1 flow (u, v) in pixels from `onset` to `apex` (uint8 grayscale, same size).

    A new solver per call: it keeps state between calls, and the pipeline may run in threads.
    """
    if onset.shape != apex.shape or onset.ndim != 2:
        raise ValueError(f"onset and apex must be grayscale images of one size, got {onset.shape} and {apex.shape}")
    if not hasattr(cv2, "optflow"):
        raise RuntimeError("OpenCV lacks TV-L1 flow (cv2.optflow): install opencv-contrib-python-headless 4.x "
                           "in place of opencv-python-headless (make run does)")
    solver = cv2.optflow.DualTVL1OpticalFlow_create(**TVL1_PARAMS)
    return solver.calc(np.ascontiguousarray(onset, np.uint8), np.ascontiguousarray(apex, np.uint8), None)


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """Magnitude of the (symmetric) strain tensor of a flow field, per pixel."""
    u, v = flow[..., 0], flow[..., 1]
    u_y, u_x = np.gradient(u)
    v_y, v_x = np.gradient(v)
    return np.sqrt(u_x**2 + v_y**2 + 0.5 * (u_y + v_x) ** 2).astype(np.float32)


def minmax_uint8(channel: np.ndarray) -> np.ndarray:
    """Min-max normalise one channel to 0-255 (a constant channel becomes 0)."""
    low, high = float(channel.min()), float(channel.max())
    if high - low < 1e-12:
        return np.zeros(channel.shape, np.uint8)
    return np.round((channel - low) * (255.0 / (high - low))).astype(np.uint8)


FlowMethod = Callable[[np.ndarray, np.ndarray], np.ndarray]


def flow_image(onset: np.ndarray, apex: np.ndarray, size: int = FLOW_SIZE, method: FlowMethod = dense_flow) -> np.ndarray:
    """(size, size, 3) uint8 image with channels (u, v, strain), as megc2019/flow/ stores them.

    `method` is TV-L1 at runtime; bench/flow_method.py passes others to measure what they change.
    """
    flow = method(onset, apex)
    channels = np.dstack([flow, optical_strain(flow)])
    small = resize_square(channels, size)
    return np.dstack([minmax_uint8(small[..., i]) for i in range(3)])
