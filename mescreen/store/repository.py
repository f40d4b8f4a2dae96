"""What the dashboard, CLI and batch do with the store: patients, analysed sessions, export, erasure.

Every function takes an explicit SQLAlchemy `Session` first and is ONE transaction: it commits
when it returns and rolls everything back when it raises (see mescreen/store/transactions.py), so a crash or
error mid-save leaves no partial session and callers never call commit. Functions that read,
export, import or erase a patient's data take `actor` (the signed-in user name) and write an
AuditLog row in the same transaction; which patients and sessions `actor` may reach at all is
decided by mescreen/store/access.py (care teams), checked first. Results come back as frozen
views or `SessionResult`s, never as ORM objects, so nothing lazy-loads after the transaction ended.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from mescreen.core.aus.activity import DEFAULT_THRESHOLD
from mescreen.core.screening.figures import emotion_shares, labelled_episodes
from mescreen.core.result import (
    ClusterInfo,
    Episode,
    FrameSeries,
    Indicator,
    Screening,
    SessionClusters,
    SessionResult,
    SilhouetteCurve,
    VideoInfo,
    to_plain,
)
from mescreen.store import models
from mescreen.store.access import require_patient, require_session, visible_patients
from mescreen.store.audit import AuditView, as_utc, audit_actions, audit_entries, record, record_apart
from mescreen.store.errors import (
    DuplicatePatientError,
    InvalidValueError,
    StoreError,
    UnknownPatientError,
    UnknownSessionError,
)
from mescreen.store.models import CareTeam, EpisodeRow, FrameArray, FrameSeriesBlob, Patient, RecordingSession
from mescreen.store.series_codec import CODEC, decode_array, encode_array
from mescreen.store.teams import (
    TeamView,
    create_team,
    list_teams,
    move_patient,
    set_member,
    team_for_new_patient,
    teams_of,
    usable_teams,
)
from mescreen.store.transactions import transaction
from mescreen.store.users import (
    UserView,
    authenticate,
    count_users,
    create_user,
    delete_user,
    get_user,
    list_users,
    set_password,
    set_role,
)

__all__ = [
    "AuditView", "PatientView", "SessionView", "UserView", "EXPORT_FORMAT",
    "create_patient", "update_patient", "list_patients", "get_patient",
    "create_session", "mark_running", "mark_failed", "complete_session", "save_session",
    "record_failed_session", "load_session", "patient_timeline", "previous_screenings",
    "find_done_session", "find_session", "set_video_path", "fail_interrupted", "live_uploads",
    "delete_patient", "export_patient", "import_patient",
    "audit_entries", "create_user", "authenticate", "list_users", "count_users", "set_role",
    "set_password", "delete_user", "get_user", "audit_actions", "record_apart",
    "TeamView", "create_team", "list_teams", "teams_of", "set_member", "move_patient", "usable_teams",
    "session_patient_code", "session_number", "next_session_number",
]

#: Identifies a patient export; bump the version if its layout changes. Version 2 added the
#: session numbers; a version 1 export is read with its sessions numbered in recording order.
EXPORT_FORMAT = {"format": "mescreen-patient-export", "format_version": 2}
READABLE_EXPORT_VERSIONS = (1, 2)
MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class PatientView:
    code: str
    display_name: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    n_sessions: int
    last_recorded_on: date | None
    last_level: str | None  # screening level of the latest completed session
    team: str = ""  # the care team the patient belongs to


@dataclass(frozen=True)
class SessionView:
    """One session as charts and lists need it (no per-frame data)."""

    id: int
    number: int  # the patient's own session number, given at upload and never changed
    patient_code: str
    recorded_on: date
    uploader: str
    file_name: str
    content_hash: str
    status: str
    error: str | None
    created_at: datetime
    updated_at: datetime
    level: str | None
    indicators: dict[str, float | None]  # screening indicator key -> value
    raised: list[str]  # keys of the raised indicators
    emotion_shares: dict[str, float]  # fine emotion -> share of the labelled micro-expressions
    summary: dict[str, Any]  # n_frames, duration_s, face_ratio, episode counts (see _summary)
    versions: dict[str, str]
    video_path: str | None
    notes: str | None = None  # the clinician's note on this session
    indicator_labels: dict[str, str] = field(default_factory=dict)  # key -> label as screened


# --- patients -----------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise InvalidValueError("patient code is empty")
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidValueError(f"patient code is longer than {MAX_CODE_LENGTH} characters")
    return code


def _patient(session: Session, code: str) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.code == code))
    if patient is None:
        raise UnknownPatientError(f"no patient with code {code!r}")
    return patient


def create_patient(
    session: Session, code: str, *, display_name: str | None = None, notes: str | None = None, actor: str,
    team: str | None = None,
) -> PatientView:
    """A new patient in care team `team` (default: the only team `actor` may use; see
    mescreen.store.teams.team_for_new_patient)."""
    code = _clean_code(code)
    duplicate = DuplicatePatientError(f"a patient with code {code!r} already exists")
    with transaction(session, conflict=duplicate):
        if session.scalar(select(Patient.id).where(Patient.code == code)) is not None:
            raise duplicate
        care_team = team_for_new_patient(session, actor, team)
        patient = Patient(code=code, display_name=display_name or None, notes=notes or None, team_id=care_team.id)
        session.add(patient)
        record(session, actor, "create_patient", patient_code=code, detail=f"care team {care_team.name!r}")
        session.flush()
        return _patient_views(session, [patient])[0]


def update_patient(
    session: Session, code: str, *, display_name: str | None = None, notes: str | None = None, actor: str
) -> PatientView:
    """Replace display name and notes (None or "" clears them)."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        patient.display_name = display_name or None
        patient.notes = notes or None
        record(session, actor, "update_patient", patient_code=code)
        session.flush()
        return _patient_views(session, [patient])[0]


