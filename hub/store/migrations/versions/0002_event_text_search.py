"""Full-text search of events: FTS5 on SQLite, French text search on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    # An external-content FTS5 index over the folded words of each event.
    "CREATE VIRTUAL TABLE event_fts USING fts5(search_text, content='event', content_rowid='rowid', "
    "tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO event_fts(rowid, search_text) SELECT rowid, search_text FROM event",
    "CREATE TRIGGER event_fts_insert AFTER INSERT ON event BEGIN "
    "INSERT INTO event_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER event_fts_delete AFTER DELETE ON event BEGIN "
    "INSERT INTO event_fts(event_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER event_fts_update AFTER UPDATE OF search_text ON event BEGIN "
    "INSERT INTO event_fts(event_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO event_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS event_fts_update",
    "DROP TRIGGER IF EXISTS event_fts_delete",
    "DROP TRIGGER IF EXISTS event_fts_insert",
    "DROP TABLE IF EXISTS event_fts",
]
POSTGRES_UP = ["CREATE INDEX ix_event_fts ON event USING gin (to_tsvector('french', search_text))"]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_event_fts"]


def upgrade() -> None:
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
