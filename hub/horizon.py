"""Upkeep that follows the calendar: the rolling horizon of occurrences, expired tombstones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.events.occurrences import roll_horizon
from hub.settings import Settings
from hub.store.changes import FeedState, prune_tombstones
from hub.store.db import session_scope
from hub.store.records import utcnow

ROLL_EVERY = timedelta(hours=12)


def roll_if_due(engine: Engine, settings: Settings, *, now: datetime | None = None) -> int | None:
    """Roll the occurrence horizon and drop expired tombstones, if the last run is older than
    ROLL_EVERY; one process at a time. Returns the occurrences written, or None when not due."""
    now = now or utcnow()
    with session_scope(engine) as session:
        if not _claim(session, now):
            return None
        prune_tombstones(session, now - timedelta(days=settings.tombstone_retention_days))
    return roll_horizon(engine, settings, now=now)


def _claim(session: Session, now: datetime) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        # Keyed by schema: another instance's roll in another schema of the database is no reason to skip.
        locked = session.execute(
            text("SELECT pg_try_advisory_xact_lock(7281004, hashtext(current_schema()))")
        ).scalar()
        if not locked:
            return False
    state = session.get(FeedState, "horizon_rolled_at") or FeedState(key="horizon_rolled_at")
    if now.timestamp() - state.value < ROLL_EVERY.total_seconds():
        return False
    state.value = int(now.timestamp())
    session.add(state)
    session.flush()
    return True