def list_patients(session: Session, search: str = "", *, actor: str) -> list[PatientView]:
    """The patients `actor` may see whose code or display name contains `search`
    (case-insensitive), by code."""
    query = visible_patients(session, actor).order_by(Patient.code)
    if search.strip():
        pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Patient.code.ilike(pattern, escape="\\"), Patient.display_name.ilike(pattern, escape="\\"))
        )
    with transaction(session):
        patients = list(session.scalars(query))
        record(session, actor, "list_patients", detail=f"{len(patients)} patients listed")
        return _patient_views(session, patients)


def get_patient(session: Session, code: str, *, actor: str) -> PatientView:
    with transaction(session):
        patient = require_patient(session, actor, code)
        record(session, actor, "read_patient", patient_code=code)
        return _patient_views(session, [patient])[0]


def _patient_views(session: Session, patients: list[Patient]) -> list[PatientView]:
    """Views with session counts and latest level, from one light query (no per-frame data)."""
    ids = [p.id for p in patients]
    stats: dict[int, list[tuple[date, int, str, str | None]]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(
                RecordingSession.patient_id, RecordingSession.recorded_on, RecordingSession.id,
                RecordingSession.status, RecordingSession.level,
            ).where(RecordingSession.patient_id.in_(ids))
        )
        for patient_id, recorded_on, session_id, status, level in rows:
            stats[patient_id].append((recorded_on, session_id, status, level))
    teams = dict(session.execute(select(CareTeam.id, CareTeam.name).where(
        CareTeam.id.in_({p.team_id for p in patients}))).all()) if patients else {}
    views = []
    for p in patients:
        sessions = sorted(stats[p.id])
        done = [s for s in sessions if s[2] == "done"]
        views.append(
            PatientView(
                code=p.code, display_name=p.display_name, notes=p.notes,
                created_at=as_utc(p.created_at), updated_at=as_utc(p.updated_at),
                n_sessions=len(sessions), last_recorded_on=sessions[-1][0] if sessions else None,
                last_level=done[-1][3] if done else None, team=teams.get(p.team_id, ""),
            )
        )
    return views


# --- sessions: writing --------------------------------------------------------------------------


def _recording(session: Session, session_id: int) -> RecordingSession:
    row = session.get(RecordingSession, session_id)
    if row is None:
        raise UnknownSessionError(f"There is no session with the id {session_id}.")
    return row


