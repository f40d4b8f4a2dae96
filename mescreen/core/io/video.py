"""Video reading: frames streamed one at a time with their timestamps, never the whole video.

OpenCV's FFmpeg backend reads mp4/mov/avi/mkv/webm; stills (jpg, png, ...) are accepted as
one-frame inputs. Rotation metadata is applied by OpenCV itself (`CAP_PROP_ORIENTATION_AUTO`,
on by default since 4.5) and reported in `VideoInfo.rotation`; width and height are those of the
decoded, rotated frames. A frame-rate cap keeps one frame per 1/max_fps seconds of video time.

Every failure a user can cause (missing, empty, oversized, not a video, truncated before the
first frame) is an `InputError` naming the file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from threading import Event, Thread
from typing import Callable, Iterator, TypeVar

import cv2
import numpy as np

from mescreen.core.io.container import audio_only
from mescreen.core.errors import InputError
from mescreen.core.result import VideoInfo

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})

#: Files above this size are refused before decoding (about 2 hours of phone video).
DEFAULT_MAX_BYTES = 8 * 1024**3
#: Frames above this many pixels are refused (8K UHD is 33 MP); bigger frames cost memory, not accuracy.
DEFAULT_MAX_PIXELS = 40_000_000

#: Frames decoded ahead of the caller (`VideoReader.frames`): 5 MiB at 640x360, 50 MiB at 1080p.
PREFETCH_FRAMES = 8

T = TypeVar("T")

# First bytes of containers we know, to tell "not a video" from "a damaged video".
_VIDEO_SIGNATURES = (b"ftyp", b"RIFF", b"\x1a\x45\xdf\xa3", b"\x00\x00\x01\xba", b"\x30\x26\xb2\x75")


@dataclass(frozen=True)
class ReadLimits:
    """Refusal limits, configurable for deployments with other needs."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class Frame:
    """One analysed frame: its index in the source, its time, and the image (None when the
    caller asked to skip decoding it to pixels)."""

    index: int
    time_s: float
    image: np.ndarray | None


def _check_file(path: Path, limits: ReadLimits) -> int:
    if not path.exists():
        raise InputError(f"{path.name}: file not found.")
    if not path.is_file():
        raise InputError(f"{path.name}: is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name}: the file is empty (0 bytes).")
    if size > limits.max_bytes:
        raise InputError(
            f"{path.name}: the file is {size / 1024**3:.1f} GiB, above the {limits.max_bytes / 1024**3:.1f} GiB "
            "limit; split or compress the recording."
        )
    return size


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(16)
    return any(sig in head for sig in _VIDEO_SIGNATURES)


def file_sha256(path: Path) -> str:
    """Content hash of a recording, read in chunks (recordings can be gigabytes)."""
    if not path.is_file():
        raise InputError(f"{path.name}: file not found.")
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path.name}: the file cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()


def _check_pixels(path: Path, width: int, height: int, limits: ReadLimits) -> None:
    if width * height > limits.max_pixels:
        raise InputError(
            f"{path.name}: frames of {width}x{height} pixels exceed the {limits.max_pixels / 1e6:.0f}-megapixel "
            "limit; downscale the recording first."
        )


