"""Gancio instances through their public API: `GET /api/events`, a JSON array of events.

Each item has an `id`, a `title` and `slug`, `start_datetime` and `end_datetime` in UNIX seconds,
a `place` ({name, address, latitude, longitude}), `tags`, `media` (file names under `/media/`)
and, on instances that send it, a `description` in HTML and `is_visible`. An event is identified
by the IRI Gancio federates it under (`/federation/m/<id>`), so the same event read from the API
or from ActivityPub is one record. An item with `is_visible` false is withdrawn: a tombstone.

The API lists upcoming events only, so an event missing from it is not deleted (it may have
passed); only a withdrawn one is. Gancio's own ActivityPub form (events without @context, with
`startTime`, `endTime` and `location {name}`) is read by the mobilizon module's outbox reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import orjson
from pydantic import ValidationError

from hub.federation.adapters.schema_event import Page, event_data
from hub.federation.adapters.schema_schedule import as_list, number, text
from hub.federation.errors import InvalidFeed, InvalidJson, Unreadable
from hub.federation.harvested import Batch, Harvested, Rejected, event_input, validation_reason
from hub.kit.sanitize import clean_html

ACCEPT = "application/json"
API_PATH = "/api/events"


def probe(url: str) -> str | None:
    """Where the events of the Gancio at `url` are listed: the URL itself when it is the API's,
    the API of an instance registered by its base URL; no other URL can be a Gancio's."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith(API_PATH):
        return url
    if parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}{API_PATH}"
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
            (batch.rejected if isinstance(record, Rejected) else batch.records).append(record)
        yield batch


def _record(item: object, base: str, place_iri: str | None) -> Harvested | Rejected:
    raw = orjson.dumps(item).decode()
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
    slug = text(item.get("slug")) or text(item.get("id"))
    media = [m for m in as_list(item.get("media")) if isinstance(m, dict) and text(m.get("url"))]
    node = {
        "@type": ["Event"],
        "name": item.get("title"),
        "startDate": _moment(item.get("start_datetime"), "start_datetime"),
        "endDate": _moment(item.get("end_datetime"), "end_datetime") if item.get("end_datetime") else None,
        "description": clean_html(text(item.get("description"))),
        "url": f"{base}/event/{quote(slug, safe='')}" if slug else None,
        "location": {"@type": ["Place"], **where} if place.get("name") else None,
        "image": f"{base}/media/{quote(text(media[0]['url']) or '')}" if media else None,
        "keywords": [tag for tag in as_list(item.get("tags")) if isinstance(tag, str)],
    }
    return event_data({key: value for key, value in node.items() if value not in (None, [])}, Page(base))


def _moment(value: object, name: str) -> str:
    """UNIX seconds as an ISO 8601 date-time in UTC."""
    seconds = number(value)
    try:
        if seconds is None:
            raise ValueError
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (ValueError, OverflowError, OSError) as exc:
        raise Unreadable(f"{name} {value!r} is not a time in UNIX seconds") from exc