def _new_session(
    session: Session, patient_code: str, *, recorded_on: date, uploader: str, file_name: str,
    content_hash: str, status: str, upload_path: str | None = None,
) -> RecordingSession:
    if status not in models.SESSION_STATUSES:
        raise InvalidValueError(f"unknown session status {status!r}: use one of {', '.join(models.SESSION_STATUSES)}")
    if not isinstance(recorded_on, date):
        raise InvalidValueError("recording date must be a date")
    patient = require_patient(session, uploader, patient_code)
    row = RecordingSession(
        patient=patient, number=next_session_number(session, patient), recorded_on=recorded_on,
        uploader=uploader, file_name=file_name, content_hash=content_hash, status=status,
        upload_path=upload_path,
    )
    session.add(row)
    return row


def next_session_number(session: Session, patient: Patient) -> int:
    """The patient's next session number, given out once (upload order; never reused, not even
    after a deletion). The increment is one UPDATE, so two uploads at once get two numbers."""
    session.execute(update(Patient).where(Patient.id == patient.id)
                    .values(last_session_number=Patient.last_session_number + 1))
    return session.scalar(select(Patient.last_session_number).where(Patient.id == patient.id))


def create_session(
    session: Session, patient_code: str, *, recorded_on: date, uploader: str, file_name: str,
    content_hash: str, status: str = "queued", upload_path: str | None = None,
) -> int:
    """Register an uploaded recording before (or while) it is analysed; returns its id.

    `upload_path` is the raw upload the analysis will read: recorded so that erasing the patient,
    or the clean-up after a server restart, deletes it even if the analysis never finishes."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status=status, upload_path=upload_path,
        )
        session.flush()
        record(session, uploader, "create_session", patient_code=patient_code, session_id=row.id)
        return row.id


def mark_running(session: Session, session_id: int) -> None:
    with transaction(session):
        row = _recording(session, session_id)
        row.status, row.error = "running", None


def mark_failed(session: Session, session_id: int, error: str) -> None:
    """Keep a failed analysis visible with its reason instead of losing the upload."""
    with transaction(session):
        row = _recording(session, session_id)
        row.status, row.error = "failed", error or "unknown error"
        row.upload_path = None  # the worker deletes the upload next


#: Why a session that was queued or running when the server stopped is failed at the next start.
INTERRUPTED = "The analysis was interrupted by a server restart; please upload the recording again."


def fail_interrupted(session: Session) -> list[str]:
    """At server start: every queued or running session is failed (no process is analysing it any
    more); returns the uploads they owned, for the caller to delete. Audited as the server."""
    with transaction(session):
        rows = list(session.scalars(
            select(RecordingSession).where(RecordingSession.status.in_(("queued", "running")))
            .options(selectinload(RecordingSession.patient))
        ))
        uploads = [r.upload_path for r in rows if r.upload_path]
        for row in rows:
            row.status, row.error, row.upload_path = "failed", INTERRUPTED, None
            record(session, "server", "fail_interrupted", patient_code=row.patient.code, session_id=row.id,
                   outcome="failed", detail="queued or running when the server stopped")
        return uploads


def live_uploads(session: Session) -> set[str]:
    """Uploads that queued or running sessions still own."""
    with transaction(session):
        return set(session.scalars(
            select(RecordingSession.upload_path).where(
                RecordingSession.status.in_(("queued", "running")), RecordingSession.upload_path.is_not(None))
        ))


def complete_session(session: Session, session_id: int, result: SessionResult) -> None:
    """Store a finished analysis (series, episodes, indicators, summary, versions) in one go."""
    with transaction(session):
        row = _recording(session, session_id)
        _fill(session, row, result)
        row.upload_path = None  # the worker deletes or keeps the upload next


def save_session(
    session: Session, patient_code: str, result: SessionResult, *, recorded_on: date, uploader: str,
    file_name: str, content_hash: str,
) -> int:
    """create_session + complete_session as one transaction; returns the new session id."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status="done",
        )
        _fill(session, row, result)
        session.flush()
        record(session, uploader, "save_session", patient_code=patient_code, session_id=row.id)
        return row.id


