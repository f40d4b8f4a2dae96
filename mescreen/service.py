"""Analyse a recording for a patient and store it: the one service every front door calls.

The command line (`mescreen analyze --patient`), the batch (Dask), the dashboard's upload jobs and
its CSV import all run `analyse_for_patient`, so they agree on what it owns:

1. the earlier screenings a session is compared with are the patient's sessions recorded BEFORE it
   (by recording date, then by id), never "whatever was stored first";
2. the analysis itself (a video or still through the pipeline, or a peer tool's CSV through
   mescreen's later stages);
3. saving the result in one transaction, or recording the failure with its message;
4. re-screening the patient's sessions recorded after this one (their change-over-time
   indicators include it), so the stored indicators do not depend on the order recordings
   were submitted in;
5. deleting the temporary upload (or moving it to the kept-videos folder and recording its path).

How a result reaches the database is the `SessionWriter`'s job: `StoreWriter` writes through the
store's functions (mescreen.store.recordings); the batch passes its own exactly-once writer (mescreen/batch/store.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Protocol, Sequence

from sqlalchemy.orm import Session, sessionmaker

from mescreen.core.errors import Cancelled, MescreenError
from mescreen.core.io.peer_import import PeerFrames, analyze_peer
from mescreen.core.progress import Progress, ProgressCallback
from mescreen.core.result import Screening, SessionResult
from mescreen.core.io.video import file_sha256
from mescreen.private_files import private_dir
from mescreen.store import erasure
from mescreen.store.recordings import (
    complete_session,
    mark_failed,
    mark_running,
    record_failed_session,
    replace_screenings,
    save_session,
    set_video_path,
)
from mescreen.store.session_queries import later_sessions, previous_screenings

#: analyse(path, progress, previous screenings) -> SessionResult, e.g. the pipeline in a child
#: process (the dashboard) or in this process with models already loaded (CLI, batch).
Analyse = Callable[[Path, Callable[[Progress], bool], Sequence[Screening]], SessionResult]


@dataclass(frozen=True)
class VideoSource:
    """A video or still on disk. `content_hash` is computed (once, here) when empty; the
    pipeline never hashes the file itself."""

    path: Path
    file_name: str = ""
    content_hash: str = ""

    @property
    def name(self) -> str:
        return self.file_name or self.path.name


@dataclass(frozen=True)
class PeerCsvSource:
    """An OpenFace 2 or py-feat per-frame CSV, already read (`read_peer_csv`: a malformed file is
    refused before anything is stored); mescreen runs its own later stages on it."""

    peer: PeerFrames
    content_hash: str

    @property
    def name(self) -> str:
        return self.peer.file_name


Source = VideoSource | PeerCsvSource


class SessionWriter(Protocol):
    """Where a session's result or failure is written; returns the session id."""

    def save(self, result: SessionResult, content_hash: str) -> int: ...

    def fail(self, error: str, content_hash: str) -> int: ...


@dataclass
class StoreWriter:
    """Writes through the repository: completes `session_id` when the session was registered
    before the analysis (dashboard uploads), else creates it."""

    sessions: sessionmaker[Session]
    patient_code: str
    recorded_on: date
    uploader: str
    file_name: str
    session_id: int | None = None

    def save(self, result: SessionResult, content_hash: str) -> int:
        with self.sessions() as session:
            if self.session_id is not None:
                complete_session(session, self.session_id, result)
                return self.session_id
            self.session_id = save_session(
                session, self.patient_code, result, recorded_on=self.recorded_on, uploader=self.uploader,
                file_name=self.file_name, content_hash=content_hash,
            )
            return self.session_id

    def fail(self, error: str, content_hash: str) -> int:
        with self.sessions() as session:
            if self.session_id is not None:
                mark_failed(session, self.session_id, error)
                return self.session_id
            self.session_id = record_failed_session(
                session, self.patient_code, error, recorded_on=self.recorded_on, uploader=self.uploader,
                file_name=self.file_name, content_hash=content_hash,
            )
            return self.session_id


@dataclass(frozen=True)
class Stored:
    """A stored analysis: its session id, its result, and a note for the user ("" if none)."""

    session_id: int
    result: SessionResult
    note: str = ""


