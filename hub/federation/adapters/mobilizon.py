"""Mobilizon groups and instances, and any ActivityStreams outbox of events: an actor, its outbox,
its pages.

A source is read from an actor: a group's (`https://mobilizon.example/@group`, also registered as
its page `/@group/events`, as its page on another instance `/@group@its-instance`, or as the handle
`@group@its-instance`), or, for an instance registered by its base URL, the instance's relay
actor (`/relay`), whose outbox lists every public event of the instance (Mobilizon's
`fetch_public_activities_for_actor` answers the relay's with `list_public_local_events`).
An actor's document names its outbox; the outbox (an OrderedCollection) names its first page
or embeds it; each page lists activities newest first and names the `next` one. `read` turns one
of these answers into one batch: the events of Create and Update activities, the tombstones of
Delete activities and of Tombstone objects (an activity naming its object by IRI alone is
skipped: nothing is fetched on its behalf), and the link to fetch next (`Batch.next_url`), which
the harvester follows within its bounds. Only an explicit Delete or Tombstone deletes: an event
merely absent from what was read stays, since an outbox is a history read newest first and a
failed or partial read says nothing about what it did not reach.

The real quirks: Mobilizon's @context maps `sc` to `http://schema.org#`, so a term comes as
`sc:address`, `http://schema.org#address` or plain `address`; `ical:status` says CANCELLED;
`maximumAttendeeCapacity` 0 means no limit; `joinMode` "external" sends people to
`externalParticipationUrl`. Gancio federates its events without any @context. Every term is read
by its local name whatever its prefix, and no context is ever fetched. Events are mapped through
schema.org's names by `schema_event`, so places, addresses and dates read as on a web page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError

from hub.federation.adapters.schema_event import Page, event_data, http, is_zone, join
from hub.federation.adapters.schema_schedule import as_list, enum, integer, text
from hub.federation.errors import InvalidFeed, InvalidJson, Unreadable
from hub.federation.harvested import Batch, Harvested, Rejected, event_input, validation_reason
from hub.kit.sanitize import clean_html

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACTORS = frozenset({"Group", "Person", "Organization", "Application", "Service"})
COLLECTIONS = frozenset({"OrderedCollection", "Collection"})
PAGES = frozenset({"OrderedCollectionPage", "CollectionPage"})
WRITES = frozenset({"Create", "Update", "Announce"})  # an Announce counts with its object embedded
MAX_DEPTH = 32  # of one activity: Mobilizon's are 4 deep
SNIFF_BYTES = 4096  # the namespace is in the @context, at the top

_PREFIX = re.compile(
    r"^(sc:|as:|mz:|ical:|pt:|https?://schema\.org[#/]|https://www\.w3\.org/ns/activitystreams#"
    r"|https://joinmobilizon\.org/ns#|http://www\.w3\.org/2002/12/cal/ical#)",
    re.I,
)


# A group's page, on its instance (`/@group`, `/@group/events`) or seen from another (`/@group@host`).
_ACTOR_PAGE = re.compile(r"^/@(?P<name>[\w.-]+)(?:@(?P<host>[\w.-]+(?::\d+)?))?(?P<page>/events)?/?$")
_HANDLE = re.compile(r"^@(?P<name>[\w.-]+)@(?P<host>[\w-]+(?:\.[\w-]+)+)$")


def probe(url: str) -> str:
    """Where the Mobilizon source at `url` is read: the relay actor of an instance given by its
    base URL, the actor of a group given by one of its pages, else the URL itself (an actor, an
    outbox or one of its pages)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.path in ("", "/") and not parts.query:
        return f"{origin}/relay"
    page = _ACTOR_PAGE.match(parts.path)
    if page is None or parts.query:
        return url
    if page["host"]:
        origin = f"{parts.scheme}://{page['host']}"
    return f"{origin}/@{page['name']}"


def handle_url(handle: str) -> str | None:
    """The URL of the actor a fediverse handle (`@group@instance`) names on Mobilizon, or None
    when `handle` is no handle."""
    found = _HANDLE.match(handle.strip())
    return f"https://{found['host']}/@{found['name']}" if found else None