def record_failed_session(
    session: Session, patient_code: str, error: str, *, recorded_on: date, uploader: str,
    file_name: str, content_hash: str,
) -> int:
    """A recording whose analysis failed before it was registered: stored as failed, with why."""
    with transaction(session):
        row = _new_session(
            session, patient_code, recorded_on=recorded_on, uploader=uploader, file_name=file_name,
            content_hash=content_hash, status="failed",
        )
        row.error = error or "unknown error"
        session.flush()
        record(session, uploader, "create_session", patient_code=patient_code, session_id=row.id)
        return row.id


def set_video_path(session: Session, session_id: int, path: str | None) -> None:
    """Remember where the kept video is, so that erasing the patient also deletes the file."""
    with transaction(session):
        _recording(session, session_id).video_path = path


def _fill(session: Session, row: RecordingSession, result: SessionResult) -> None:
    """Write `result` into `row` and its child rows (replacing any earlier result)."""
    plain = _plain_without_series(result)
    if row.id is not None and session.get(FrameSeriesBlob, row.id) is not None:
        row.indicators, row.episodes, row.series, row.frame_arrays = [], [], None, []
        session.flush()
    row.status, row.error = "done", None
    row.versions = plain["versions"]
    row.pipeline_version = result.versions.get("pipeline")
    row.video = plain["video"]
    row.summary = _summary(result)
    _set_screening(row, plain["screening"])
    row.clusters = plain["clusters"]
    row.options = plain["options"]
    row.warnings = plain["warnings"]
    row.result_created_at = result.created_at
    row.episodes = [EpisodeRow(position=i, **episode) for i, episode in enumerate(plain["episodes"])]
    series = result.series
    row.series = FrameSeriesBlob(
        codec=CODEC, n_frames=len(series), au_names=list(series.au_names),
        emotion_names=list(series.emotion_names), au_thresholds=[float(t) for t in series.au_thresholds] or None,
        emotion_recall={e: float(r) for e, r in series.emotion_recall.items()} or None,
        **{name: encode_array(getattr(series, name)) for name in FrameSeries._ARRAYS},
    )
    row.frame_arrays = [FrameArray(name=name, data=encode_array(arr)) for name, arr in series.optional_arrays().items()]


def _set_screening(row: RecordingSession, screening: dict[str, Any]) -> None:
    """The screening's level, reasons and indicator rows (a plain, JSON-safe dict)."""
    row.level = screening["level"]
    row.screening_reasons = screening["reasons"]
    row.screening_config_version = screening["config_version"]
    row.intended_use = screening["intended_use"]
    row.indicators = [
        models.Indicator(position=i, longitudinal=longitudinal, **indicator)
        for i, (longitudinal, indicator) in enumerate(
            [(False, d) for d in screening["indicators"]] + [(True, d) for d in screening["longitudinal"]]
        )
    ]


def _plain_without_series(result: SessionResult) -> dict[str, Any]:
    """`to_dict()` of everything but the series (stored as blobs; listing 108,000 frames as JSON
    would double the save time). JSON-safe, NaN as None, so PostgreSQL's JSON accepts every part."""
    empty = FrameSeries.empty(result.series.au_names, result.series.emotion_names)
    plain = replace(result, series=empty).to_dict()
    del plain["series"]
    return plain


def _summary(result: SessionResult) -> dict[str, Any]:
    """Figures the longitudinal charts plot, computed once at save time."""
    micro = [e for e in result.episodes if e.kind == "micro"]
    counts = Counter(e.emotion for e in labelled_episodes(result.episodes))
    n = len(result.series)
    duration = float(result.video.duration_s)
    return {
        "n_frames": n,
        "duration_s": duration if math.isfinite(duration) else None,
        "face_ratio": float(np.mean(result.series.face_found)) if n else None,
        "n_episodes": len(result.episodes),
        "n_micro": len(micro),
        "n_macro": len(result.episodes) - len(micro),
        "emotion_counts": dict(sorted(counts.items())),
        "emotion_shares": emotion_shares(result.episodes),
    }


