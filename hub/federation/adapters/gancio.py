"""Gancio instances through their public API: `GET /api/events`, a JSON array of events.

Each item has an `id`, a `title` and `slug`, `start_datetime` and `end_datetime` in UNIX seconds,
a `place` ({name, address, latitude, longitude}), `tags` (names), `media` (file names under
`/media/`; `image_path` on older instances), on recent instances `online_locations` (URLs, read
as where to join online) and, on instances that send them, a `description` in HTML and
`is_visible`. An event is identified by the IRI Gancio federates it
under (`/federation/m/<id>`), so the same event read from the API or from ActivityPub is one
record. An item with `is_visible` false is withdrawn: a tombstone.

A recurring event is a parent holding the rule (`recurrent`: {frequency: "1w", "2w", "1m"...})
and its occurrences, each an event of its own (a child naming its `parentId`) that Gancio creates
ahead of time. The API hides the children unless asked (`show_recurrent=true`, which the hub
always asks) and, when an instance lists the parent, its first occurrence is also a child: the
hub holds the children, concrete dates Gancio computed in its own time zone, and skips the parent,
so an occurrence is never held twice.

The API lists upcoming events only, so an event missing from it is not deleted (it may have
passed); only a withdrawn one is. Gancio's own ActivityPub form (events without @context, with
`startTime`, `endTime` and `location {name}`) is read by the mobilizon module's outbox reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import orjson
from pydantic import ValidationError

from hub.federation.adapters.schema_event import Page, event_data, http
from hub.federation.adapters.schema_schedule import as_list, number, text
from hub.federation.errors import InvalidFeed, InvalidJson, Unreadable
from hub.federation.harvested import Batch, Harvested, Rejected, event_input, validation_reason
from hub.kit.sanitize import clean_html

ACCEPT = "application/json"
API_PATH = "/api/events"
WITH_OCCURRENCES = ("show_recurrent", "true")


def probe(url: str) -> str | None:
    """Where the events of the Gancio at `url` are listed, the occurrences of recurring events
    included: its API, for a URL that is the API's or an instance's base URL; no other URL can be
    a Gancio's."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith(API_PATH):
        query = parse_qsl(parts.query, keep_blank_values=True)
        if WITH_OCCURRENCES[0] not in dict(query):
            query.append(WITH_OCCURRENCES)
        return parts._replace(query=urlencode(query)).geturl()
    if parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}{API_PATH}?{urlencode([WITH_OCCURRENCES])}"
    return None


def sniff(body: bytes, content_type: str, url: str) -> bool:
    """Whether the answer at `probe(url)` is Gancio's list of events."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(items, list) and all(isinstance(i, dict) and "start_datetime" in i for i in items)


def read(
    body: bytes, content_type: str, *, url: str, place_iri: str | None = None, page_size: int = 0
) -> Iterator[Batch]:
    """The events listed at `url`, `page_size` at a time."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"{url} is not valid JSON ({exc})") from exc
    if not isinstance(items, list):
        raise InvalidFeed(f"{url} is not Gancio's list of events (a JSON array)")
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    size = page_size or len(items) or 1
    for start in range(0, len(items), size):
        batch = Batch()
        for item in items[start : start + size]:
            record = _record(item, base, place_iri)
            if record is not None:
                (batch.rejected if isinstance(record, Rejected) else batch.records).append(record)
        yield batch


def _record(item: object, base: str, place_iri: str | None) -> Harvested | Rejected | None:
    """One item as a record; None for the parent of a recurring event (its children are listed)."""
    raw = orjson.dumps(item).decode()
    if isinstance(item, dict) and item.get("recurrent"):
        return None
    ident = item.get("id") if isinstance(item, dict) else None
    if not isinstance(ident, int | str) or isinstance(ident, bool) or not str(ident).strip():
        return Rejected("an event without an id", raw=raw)
    iri = f"{base}/federation/m/{quote(str(ident), safe='')}"
    if item.get("is_visible") is False:
        return Harvested(kind="event", iri=iri, deleted=True)
    try:
        data = event_of(item, base)
        valid = event_input(data, place_iri)
    except ValidationError as exc:
        return Rejected(validation_reason(exc, "event"), iri=iri, raw=raw)
    except (Unreadable, OverflowError) as exc:
        return Rejected(str(exc), iri=iri, raw=raw)
    return Harvested(kind="event", iri=iri, data=data, input=valid)


def event_of(item: dict, base: str) -> dict:
    """One item of the API as EventIn's plain JSON."""
    place = item.get("place") if isinstance(item.get("place"), dict) else {}
    where = {k: place[k] for k in ("name", "address", "latitude", "longitude") if k in place}
    online = [
        {"@type": ["VirtualLocation"], "url": url}
        for url in map(text, as_list(item.get("online_locations")))
        if http(url)
    ]
    slug = text(item.get("slug")) or text(item.get("id"))
    node = {
        "@type": ["Event"],
        "name": item.get("title"),
        "startDate": _moment(item.get("start_datetime"), "start_datetime"),
        "endDate": _moment(item.get("end_datetime"), "end_datetime") if item.get("end_datetime") else None,
        "description": clean_html(text(item.get("description"))),
        "url": f"{base}/event/{quote(slug, safe='')}" if slug else None,
        "location": ([{"@type": ["Place"], **where}] if place.get("name") else []) + online,
        "image": _image(item, base),
        "keywords": [tag for tag in as_list(item.get("tags")) if isinstance(tag, str)],
    }
    return event_data({key: value for key, value in node.items() if value not in (None, [])}, Page(base))


def _image(item: dict, base: str) -> str | None:
    """The first medium's URL (`image_path` before Gancio had `media`): a file name under the
    instance's `/media/`, or already a URL."""
    names = [medium.get("url") for medium in as_list(item.get("media")) if isinstance(medium, dict)]
    for name in map(text, [*names, item.get("image_path")]):
        if name:
            return http(name) or f"{base}/media/{quote(name)}"
    return None


def _moment(value: object, name: str) -> str:
    """UNIX seconds as an ISO 8601 date-time in UTC."""
    seconds = number(value)
    try:
        if seconds is None:
            raise ValueError
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (ValueError, OverflowError, OSError) as exc:
        raise Unreadable(f"{name} {value!r} is not a time in UNIX seconds") from exc
