"""The change log behind the change feed: one row per record, moved to the end on every change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import BigInteger, text
from sqlmodel import Field, Session, SQLModel, delete, select

from hub.store.records import insert_rows, utcnow

CHANGE_LOCK = "hub.change_log_locked"
PENDING = "hub.pending_changes"
# IRIs per IN (...) list: well under SQLite's limit on bound parameters.
CHUNK = 500


class Change(SQLModel, table=True):
    # Never reuse a number (SQLite would reuse the highest one after a delete): a record changed
    # twice in a row must get a new sequence, or a hub past the first would miss the second.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    iri: str = Field(max_length=500, unique=True)
    deleted: bool = False
    changed_at: datetime = Field(default_factory=utcnow, index=True)


class FeedState(SQLModel, table=True):
    """Key-value state of the feed, e.g. the oldest cursor still honoured."""

    key: str = Field(primary_key=True, max_length=64)
    value: int = Field(default=0, sa_type=BigInteger)


def record_change(session: Session, kind: str, iri: str, *, deleted: bool = False) -> None:
    """Log that a record changed (or was deleted), so the change feed serves it after the cursor;
    inside `deferred_changes`, when that block ends."""
    pending = session.info.get(PENDING)
    if pending is not None:
        pending.pop(iri, None)  # changed again: it moves to the end
        pending[iri] = (kind, deleted)
        return
    _write_changes(session, {iri: (kind, deleted)})


@contextmanager
def deferred_changes(session: Session) -> Iterator[None]:
    """Log the changes recorded inside the block when it ends, in the order they were made, with
    one DELETE and one INSERT for all of them (a harvested page); nothing if the block fails."""
    pending: dict[str, tuple[str, bool]] = {}
    session.info[PENDING] = pending
    try:
        yield
    finally:
        del session.info[PENDING]
    if pending:
        _write_changes(session, pending)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT whose rollback also forgets the changes deferred inside it."""
    pending = session.info.get(PENDING, {})
    saved = dict(pending)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        pending.clear()
        pending.update(saved)
        raise


def _write_changes(session: Session, changes: dict[str, tuple[str, bool]]) -> None:
    lock_change_log(session)
    # Core statements on the table: no ORM object to build and no flush.
    table = Change.__table__
    iris = list(changes)
    for start in range(0, len(iris), CHUNK):
        session.execute(delete(table).where(table.c.iri.in_(iris[start : start + CHUNK])))
    now = utcnow()
    insert_rows(
        session,
        {
            Change: [
                {"kind": kind, "iri": iri, "deleted": deleted, "changed_at": now}
                for iri, (kind, deleted) in changes.items()
            ]
        },
    )


def lock_change_log(session: Session) -> None:
    """On PostgreSQL, serialize change logging so sequence numbers become visible in commit
    order: a reader never sees seq N+1 committed while N is still in flight. A harvested page
    also searches its events' duplicates under it, so of two pages bringing the same event at
    once, the second sees the first (hub/federation/apply.py).

    The lock is held to the end of the transaction, so it is taken once per transaction, or
    once per SAVEPOINT when taken inside one: a SAVEPOINT rolled back releases it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    held_by = session.info.get(CHANGE_LOCK)
    if held_by is not None and held_by in (session.get_transaction(), session.get_nested_transaction()):
        return
    # Keyed by schema too: instances sharing a database in separate schemas do not wait on each other.
    session.execute(text("SELECT pg_advisory_xact_lock(7281003, hashtext(current_schema()))"))
    session.info[CHANGE_LOCK] = session.get_nested_transaction() or session.get_transaction()


def prune_tombstones(session: Session, older_than: datetime) -> int:
    """Drop tombstones past retention; cursors before the newest dropped one become invalid."""
    expired = session.exec(
        select(Change.seq).where(Change.deleted, Change.changed_at < older_than).order_by(Change.seq.desc())
    ).first()
    if expired is None:
        return 0
    state = session.get(FeedState, "min_cursor") or FeedState(key="min_cursor")
    state.value = max(state.value, expired)
    session.add(state)
    result = session.exec(delete(Change).where(Change.deleted, Change.seq <= expired))
    return result.rowcount