# --- sessions: reading --------------------------------------------------------------------------


def _session_view(row: RecordingSession, patient_code: str) -> SessionView:
    screening = [i for i in row.indicators if not i.longitudinal]
    summary = dict(row.summary or {})
    return SessionView(
        id=row.id, number=row.number, patient_code=patient_code, recorded_on=row.recorded_on, uploader=row.uploader,
        file_name=row.file_name, content_hash=row.content_hash, status=row.status, error=row.error,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at), level=row.level,
        indicators={i.key: i.value for i in screening}, raised=[i.key for i in screening if i.raised],
        emotion_shares=dict(summary.get("emotion_shares", {})), summary=summary,
        versions=dict(row.versions or {}), video_path=row.video_path, notes=row.notes,
        indicator_labels={i.key: i.label for i in screening},
    )


def _indicator(row: models.Indicator) -> Indicator:
    return Indicator(
        key=row.key, label=row.label, value=row.value, threshold=row.threshold, raised=row.raised,
        evidence=row.evidence, reference=row.reference, low=row.low, high=row.high,
    )


def _screening(row: RecordingSession) -> Screening:
    return Screening(
        level=row.level, reasons=list(row.screening_reasons or []),  # type: ignore[arg-type]
        indicators=[_indicator(i) for i in row.indicators if not i.longitudinal],
        config_version=row.screening_config_version or "", intended_use=row.intended_use or "",
        longitudinal=[_indicator(i) for i in row.indicators if i.longitudinal],
    )


def _episode(row: EpisodeRow) -> Episode:
    return Episode(
        onset_frame=row.onset_frame, apex_frame=row.apex_frame, offset_frame=row.offset_frame,
        onset_s=row.onset_s, apex_s=row.apex_s, offset_s=row.offset_s, kind=row.kind,  # type: ignore[arg-type]
        score=row.score if row.score is not None else float("nan"), au_prob=dict(row.au_prob),
        active_aus=list(row.active_aus), emotion3_prob=dict(row.emotion3_prob), emotion=row.emotion,
        emotion_prob=dict(row.emotion_prob), cluster=row.cluster, cluster_aus=list(row.cluster_aus),
        confidence=row.confidence, landmarks=dict(row.landmarks or {}),
    )


def _series(blob: FrameSeriesBlob, extra: list[FrameArray]) -> FrameSeries:
    if blob.codec != CODEC:
        raise StoreError(f"per-frame data stored with unknown codec {blob.codec!r}: upgrade mescreen")
    arrays = {name: decode_array(getattr(blob, name)) for name in FrameSeries._ARRAYS}
    optional = {a.name: decode_array(a.data) for a in extra if a.name in FrameSeries.OPTIONAL_ARRAYS}
    return FrameSeries(au_names=list(blob.au_names), emotion_names=list(blob.emotion_names),
                       au_thresholds=list(blob.au_thresholds or []), emotion_recall=dict(blob.emotion_recall or {}),
                       **arrays, **optional)


#: Added to the warnings of a session whose AU thresholds were never recorded.
DEFAULT_THRESHOLD_NOTE = (
    f"This session was analysed before AU thresholds were stored and its AU model is unknown: an AU "
    f"counts as active at probability {DEFAULT_THRESHOLD} or more."
)


def _clusters(data: dict[str, Any]) -> SessionClusters:
    return SessionClusters(
        reference_version=data.get("reference_version", ""), counts=dict(data.get("counts", {})),
        reference_clusters=[ClusterInfo(**c) for c in data.get("reference_clusters", [])],
        own_clusters=[ClusterInfo(**c) for c in data.get("own_clusters", [])],
        own_silhouette=[SilhouetteCurve(**c) for c in data.get("own_silhouette", [])],
        note=data.get("note", ""),
    )


