"""The patient store: SQLAlchemy 2 models, engine, Alembic migrations and repository functions.

Import what you need from the submodules (`db.engine`, `db.repository`, `db.errors`); this package
imports nothing itself so that `import db` stays cheap for the CLI.
"""
