"""Which kinds of stream (video, audio) a media file declares, read from its container headers.

Used only to explain a file OpenCV cannot decode: an audio-only recording (a phone's voice memo,
an interview exported as sound) must be reported as "no video stream", not as a truncated video.
Reads at most the first and last `WINDOW` bytes (an mp4's index may sit at either end).
"""

from __future__ import annotations

import re
from pathlib import Path

WINDOW = 16 * 1024 * 1024

# ISO BMFF (mp4, mov, m4a): each track's 'hdlr' box names its handler 8 bytes after the tag.
_MP4_HANDLER = re.compile(rb"hdlr.{8}(vide|soun)", re.DOTALL)
# Matroska / WebM: CodecID element (0x86, one-byte size) holding "V_..." or "A_...".
_MKV_CODEC = re.compile(rb"\x86[\x81-\xff](V_|A_)")
# AVI: stream header 'strh' followed by its type.
_AVI_STREAM = re.compile(rb"strh.{4}(vids|auds)", re.DOTALL)

_KINDS = {b"vide": "video", b"soun": "audio", b"V_": "video", b"A_": "audio", b"vids": "video", b"auds": "audio"}


def _sample(path: Path) -> bytes:
    with path.open("rb") as handle:
        head = handle.read(WINDOW)
        size = path.stat().st_size
        if size <= WINDOW:
            return head
        handle.seek(max(WINDOW, size - WINDOW))
        return head + handle.read(WINDOW)


def stream_kinds(path: Path) -> set[str] | None:
    """{"video", "audio"} or a subset, as the container declares; None when the container is not
    one this module reads (or declares no stream at all)."""
    data = _sample(path)
    for pattern in (_MP4_HANDLER, _MKV_CODEC, _AVI_STREAM):
        found = {_KINDS[m.group(1)] for m in pattern.finditer(data)}
        if found:
            return found
    return None


def audio_only(path: Path) -> bool:
    """True when the file declares sound but no picture."""
    kinds = stream_kinds(path)
    return kinds is not None and kinds == {"audio"}
