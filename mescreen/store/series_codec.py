"""Per-frame arrays as compact, self-describing bytes for a LargeBinary column.

A 60-minute 30 fps session has 108,000 frames x ~26 probabilities; one row per frame made saving
take seconds (see bench/RESULTS.md, "Patient store"), while one compressed blob per array takes a
fraction of that and reads back bit-exactly, NaN included. Bytes are shuffled (all first bytes of
each value, then all second bytes, ...) before zlib because neighbouring floats share their high
bytes: AU probabilities come out ~15% smaller and timestamps ~95% smaller, and encoding is no
slower (bench/store.py prints both codecs). The header carries dtype and shape, so no pickle is ever involved.
"""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np

from mescreen.store.errors import StoreError

#: Identifies this encoding in stored rows, so a later codec can coexist with old data.
CODEC = "shuffle-zlib-v1"
_MAGIC = b"MSA1"
_LEVEL = 6


def encode_array(arr: np.ndarray) -> bytes:
    """Numeric or bool array -> magic, header length, JSON {dtype, shape}, zlib(shuffled bytes)."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype.kind not in "biuf":
        raise StoreError(f"cannot store an array of dtype {arr.dtype} (numbers and booleans only)")
    header = json.dumps({"dtype": arr.dtype.str, "shape": list(arr.shape)}).encode()
    raw = arr.reshape(-1).view(np.uint8)
    if arr.dtype.itemsize > 1:
        raw = raw.reshape(-1, arr.dtype.itemsize).T
    return _MAGIC + struct.pack("<I", len(header)) + header + zlib.compress(raw.tobytes(), _LEVEL)


def decode_array(blob: bytes) -> np.ndarray:
    """Inverse of `encode_array`; a damaged blob raises StoreError rather than returning garbage."""
    try:
        if blob[:4] != _MAGIC:
            raise ValueError("unknown format")
        (size,) = struct.unpack("<I", blob[4:8])
        header = json.loads(blob[8 : 8 + size])
        dtype, shape = np.dtype(header["dtype"]), tuple(header["shape"])
        if dtype.kind not in "biuf":
            raise ValueError(f"dtype {dtype} not allowed")
        raw = np.frombuffer(zlib.decompress(blob[8 + size :]), np.uint8)
        if dtype.itemsize > 1:
            raw = raw.reshape(dtype.itemsize, -1).T
        return np.ascontiguousarray(raw).view(dtype).reshape(shape)
    except (ValueError, KeyError, TypeError, struct.error, zlib.error) as exc:
        raise StoreError(f"stored per-frame data is damaged and cannot be read ({exc})") from exc
