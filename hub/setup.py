"""Setting an instance's database up: the schema, then what every instance needs in it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from hub.federation.feed import ensure_feed_epoch, reset_feed_epoch
from hub.federation.jobs import apply_queue_schema
from hub.store.db import session_scope
from hub.store.migrate import upgrade_schema
from hub.vocabulary.thesaurus import load_thesauri


def upgrade(engine: Engine, schema: str | None = None) -> int:
    """Bring the database to the head revision (and procrastinate's queue on PostgreSQL), give the
    change feed its epoch, then (re)load the bundled thesauri if they changed; returns how many
    concepts were loaded."""
    upgrade_schema(engine, schema)
    apply_queue_schema(engine, schema)
    with session_scope(engine) as session:
        ensure_feed_epoch(session)
        return load_thesauri(session)


def new_feed_epoch(engine: Engine) -> None:
    """Give the change feed a new epoch after a restore: hubs harvesting this instance resync."""
    with session_scope(engine) as session:
        reset_feed_epoch(session)
