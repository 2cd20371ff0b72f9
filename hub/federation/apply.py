"""Applying what a source sent: the only writer of harvested data.

One call applies one page (or one snapshot) inside the caller's transaction. A record that
cannot be applied is quarantined alone and the rest of the page goes in; a failure of the page
as a whole rolls everything back and leaves the previous state intact. An unchanged record
(same content hash) costs no write.

Records are checked before anything is written, so a page is first applied in one SAVEPOINT;
should a record still fail half-way through its writes, that SAVEPOINT is rolled back and the
page applied again with one SAVEPOINT per record (two statements a record, a sixth of the cost
of applying it, saved on the pages that need none).

In that first attempt, new events and profiles are not written one by one: each is computed as
rows (no ORM object) and the page's run of them inserted with one statement per table, before
the next record that is not a new one of the same kind (the change log keeps the page's order,
a place links the events held before it, a second record of an IRI finds the first held).

Once a page's records are written, its events are searched for duplicates and its changes
logged (hub/store/changes.py), holding the change log's lock to the commit on PostgreSQL: workers
harvesting different sources write their pages side by side and queue only for these last
steps, in which each page sees every page committed before it (two sources bringing the same
event at the same moment link it once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import update
from sqlmodel import Session, col, delete, func, select

from hub.errors import HubError
from hub.events.links import Linked, link_duplicates
from hub.events.models import Event, Occurrence
from hub.events.service import EventRows, event_rows, insert_events, save_event
from hub.federation.errors import Refused
from hub.federation.harvested import RAW_LIMIT, Batch, Harvested, Rejected
from hub.federation.models import FLAG_MASS_REMOVAL, Quarantine, Source
from hub.federation.overrides import (
    HIDDEN,
    Found,
    corrected,
    corrections_of,
    forget_hidden,
    keep_hidden,
    snapshot,
)
from hub.needs.models import Need
from hub.needs.service import drop_needs_of, save_need
from hub.people.models import Person
from hub.people.service import PersonRows, insert_people, person_rows, save_person
from hub.places.models import Place
from hub.places.service import find_place, known_places, save_place
from hub.programmes.models import Programme
from hub.programmes.service import save_programme
from hub.settings import Settings
from hub.store.changes import deferred_changes, lock_change_log, record_change, savepoint
from hub.store.records import Origin

TABLES = {
    "place": Place,
    "event": Event,
    "person": Person,
    "need": Need,
    "offer": Need,
    "programme": Programme,
}
# IRIs per IN (...) list: well under SQLite's limit on bound parameters.
LOOKUP_CHUNK = 500


@dataclass
class ApplyStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    seen: set[str] = field(default_factory=set)

    def add(self, other: ApplyStats) -> None:
        """Add the counts of another page; the IRIs it saw stay with it (a harvest of thousands
        of sources keeps one report each, and the IRIs only serve the page's own source)."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.quarantined += other.quarantined

    @property
    def written(self) -> int:
        return self.new + self.updated + self.deleted + self.quarantined


class _HalfWritten(Exception):
    """A record failed after some of its writes, outside a SAVEPOINT of its own."""


@contextmanager
def _writes(session: Session, *, careful: bool) -> Iterator[None]:
    """The writes of one record: in a SAVEPOINT of their own when `careful`, else a failure
    undoes the page's attempt (see the module's docstring)."""
    if careful:
        with savepoint(session):
            yield
        return
    try:
        yield
    except (Refused, HubError, ValueError) as exc:
        raise _HalfWritten from exc


def content_hash(document: dict) -> str:
    canonical = orjson.dumps(
        {k: v for k, v in document.items() if k != "provenance"}, option=orjson.OPT_SORT_KEYS
    )
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def origin_base(source: Source, record: Harvested) -> str:
    """The base under which this record's IRI must be minted."""
    if source.kind != "node":
        return source.base_url
    if not source.is_hub:
        return source.base_url
    provenance = record.data.get("provenance") or {}
    origin = provenance.get("source")
    if not isinstance(origin, str) or not origin.startswith(("http://", "https://")):
        raise Refused("a hub republished this record without saying where it comes from (provenance.source)")
    return origin.rstrip("/")


def _provenance(source: Source, record: Harvested, fetched_at: datetime, digest: str) -> dict:
    incoming = record.data.get("provenance") or {}
    if source.kind == "node" and source.is_hub:
        return {
            "source": incoming["source"],
            "via": [*incoming.get("via", []), f"{source.base_url}/"],
            "harvested": incoming.get("harvested") or fetched_at.isoformat(),
            "hash": digest,
        }
    origin = f"{source.base_url}/" if source.kind == "node" else source.url
    return {"source": origin, "via": [], "harvested": _iso(fetched_at), "hash": digest}


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _quarantine(session: Session, source: Source, iri: str | None, reason: str, raw: object) -> None:
    if iri is not None:
        session.exec(delete(Quarantine).where(Quarantine.source_id == source.id, Quarantine.iri == iri))
    text = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
    session.add(Quarantine(source_id=source.id, iri=iri, reason=reason[:2000], raw=text[:RAW_LIMIT]))


def delete_record(session: Session, kind: str, iri: str) -> bool:
    """Delete a held record by IRI and log the tombstone; False when it was not held."""
    table = TABLES[kind]
    row = session.exec(select(table).where(table.iri == iri)).first()
    if row is None:
        return False
    session.delete(row)
    record_change(session, kind, iri, deleted=True)
    if kind == "person":
        # A member gone takes their needs along, whatever their origin still says of them.
        drop_needs_of(session, iri)
    return True


def of_kind(kind: str) -> list:
    """The conditions selecting the records of `kind` in its table (needs and offers share one)."""
    return [Need.kind == kind] if TABLES[kind] is Need else []


def link_events_to_place(session: Session, place: Place) -> None:
    """Events that arrived before their place get linked to it (for filters by region)."""
    ids = select(Event.id).where(Event.place_iri == place.iri, col(Event.place_id).is_(None))
    session.exec(
        update(Occurrence)
        .where(col(Occurrence.event_id).in_(ids))
        .values(place_id=place.id, region=place.region, department=place.department)
    )
    session.exec(
        update(Event)
        .where(Event.place_iri == place.iri, col(Event.place_id).is_(None))
        .values(place_id=place.id)
    )


def link_waiting_events(session: Session, place_iris: set[str]) -> None:
    """Link the events still waiting for one of these places, if it is held now."""
    for chunk in _chunks(sorted(place_iris)):
        for place in session.exec(select(Place).where(col(Place.iri).in_(chunk))):
            link_events_to_place(session, place)


def _apply_record(
    session: Session,
    settings: Settings,
    source: Source,
    record: Harvested,
    held: dict[tuple[str, str], Place | Event | Person],
    fetched_at: datetime,
    linking: dict[str, tuple[Linked, bool]],
    pending: dict[str, EventRows | PersonRows] | None,
    found: Found,
    *,
    careful: bool,
) -> str:
    """Apply one record; returns "new", "updated", "unchanged", "deleted" or "absent".

    What needs no write (checks, hashing, validation) runs first, then the writes. An event
    written goes into `linking`, with whether it is new, for the duplicate search; a new event
    or profile goes into `pending` instead, when given, to be inserted with the others
    (`_insert_pending`). A record the hub's coordinators hid stays out; one they corrected is
    saved corrected (hub/federation/overrides.py).
    """
    key = (record.kind, record.iri)
    touched = found.get(key, {})
    if record.deleted:
        if source.kind == "node" and not source.is_hub and not record.iri.startswith(source.base_url + "/"):
            raise Refused(f"a tombstone for {record.iri}, which is not under the source's base")
        brought = held.get(key)
        if brought is not None and source.kind != "node" and brought.source_id != source.id:
            # A Mobilizon group or a Gancio speaks for no record another source brought.
            raise Refused(f"a tombstone for {record.iri}, which another source brought")
        if HIDDEN in touched:
            keep_hidden(session, touched[HIDDEN], None)
        if held.pop(key, None) is None:
            return "absent"
        with _writes(session, careful=careful):
            delete_record(session, record.kind, record.iri)
        linking.pop(record.iri, None)
        return "deleted"
    base = origin_base(source, record)
    if not record.iri.startswith(base + "/") and record.iri != base and source.kind == "node":
        raise Refused(f"the IRI {record.iri} is not under the source's base {base}")
    existing = held.get(key)
    document = {k: v for k, v in record.data.items() if k not in ("provenance", "@context")}
    digest = content_hash(document)
    if HIDDEN in touched:
        kept = snapshot(
            record.input,
            source_id=source.id,
            document=document if source.kind == "node" else None,
            content_hash=digest,
            provenance=_provenance(source, record, fetched_at, digest),
            harvested_at=fetched_at,
        )
        keep_hidden(session, touched[HIDDEN], kept)
        return "unchanged"
    if existing is not None and existing.content_hash == digest:
        return "unchanged"
    if existing is not None and existing.source_id is None:
        raise Refused(f"{record.iri} belongs to this instance; a source may not overwrite it")
    if existing is not None and _older(document, existing):
        return "unchanged"
    data, corrections = corrected(session, record.input, touched) if touched else (record.input, None)
    origin = Origin(
        source_id=source.id,
        document=document if source.kind == "node" else None,
        provenance=_provenance(source, record, fetched_at, digest),
        content_hash=digest,
        harvested_at=fetched_at,
        corrections=corrections,
    )
    if existing is None and pending is not None and record.kind == "event":
        pending[record.iri] = event_rows(session, settings, data, iri=record.iri, origin=origin)
        return "new"
    if existing is None and pending is not None and record.kind == "person":
        pending[record.iri] = person_rows(session, settings.base_url, data, iri=record.iri, origin=origin)
        return "new"
    with _writes(session, careful=careful):
        if record.kind == "place":
            row = save_place(session, existing or Place(iri=record.iri, name=data.name), data, origin)
        elif record.kind == "event":
            row = save_event(session, settings, data, event=existing, iri=record.iri, origin=origin)
        elif record.kind in ("need", "offer"):
            row = save_need(session, settings, data, need=existing, iri=record.iri, origin=origin)
        elif record.kind == "programme":
            row = save_programme(
                session, settings.base_url, data, programme=existing, iri=record.iri, origin=origin
            )
        else:
            row = save_person(
                session, settings.base_url, data, person=existing, iri=record.iri, origin=origin
            )
    held[key] = row
    if record.kind == "event":
        # A record of an event new in this page stays new for the duplicate search.
        linking[record.iri] = (row, linking.get(record.iri, (row, existing is None))[1])
    return "updated" if existing is not None else "new"


def _held_records(
    session: Session, records: list[Harvested]
) -> dict[tuple[str, str], Place | Event | Person]:
    """The records of a page this instance already holds, by (kind, IRI): one SELECT per kind."""
    held: dict[tuple[str, str], Place | Event | Person] = {}
    for kind, table in TABLES.items():
        for chunk in _chunks(sorted({r.iri for r in records if r.kind == kind})):
            held.update(
                ((kind, row.iri), row)
                for row in session.exec(select(table).where(col(table.iri).in_(chunk), *of_kind(kind)))
            )
    return held


def _places_named(record: Harvested) -> list[str]:
    """The places a record names (where an event happens, who organizes it, a member's places)."""
    data = record.input
    if record.kind == "event" and data is not None:
        return [*filter(None, [data.place]), *data.organizers]
    if record.kind == "person" and data is not None:
        return list(data.places)
    if record.kind in ("need", "offer") and data is not None:
        return [*filter(None, [data.place]), data.author]
    if record.kind == "programme" and data is not None:
        return list(data.organizers)
    return []


def _older(document: dict, existing) -> bool:
    """Whether the incoming version predates the one held (it came the long way round)."""
    held = orjson.loads(existing.doc).get("updated") if existing.doc else None
    incoming = document.get("updated")
    return isinstance(held, str) and isinstance(incoming, str) and incoming < held


def apply_batch(
    session: Session, settings: Settings, source: Source, batch: Batch, *, fetched_at: datetime
) -> ApplyStats:
    """Apply records and tombstones in order; quarantine what cannot be applied, alone."""
    try:
        with session.begin_nested():
            return _apply_records(session, settings, source, batch, fetched_at, careful=False)
    except _HalfWritten:
        return _apply_records(session, settings, source, batch, fetched_at, careful=True)


def _apply_records(
    session: Session,
    settings: Settings,
    source: Source,
    batch: Batch,
    fetched_at: datetime,
    *,
    careful: bool,
) -> ApplyStats:
    stats = ApplyStats()
    for rejected in batch.rejected:
        _quarantine_rejected(session, source, rejected)
        stats.quarantined += 1
    held = _held_records(session, batch.records)
    known_places(session, {ref for record in batch.records for ref in _places_named(record)})
    found = corrections_of(session, batch.records)
    # Records applied since they were last quarantined: their old quarantine entry goes.
    cleared: set[str] = set()
    linking: dict[str, tuple[Linked, bool]] = {}
    pending: dict[str, EventRows | PersonRows] | None = None if careful else {}
    pending_kind = None
    with deferred_changes(session):
        for record in batch.records:
            stats.seen.add(record.iri)
            if pending and (
                record.kind != pending_kind
                or record.iri in pending
                or record.deleted
                or (record.kind, record.iri) in held
            ):
                again = record.iri in pending
                _insert_pending(session, pending, linking)
                if again:
                    held.update(_held_records(session, [record]))
            pending_kind = record.kind
            try:
                outcome = _apply_record(
                    session,
                    settings,
                    source,
                    record,
                    held,
                    fetched_at,
                    linking,
                    pending,
                    found,
                    careful=careful,
                )
            except (Refused, HubError, ValueError) as exc:
                reason = exc.detail if isinstance(exc, HubError) else str(exc)
                _quarantine(session, source, record.iri, reason, record.data)
                cleared.discard(record.iri)
                stats.quarantined += 1
                continue
            if outcome in ("new", "updated", "unchanged"):
                setattr(stats, outcome, getattr(stats, outcome) + 1)
            if outcome in ("new", "updated"):
                cleared.add(record.iri)
            stats.deleted += outcome == "deleted"
        if pending:
            _insert_pending(session, pending, linking)
        if linking:
            # From here to the commit, one page at a time (see the module's docstring).
            lock_change_log(session)
            link_duplicates(session, list(linking.values()))
    for chunk in _chunks(sorted(cleared)):
        session.exec(
            delete(Quarantine).where(Quarantine.source_id == source.id, col(Quarantine.iri).in_(chunk))
        )
    if waiting := _places_to_link(session, batch):
        # Two harvests on PostgreSQL write at once: one can store a place while the other stores
        # an event held there, neither seeing the other's row, so that neither links them. Under
        # the change log's lock, the second page to take it sees the first one committed.
        lock_change_log(session)
        link_waiting_events(session, waiting)
    return stats


def _places_to_link(session: Session, batch: Batch) -> set[str]:
    """The places this page stored (events that came before them wait for them), and those its
    events named while none was held."""
    stored = {r.iri for r in batch.records if r.kind == "place" and not r.deleted}
    named = {ref for r in batch.records if r.kind == "event" for ref in _places_named(r)}
    return stored | {ref for ref in named if find_place(session, ref) is None}


def _insert_pending(
    session: Session, pending: dict[str, EventRows | PersonRows], linking: dict[str, tuple[Linked, bool]]
) -> None:
    """Insert the new events or profiles computed so far, one statement per table, and empty `pending`."""
    rows = list(pending.values())
    with _writes(session, careful=False):
        insert_events(session, [r for r in rows if isinstance(r, EventRows)])
        insert_people(session, [r for r in rows if isinstance(r, PersonRows)])
    for iri, computed in pending.items():
        if isinstance(computed, EventRows):
            linking[iri] = (computed.event, True)
    pending.clear()


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + LOOKUP_CHUNK] for i in range(0, len(items), LOOKUP_CHUNK)]