def sniff(body: bytes, content_type: str, url: str) -> bool:
    """Whether an answer is a Mobilizon actor, outbox or outbox page: ActivityStreams naming
    Mobilizon's namespace."""
    if b"joinmobilizon.org/ns" not in body[:SNIFF_BYTES]:
        return False
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(document, dict) and bool(_types(document) & (ACTORS | COLLECTIONS | PAGES))


def read(
    body: bytes, content_type: str, *, url: str, place_iri: str | None = None, page_size: int = 0
) -> Iterator[Batch]:
    """One answer (an actor, an outbox or one of its pages) as one batch, with the link after it;
    at most `page_size` activities are read, the rest quarantined as one entry."""
    yield parse_answer(body, url=url, place_iri=place_iri, limit=page_size or None)


def parse_answer(body: bytes, *, url: str, place_iri: str | None = None, limit: int | None = None) -> Batch:
    document = _document(body, url)
    kinds = _types(document)
    if kinds & ACTORS:
        outbox = _link(document.get("outbox"), url)
        if outbox is None:
            raise InvalidFeed(f"the actor at {url} has no outbox")
        return Batch(next_url=outbox)
    if kinds & COLLECTIONS:
        first = document.get("first")
        if not isinstance(first, dict):
            return Batch(next_url=_link(first, url))
        document = first  # the first page, embedded
    elif not kinds & PAGES:
        raise InvalidFeed(f"{url} is not an ActivityStreams actor, outbox or outbox page")
    items = document.get("orderedItems", document.get("items"))
    batch = Batch(next_url=_link(document.get("next"), url))
    items = as_list(items)
    if limit is not None and len(items) > limit:
        reason = f"{url} lists {len(items)} activities; the first {limit} were read"
        batch.rejected.append(Rejected(reason))
        items = items[:limit]
    _read_items(items, url, place_iri, batch)
    return batch


def _document(body: bytes, url: str) -> dict:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"{url} is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InvalidFeed(f"{url} is not a JSON object")
    return {_PREFIX.sub("", key): value for key, value in document.items() if isinstance(key, str)}


def _types(node: dict) -> set[str]:
    return _names(node.get("type", node.get("@type")))


def _names(value: object) -> set[str]:
    return {_PREFIX.sub("", name) for name in as_list(value) if isinstance(name, str)}


def _link(value: object, base: str) -> str | None:
    """An absolute http(s) URL from an IRI, a Link or an object with an id."""
    for item in as_list(value):
        if isinstance(item, dict):
            item = item.get("href") or item.get("url") or item.get("id")
        absolute = join(base, item) if isinstance(item, str) else None
        if absolute and urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None


def _read_items(items: list, url: str, place_iri: str | None, batch: Batch) -> None:
    """The page's records, newest first as the outbox lists them: an IRI's first activity wins."""
    decided: set[str] = set()
    for item in items:
        try:
            record = _record(item, url, place_iri)
        except RecursionError:
            record = Rejected("the activity is nested too deeply", raw=_dump(item))
        if record is None or record.iri in decided:
            continue
        if record.iri is not None:
            decided.add(record.iri)
        (batch.rejected if isinstance(record, Rejected) else batch.records).append(record)


def _record(item: object, url: str, place_iri: str | None) -> Harvested | Rejected | None:
    """One activity (or a bare object) as a record; None when it says nothing of an event."""
    if not isinstance(item, dict):
        return None  # an activity by reference: not fetched
    node = plain(item)
    kinds = set(node.get("@type", ()))
    target = node.get("object") if kinds & (WRITES | {"Delete"}) else node
    if "Delete" in kinds or (isinstance(target, dict) and "Tombstone" in target.get("@type", ())):
        return _tombstone(target, url, item)
    if not isinstance(target, dict) or "Event" not in target.get("@type", ()):
        return None
    iri = _own(target.get("@id"), url)
    if isinstance(iri, Rejected):
        return Rejected(iri.reason, raw=_dump(item))
    try:
        data = event_of(target, url)
        valid = event_input(data, place_iri)
    except ValidationError as exc:
        return Rejected(validation_reason(exc, "event"), iri=iri, raw=_dump(item))
    except (Unreadable, OverflowError) as exc:
        return Rejected(str(exc), iri=iri, raw=_dump(item))
    return Harvested(kind="event", iri=iri, data=data, input=valid)


