"""Upkeep that follows the calendar: the rolling horizon of occurrences, expired tombstones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.changes import FeedState, prune_tombstones
from hub.db import session_scope
from hub.events.occurrences import roll_horizon
from hub.records import utcnow
from hub.settings import Settings

ROLL_EVERY = timedelta(hours=12)


def roll_if_due(engine: Engine, settings: Settings) -> int | None:
    """Re-expand recurring events and drop expired tombstones, if the last run is older than
    ROLL_EVERY; one process at a time. Returns the occurrences kept, or None when not due."""
    with session_scope(engine) as session:
        if not _claim(session):
            return None
        now = utcnow()
        prune_tombstones(session, now - timedelta(days=settings.tombstone_retention_days))
        return roll_horizon(session, settings, now=now)


def _claim(session: Session) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        locked = session.execute(text("SELECT pg_try_advisory_xact_lock(7281004)")).scalar()
        if not locked:
            return False
    state = session.get(FeedState, "horizon_rolled_at") or FeedState(key="horizon_rolled_at")
    now = int(utcnow().timestamp())
    if now - state.value < ROLL_EVERY.total_seconds():
        return False
    state.value = now
    session.add(state)
    session.flush()
    return True
