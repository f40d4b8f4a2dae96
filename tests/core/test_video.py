"""Video reading: containers, timestamps, rotation, frame-rate cap, stills, and refusals."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.core.errors import InputError
from mescreen.core.io.video import ReadLimits, VideoReader, prefetched, probe

needs_ffmpeg = pytest.mark.usefixtures("needs_ffmpeg")  # skipped without ffmpeg, a failure under CI


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_clip(path: Path, seconds: float = 1.0, size: str = "160x120", rate: int = 30, *extra: str) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}", "-t", str(seconds), "-pix_fmt", "yuv420p",
           *extra, str(path))
    return path




@needs_ffmpeg
@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".avi", ".mkv", ".webm"])
def test_containers_stream_every_frame_with_increasing_times(tmp_path: Path, suffix: str) -> None:
    reader = VideoReader(make_clip(tmp_path / f"clip{suffix}"))
    frames = list(reader.frames())
    assert len(frames) == 30 == reader.info.frames_read
    assert reader.info.fps == pytest.approx(30.0, rel=0.01)
    assert (reader.info.width, reader.info.height) == (160, 120)
    times = np.array([f.time_s for f in frames])
    assert times[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(times) > 0)
    assert np.diff(times).mean() == pytest.approx(1 / 30, rel=0.05)
    assert all(f.image.shape == (120, 160, 3) for f in frames)
    assert [f.index for f in frames] == list(range(30))
    assert reader.warnings == []


@needs_ffmpeg
def test_rotation_metadata_is_applied_and_reported(tmp_path: Path) -> None:
    plain = make_clip(tmp_path / "plain.mp4")
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    reader = VideoReader(rotated)
    assert reader.info.rotation in (90, 270)
    assert (reader.info.width, reader.info.height) == (120, 160)
    assert next(iter(reader.frames())).image.shape == (160, 120, 3)


@needs_ffmpeg
def test_frame_rate_cap_keeps_one_frame_per_interval(tmp_path: Path) -> None:
    reader = VideoReader(make_clip(tmp_path / "clip.mp4", seconds=2.0), max_fps=10)
    frames = list(reader.frames())
    assert reader.info.analysed_fps == 10
    assert len(frames) == pytest.approx(20, abs=1) == pytest.approx(reader.expected_frames, abs=1)
    assert np.diff([f.time_s for f in frames]).min() >= 0.1 - 1e-3
    assert [f.index for f in frames][:3] == [0, 3, 6]


@needs_ffmpeg
def test_decode_predicate_skips_pixels_but_keeps_times(tmp_path: Path) -> None:
    reader = VideoReader(make_clip(tmp_path / "clip.mp4"))
    frames = list(reader.frames(decode=lambda pos: pos % 5 == 0))
    assert len(frames) == 30
    assert [f.image is not None for f in frames] == [pos % 5 == 0 for pos in range(30)]
    assert len(list(reader.frames(stop_after=4))) == 5


def test_one_frame_video(tmp_path: Path) -> None:
    path = tmp_path / "one.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()
    reader = VideoReader(path)
    frames = list(reader.frames())
    assert len(frames) == 1 and frames[0].time_s == 0.0
    assert reader.info.frames_read == 1


@pytest.mark.parametrize("channels", [None, 3, 4])
def test_stills_are_one_frame_inputs(tmp_path: Path, channels: int | None) -> None:
    shape = (40, 50) if channels is None else (40, 50, channels)
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.full(shape, 200, np.uint8))
    reader = VideoReader(path)
    frames = list(reader.frames())
    assert len(frames) == 1 and frames[0].image.shape == shape
    assert (reader.info.width, reader.info.height, reader.info.declared_frames) == (50, 40, 1)
    assert reader.info.sha256 == ""  # opening a file does not read it all to hash it


def test_missing_empty_and_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        VideoReader(tmp_path / "absent.mp4")
    with pytest.raises(InputError, match="not a file"):
        VideoReader(tmp_path)
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(InputError, match="empty"):
        VideoReader(empty)


def test_not_a_video_is_refused_clearly(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("these are interview notes, not a recording\n" * 20)
    with pytest.raises(InputError, match="not a video"):
        VideoReader(text)
    fake_png = tmp_path / "photo.png"
    fake_png.write_bytes(b"not really a png" * 10)
    with pytest.raises(InputError, match="not a readable image"):
        VideoReader(fake_png)


@needs_ffmpeg
def test_truncated_video_before_the_index_is_refused_as_truncated(tmp_path: Path) -> None:
    full = make_clip(tmp_path / "full.mp4", 2.0)  # mp4 index (moov) written at the end
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(InputError, match="truncated"):
        VideoReader(cut)


@needs_ffmpeg
def test_truncated_video_with_index_first_reads_what_is_there_and_warns(tmp_path: Path) -> None:
    full = make_clip(tmp_path / "full.mp4", 4.0, "320x240", 30, "-movflags", "+faststart")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.4)])
    reader = VideoReader(cut)
    frames = list(reader.frames())
    assert 0 < len(frames) < 120
    assert any("truncated" in w for w in reader.warnings)


def test_size_and_pixel_limits(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    cv2.imwrite(str(path), np.zeros((300, 400), np.uint8))
    with pytest.raises(InputError, match="limit"):
        VideoReader(path, limits=ReadLimits(max_bytes=100))
    with pytest.raises(InputError, match="megapixel"):
        probe(path, limits=ReadLimits(max_pixels=100_000))
    assert probe(path).width == 400


@pytest.mark.realdata
def test_real_video_metadata(videos_dir: Path) -> None:
    reader = VideoReader(videos_dir / "WolfgangLanger_Pexels.mp4")
    assert (reader.info.width, reader.info.height) == (640, 360)
    assert reader.info.fps == pytest.approx(23.976, rel=1e-3)
    assert reader.expected_frames == 472
    assert sum(1 for _ in reader.frames(decode=lambda pos: False)) == 472
    assert reader.info.duration_s == pytest.approx(19.7, abs=0.1)


def _decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mescreen-decode"]


def test_prefetched_keeps_order_and_raises_the_producers_error() -> None:
    def items():
        yield from range(20)
        raise InputError("decoding failed at frame 20")

    seen = []
    with pytest.raises(InputError, match="frame 20"):
        for item in prefetched(items(), depth=3):
            seen.append(item)
    assert seen == list(range(20))
    assert not _decode_threads()


def test_prefetched_stops_its_producer_when_the_consumer_stops_early() -> None:
    produced, closed = [], threading.Event()

    def items():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    stream = prefetched(items(), depth=4)
    assert [next(stream) for _ in range(5)] == list(range(5))
    stream.close()
    assert closed.is_set() and not _decode_threads()
    assert len(produced) <= 5 + 4 + 1  # at most the queue's depth beyond what was taken


@needs_ffmpeg
def test_stopping_a_pass_early_releases_the_decoder(tmp_path: Path) -> None:
    reader = VideoReader(make_clip(tmp_path / "clip.mp4"))
    frames = reader.frames()
    assert next(frames).index == 0
    frames.close()
    assert not _decode_threads()
    assert [f.index for f in reader.frames(stop_after=2)] == [0, 1, 2]
