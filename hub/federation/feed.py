"""The change feed every instance publishes: records and tombstones after an opaque cursor.

A cursor is the instance's epoch and a sequence number. The epoch changes when a store is
rebuilt (an import, a restore), so a hub holding a cursor from before resyncs instead of
silently missing changes; a cursor older than the tombstone retention gets `410 Gone` too.
"""

from __future__ import annotations

import base64
import secrets

import orjson
from sqlmodel import Session, col, select

from hub.calendar.dates import iso_utc
from hub.changes import Change, FeedState
from hub.errors import Gone, HubError, InvalidInput
from hub.events.models import Event
from hub.people.models import Person
from hub.people.service import person_json
from hub.people.visibility import Audience
from hub.places.models import Place

TABLES = {"place": Place, "event": Event, "person": Person}


def ensure_feed_epoch(session: Session) -> int:
    """This store's epoch, created by `hub db upgrade` the first time."""
    state = session.get(FeedState, "epoch")
    if state is None:
        state = FeedState(key="epoch", value=secrets.randbits(40))
        session.add(state)
        session.flush()
    return state.value


def reset_feed_epoch(session: Session) -> None:
    """Invalidate every cursor handed out so far (after an import or a restore)."""
    state = session.get(FeedState, "epoch") or FeedState(key="epoch")
    state.value = secrets.randbits(40)
    session.add(state)


def feed_epoch(session: Session) -> int:
    state = session.get(FeedState, "epoch")
    if state is None:
        raise HubError("the change feed has no epoch: run `hub db upgrade`")
    return state.value


def encode_feed_cursor(epoch: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"c1.{epoch:x}.{seq:x}".encode()).decode().rstrip("=")


def decode_feed_cursor(cursor: str, epoch: int) -> int:
    """The sequence inside a cursor; Gone when it belongs to another epoch."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, cursor_epoch, seq = raw.split(".")
        if version != "c1":
            raise ValueError(version)
        cursor_epoch_value, seq_value = int(cursor_epoch, 16), int(seq, 16)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("since", "not a cursor this feed issued", location="query") from exc
    if cursor_epoch_value != epoch:
        raise Gone("this cursor belongs to an earlier state of this node; resync from scratch")
    return seq_value


def _documents(session: Session, changes: list[Change], audience: Audience) -> dict[str, str | None]:
    """Published documents of the changed records, by IRI (None: this audience may not see it)."""
    found: dict[str, str | None] = {}
    for kind, table in TABLES.items():
        iris = [c.iri for c in changes if c.kind == kind and not c.deleted]
        if not iris:
            continue
        for row in session.exec(select(table).where(col(table.iri).in_(iris))).all():
            found[row.iri] = person_json(row, audience) if kind == "person" else row.doc
    return found


def _tombstone(change: Change) -> dict:
    return {"type": "Tombstone", "id": change.iri, "kind": change.kind, "deleted": iso_utc(change.changed_at)}


def changes_page(session: Session, audience: Audience, *, since: str | None, limit: int) -> bytes:
    """One page of the change feed as JSON bytes (records in full, tombstones, cursor, more?)."""
    epoch = feed_epoch(session)
    after = 0
    if since:
        after = decode_feed_cursor(since, epoch)
        floor = session.get(FeedState, "min_cursor")
        if floor is not None and after < floor.value:
            raise Gone(
                "this cursor is older than the tombstone retention; resync from scratch (omit `since`)"
            )
    query = select(Change).where(col(Change.seq) > after)
    if not since:
        # A snapshot: what exists now; deletions before it do not concern a newcomer.
        query = query.where(col(Change.deleted).is_(False))
    changes = list(session.exec(query.order_by(col(Change.seq)).limit(limit + 1)).all())
    has_more = len(changes) > limit
    changes = changes[:limit]
    documents = _documents(session, changes, audience)
    items: list[bytes] = []
    for change in changes:
        document = documents.get(change.iri)
        if document is None:
            if not since and not change.deleted:
                continue  # invisible to this reader and never seen by it: nothing to say
            items.append(
                orjson.dumps(
                    {
                        "type": "Tombstone",
                        "id": change.iri,
                        "kind": change.kind,
                        "deleted": iso_utc(change.changed_at),
                    }
                )
            )
        else:
            items.append(document.encode())
    last = changes[-1].seq if changes else after
    return (
        b'{"type":"ChangePage","items":['
        + b",".join(items)
        + b'],"next_cursor":'
        + orjson.dumps(encode_feed_cursor(epoch, last))
        + b',"has_more":'
        + (b"true" if has_more else b"false")
        + b"}"
    )