def _result(session: Session, row: RecordingSession) -> SessionResult | None:
    """The stored SessionResult, or None when the session is not done."""
    if row.status != "done":
        return None
    blob = session.get(FrameSeriesBlob, row.id)
    if blob is None:
        raise StoreError(f"session {row.id} is marked done but its per-frame data is missing")
    video = dict(row.video or {})
    warnings = list(row.warnings or [])
    if not blob.au_thresholds:
        warnings.append(DEFAULT_THRESHOLD_NOTE)
    return SessionResult(
        video=VideoInfo(**video), series=_series(blob, row.frame_arrays),
        episodes=[_episode(e) for e in row.episodes], clusters=_clusters(row.clusters or {}),
        screening=_screening(row), versions=dict(row.versions or {}), options=dict(row.options or {}),
        warnings=warnings, created_at=row.result_created_at or "",
    )


def load_session(
    session: Session, session_id: int, *, actor: str
) -> tuple[SessionView, SessionResult | None]:
    """One session with its series and episodes (result is None unless its status is done)."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        code = row.patient.code
        record(session, actor, "read_session", patient_code=code, session_id=session_id)
        return _session_view(row, code), _result(session, row)


def session_patient_code(session: Session, session_id: int, *, actor: str) -> str:
    """The code of the patient a session belongs to, if `actor` may see it (a link names both;
    the dashboard checks they agree before following it). Nothing is shown, so no audit row
    unless refused."""
    with transaction(session):
        return require_session(session, actor, session_id).patient.code


def session_number(session: Session, session_id: int) -> int:
    """The patient's number of a session just registered (the analyses panel names it). Shows
    nothing of the session itself, so no audit row."""
    with transaction(session):
        return _recording(session, session_id).number


def _patient_sessions(session: Session, patient: Patient) -> list[RecordingSession]:
    return list(
        session.scalars(
            select(RecordingSession).where(RecordingSession.patient_id == patient.id)
            .order_by(RecordingSession.recorded_on, RecordingSession.id)
            .options(selectinload(RecordingSession.indicators))
        )
    )


def patient_timeline(session: Session, code: str, *, actor: str) -> list[SessionView]:
    """All of a patient's sessions, oldest first, with levels and indicators (longitudinal view)."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        views = [_session_view(r, code) for r in _patient_sessions(session, patient)]
        record(session, actor, "read_timeline", patient_code=code)
        return views


def _recording_order(recorded_on: date, session_id: int | None) -> tuple[date, float]:
    """Sessions are ordered by recording date, then by id (a session not stored yet comes last)."""
    return recorded_on, float("inf") if session_id is None else float(session_id)


def previous_screenings(
    session: Session, code: str, *, recorded_on: date | None = None, session_id: int | None = None
) -> list[Screening]:
    """Screenings of the patient's completed sessions, oldest first, for longitudinal comparison.

    With `recorded_on`, only sessions recorded before that date, or on it with a lower id than
    `session_id` (all of that day when the session is not stored yet). Used by the analysis
    service, not shown to a user, so no audit row."""
    with transaction(session):
        patient = _patient(session, code)
        rows = [r for r in _patient_sessions(session, patient) if r.status == "done"]
        if recorded_on is not None:
            anchor = _recording_order(recorded_on, session_id)
            rows = [r for r in rows if _recording_order(r.recorded_on, r.id) < anchor]
        return [_screening(r) for r in rows]


def later_sessions(session: Session, session_id: int) -> list[tuple[int, date, SessionResult]]:
    """The completed sessions of the same patient recorded after this one, oldest first, with
    their results: their longitudinal indicators depend on this one. No audit row (the service
    re-screens them; nobody is shown them)."""
    with transaction(session):
        anchor = _recording(session, session_id)
        order = _recording_order(anchor.recorded_on, anchor.id)
        rows = [r for r in _patient_sessions(session, anchor.patient)
                if r.status == "done" and _recording_order(r.recorded_on, r.id) > order]
        return [(r.id, r.recorded_on, _result(session, r)) for r in rows]  # type: ignore[misc]


def replace_screenings(session: Session, screenings: Sequence[tuple[int, Screening]]) -> None:
    """Store re-computed screenings (level, reasons, indicators) of completed sessions, all in one
    transaction: a patient's later sessions are re-screened together or not at all."""
    with transaction(session):
        for session_id, screening in screenings:
            row = _recording(session, session_id)
            row.indicators = []
            session.flush()
            _set_screening(row, to_plain(screening))


