"""Alembic's environment for the hall store: always run from hall/upgrades.py, which passes the
connection (and a callback that logs each step) in `config.attributes`."""

from alembic import context

attributes = context.config.attributes
context.configure(
    connection=attributes["connection"],
    transaction_per_migration=True,  # each step commits on its own: a failed step leaves the last good version
    on_version_apply=attributes.get("on_version_apply"),
    render_as_batch=True,  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
