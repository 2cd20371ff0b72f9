"""The outbox: the change feed's events as activities, newest first, in pages after a cursor.

Like the change feed, it holds one entry per event, at its last change: a live event as Create (or
Update once edited: its iCalendar SEQUENCE moved), a deleted or withdrawn one as Delete of a Tombstone.
People are never in it, whatever their consent: ActivityPub publishes events only.
"""

from __future__ import annotations

from sqlalchemy.orm import load_only
from sqlmodel import Session, col, func, select

from hub.activitypub.documents import CONTEXT, Names, delete_activity, event_object, write_activity
from hub.activitypub.models import Announced
from hub.events.links import not_linked
from hub.events.models import Event
from hub.places.models import Place
from hub.settings import Settings
from hub.store.changes import Change

OUTBOX_PAGE = 20


def _published(query):
    return query.where(Change.kind == "event")


def published_count(session: Session) -> int:
    """How many events are published (NodeInfo's posts)."""
    return session.exec(
        select(func.count()).select_from(Event).where(col(Event.canonical_id).is_(None))
    ).one()


def outbox(session: Session, settings: Settings) -> dict:
    names = Names(settings)
    total = session.exec(_published(select(func.count()).select_from(Change))).one()
    return {
        "@context": CONTEXT,
        "id": names.outbox,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{names.outbox}?page=true",
    }


def published_events(
    session: Session, iris: list[str], *, whole: bool = True
) -> dict[str, tuple[Event, Place | None]]:
    """The events of these IRIs that are published, with their place: not duplicates, which are
    shown under another record. Not `whole`: their ids alone, without places."""
    query = select(Event).where(col(Event.iri).in_(iris), not_linked())
    if not whole:
        return {e.iri: (e, None) for e in session.exec(query.options(load_only(Event.id, Event.iri)))}
    events = session.exec(query).all()
    place_ids = {e.place_id for e in events if e.place_id}
    places = {p.id: p for p in session.exec(select(Place).where(col(Place.id).in_(place_ids))).all()}
    return {e.iri: (e, places.get(e.place_id) if e.place_id else None) for e in events}


def activities_of(session: Session, settings: Settings, changes: list[Change]) -> dict[int, dict]:
    """The activity telling each change of an event, by the change's sequence number."""
    live = published_events(session, [c.iri for c in changes if not c.deleted])
    gone = [c.iri for c in changes if c.deleted]
    held = select(Announced.iri, Announced.object_id).where(col(Announced.iri).in_(gone))
    announced = {iri: object_id for iri, object_id in session.exec(held).all()}
    found: dict[int, dict] = {}
    for change in changes:
        assert change.seq is not None
        if change.deleted:
            object_id = announced.get(change.iri) or change.iri
            found[change.seq] = delete_activity(settings, object_id, change.changed_at)
        elif change.iri in live:
            event, place = live[change.iri]
            kind = "Update" if event.sequence else "Create"
            found[change.seq] = write_activity(
                settings, kind, event_object(settings, event, place), change.changed_at
            )
    return found


def outbox_page(session: Session, settings: Settings, before: int | None) -> dict:
    """One page of the outbox, newest first: the events changed before the sequence `before`."""
    names = Names(settings)
    query = _published(select(Change))
    if before is not None:
        query = query.where(col(Change.seq) < before)
    changes = list(session.exec(query.order_by(col(Change.seq).desc()).limit(OUTBOX_PAGE + 1)).all())
    more = len(changes) > OUTBOX_PAGE
    changes = changes[:OUTBOX_PAGE]
    activities = activities_of(session, settings, changes)
    page_id = f"{names.outbox}?page=true" + (f"&before={before}" if before is not None else "")
    page: dict = {
        "@context": CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": names.outbox,
        "orderedItems": [
            {k: v for k, v in activities[c.seq].items() if k != "@context"}
            for c in changes
            if c.seq in activities
        ],
    }
    if more:
        page["next"] = f"{names.outbox}?page=true&before={changes[-1].seq}"
    return page
