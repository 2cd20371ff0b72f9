"""A hub's coordinators correct a field of a harvested event or place, hide one, and undo either.

Each act saves the record again at once (the change feed carries it), keeps the correction for
the next updates of the source (hub/federation/overrides.py) and adds a line to the log, which
is never changed: who, when, what, the old and new values, why. Only harvested records are
concerned: what this instance publishes itself is changed through its own API.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from pydantic import ValidationError
from sqlmodel import Session, col, select

from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.models import Event
from hub.events.service import save_event
from hub.federation.adapters.node import input_of
from hub.federation.apply import delete_record, link_events_to_place
from hub.federation.harvested import Input
from hub.federation.models import Correction, CorrectionLog, Source
from hub.federation.overrides import FIELDS, HIDDEN, INPUTS, corrected, replaced, snapshot, value_at
from hub.places.models import Place
from hub.places.service import save_place
from hub.settings import Settings
from hub.store.records import Origin, utcnow

TABLES: dict[str, type[Event] | type[Place]] = {"event": Event, "place": Place}
# Keys of a held document that are this hub's, not the source's.
OWN_KEYS = ("provenance", "corrections")


def _log(
    session: Session, action: str, correction: Correction, old: object, new: object, reason: str, by: str
) -> None:
    session.add(
        CorrectionLog(
            by=by,
            action=action,
            kind=correction.kind,
            iri=correction.iri,
            uid=correction.uid,
            field=correction.field,
            old=old,
            new=new,
            reason=reason,
        )
    )


def _wait_for_harvest(session: Session, source_id: int | None) -> None:
    """Wait until a page of this source being applied commits, and hold the next one off until
    this act does: a page reads the corrections before it writes. Each page's transaction first
    locks its source's row (hub/federation/harvester.py); on SQLite one writer at a time does it.
    What the session read before is forgotten, to be read again as that page left it."""
    if source_id is not None:
        session.get(Source, source_id, with_for_update=True)
    session.expunge_all()


def _settled(session: Session, kind: str, uid: str) -> Event | Place | None:
    """The record, once no page of its source is being applied (None if not held)."""
    row = session.get(TABLES[kind], uid)
    if row is None:
        return None
    _wait_for_harvest(session, row.source_id)
    return session.get(TABLES[kind], uid)


def _harvested(session: Session, kind: str, uid: str) -> Event | Place:
    row = _settled(session, kind, uid)
    if row is None:
        raise NotFound(f"no {kind} with id {uid!r}")
    if row.source_id is None:
        raise Conflict(
            f"this {kind} belongs to this instance: change it through its own API, not by a correction"
        )
    return row


def _check_field(kind: str, field: str) -> None:
    if field not in FIELDS[kind]:
        raise InvalidInput(
            "field", f"{field!r} cannot be corrected; choose among {', '.join(FIELDS[kind])}", location="path"
        )


def _found(session: Session, kind: str, iri: str) -> dict[str, Correction]:
    rows = session.exec(select(Correction).where(Correction.kind == kind, Correction.iri == iri))
    return {row.field: row for row in rows}


def _source_document(row: Event | Place) -> dict:
    return {k: v for k, v in orjson.loads(row.doc).items() if k not in OWN_KEYS}


def _source_input(session: Session, kind: str, row: Event | Place, found: dict[str, Correction]) -> Input:
    """The record's input as its source gave it: the held record, its corrections taken back."""
    source = session.get(Source, row.source_id)
    held = input_of(kind, _source_document(row), source.place_iri if source else None)
    return replaced(held, {f: c.source_value for f, c in found.items() if f != HIDDEN})


def _save(
    session: Session,
    settings: Settings,
    kind: str,
    row: Event | Place,
    data: Input,
    origin: Origin,
) -> None:
    if kind == "place":
        save_place(session, row, data, origin)
        link_events_to_place(session, row)
    else:
        save_event(session, settings, data, event=row, iri=row.iri, origin=origin)


def _resave(
    session: Session,
    settings: Settings,
    kind: str,
    row: Event | Place,
    source_input: Input,
    found: dict[str, Correction],
) -> None:
    """Save the record again from its source's input with the corrections `found`."""
    data, marks = corrected(session, source_input, found)
    source = session.get(Source, row.source_id)
    origin = Origin(
        source_id=row.source_id,
        document=_source_document(row) if source and source.kind == "node" else None,
        provenance=row.provenance or {},
        content_hash=row.content_hash or "",
        harvested_at=row.harvested_at or utcnow(),
        corrections=marks,
    )
    _save(session, settings, kind, row, data, origin)