def find_done_session(
    session: Session, patient_code: str, content_hash: str, versions: dict[str, str]
) -> int | None:
    """A completed session of this patient, of the same file analysed with the same versions
    (batch re-runs skip it). The same file listed for another patient is not a match: that
    patient would otherwise get nothing."""
    with transaction(session):
        rows = session.execute(
            select(RecordingSession.id, RecordingSession.versions).join(RecordingSession.patient)
            .where(Patient.code == patient_code, RecordingSession.content_hash == content_hash,
                   RecordingSession.status == "done")
            .order_by(RecordingSession.id)
        )
        wanted = {str(k): str(v) for k, v in versions.items()}
        return next((sid for sid, stored in rows if (stored or {}) == wanted), None)


def find_session(
    session: Session, patient_code: str, *, recorded_on: date, file_name: str, content_hash: str, status: str
) -> int | None:
    """The oldest session of this patient, date, file and content in `status`, if any (batch re-runs
    update their failed session in place). A lookup by the pipeline, not shown to a user: no audit row."""
    with transaction(session):
        return session.scalar(
            select(RecordingSession.id).join(RecordingSession.patient)
            .where(
                Patient.code == patient_code, RecordingSession.recorded_on == recorded_on,
                RecordingSession.file_name == file_name, RecordingSession.content_hash == content_hash,
                RecordingSession.status == status,
            )
            .order_by(RecordingSession.id)
            .limit(1)
        )


# --- erasure, export, import --------------------------------------------------------------------


def set_session_note(session: Session, session_id: int, text: str, *, actor: str) -> None:
    """Replace the clinician's note on a session ("" clears it); audited with the note's length,
    never its words (notes may name clinical details the audit log should not copy)."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        row.notes = text.strip() or None
        record(session, actor, "edit_session_note", patient_code=row.patient.code, session_id=session_id,
               detail=f"{len(row.notes or '')} characters")


def delete_patient(session: Session, code: str, *, actor: str) -> None:
    """Erase a patient with every session, series, episode and kept video file.

    The rows go in one transaction (foreign keys cascade); kept videos and uploads still waiting
    for analysis are removed after it has committed, so a failed erasure never leaves rows
    pointing at deleted files. The audit row keeps only the pseudonymous code."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        videos = [
            path for pair in session.execute(
                select(RecordingSession.video_path, RecordingSession.upload_path)
                .where(RecordingSession.patient_id == patient.id)
            ) for path in pair if path
        ]
        session.delete(patient)
        record(session, actor, "delete_patient", patient_code=code, detail=f"{len(videos)} file(s) deleted")
    _remove_videos(videos, f"patient {code!r} was erased from the database")


def delete_session(session: Session, session_id: int, *, actor: str) -> str:
    """Erase one session (its result, series, episodes and kept video) and return its patient's
    code. A session still queued or being analysed is refused: cancel its analysis first. Later
    sessions' change-over-time indicators compared with it; mescreen.service.delete_session
    re-screens them."""
    with transaction(session):
        row = require_session(session, actor, session_id)
        if row.status in ("queued", "running"):
            raise StoreError(f"Session {row.number} is still {row.status}; cancel its analysis before deleting it.")
        code = row.patient.code
        videos = [p for p in (row.video_path, row.upload_path) if p]
        session.delete(row)
        record(session, actor, "delete_session", patient_code=code, session_id=session_id)
    _remove_videos(videos, f"session {session_id} was erased from the database")
    return code


def _remove_videos(videos: list[str], done: str) -> None:
    """Delete kept video files after their rows are gone; name any that could not be deleted."""
    left = []
    for video in videos:
        try:
            Path(video).unlink(missing_ok=True)
        except OSError as exc:
            left.append(f"{video} ({exc.strerror or exc})")
    if left:
        raise StoreError(f"{done}, but these video files could not be deleted and must be removed by hand: "
                         f"{'; '.join(left)}")


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()


