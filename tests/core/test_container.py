"""Issue 15, item 11: an audio-only file is reported as having no video stream, not as a
truncated video."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from mescreen.core.io.container import stream_kinds
from mescreen.core.errors import InputError
from mescreen.core.io.video import probe


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _mp4(*handlers: bytes) -> bytes:
    tracks = b"".join(_box(b"trak", _box(b"mdia", _box(b"hdlr", b"\0" * 8 + h + b"\0" * 12 + b"x\0")))
                      for h in handlers)
    return _box(b"ftyp", b"isom\0\0\2\0isommp41") + _box(b"moov", tracks)


def test_audio_only_mp4_says_so(tmp_path: Path) -> None:
    path = tmp_path / "voice_memo.mp4"
    path.write_bytes(_mp4(b"soun"))
    assert stream_kinds(path) == {"audio"}
    with pytest.raises(InputError, match="voice_memo.mp4: has no video stream") as error:
        probe(path)
    assert "truncated" not in str(error.value)


def test_a_damaged_video_is_still_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(_mp4(b"vide", b"soun"))
    assert stream_kinds(path) == {"video", "audio"}
    with pytest.raises(InputError, match="probably truncated"):
        probe(path)


@pytest.mark.usefixtures("needs_ffmpeg")
@pytest.mark.parametrize("suffix, codec", [(".mp4", "aac"), (".webm", "libopus"), (".mkv", "aac")])
def test_real_audio_only_files(tmp_path: Path, suffix: str, codec: str) -> None:
    path = tmp_path / f"sound{suffix}"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", codec, str(path)], check=True)
    with pytest.raises(InputError, match="has no video stream"):
        probe(path)