def correct(
    session: Session,
    settings: Settings,
    kind: str,
    uid: str,
    field: str,
    value: object,
    *,
    reason: str,
    by: str,
) -> Correction:
    """Replace the value of `field` on a harvested record, now and after each update of its
    source. A value the record's input refuses is refused, naming the field."""
    _check_field(kind, field)
    row = _harvested(session, kind, uid)
    found = _found(session, kind, row.iri)
    source_input = _source_input(session, kind, row, found)
    current = found.get(field)
    old = current.value if current else value_at(source_input.model_dump(mode="json"), field)
    try:
        # Checked with the other corrections in force: together they must make a valid record.
        replaced(corrected(session, source_input, found)[0], {field: value})
    except ValidationError as exc:
        raise InvalidInput(field, _message(exc)) from exc
    correction = current or Correction(kind=kind, iri=row.iri, uid=row.id, field=field, by=by)
    correction.value, correction.reason, correction.by, correction.created_at = value, reason, by, utcnow()
    session.add(correction)
    found[field] = correction
    _resave(session, settings, kind, row, source_input, found)
    _log(session, "correct", correction, old, value, reason, by)
    return correction


def _message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    context = first.get("ctx") or {}
    return str(context["error"]) if first["type"] == "value_error" and "error" in context else first["msg"]


def undo(
    session: Session, settings: Settings, kind: str, uid: str, field: str, *, reason: str, by: str
) -> None:
    """Take a correction back: the source's value shows again."""
    _check_field(kind, field)
    row = _settled(session, kind, uid)
    correction = _by_uid(session, kind, uid, field)
    if row is not None:
        found = _found(session, kind, row.iri)
        source_input = _source_input(session, kind, row, found)
        found.pop(field)
        _resave(session, settings, kind, row, source_input, found)
    _log(session, "undo", correction, correction.value, correction.source_value, reason, by)
    session.delete(correction)


def _by_uid(session: Session, kind: str, uid: str, field: str) -> Correction:
    correction = session.exec(
        select(Correction).where(Correction.kind == kind, Correction.uid == uid, Correction.field == field)
    ).first()
    if correction is None:
        what = "hidden" if field == HIDDEN else f"corrected on {field}"
        raise NotFound(f"no {kind} with id {uid!r} is {what}")
    return correction


def hide(session: Session, kind: str, uid: str, *, reason: str, by: str) -> Correction:
    """Take a harvested record out of everything this hub serves (its tombstone goes out in the
    change feed); later updates of its source are kept aside, for unhiding."""
    row = _harvested(session, kind, uid)
    found = _found(session, kind, row.iri)
    source = session.get(Source, row.source_id)
    kept = snapshot(
        _source_input(session, kind, row, found),
        source_id=row.source_id,
        document=_source_document(row) if source and source.kind == "node" else None,
        content_hash=row.content_hash,
        provenance=row.provenance,
        harvested_at=row.harvested_at,
    )
    hidden = Correction(kind=kind, iri=row.iri, uid=row.id, field=HIDDEN, value=kept, reason=reason, by=by)
    session.add(hidden)
    delete_record(session, kind, row.iri)
    _log(session, "hide", hidden, None, None, reason, by)
    return hidden


def unhide(session: Session, settings: Settings, kind: str, uid: str, *, reason: str, by: str) -> bool:
    """Show a hidden record again, as its source last sent it (with its corrections); False when
    there is nothing to show (its source deleted it meanwhile, or is no longer harvested)."""
    hidden = _by_uid(session, kind, uid, HIDDEN)
    if isinstance(hidden.value, dict):
        _wait_for_harvest(session, hidden.value["source_id"])
        hidden = _by_uid(session, kind, uid, HIDDEN)
    kept = hidden.value if isinstance(hidden.value, dict) else None
    _log(session, "unhide", hidden, None, None, reason, by)
    session.delete(hidden)
    session.flush()
    if kept is None or session.get(Source, kept["source_id"]) is None:
        return False
    data = INPUTS[kind].model_validate(kept["input"])
    if kind == "place":
        row: Event | Place = Place(id=uid, iri=hidden.iri, name=data.name)
    else:
        row = Event(id=uid, iri=hidden.iri, title=data.title, start_utc=utcnow())
    document = kept["document"]
    found = _found(session, kind, hidden.iri)
    data, marks = corrected(session, data, found)
    origin = Origin(
        source_id=kept["source_id"],
        document=document,
        provenance=kept["provenance"] or {},
        content_hash=kept["content_hash"] or "",
        harvested_at=datetime.fromisoformat(kept["harvested_at"]) if kept["harvested_at"] else utcnow(),
        corrections=marks or None,
    )
    _save(session, settings, kind, row, data, origin)
    return True


def corrections(session: Session, kind: str | None = None, uid: str | None = None) -> list[Correction]:
    """The corrections and hidings in force, oldest first."""
    query = select(Correction).order_by(col(Correction.id))
    if kind:
        query = query.where(Correction.kind == kind)
    if uid:
        query = query.where(Correction.uid == uid)
    return list(session.exec(query).all())


def log(
    session: Session, *, limit: int, before: int | None = None, uid: str | None = None
) -> list[CorrectionLog]:
    """The log, newest first: `limit` lines older than line `before` (when given)."""
    query = select(CorrectionLog).order_by(col(CorrectionLog.id).desc()).limit(limit)
    if before is not None:
        query = query.where(col(CorrectionLog.id) < before)
    if uid:
        query = query.where(CorrectionLog.uid == uid)
    return list(session.exec(query).all())
