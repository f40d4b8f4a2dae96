"""Per-frame arrays survive the blob codec bit-exactly (NaN, infinities, empty, 2-D, every dtype)."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.store.errors import StoreError
from mescreen.store.series_codec import decode_array, encode_array


@pytest.mark.parametrize(
    "array",
    [
        np.array([0.25, np.nan, np.inf, -np.inf, -0.0], np.float32),
        np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
        np.arange(-5, 5, dtype=np.int32),
        np.array([True, False, True]),
        np.zeros((0, 19), np.float32),
        np.random.default_rng(0).random((50, 19)).astype(np.float32),
    ],
)
def test_round_trip_is_exact(array: np.ndarray) -> None:
    back = decode_array(encode_array(array))
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")
    assert back.tobytes() == array.tobytes()  # same bits: -0.0 and the NaN payload included


def test_compresses_smooth_series() -> None:
    time_s = np.arange(108_000) / 30.0
    assert len(encode_array(time_s)) < time_s.nbytes / 10


def test_non_numeric_arrays_are_refused() -> None:
    with pytest.raises(StoreError, match="dtype"):
        encode_array(np.array(["a", "b"]))


@pytest.mark.parametrize("blob", [b"", b"garbage", encode_array(np.arange(5.0))[:-3]])
def test_damaged_blob_is_a_clear_error(blob: bytes) -> None:
    with pytest.raises(StoreError, match="damaged"):
        decode_array(blob)
