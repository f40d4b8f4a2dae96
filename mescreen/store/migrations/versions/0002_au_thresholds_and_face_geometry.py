"""AU thresholds stored with each series; optional per-frame arrays; episode confidence and
landmarks; indicator intervals.

- `frame_series.au_thresholds`: the AU model's per-AU decision thresholds, so that every reader
  answers "is this AU active?" the same way (mescreen.core.aus.activity). Sessions analysed before
  get the thresholds of the AU model version they were analysed with where it is known (below);
  others keep NULL and are read with the documented default 0.5, with a note in their warnings.
- `frame_arrays`: optional per-frame arrays (head pose, eye and mouth aperture, landmark
  confidence, ...) as one compressed blob each, keyed by name, so new measurements need no new
  columns.
- `episodes.confidence` and `episodes.landmarks`: how sure the emotion reading is, and the face
  mesh at onset and apex (de-identified evidence).
- `indicators.low` and `indicators.high`: the 95% interval of an indicator's value, where defined.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Thresholds of the AU models shipped before thresholds were stored with the series, by the
#: version string those sessions recorded (`versions["au"]`).
KNOWN_AU_THRESHOLDS = {
    "au_detector.npz@64ab9a7f46dd": [
        0.5114, 0.5069, 0.3536, 0.6315, 0.7707, 0.4131, 0.5684, 2.0, 0.7078, 0.6637, 0.531, 2.0,
        0.5734, 0.6319, 0.7394, 0.637, 0.5863, 0.4358, 0.6945,
    ],
}


def upgrade() -> None:
    op.add_column("frame_series", sa.Column("au_thresholds", sa.JSON(), nullable=True))
    op.add_column("episodes", sa.Column("confidence", sa.Float(), nullable=True))
    op.add_column("episodes", sa.Column("landmarks", sa.JSON(), nullable=True))
    op.add_column("indicators", sa.Column("low", sa.Float(), nullable=True))
    op.add_column("indicators", sa.Column("high", sa.Float(), nullable=True))
    op.create_table(
        "frame_arrays",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "name", name="pk_frame_arrays"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], ondelete="CASCADE", name="fk_frame_arrays_session_id_sessions"
        ),
    )
    _backfill_thresholds()


def _backfill_thresholds() -> None:
    bind = op.get_bind()
    sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("versions", sa.JSON))
    series = sa.table(
        "frame_series", sa.column("session_id", sa.Integer), sa.column("au_names", sa.JSON),
        sa.column("au_thresholds", sa.JSON),
    )
    rows = bind.execute(
        sa.select(series.c.session_id, series.c.au_names, sessions.c.versions).join(
            sessions, sessions.c.id == series.c.session_id
        )
    ).all()
    for session_id, au_names, versions in rows:
        known = KNOWN_AU_THRESHOLDS.get((versions or {}).get("au", ""))
        if known is not None and len(known) == len(au_names or []):
            bind.execute(
                series.update().where(series.c.session_id == session_id).values(au_thresholds=known)
            )


def downgrade() -> None:
    op.drop_table("frame_arrays")
    with op.batch_alter_table("indicators") as batch:
        batch.drop_column("high")
        batch.drop_column("low")
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("landmarks")
        batch.drop_column("confidence")
    with op.batch_alter_table("frame_series") as batch:
        batch.drop_column("au_thresholds")