def _tombstone(target: object, url: str, item: dict) -> Harvested | Rejected | None:
    if isinstance(target, dict):
        former = _names(target.get("formerType"))
        if former and "Event" not in former:
            return None  # a comment or a post deleted
        target = target.get("@id")
    iri = _own(target, url)
    if isinstance(iri, Rejected):
        return Rejected(iri.reason, raw=_dump(item))
    return Harvested(kind="event", iri=iri, deleted=True)


def _own(iri: object, url: str) -> str | Rejected:
    """The IRI of an event of this source: an http(s) IRI on the source's own host."""
    if not isinstance(iri, str) or http(iri) is None:
        return Rejected("an event without an http(s) id")
    if urlsplit(iri).netloc != urlsplit(url).netloc:
        return Rejected(f"the event {iri} is not on the source's host; a source speaks for its own events")
    return iri


def plain(value: object, depth: int = 0) -> object:
    """Terms by their local name (the first of two spellings wins), `type` and `id` as `@type`
    (a list) and `@id`: the form `schema_event` reads."""
    if depth > MAX_DEPTH:
        raise RecursionError
    if isinstance(value, list):
        return [plain(item, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    node: dict = {}
    for key, item in value.items():
        name = _PREFIX.sub("", key) if isinstance(key, str) else None
        name = {"type": "@type", "id": "@id"}.get(name, name)
        if name is None or name == "@context" or name in node:
            continue
        if name == "@type":
            node[name] = [_PREFIX.sub("", kind) for kind in as_list(item) if isinstance(kind, str)]
        else:
            node[name] = plain(item, depth + 1)
    return node


def event_of(event: dict, url: str) -> dict:
    """An ActivityStreams Event (Mobilizon's or Gancio's) as EventIn's plain JSON."""
    node = {
        "@type": ["Event"],
        "name": event.get("name"),
        "startDate": event.get("startTime"),
        "endDate": event.get("endTime"),
        "description": clean_html(text(event.get("content"))),
        "url": _link(event.get("url"), url),
        "location": event.get("location"),
        "image": _images(event),
        "keywords": [
            name.lstrip("#")
            for tag in as_list(event.get("tag"))
            if isinstance(tag, dict) and "Hashtag" in tag.get("@type", ()) and (name := text(tag.get("name")))
        ],
    }
    if (enum(event.get("status")) or "").upper() == "CANCELLED":
        node["eventStatus"] = "EventCancelled"
    if capacity := integer(event.get("maximumAttendeeCapacity")):  # 0: no limit
        node["maximumAttendeeCapacity"] = capacity
    if registration := _registration(event, node["url"], url):
        node["offers"] = {"url": registration}
    data = event_data({key: value for key, value in node.items() if value not in (None, [])}, Page(url))
    zone = text(event.get("timezone"))
    if zone and is_zone(zone):
        data["timezone"] = zone
    if event.get("isOnline") is True and "location" not in data:
        data["attendance_mode"] = "online"
    return data


def _images(event: dict) -> list:
    """The event's image, then its image attachments (Mobilizon's banner is a Document)."""
    attachments = [
        item
        for item in as_list(event.get("attachment"))
        if isinstance(item, dict)
        and ("Image" in item.get("@type", ()) or str(item.get("mediaType", "")).startswith("image/"))
    ]
    images = as_list(event.get("image")) + attachments
    return [{"url": _link(item, "")} if isinstance(item, dict) else item for item in images]


def _registration(event: dict, page: str | None, url: str) -> str | None:
    """Where to sign up: the external page of an external join mode, else the event's own page
    when anyone (or anyone approved) may join there."""
    mode = enum(event.get("joinMode"))
    if mode == "external":
        return _link(event.get("externalParticipationUrl"), url)
    return page if mode in ("free", "restricted") else None


def _dump(item: object) -> str:
    try:
        return orjson.dumps(item).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(item)
