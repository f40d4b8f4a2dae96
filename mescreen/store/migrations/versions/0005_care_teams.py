"""Care teams: every patient belongs to one team; clinicians see their teams' patients.

Nothing that was visible before becomes invisible: one team, "Care team 1", is created, and every
existing patient and every existing clinician is put in it (administrators see every team anyway).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FIRST_TEAM = "Care team 1"


def upgrade() -> None:
    teams = op.create_table(
        "care_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_care_teams"),
        sa.UniqueConstraint("name", name="uq_care_teams_name"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["care_teams.id"], name="fk_team_members_team_id_care_teams",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_team_members_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    op.bulk_insert(teams, [{"name": FIRST_TEAM, "created_at": datetime.now(timezone.utc)}])
    bind = op.get_bind()
    team_id = bind.execute(sa.text("SELECT id FROM care_teams WHERE name = :name"), {"name": FIRST_TEAM}).scalar_one()
    bind.execute(sa.text("INSERT INTO team_members (team_id, user_id) SELECT :team, id FROM users "
                         "WHERE role = 'clinician'"), {"team": team_id})
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE patients SET team_id = :team"), {"team": team_id})
    # SQLite rebuilds the table for NOT NULL and the foreign key (mescreen.store.engine.upgrade turns
    # foreign keys off meanwhile, so dropping the old table does not cascade into sessions).
    with op.batch_alter_table("patients", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_patients_team_id_care_teams", "care_teams", ["team_id"], ["id"])
        batch.create_index("ix_patients_team_id", ["team_id"])


def downgrade() -> None:
    with op.batch_alter_table("patients", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_patients_team_id")
        batch.drop_constraint("fk_patients_team_id_care_teams", type_="foreignkey")
        batch.drop_column("team_id")
    op.drop_index("ix_team_members_user_id", table_name="team_members")
    op.drop_table("team_members")
    op.drop_table("care_teams")
