"""Native nodes: the node descriptor and change-feed pages, as records validated as our inputs.

A node publishes our own JSON documents; `input_of` reads one back as the API input it stands for
(also for imports, hub/portability.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError

from hub.events.schemas import HarvestedEventIn
from hub.federation.errors import ContentError, InvalidFeed, InvalidJson, WrongContentType
from hub.federation.harvested import Batch, Harvested, Input, Rejected, validation_reason
from hub.needs.documents import KINDS as NEED_KINDS
from hub.needs.schemas import HarvestedNeedIn
from hub.people.schemas import HarvestedPersonIn
from hub.places.schemas import PlaceIn
from hub.programmes.schemas import ProgrammeIn
from hub.vocabulary.jsonld import unname_nodes

KINDS = {"Place": "place", "Event": "event", "Person": "person", "EventSeries": "programme", **NEED_KINDS}
TOMBSTONE_KINDS = set(KINDS.values())
DESCRIPTOR_PATH = "/.well-known/tiers-lieux"


@dataclass(frozen=True)
class Descriptor:
    base_url: str
    name: str
    role: str
    changes_url: str


def _json(body: bytes, content_type: str, what: str) -> dict:
    if content_type and "json" not in content_type.lower():
        raise WrongContentType(f"the {what} answered {content_type.split(';')[0]}, not JSON")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"the {what} is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise InvalidFeed(f"the {what} is not a JSON object")
    return value


def _same_origin(a: str, b: str) -> bool:
    left, right = urlsplit(a), urlsplit(b)
    return (left.scheme, left.netloc) == (right.scheme, right.netloc)


def parse_descriptor(body: bytes, content_type: str, *, url: str) -> Descriptor:
    """Read `/.well-known/tiers-lieux`; a node may only speak for a base on its own host."""
    value = _json(body, content_type, "node descriptor")
    base, feeds = value.get("id"), value.get("feeds")
    if value.get("type") != "NodeDescriptor" or not isinstance(base, str) or not isinstance(feeds, dict):
        raise InvalidFeed("the node descriptor lacks its type, id or feeds")
    changes = feeds.get("changes")
    if not isinstance(changes, str) or not changes.startswith(("http://", "https://")):
        raise InvalidFeed("the node descriptor gives no change feed URL")
    if not _same_origin(base, url) or not _same_origin(changes, url):
        raise InvalidFeed(
            f"the descriptor at {url} claims a base or feed on another host ({base}, {changes})"
        )
    role = value.get("role") if value.get("role") in ("node", "hub") else "node"
    return Descriptor(
        base_url=base.rstrip("/"), name=str(value.get("name") or base)[:200], role=role, changes_url=changes
    )


def descriptor_url(url: str) -> str:
    """Where the node registered at `url` describes itself."""
    return url.rstrip("/") + DESCRIPTOR_PATH


def probe(url: str) -> str | None:
    """Where to ask whether `url` is a node: only a base URL can be one."""
    return descriptor_url(url) if urlsplit(url).path in ("", "/") else None


def sniff(body: bytes, content_type: str, url: str) -> bool:
    """Whether the answer at `probe(url)` is the descriptor of a node at `url`."""
    try:
        parse_descriptor(body, content_type, url=url)
    except ContentError:
        return False
    return True


def read(
    body: bytes, content_type: str, *, url: str, place_iri: str | None = None, page_size: int = 0
) -> Iterator[Batch]:
    """One page of a change feed, as the only batch (the harvester follows the cursor)."""
    yield parse_change_page(body, content_type, place_iri=place_iri)


def parse_change_page(body: bytes, content_type: str, *, place_iri: str | None = None) -> Batch:
    """Read one page of a change feed; an unreadable item is rejected alone. Events that name no
    place are at `place_iri` (a node registered for one place)."""
    value = _json(body, content_type, "change feed")
    items, cursor, more = value.get("items"), value.get("next_cursor"), value.get("has_more")
    if value.get("type") != "ChangePage" or not isinstance(items, list):
        raise InvalidFeed("the change feed page lacks its type or items")
    if not isinstance(cursor, str) or not cursor or not isinstance(more, bool):
        raise InvalidFeed("the change feed page lacks next_cursor or has_more")
    batch = Batch(next_cursor=cursor, has_more=more)
    for item in items:
        record = _record(item, place_iri)
        if isinstance(record, Rejected):
            batch.rejected.append(record)
        else:
            batch.records.append(record)
    return batch


def _record(item: object, place_iri: str | None) -> Harvested | Rejected:
    if not isinstance(item, dict):
        return Rejected("an item of the change feed is not an object", raw=_dump(item))
    iri, kind = item.get("id"), item.get("type")
    if not isinstance(iri, str) or not iri.startswith(("http://", "https://")):
        return Rejected("a record without an http(s) IRI", raw=_dump(item))
    if kind == "Tombstone":
        if item.get("kind") not in TOMBSTONE_KINDS:
            return Rejected("a tombstone of an unknown kind", iri=iri)
        return Harvested(kind=item["kind"], iri=iri, deleted=True)
    if kind not in KINDS:
        return Rejected(f"a record of unknown type {kind!r}", iri=iri, raw=_dump(item))
    # Our JSON-LD names nested nodes; the record is our JSON, as the API takes it.
    data = unname_nodes(item)
    document = {k: v for k, v in data.items() if k not in ("provenance", "@context")}
    try:
        valid = input_of(KINDS[kind], document, place_iri)
    except ValidationError as exc:
        return Rejected(validation_reason(exc, KINDS[kind]), iri=iri, raw=_dump(item))
    return Harvested(kind=KINDS[kind], iri=iri, data=data, input=valid)


def _dump(item: object) -> str:
    return orjson.dumps(item).decode()


def _concept_values(values: list) -> list[str]:
    found = []
    for value in values or []:
        if isinstance(value, dict):
            label = value.get("label")
            text = value.get("id")
            if not text and isinstance(label, dict):
                text = next(iter(label.values()), None)
            if text:
                found.append(str(text))
        elif isinstance(value, str):
            found.append(value)
    return found


def input_of(kind: str, document: dict, place_iri: str | None = None) -> Input:
    """The API input a published document stands for (documents are our output shape); an
    event that names no place is at `place_iri`. Raises pydantic's ValidationError."""
    if kind == "place":
        keys = (
            "name",
            "description",
            "kinds",
            "address",
            "geo",
            "opening_hours",
            "contact",
            "website",
            "equipment",
        )
        return PlaceIn.model_validate({k: document[k] for k in keys if k in document})
    if kind == "event":
        return HarvestedEventIn.model_validate(_event_input(document, place_iri))
    if kind in ("need", "offer"):
        return HarvestedNeedIn.model_validate(_need_input(kind, document))
    if kind == "programme":
        data = {k: document[k] for k in ("name", "description", "url", "organizers") if k in document}
        data["themes"] = _concept_values(document.get("themes", []))
        return ProgrammeIn.model_validate(data)
    levels = {v["field"]: v["level"] for v in document.get("visibility", []) if isinstance(v, dict)}
    # Roles at places are shown with the member's places, and only with them.
    fields = [
        f
        for f in ("display_name", "bio", "skills", "badges", "places", "links", "contact")
        if f in document or (f == "places" and "roles" in document)
    ]
    data = {
        k: document[k]
        for k in ("display_name", "bio", "badges", "places", "links", "contact")
        if k in document
    }
    data["skills"] = _concept_values(document.get("skills", []))
    data["visibility"] = {f: levels.get(f, "public") for f in fields}
    data["consent"] = {"fields": fields or ["display_name"]}
    data["roles"] = [_role_input(role) for role in document.get("roles", []) if isinstance(role, dict)]
    return HarvestedPersonIn.model_validate(data)


