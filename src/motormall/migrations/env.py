"""Alembic environment: the connection and metadata come from motormall, not an ini file."""

from alembic import context

from motormall.models import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs by copying tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