def export_patient(session: Session, code: str, *, actor: str) -> dict[str, Any]:
    """The patient and all sessions as a JSON-safe dict (no database ids, no kept-video paths).

    `import_patient` of it, then export again, gives the same dict."""
    with transaction(session):
        patient = require_patient(session, actor, code)
        sessions = []
        for row in session.scalars(
            select(RecordingSession).where(RecordingSession.patient_id == patient.id)
            .order_by(RecordingSession.recorded_on, RecordingSession.id)
            .options(selectinload(RecordingSession.indicators), selectinload(RecordingSession.episodes))
        ):
            result = _result(session, row)
            sessions.append({
                "number": row.number, "recorded_on": row.recorded_on.isoformat(), "uploader": row.uploader,
                "file_name": row.file_name, "content_hash": row.content_hash, "status": row.status,
                "error": row.error, "created_at": _iso(row.created_at), "updated_at": _iso(row.updated_at),
                "notes": row.notes, "result": result.to_dict() if result is not None else None,
            })
        record(session, actor, "export_patient", patient_code=code, detail=f"{len(sessions)} sessions")
        return {
            **EXPORT_FORMAT,
            "patient": {
                "code": patient.code, "display_name": patient.display_name, "notes": patient.notes,
                "created_at": _iso(patient.created_at), "updated_at": _iso(patient.updated_at),
                "last_session_number": patient.last_session_number,
            },
            "sessions": sessions,
        }


def import_patient(session: Session, data: dict[str, Any], *, actor: str, team: str | None = None) -> str:
    """Recreate a patient from `export_patient` output (all or nothing) in care team `team`
    (default as for `create_patient`); returns its code."""
    if (not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT["format"]
            or data.get("format_version") not in READABLE_EXPORT_VERSIONS):
        raise InvalidValueError(
            f"not a mescreen patient export (expected format {EXPORT_FORMAT['format']!r} "
            f"version {' or '.join(map(str, READABLE_EXPORT_VERSIONS))})"
        )
    with transaction(session):
        try:
            p = data["patient"]
            code = _clean_code(p["code"])
            if session.scalar(select(Patient.id).where(Patient.code == code)) is not None:
                raise DuplicatePatientError(f"a patient with code {code!r} already exists: not imported")
            care_team = team_for_new_patient(session, actor, team)
            patient = Patient(
                code=code, display_name=p.get("display_name"), notes=p.get("notes"), team_id=care_team.id,
                created_at=datetime.fromisoformat(p["created_at"]),
                updated_at=datetime.fromisoformat(p["updated_at"]),
            )
            session.add(patient)
            numbers = [int(s.get("number") or n) for n, s in enumerate(data["sessions"], start=1)]
            if len(set(numbers)) != len(numbers):
                raise ValueError(f"session numbers repeat: {sorted(numbers)}")
            patient.last_session_number = max([int(p.get("last_session_number") or 0), *numbers])
            for number, s in zip(numbers, data["sessions"]):
                row = RecordingSession(
                    patient=patient, number=number, recorded_on=date.fromisoformat(s["recorded_on"]),
                    uploader=s["uploader"], file_name=s["file_name"], content_hash=s["content_hash"],
                    status=s["status"], created_at=datetime.fromisoformat(s["created_at"]),
                    updated_at=datetime.fromisoformat(s["updated_at"]),
                )
                session.add(row)
                if s["status"] not in models.SESSION_STATUSES:
                    raise ValueError(f"session of {s['recorded_on']}: unknown status {s['status']!r}")
                if (s["status"] == "done") != (s.get("result") is not None):
                    raise ValueError(f"session of {s['recorded_on']}: status {s['status']!r} does not match its result")
                if s.get("result") is not None:
                    _fill(session, row, SessionResult.from_dict(s["result"]))
                row.status, row.error, row.notes = s["status"], s.get("error"), s.get("notes")
            session.flush()
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValueError(f"the patient export is incomplete or damaged: {exc!r}") from exc
        record(session, actor, "import_patient", patient_code=code,
               detail=f"{len(data['sessions'])} sessions, care team {care_team.name!r}")
        return code
