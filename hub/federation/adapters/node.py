"""Native nodes: the node descriptor and change-feed pages, as records."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson

from hub.federation.errors import InvalidFeed, InvalidJson, WrongContentType
from hub.federation.harvested import Batch, Harvested, Rejected
from hub.vocabulary.jsonld import unname_nodes

KINDS = {"Place": "place", "Event": "event", "Person": "person"}
TOMBSTONE_KINDS = {"place", "event", "person"}


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


@dataclass(frozen=True)
class ChangePage:
    batch: Batch
    next_cursor: str
    has_more: bool


def parse_change_page(body: bytes, content_type: str) -> ChangePage:
    """Read one page of a change feed; an unreadable item is rejected alone."""
    value = _json(body, content_type, "change feed")
    items, cursor, more = value.get("items"), value.get("next_cursor"), value.get("has_more")
    if value.get("type") != "ChangePage" or not isinstance(items, list):
        raise InvalidFeed("the change feed page lacks its type or items")
    if not isinstance(cursor, str) or not cursor or not isinstance(more, bool):
        raise InvalidFeed("the change feed page lacks next_cursor or has_more")
    batch = Batch()
    for item in items:
        record = _record(item)
        if isinstance(record, Rejected):
            batch.rejected.append(record)
        else:
            batch.records.append(record)
    return ChangePage(batch=batch, next_cursor=cursor, has_more=more)


def _record(item: object) -> Harvested | Rejected:
    if not isinstance(item, dict):
        return Rejected("an item of the change feed is not an object", raw=orjson.dumps(item).decode()[:2000])
    iri, kind = item.get("id"), item.get("type")
    if not isinstance(iri, str) or not iri.startswith(("http://", "https://")):
        return Rejected("a record without an http(s) IRI", raw=orjson.dumps(item).decode()[:2000])
    if kind == "Tombstone":
        if item.get("kind") not in TOMBSTONE_KINDS:
            return Rejected("a tombstone of an unknown kind", iri=iri)
        return Harvested(kind=item["kind"], iri=iri, deleted=True)
    if kind not in KINDS:
        return Rejected(f"a record of unknown type {kind!r}", iri=iri, raw=orjson.dumps(item).decode()[:2000])
    # Our JSON-LD names nested nodes; the record is our JSON, as the API takes it.
    return Harvested(kind=KINDS[kind], iri=iri, data=unname_nodes(item))
