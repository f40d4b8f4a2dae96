"""Checks an uploaded recording before any work starts or anything is written to the store.

Name, size and emptiness are checked on the bytes the browser sent; then the file is saved under
the upload folder and opened with the pipeline's own reader (mescreen.core.io.video), and a few frames
spread over the recording (or the still) are searched for a face with the pipeline's own face
detector (BlazeFace). A recording that fails any check is deleted again, so a bad upload leaves
no file and no database row behind.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import cv2

from mescreen.core.errors import InputError, NoFaceError
from mescreen.core.face.mesh import BlazeFaceDetector
from mescreen.core.result import VideoInfo
from mescreen.core.io.video import ReadLimits, VideoReader, probe
from mescreen.app.settings import size_words
from mescreen.private_files import private_dir, write_private

#: The containers the dashboard accepts (the pipeline reads more, but these are what clinics
#: record), and stills (a photo is analysed as a one-frame recording).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm")
STILL_EXTENSIONS = (".jpg", ".jpeg", ".png")
ACCEPTED_EXTENSIONS = VIDEO_EXTENSIONS + STILL_EXTENSIONS
#: Frames sampled for the face check: a recording whose face shows in none of them is not analysable.
FACE_SAMPLES = 24


@dataclass(frozen=True)
class CheckedUpload:
    path: Path  # saved copy under the upload folder, to be analysed (and then deleted or kept)
    file_name: str
    content_hash: str
    info: VideoInfo


def check_name_and_size(file_name: str, size: int, max_bytes: int) -> None:
    """Refuse wrong types, empty and oversized uploads from their name and size alone."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        raise InputError(
            f"{file_name}: this is not a file type mescreen accepts. Upload a recording "
            f"({', '.join(e.lstrip('.') for e in VIDEO_EXTENSIONS)}) or a photo "
            f"({', '.join(e.lstrip('.') for e in STILL_EXTENSIONS)})."
        )
    if size == 0:
        raise InputError(f"{file_name}: the file is empty (0 bytes). Upload the recording again.")
    if size > max_bytes:
        raise InputError(
            f"{file_name}: the file is {size_words(size)}, above the {size_words(max_bytes)} "
            "limit set for this dashboard (MESCREEN_MAX_UPLOAD_MB)."
        )


def _face_visible(path: Path, info: VideoInfo, samples: int = FACE_SAMPLES) -> bool:
    """True when a face is found in any of `samples` frames spread evenly over the recording
    (seeking, so a long interview is not decoded end to end just to be checked; a still is its
    one frame)."""
    detector = BlazeFaceDetector()
    if path.suffix.lower() in STILL_EXTENSIONS:
        return any(f.image is not None and detector.detect(f.image) for f in VideoReader(path).frames())
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        total = max(info.declared_frames, 1)
        for position in sorted({int(i * total / samples) for i in range(samples)}):
            cap.set(cv2.CAP_PROP_POS_FRAMES, position)
            ok, image = cap.read()
            if ok and image is not None and detector.detect(image):
                return True
    finally:
        cap.release()
    return False


def check_upload(file_name: str, data: bytes, folder: Path, max_bytes: int) -> CheckedUpload:
    """Save and check an upload; raises InputError / NoFaceError (file removed) when unusable."""
    check_name_and_size(file_name, len(data), max_bytes)
    private_dir(folder)
    # Stored under a random name: the clinician's file name may contain a patient's name.
    path = folder / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()}"
    write_private(path, data)
    try:
        try:
            info = probe(path, ReadLimits(max_bytes=max_bytes))
        except InputError as exc:  # the probe names the saved copy; the clinician knows their name
            raise InputError(str(exc).replace(path.name, file_name)) from exc
        info.file_name = file_name
        if not _face_visible(path, info):
            raise NoFaceError(
                f"{file_name}: no face was found in {FACE_SAMPLES} frames spread over the recording. "
                "mescreen needs the patient's face visible and turned towards the camera."
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return CheckedUpload(path, file_name, hashlib.sha256(data).hexdigest(), info)
