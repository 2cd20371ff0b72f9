"""The change feed every instance publishes: records and tombstones after an opaque cursor.

A cursor is the instance's epoch and a sequence number. The epoch changes when a store is
rebuilt (an import, a restore), so a hub holding a cursor from before resyncs instead of
silently missing changes; a cursor older than the tombstone retention gets `410 Gone` too.
"""

from __future__ import annotations

import base64
import secrets

import orjson
from sqlmodel import Session, col, func, select

from hub.calendar.dates import iso_utc
from hub.errors import Gone, HubError, InvalidInput
from hub.events.models import Event
from hub.needs.models import Need
from hub.needs.service import need_json
from hub.people.models import Person
from hub.people.service import person_json
from hub.people.visibility import Audience
from hub.places.models import Place
from hub.programmes.models import Programme
from hub.store.changes import Change, FeedState

TABLES = {
    "place": Place,
    "event": Event,
    "person": Person,
    "need": Need,
    "offer": Need,
    "programme": Programme,
}
# The documents each audience may read of a record of these kinds (all of the others').
READERS = {"person": person_json, "need": need_json, "offer": need_json}


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


def encode_feed_cursor(epoch: int, seq: int, *, snapshot_start: int | None = None) -> str:
    """`c1` cursors follow changes; `s1` cursors continue a snapshot begun when the feed stood at
    `snapshot_start` (tombstones older than that are not news to a newcomer)."""
    text = f"c1.{epoch:x}.{seq:x}" if snapshot_start is None else f"s1.{epoch:x}.{seq:x}.{snapshot_start:x}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_feed_cursor(cursor: str, epoch: int) -> tuple[int, int | None]:
    """The sequence inside a cursor and, for a snapshot, where it began; Gone for another epoch."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, cursor_epoch, *numbers = raw.split(".")
        if (version, len(numbers)) not in (("c1", 1), ("s1", 2)):
            raise ValueError(version)
        cursor_epoch_value = int(cursor_epoch, 16)
        seq, *start = (int(n, 16) for n in numbers)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("since", "not a cursor this feed issued", location="query") from exc
    if cursor_epoch_value != epoch:
        raise Gone("this cursor belongs to an earlier state of this node; resync from scratch")
    return seq, (start[0] if start else None)


def _documents(session: Session, changes: list[Change], audience: Audience) -> dict[str, str | None]:
    """Published documents of the changed records, by IRI (None: this audience may not see it)."""
    found: dict[str, str | None] = {}
    for kind, table in TABLES.items():
        iris = [c.iri for c in changes if c.kind == kind and not c.deleted]
        if not iris:
            continue
        for row in session.exec(select(table).where(col(table.iri).in_(iris))).all():
            found[row.iri] = READERS[kind](row, audience) if kind in READERS else row.doc
    return found


def changes_page(session: Session, audience: Audience, *, since: str | None, limit: int) -> bytes:
    """One page of the change feed as JSON bytes (records in full, tombstones, cursor, more?)."""
    epoch = feed_epoch(session)
    after, snapshot_start = 0, None
    if since:
        after, snapshot_start = decode_feed_cursor(since, epoch)
        floor = session.get(FeedState, "min_cursor")
        if floor is not None and after < floor.value:
            raise Gone("this cursor is older than the tombstone retention; resync from scratch")
    else:
        snapshot_start = session.exec(select(func.max(Change.seq))).one() or 0
    snapshot = snapshot_start is not None
    query = select(Change).where(col(Change.seq) > after)
    if snapshot:
        # What exists now; deletions from before the snapshot began do not concern a newcomer,
        # deletions while it is being paged do.
        query = query.where(col(Change.deleted).is_(False) | (col(Change.seq) > snapshot_start))
    changes = list(session.exec(query.order_by(col(Change.seq)).limit(limit + 1)).all())
    has_more = len(changes) > limit
    changes = changes[:limit]
    documents = _documents(session, changes, audience)
    items: list[bytes] = []
    for change in changes:
        document = documents.get(change.iri)
        if document is None:
            if snapshot and not change.deleted and change.seq <= snapshot_start:
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
    if snapshot and not has_more:
        last = max(last, snapshot_start)
    return (
        b'{"type":"ChangePage","items":['
        + b",".join(items)
        + b'],"next_cursor":'
        + orjson.dumps(encode_feed_cursor(epoch, last, snapshot_start=snapshot_start if has_more else None))
        + b',"has_more":'
        + (b"true" if has_more else b"false")
        + b"}"
    )
