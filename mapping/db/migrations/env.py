"""Alembic environment: run with a connection handed over by mapping.db.store."""

from alembic import context

from mapping.db.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("mapping.db.store.migrate() passes the connection; run migrations through it")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
