"""The per-frame emotion model's recall per emotion, stored with each session's series.

`frame_series.emotion_recall` (emotion -> recall on the model's test faces) decides how well each
emotion is read and whether a screening rule may judge it (mescreen.core.emotion.recall), so a
session keeps reading the way its own model read. Sessions stored earlier keep NULL: unknown.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("frame_series") as batch:
        batch.add_column(sa.Column("emotion_recall", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("frame_series") as batch:
        batch.drop_column("emotion_recall")
