"""Alembic environment: runs on the connection `chorus.migrations.upgrade` hands it."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
context.run_migrations()