def _quarantine_rejected(session: Session, source: Source, rejected: Rejected) -> None:
    _quarantine(session, source, rejected.iri, rejected.reason, rejected.raw)


def held_iris(session: Session, source: Source, kind: str = "event") -> set[str]:
    table = TABLES[kind]
    return set(session.exec(select(table.iri).where(table.source_id == source.id, *of_kind(kind))).all())


def remove_missing(
    session: Session, source: Source, seen: set[str], kinds: tuple[str, ...]
) -> tuple[int, str | None]:
    """After a complete snapshot, remove what the source no longer has.

    Removing more than half of what a source holds at once removes nothing and returns why,
    so a coordinator can look (a broken export looks like a mass deletion).
    """
    held = {kind: held_iris(session, source, kind) for kind in kinds}
    missing = {kind: iris - seen for kind, iris in held.items()}
    gone, total = sum(len(v) for v in missing.values()), sum(len(v) for v in held.values())
    if gone and gone * 2 > total:
        return 0, FLAG_MASS_REMOVAL.format(gone=gone, total=total)
    for kind, iris in missing.items():
        for iri in iris:
            delete_record(session, kind, iri)
    forget_hidden(session, source, seen, kinds)
    return gone, None


def counts_by_source(session: Session) -> dict[int, int]:
    """Records held per source."""
    totals: dict[int, int] = {}
    for table in dict.fromkeys(TABLES.values()):
        rows = session.exec(
            select(table.source_id, func.count())
            .where(col(table.source_id).is_not(None))
            .group_by(table.source_id)
        ).all()
        for source_id, count in rows:
            totals[source_id] = totals.get(source_id, 0) + count
    return totals