def _fourcc(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() else ""


class VideoReader:
    """Opens one video or still, checks it, and streams its frames (re-iterable: each call to
    `frames` decodes from the start, which is how the pipeline makes its passes).

    It reads the header and first frame only; it does not hash the file (`info.sha256` stays
    empty): the content hash is taken once by whoever received the file (the upload check from the
    bytes in memory, the batch task, the service, `mescreen analyze`) and stamped on the result."""

    def __init__(self, path: str | Path, max_fps: float | None = None, limits: ReadLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or ReadLimits()
        self.max_fps = max_fps if max_fps and max_fps > 0 else None
        _check_file(self.path, self.limits)
        self.is_still = self.path.suffix.lower() in IMAGE_EXTENSIONS
        self.warnings: list[str] = []
        self.info = self._probe_still() if self.is_still else self._probe_video()

    # ------------------------------------------------------------------ probing

    def _read_still(self) -> np.ndarray:
        image = cv2.imread(str(self.path), cv2.IMREAD_UNCHANGED)
        if image is None or image.size == 0:
            raise InputError(f"{self.path.name}: not a readable image (damaged or not an image file).")
        return image

    def _probe_still(self) -> VideoInfo:
        image = self._read_still()
        h, w = image.shape[:2]
        _check_pixels(self.path, w, h, self.limits)
        return VideoInfo(
            file_name=self.path.name, width=w, height=h, fps=0.0, declared_frames=1, frames_read=0,
            duration_s=0.0, codec=self.path.suffix.lower().lstrip("."), analysed_fps=0.0,
        )

    def _open(self) -> cv2.VideoCapture:
        # OpenCV logs a warning to stderr for files it cannot open; the InputError says it better
        logging = cv2.utils.logging
        level = logging.getLogLevel()
        logging.setLogLevel(min(level, logging.LOG_LEVEL_ERROR))
        try:
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        finally:
            logging.setLogLevel(level)
        if not cap.isOpened():
            cap.release()
            raise InputError(self._unreadable_message())
        return cap

    def _unreadable_message(self) -> str:
        if audio_only(self.path):
            return (
                f"{self.path.name}: has no video stream (it holds only sound); mescreen needs a "
                "video in which the patient's face is visible."
            )
        if _looks_like_video(self.path):
            return (
                f"{self.path.name}: looks like a video file but could not be decoded; it is probably "
                "truncated (an interrupted copy or upload) or damaged."
            )
        return f"{self.path.name}: not a video or image mescreen can read (expected mp4, mov, avi, mkv, webm, jpg or png)."

    def _probe_video(self) -> VideoInfo:
        cap = self._open()
        try:
            ok, first = cap.read()
            if not ok or first is None:
                raise InputError(self._unreadable_message())
            h, w = first.shape[:2]
            _check_pixels(self.path, w, h, self.limits)
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
            codec = _fourcc(cap.get(cv2.CAP_PROP_FOURCC))
        finally:
            cap.release()
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            self.warnings.append(f"The file declares no usable frame rate ({fps}); 30 frames/s assumed.")
            fps = 30.0
        step_fps = fps if self.max_fps is None else min(fps, self.max_fps)
        return VideoInfo(
            file_name=self.path.name, width=w, height=h, fps=fps, declared_frames=max(declared, 0),
            frames_read=0, duration_s=declared / fps if declared > 0 else 0.0, codec=codec,
            rotation=rotation, analysed_fps=step_fps,
        )

    @property
    def expected_frames(self) -> int | None:
        """Frames `frames()` should yield, from the declared count (None when unknown)."""
        if self.is_still:
            return 1
        if self.info.declared_frames <= 0:
            return None
        if self.max_fps is None or self.max_fps >= self.info.fps:
            return self.info.declared_frames
        return int(math.ceil(self.info.declared_frames * self.max_fps / self.info.fps))

    # ------------------------------------------------------------------ streaming

    def frames(self, decode: Callable[[int], bool] | None = None, stop_after: int | None = None) -> Iterator[Frame]:
        """Analysed frames in order. `decode(position)` (position = 0-based count of analysed
        frames) says whether pixels are needed; skipped ones are only demuxed/decoded by FFmpeg,
        not converted, which is cheaper. Iteration stops after position `stop_after` if given.

        Updates `info.frames_read` and `info.duration_s` when a pass completes, and records a
        warning when fewer frames decode than the file declares (truncated file).

        A video is decoded in a background thread, at most `PREFETCH_FRAMES` frames ahead of the
        caller (see `prefetched`); `decode` is called from that thread.
        """
        if self.is_still:
            yield Frame(0, 0.0, self._read_still() if decode is None or decode(0) else None)
            self.info.frames_read = 1
            return
        yield from prefetched(self._decoded(decode, stop_after), PREFETCH_FRAMES)

    def _decoded(self, decode: Callable[[int], bool] | None, stop_after: int | None) -> Iterator[Frame]:
        """`frames` of a video, decoded in the calling thread."""
        cap = self._open()
        fps = self.info.fps
        interval = 0.0 if self.max_fps is None or self.max_fps >= fps else 1.0 / self.max_fps
        source, position, next_time, last_time = 0, 0, 0.0, -1.0
        try:
            while cap.grab():
                time_s = self._timestamp(cap, source, fps, last_time)
                last_time = time_s
                if interval and time_s + 1e-6 < next_time:
                    source += 1
                    continue
                next_time = (next_time if next_time else time_s) + interval
                image = None
                if decode is None or decode(position):
                    ok, image = cap.retrieve()
                    if not ok:
                        break
                yield Frame(source, time_s, image)
                if stop_after is not None and position >= stop_after:
                    return
                source += 1
                position += 1
        except cv2.error as exc:  # a decoder failure in the middle of the file
            raise InputError(f"{self.path.name}: decoding failed at frame {source} ({exc.err or exc}).") from exc
        finally:
            cap.release()
        self._finish(position, source, last_time)

    @staticmethod
    def _timestamp(cap: cv2.VideoCapture, source: int, fps: float, last_time: float) -> float:
        """The container's presentation time (right for variable frame rate phone videos), or
        index/fps where the backend gives none or a non-increasing one."""
        msec = cap.get(cv2.CAP_PROP_POS_MSEC)
        if math.isfinite(msec) and msec / 1000.0 > last_time and not (source > 0 and msec <= 0):
            return msec / 1000.0
        return max(source / fps, last_time + 1.0 / fps) if last_time >= 0 else source / fps

    def _finish(self, analysed: int, decoded: int, last_time: float) -> None:
        self.info.frames_read = analysed
        if decoded:
            self.info.duration_s = last_time + 1.0 / self.info.fps
        declared = self.info.declared_frames
        if declared and decoded < 0.9 * declared - 2:  # containers' counts are estimates
            note = (
                f"Only {decoded} of the {declared} frames the file declares could be decoded; the file "
                "may be truncated. Results cover the decoded part."
            )
            if note not in self.warnings:
                self.warnings.append(note)


_END = object()


def prefetched(items: Iterator[T], depth: int) -> Iterator[T]:
    """`items`, produced in a background thread at most `depth` ahead of the consumer.

    Why: FFmpeg decodes (and OpenCV converts) with the GIL released, so the next frames decode
    on the second core while the caller runs the face models on this one (the pipeline's wall
    time per pass drops by most of its decoding time, results unchanged). Memory stays at
    `depth` frames. An exception in the producer is raised here; when the consumer stops early
    (closes this generator, e.g. `stop_after`, a cancelled analysis once its generator is
    collected) the producer stops after at most one more item and `items` is closed.
    """
    queue: Queue[tuple[object, BaseException | None]] = Queue(maxsize=depth)
    stop = Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        error: BaseException | None = None
        try:
            for item in items:
                if not put((item, None)):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            error = exc
        finally:
            items.close()  # type: ignore[attr-defined]
        put((_END, error))

    thread = Thread(target=produce, name="mescreen-decode", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


def probe(path: str | Path, limits: ReadLimits | None = None) -> VideoInfo:
    """Check a file and read its metadata without decoding it all (nor hashing it)."""
    return VideoReader(path, limits=limits).info
