"""Tables of the patient store (SQLAlchemy 2 typed mappings).

Layout, and why:
- `patients` holds only a clinic-chosen pseudonymous code plus optional name/notes: no other
  identifier is needed, so none is stored.
- `sessions` is one analysed recording; what charts query (status, level, versions, summary
  figures) are columns or small JSON documents on it, so the longitudinal view is one query.
  Each has the patient's own session number (`number`), given once at upload and never changed,
  so a report printed today names the same session as the dashboard next year.
- `indicators` are rows (not JSON) so that a chart of one indicator over months is a plain query.
- `frame_series` stores each per-frame array as one compressed blob (see mescreen/store/series_codec.py):
  measured much faster than one row per frame for 108,000-frame sessions.
- `frame_arrays` holds the optional per-frame arrays (face geometry, ...) the same way, one row
  per array name, so a new measurement needs no new column.
- `episodes` are rows: the dashboard lists and filters them.
- `care_teams` and `team_members`: every patient belongs to one care team; a clinician sees the
  patients of the teams they are a member of, an administrator sees all (mescreen/store/access.py).
- `audit_log` has no foreign keys on purpose: it must outlive the patient it mentions, and keeps
  only the pseudonymous code and session id.
The Alembic migrations in mescreen/store/migrations/ create exactly this schema (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Deterministic constraint names, so migrations can refer to (and later alter) them on any backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SESSION_STATUSES = ("queued", "running", "done", "failed")
USER_ROLES = ("clinician", "admin")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused after an erasure

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id"), index=True)  # who may see the patient
    # The last session number given out (mescreen.store.recordings.next_session_number): numbers are
    # never given again, not even after a session is deleted.
    last_session_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    sessions: Mapped[list[RecordingSession]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(RecordingSession.recorded_on, RecordingSession.id)",
    )


class RecordingSession(Base):
    """One uploaded recording and, once analysed, everything the pipeline said about it."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="status_known"
        ),
        UniqueConstraint("patient_id", "number", name="uq_sessions_patient_number"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    # The patient's own session number, given once at upload (1, 2, 3 ... in upload order) and
    # never changed: a back-dated upload gets the next number, not the place of its date.
    number: Mapped[int] = mapped_column(Integer)
    recorded_on: Mapped[date] = mapped_column(Date)
    uploader: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    video_path: Mapped[str | None] = mapped_column(Text)  # set only when the clinic keeps the video
    # The raw upload while it waits for or undergoes analysis: erasure and start-up clean-up delete it.
    upload_path: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)  # the clinician's note on this session

    # Filled when the analysis completes (status "done").
    pipeline_version: Mapped[str | None] = mapped_column(String(100))
    versions: Mapped[dict[str, str] | None] = mapped_column(JSON)
    video: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # VideoInfo
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # figures for charts, see session_rows
    level: Mapped[str | None] = mapped_column(String(16))
    screening_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    screening_config_version: Mapped[str | None] = mapped_column(String(100))
    intended_use: Mapped[str | None] = mapped_column(Text)
    clusters: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # SessionClusters
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warnings: Mapped[list[str] | None] = mapped_column(JSON)
    result_created_at: Mapped[str | None] = mapped_column(String(40))

    patient: Mapped[Patient] = relationship(back_populates="sessions")
    indicators: Mapped[list[Indicator]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Indicator.position"
    )
    episodes: Mapped[list[EpisodeRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="EpisodeRow.position"
    )
    series: Mapped[FrameSeriesBlob | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    frame_arrays: Mapped[list[FrameArray]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="FrameArray.name"
    )


class Indicator(Base):
    """One screening indicator of a session; `longitudinal` marks change-vs-earlier indicators."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    longitudinal: Mapped[bool] = mapped_column(Boolean, default=False)
    key: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    raised: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    low: Mapped[float | None] = mapped_column(Float)  # 95% interval, where defined
    high: Mapped[float | None] = mapped_column(Float)


class EpisodeRow(Base):
    """A micro- or macro-expression episode with its emotion, AU vector and cluster."""

    __tablename__ = "episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    onset_frame: Mapped[int] = mapped_column(Integer)
    apex_frame: Mapped[int] = mapped_column(Integer)
    offset_frame: Mapped[int] = mapped_column(Integer)
    onset_s: Mapped[float] = mapped_column(Float)
    apex_s: Mapped[float] = mapped_column(Float)
    offset_s: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    au_prob: Mapped[dict[str, float | None]] = mapped_column(JSON)
    active_aus: Mapped[list[str]] = mapped_column(JSON)
    emotion3_prob: Mapped[dict[str, float | None]] = mapped_column(JSON)
    emotion: Mapped[str] = mapped_column(String(32), default="")
    emotion_prob: Mapped[dict[str, float | None]] = mapped_column(JSON)
    cluster: Mapped[str] = mapped_column(String(64), default="")
    cluster_aus: Mapped[list[str]] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    landmarks: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FrameSeriesBlob(Base):
    """The per-frame arrays of one session, one compressed blob per array (mescreen/store/series_codec.py)."""

    __tablename__ = "frame_series"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    codec: Mapped[str] = mapped_column(String(32))
    n_frames: Mapped[int] = mapped_column(Integer)
    au_names: Mapped[list[str]] = mapped_column(JSON)
    emotion_names: Mapped[list[str]] = mapped_column(JSON)
    frame_index: Mapped[bytes] = mapped_column(LargeBinary)
    time_s: Mapped[bytes] = mapped_column(LargeBinary)
    face_found: Mapped[bytes] = mapped_column(LargeBinary)
    face_confidence: Mapped[bytes] = mapped_column(LargeBinary)
    face_size: Mapped[bytes] = mapped_column(LargeBinary)
    blur: Mapped[bytes] = mapped_column(LargeBinary)
    motion: Mapped[bytes] = mapped_column(LargeBinary)
    au_prob: Mapped[bytes] = mapped_column(LargeBinary)
    emotion_prob: Mapped[bytes] = mapped_column(LargeBinary)
    # None for sessions whose AU model's thresholds are unknown (read with the default; see
    # mescreen.core.aus.activity).
    au_thresholds: Mapped[list[float] | None] = mapped_column(JSON)
    # None for sessions whose emotion model recorded no recall per emotion ("unknown"; see
    # mescreen.core.emotion.recall).
    emotion_recall: Mapped[dict[str, float] | None] = mapped_column(JSON)


class FrameArray(Base):
    """One optional per-frame array of a session (e.g. head pose), as one compressed blob."""

    __tablename__ = "frame_arrays"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CareTeam(Base):
    """A group of clinicians who see the same patients (an administrator sees every team's)."""

    __tablename__ = "care_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamMember(Base):
    """A user's membership of a care team (a clinician may be in several)."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("care_teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('clinician', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped when the password is set: browser sessions signed in before end at their next click.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditLog(Base):
    """Who did what to which patient/session, when. No foreign keys: it outlives erasures."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(40))
    patient_code: Mapped[str | None] = mapped_column(String(64), index=True)
    session_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")  # ok/failed/refused/locked/denied
    client: Mapped[str | None] = mapped_column(String(64))  # browser address, for sign-ins