def analyse_for_patient(
    sessions: sessionmaker[Session],
    patient_code: str,
    source: Source,
    *,
    recorded_on: date,
    uploader: str,
    analyse: Analyse | None = None,
    progress: ProgressCallback | None = None,
    session_id: int | None = None,
    writer: SessionWriter | None = None,
    delete_upload: bool = False,
    keep_video_in: Path | None = None,
) -> Stored:
    """Analyse `source` for the patient and store it (see the module docstring).

    Expected failures (MescreenError, Cancelled included) are recorded as a failed session with
    their message and then re-raised, so each caller reports them its own way. `session_id`
    names a session registered before the analysis (queued); `delete_upload` removes a temporary
    upload afterwards unless it was moved to `keep_video_in`.
    """
    content_hash = ""
    stored_id: int | None = None
    writer = writer or StoreWriter(sessions, patient_code, recorded_on, uploader, source.name, session_id)
    note = ""
    try:
        content_hash = _content_hash(source)
        with sessions() as session:
            if session_id is not None:
                mark_running(session, session_id)
            previous = previous_screenings(
                session, patient_code, recorded_on=recorded_on, session_id=session_id
            )
        result = _run(source, previous, analyse, progress)
        result.video.file_name = source.name
        if isinstance(source, VideoSource):
            result.video.sha256 = content_hash
        stored_id = writer.save(result, content_hash)
    except Cancelled:
        writer.fail(f"Cancelled by {uploader}.", content_hash)
        raise
    except MescreenError as exc:
        writer.fail(str(exc), content_hash)
        raise
    finally:
        if delete_upload and isinstance(source, VideoSource) and (stored_id is None or keep_video_in is None):
            source.path.unlink(missing_ok=True)
    rescreen_later_sessions(sessions, patient_code, stored_id)
    if keep_video_in is not None and isinstance(source, VideoSource):
        note = _keep(sessions, stored_id, source.path, keep_video_in)
    return Stored(stored_id, result, note)


def _content_hash(source: Source) -> str:
    return source.content_hash or file_sha256(source.path)


def _run(source: Source, previous: Sequence[Screening], analyse: Analyse | None,
         progress: ProgressCallback | None) -> SessionResult:
    if isinstance(source, PeerCsvSource):
        return analyze_peer(source.peer, previous=previous, progress=progress)
    if analyse is not None:
        return analyse(source.path, progress or (lambda _p: True), previous)
    from mescreen.core.pipeline import AnalysisOptions, analyze_video

    return analyze_video(source.path, AnalysisOptions(previous=tuple(previous)), progress)


def rescreen_later_sessions(sessions: sessionmaker[Session], patient_code: str, session_id: int) -> list[int]:
    """Re-compute the screening of the patient's sessions recorded after `session_id` (their
    change-over-time indicators compare with it). Sessions screened with another configuration
    version keep theirs. Returns the ids re-screened."""
    with sessions() as session:
        later = later_sessions(session, session_id)
    return _rescreen(sessions, patient_code, later)


def delete_session(sessions: sessionmaker[Session], session_id: int, *, actor: str) -> list[int]:
    """Erase one session (audited) and re-screen the sessions recorded after it, whose change over
    time compared with it. Returns the ids re-screened."""
    with sessions() as session:
        later = later_sessions(session, session_id)
        code = erasure.delete_session(session, session_id, actor=actor)
    return _rescreen(sessions, code, later)


def _rescreen(sessions: sessionmaker[Session], patient_code: str,
              later: Sequence[tuple[int, date, SessionResult]]) -> list[int]:
    from mescreen.core.screening.indicators import load_config, screen

    if not later:
        return []
    config = load_config()
    first_id, first_on, _ = later[0]
    with sessions() as session:
        previous = previous_screenings(session, patient_code, recorded_on=first_on, session_id=first_id)
        # `later` is in recording order, so each session's earlier screenings are the ones before
        # the first plus those already (re-)screened here: one read, one write, whatever the count.
        new: list[tuple[int, Screening]] = []
        for later_id, _recorded_on, result in later:
            screening = result.screening
            if screening.config_version == config["config_version"]:
                screening = screen(result.series, result.episodes, result.clusters, tuple(previous), config)
                new.append((later_id, screening))
            previous.append(screening)
        replace_screenings(session, new)
    return [later_id for later_id, _ in new]


def _keep(sessions: sessionmaker[Session], session_id: int, upload: Path, folder: Path) -> str:
    """Move the analysed video to the kept-videos folder and record where it is; the upload is
    deleted (and a note returned) when it cannot be kept, so no stray copy stays behind."""
    target = folder / f"session-{session_id}{upload.suffix}"
    try:
        private_dir(folder)
        shutil.move(str(upload), target)  # keeps the upload's owner-only mode
    except OSError as exc:
        upload.unlink(missing_ok=True)
        return f"Results saved, but the video could not be kept in {folder}: {exc}"
    with sessions() as session:
        set_video_path(session, session_id, str(target))
    return ""
