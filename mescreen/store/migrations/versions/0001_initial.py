"""Initial patient store: patients, sessions, indicators, episodes, frame series, users, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("code", name="uq_patients_code"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("uploader", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        *_timestamps(),
        sa.Column("video_path", sa.Text(), nullable=True),
        sa.Column("pipeline_version", sa.String(100), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=True),
        sa.Column("video", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("screening_reasons", sa.JSON(), nullable=True),
        sa.Column("screening_config_version", sa.String(100), nullable=True),
        sa.Column("intended_use", sa.Text(), nullable=True),
        sa.Column("clusters", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=True),
        sa.Column("result_created_at", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], ondelete="CASCADE", name="fk_sessions_patient_id_patients"
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="ck_sessions_status_known"
        ),
    )
    op.create_index("ix_sessions_patient_id", "sessions", ["patient_id"])
    op.create_index("ix_sessions_content_hash", "sessions", ["content_hash"])

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("longitudinal", sa.Boolean(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("raised", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_indicators"),
        _session_fk_constraint("indicators"),
    )
    op.create_index("ix_indicators_session_id", "indicators", ["session_id"])

    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("onset_frame", sa.Integer(), nullable=False),
        sa.Column("apex_frame", sa.Integer(), nullable=False),
        sa.Column("offset_frame", sa.Integer(), nullable=False),
        sa.Column("onset_s", sa.Float(), nullable=False),
        sa.Column("apex_s", sa.Float(), nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("au_prob", sa.JSON(), nullable=False),
        sa.Column("active_aus", sa.JSON(), nullable=False),
        sa.Column("emotion3_prob", sa.JSON(), nullable=False),
        sa.Column("emotion", sa.String(32), nullable=False),
        sa.Column("emotion_prob", sa.JSON(), nullable=False),
        sa.Column("cluster", sa.String(64), nullable=False),
        sa.Column("cluster_aus", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_episodes"),
        _session_fk_constraint("episodes"),
    )
    op.create_index("ix_episodes_session_id", "episodes", ["session_id"])

    op.create_table(
        "frame_series",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("codec", sa.String(32), nullable=False),
        sa.Column("n_frames", sa.Integer(), nullable=False),
        sa.Column("au_names", sa.JSON(), nullable=False),
        sa.Column("emotion_names", sa.JSON(), nullable=False),
        *[
            sa.Column(name, sa.LargeBinary(), nullable=False)
            for name in (
                "frame_index", "time_s", "face_found", "face_confidence", "face_size", "blur",
                "motion", "au_prob", "emotion_prob",
            )
        ],
        sa.PrimaryKeyConstraint("session_id", name="pk_frame_series"),
        _session_fk_constraint("frame_series"),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('clinician', 'admin')", name="ck_users_role_known"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("patient_code", sa.String(64), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_patient_code", "audit_log", ["patient_code"])


def _session_fk_constraint(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"], ["sessions.id"], ondelete="CASCADE", name=f"fk_{table}_session_id_sessions"
    )


def downgrade() -> None:
    for table in ("audit_log", "users", "frame_series", "episodes", "indicators", "sessions", "patients"):
        op.drop_table(table)
