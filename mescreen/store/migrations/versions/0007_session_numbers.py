"""Session numbers: each session keeps the number it was given at upload.

Before, the number was worked out on every page from the recording dates, so a back-dated upload
renumbered the patient's later sessions ("session 1" on the upload page became "Session 3" on the
session page and in a new PDF). Now `sessions.number` is stored once and `patients.last_session_number`
remembers the last number given out, so a deleted session's number is never given again.

Existing sessions are numbered as the session page and the PDF reports showed them until now:
1, 2, 3 ... in recording order (recording date, then upload), so reports printed before this
upgrade keep naming the same sessions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("last_session_number", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    # Two statements that SQLite and PostgreSQL both run: a session's number is its place in the
    # patient's recording order (date, then id), and the patient's last number the highest one.
    op.execute(sa.text(
        "UPDATE sessions SET number = (SELECT COUNT(*) FROM sessions AS earlier "
        "WHERE earlier.patient_id = sessions.patient_id AND (earlier.recorded_on < sessions.recorded_on "
        "OR (earlier.recorded_on = sessions.recorded_on AND earlier.id <= sessions.id)))"
    ))
    op.execute(sa.text(
        "UPDATE patients SET last_session_number = "
        "(SELECT COALESCE(MAX(number), 0) FROM sessions WHERE sessions.patient_id = patients.id)"
    ))
    # SQLite rebuilds the table for NOT NULL and the constraint (mescreen.store.engine.upgrade turns
    # foreign keys off meanwhile, so the rebuild does not cascade into the session's child rows).
    with op.batch_alter_table("sessions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_sessions_patient_number", ["patient_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("sessions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint("uq_sessions_patient_number", type_="unique")
        batch.drop_column("number")
    with op.batch_alter_table("patients", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("last_session_number")
