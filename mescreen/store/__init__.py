"""The patient store: SQLAlchemy 2 models, engine, Alembic migrations and repository functions.

Import what you need from the submodules (`mescreen.store.engine`, `mescreen.store.repository`, `mescreen.store.errors`); this package
imports nothing itself so that `import mescreen.store` stays cheap for the CLI.
"""
