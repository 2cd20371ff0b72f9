"""Alembic environment: the models' metadata, the engine of the current settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from hub.store.migrate import include_name
from hub.store.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    schema = config.attributes.get("schema")
    if schema:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.dialect.default_schema_name = schema
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
