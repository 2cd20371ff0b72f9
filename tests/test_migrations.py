"""The migrations build the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from hub.store.migrate import at_head, include_name
from hub.store.tables import metadata


def test_migrated_database_matches_the_models(db):
    with db.engine.connect() as connection:
        options = {"compare_type": True, "include_name": include_name}
        if db.schema:
            connection.exec_driver_sql(f'SET search_path TO "{db.schema}"')
        context = MigrationContext.configure(connection, opts=options)
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_database_is_at_head_with_every_table(db):
    assert at_head(db.engine)
    tables = set(inspect(db.engine).get_table_names(schema=db.schema))
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_thesauri_are_loaded_by_the_upgrade(client):
    skills = client.get("/api/v1/skills", params={"limit": 500}).json()["items"]
    themes = client.get("/api/v1/themes", params={"limit": 500}).json()["items"]
    assert len(skills) >= 150 and len(themes) >= 30
