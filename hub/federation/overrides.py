"""What the hub's coordinators changed on harvested records, applied again on every update.

A coordinator corrects a field of a harvested event or place, or hides the record
(hub/federation/corrections.py). Both are kept apart from the record, in `Correction`, so that
each update a source sends goes through `corrected` (the correction replaces the source's value,
which the correction keeps) or `keep_hidden` (the record stays out, and what the source sent is
kept to bring back on unhiding; a tombstone clears it: the source's deletion wins).

A corrected record is rendered from its corrected input; its document lists the corrections under
`corrections` (the field, the source's value, when), so the API, the pages and this hub's own
change feed carry the corrected values and say so.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, col, select

from hub.events.schemas import HarvestedEventIn
from hub.federation.harvested import Harvested, Input
from hub.federation.models import Correction, Source
from hub.places.schemas import PlaceIn

# The fields a coordinator may correct, as the API's input names them (dotted inside an object).
FIELDS: dict[str, tuple[str, ...]] = {
    "event": (
        "title",
        "description",
        "start",
        "end",
        "status",
        "themes",
        "audience",
        "registration_url",
        "url",
    ),
    "place": (
        "name",
        "description",
        "address.street",
        "address.postal_code",
        "address.city",
        "contact.email",
        "contact.phone",
        "website",
    ),
}
HIDDEN = "hidden"
# Values a place derives from another when a source leaves them out: a corrected postal code
# names its department and region again, rather than keeping the source's.
DERIVED = {"address.postal_code": ("address.department", "address.region")}
INPUTS: dict[str, type[Input]] = {"event": HarvestedEventIn, "place": PlaceIn}
# IRIs per IN (...) list, as apply reads the records of a page.
LOOKUP_CHUNK = 500

Found = dict[tuple[str, str], dict[str, Correction]]


def iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def value_at(values: dict, path: str) -> object:
    """The value at a dotted path of plain JSON (None where absent)."""
    found: object = values
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _with(values: dict, path: str, value: object) -> dict:
    head, _, rest = path.partition(".")
    if not rest:
        return {**values, head: value}
    inner = values.get(head)
    return {**values, head: _with(inner if isinstance(inner, dict) else {}, rest, value)}


def replaced(data: Input, changes: dict[str, object]) -> Input:
    """`data` with the values at some paths replaced, validated again. Raises pydantic's
    ValidationError."""
    values = data.model_dump(mode="json")
    for path, value in changes.items():
        values = _with(values, path, value)
        for derived in DERIVED.get(path, ()):
            values = _with(values, derived, None)
    return type(data).model_validate(values)


def corrections_of(session: Session, records: list[Harvested]) -> Found:
    """The corrections and hidings of a page's records, by (kind, IRI): one SELECT per chunk."""
    iris = sorted({r.iri for r in records if r.kind in FIELDS})
    found: Found = {}
    for start in range(0, len(iris), LOOKUP_CHUNK):
        chunk = iris[start : start + LOOKUP_CHUNK]
        for row in session.exec(select(Correction).where(col(Correction.iri).in_(chunk))):
            found.setdefault((row.kind, row.iri), {})[row.field] = row
    return found


def corrected(session: Session, data: Input, found: dict[str, Correction]) -> tuple[Input, tuple[dict, ...]]:
    """The source's input with the coordinators' corrections applied, and what the document says of
    them. Each correction learns the source's current value of its field. One the new input
    refuses (a corrected end now before the source's new start, say) waits, unapplied, for the
    next update."""
    incoming = data.model_dump(mode="json")
    marks = []
    for field, correction in sorted(found.items()):
        if field == HIDDEN:
            continue
        source_value = value_at(incoming, field)
        if correction.source_value != source_value:
            correction.source_value = source_value
            session.add(correction)
        try:
            data = replaced(data, {field: correction.value})
        except ValidationError:
            continue
        marks.append({"field": field, "source_value": source_value, "corrected": iso(correction.created_at)})
    return data, tuple(marks)


def snapshot(
    data: Input,
    *,
    source_id: int,
    document: dict | None,
    content_hash: str | None,
    provenance: dict | None,
    harvested_at: datetime | None,
) -> dict:
    """What a hidden record is brought back from: its source's input and document, and origin."""
    return {
        "input": data.model_dump(mode="json"),
        "document": document,
        "source_id": source_id,
        "content_hash": content_hash,
        "provenance": provenance,
        "harvested_at": harvested_at.isoformat() if harvested_at else None,
    }


def keep_hidden(session: Session, hidden: Correction, kept: dict | None) -> None:
    """A hidden record updated (`kept`, its new snapshot) or deleted (None) by its source: kept
    aside, written only when it changed."""
    held = hidden.value if isinstance(hidden.value, dict) else None
    if held == kept or (held and kept and held["content_hash"] == kept["content_hash"]):
        return
    hidden.value = kept
    session.add(hidden)


def forget_hidden(session: Session, source: Source, seen: set[str], kinds: tuple[str, ...]) -> None:
    """After a complete snapshot of `source`: its hidden records it no longer has are gone (a
    calendar says so by leaving an event out, not by a tombstone)."""
    hidden = session.exec(
        select(Correction).where(Correction.field == HIDDEN, col(Correction.kind).in_(kinds))
    ).all()
    for row in hidden:
        if isinstance(row.value, dict) and row.value["source_id"] == source.id and row.iri not in seen:
            keep_hidden(session, row, None)
