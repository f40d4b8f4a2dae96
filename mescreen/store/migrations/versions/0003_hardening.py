"""Sign-in re-checks, complete audit, recorded uploads, never-reused ids.

- `users.session_version`: bumped when a password is set, so browser sessions signed in with the
  old password end at their next click (the dashboard re-reads the user on every run).
- `sessions.upload_path`: the raw upload a queued or running analysis owns, so erasure and the
  start-up clean-up can delete it.
- `audit_log.outcome` (ok, failed, refused, locked) and `audit_log.client` (the browser's address
  for sign-ins, used to slow down guessing from one computer).
- SQLite: `patients`, `sessions` and `audit_log` are rebuilt with AUTOINCREMENT, so an id erased
  with its patient is never handed out again (plain rowid tables reuse the highest id).
  PostgreSQL's SERIAL sequences never hand out a number twice; they are moved above the highest
  id in use, in case rows were ever written with explicit ids.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Tables whose ids name things to people (audit rows, links): never reused after erasure.
NEVER_REUSED = ("patients", "sessions", "audit_log")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("upload_path", sa.Text(), nullable=True))
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
        batch.create_index("ix_audit_log_actor", ["actor"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Sequences only move when they hand out ids: rows written with explicit ids (restores,
        # hand edits) would have them handed out again. Start each sequence above the highest id.
        for table in NEVER_REUSED:
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    if dialect == "sqlite":
        # mescreen.store.engine.upgrade turns foreign keys off for the rebuild: dropping the old
        # table must not cascade into its children.
        for table in NEVER_REUSED:
            with op.batch_alter_table(table, recreate="always",
                                      table_kwargs={"sqlite_autoincrement": True}):
                pass


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_actor")
        batch.drop_column("client")
        batch.drop_column("outcome")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("upload_path")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
