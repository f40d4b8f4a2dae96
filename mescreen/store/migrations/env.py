"""Alembic environment: runs migrations on the connection `mescreen.store.engine.upgrade` hands over, or, when
Alembic is run by hand, on `mescreen.store.engine.make_engine()` (MESCREEN_DB_URL or the default SQLite file),
so that both paths get the same SQLite tuning."""

from __future__ import annotations

from alembic import context

from mescreen.store.engine import make_engine
from mescreen.store.models import Base


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("mescreen migrations run online only: use `mescreen db upgrade`")
run_migrations_online()