def _role_input(role: dict) -> dict:
    data = {k: role[k] for k in ("work_location", "role_name", "since") if k in role}
    data["badges"] = _concept_values(role.get("role_badges", []))
    return data


def _event_input(document: dict, place_iri: str | None) -> dict:
    keys = (
        "title",
        "description",
        "start",
        "end",
        "timezone",
        "recurrence",
        "overrides",
        "location",
        "attendance_mode",
        "status",
        "is_free",
        "price",
        "currency",
        "registration_url",
        "capacity",
        "language",
        "image",
        "url",
        "organizers",
        "programme",
        "animators",
        "same_as",
    )
    data = {k: document[k] for k in keys if k in document}
    place = document.get("place")
    if isinstance(place, dict) and place.get("id"):
        data["place"] = place["id"]
    elif isinstance(place, str):
        data["place"] = place
    elif place_iri:
        data["place"] = place_iri
    data["themes"] = _concept_values(document.get("themes", []))
    data["audience"] = _concept_values(document.get("audience", []))
    return data


def _need_input(kind: str, document: dict) -> dict:
    data = {
        k: document[k] for k in ("title", "description", "author", "valid_through", "state") if k in document
    }
    data["kind"] = kind
    data["skills"] = _concept_values(document.get("item_offered", []))
    if "area_served" in document:
        data["place"] = document["area_served"]
    if "shown_to" in document:
        data["visibility"] = document["shown_to"]
    return data
