"""The patient store: SQLAlchemy 2 models, engine, Alembic migrations and the store functions,
one module per job: `patients`, `recordings` (a session's life: upload, analysis, note, kept
video), `session_rows` (rows <-> results), `session_queries` (a session, a patient over time),
`erasure`, `transfer` (export / import), `users`, `teams`, `audit`; `access` decides who may
reach what, `transactions` makes each function one transaction.

Import what you need from the submodules; this package imports nothing itself so that
`import mescreen.store` stays cheap for the CLI.
"""
