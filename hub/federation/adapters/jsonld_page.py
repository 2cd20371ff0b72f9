"""Adapter for web pages carrying schema.org events as JSON-LD (`<script type="application/ld+json">`).

Agenda pages made with WordPress (The Events Calendar, Yoast), Squarespace, Wix or an OpenAgenda
embed describe their events in schema.org JSON-LD. `parse_page` turns one such page, or a JSON-LD
document served on its own, into a `Batch` of events in the `EventIn` shape. It touches no database
and fetches nothing: schema.org is recognised by name and read in its compact form, and a document
naming any other remote context is refused whole rather than fetched.

Completeness: a page that parsed is a whole snapshot of what it shows (`complete=True`). An empty or
binary body, or HTML without any JSON-LD, says nothing about the events (a plugin switched off, a
maintenance page), so it yields an empty batch with `complete=False`: nothing is deleted on the
strength of it. The same holds when a JSON-LD document could not be read (broken JSON, unknown
context), since it may have held events.

This module reads the page and walks its nodes; `schema_event` maps one Event node to `EventIn`, and
`schema_schedule` translates its `eventSchedule` into a recurrence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator

import lxml.etree
import orjson
from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html
from pydantic import ValidationError
from w3lib.encoding import html_to_unicode

from hub.federation.adapters.schema_event import Page, event_data, http, join
from hub.federation.adapters.schema_schedule import as_list, local, text
from hub.federation.errors import NoEventOnPage, Unreadable
from hub.federation.harvested import Batch, Harvested, Rejected, event_input, readable, validation_reason

EVENT_TYPES = frozenset(
    {
        "Event",
        "EducationEvent",
        "SocialEvent",
        "BusinessEvent",
        "ExhibitionEvent",
        "Festival",
        "MusicEvent",
        "TheaterEvent",
        "CourseInstance",
        "Hackathon",
        "LiteraryEvent",
        "FoodEvent",
        "ScreeningEvent",
        "SaleEvent",
        "ChildrensEvent",
        "ComedyEvent",
        "DanceEvent",
        "DeliveryEvent",
        "PublicationEvent",
        "SportsEvent",
        "VisualArtsEvent",
        "EventSeries",
    }
)
# Where events sit inside a document: graphs, item lists, a page's main entity, sub-events, and the
# `event` property of a Place or an Organization.
CONTAINER_KEYS = (
    "@graph",
    "itemListElement",
    "item",
    "mainEntity",
    "subEvent",
    "subEvents",
    "event",
    "events",
)

_SCHEMA_CONTEXT = re.compile(r"^https?://(www\.)?schema\.org/?(docs/jsonldcontext\.jsonld?)?$", re.I)
_JSONLD_SCRIPTS = lxml.etree.XPath('//script[@type="application/ld+json"]')  # extruct's own selector


def sniff(body: bytes, content_type: str, url: str) -> bool:
    """Whether an answer is a web page or a JSON document, by its content type or its first bytes."""
    head = body.lstrip(b"\xef\xbb\xbf \r\n\t")[:9].upper()
    media = content_type.lower()
    return "html" in media or "json" in media or head.startswith((b"<!DOCTYPE", b"<HTML"))


def read(
    body: bytes, content_type: str, *, url: str, place_iri: str | None = None, page_size: int = 0
) -> Iterator[Batch]:
    """The page at `url` as one batch of events at `place_iri` unless they name their own; a page
    where no event could be read raises NoEventOnPage."""
    # A generator: the page is parsed when the harvester asks for it, off its event loop.
    yield from readable(
        iter([parse_page(body, source_url=url, content_type=content_type, place_iri=place_iri)]),
        NoEventOnPage(f"{url}: no schema.org event could be read on this page"),
    )


def parse_page(
    body: bytes, *, source_url: str, content_type: str | None = None, place_iri: str | None = None
) -> Batch:
    """The events of one page: HTML with JSON-LD blocks, or a JSON-LD document itself."""
    # w3lib decodes as a browser does: BOM, then the Content-Type charset, then the HTML meta
    # charset, else UTF-8; undecodable bytes become U+FFFD.
    _, text = html_to_unicode(content_type, body)
    if not text.strip() or "\x00" in text:
        return Batch(complete=False)
    batch = Batch()
    if _is_json(content_type, text):
        sources = _json_documents(text, batch)
    else:
        sources = _html_documents(text, source_url, batch)
    documents = _normalised(sources, source_url, batch)
    if not documents and not batch.rejected:
        return Batch(complete=False)
    page = Page(source_url)
    _index(documents, page.nodes)
    found: list[dict] = []
    _collect(documents, page, set(), found)
    _read_events(found, page, place_iri, batch)
    return batch


def _is_json(content_type: str | None, text: str) -> bool:
    """JSON by its content type; without one, by its first character."""
    if content_type is None:
        return text.lstrip()[:1] in ("{", "[")
    media = content_type.split(";")[0].strip().lower()
    return media in ("application/ld+json", "application/json") or media.endswith("+json")


def _json_documents(text: str, batch: Batch) -> list:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        _reject_block(batch, f"the document is not valid JSON: {exc}", text)
        return []
    return data if isinstance(data, list) else [data]


def _html_documents(text: str, source_url: str, batch: Batch) -> list:
    """The JSON-LD documents of a page's blocks; a broken block is rejected and the others kept."""
    # `extruct.extract` decodes every block at once and loses them all to one broken block, so the
    # page is parsed with extruct's parser and each block read by its JSON-LD extractor. The text
    # is already decoded: the parser is told UTF-8 so a meta charset cannot decode it twice.
    try:
        tree = parse_html(text.encode(), encoding="utf-8")
    except lxml.etree.ParserError:
        return []
    extractor = JsonLdExtractor()
    documents = []
    for number, script in enumerate(_JSONLD_SCRIPTS(tree), start=1):
        block = script.xpath("string()")
        if not block.strip():
            continue
        try:
            documents.extend(extractor.extract_items(script, base_url=source_url))
        except (ValueError, RecursionError) as exc:
            _reject_block(batch, f"JSON-LD block {number} is not valid JSON: {exc}", block)
    return documents


def _reject_block(batch: Batch, reason: str, raw: str) -> None:
    batch.rejected.append(Rejected(reason=reason, raw=raw))
    batch.complete = False


def _normalised(sources: list, base: str, batch: Batch) -> list[dict]:
    """Top-level documents with schema.org keys made plain; documents in another vocabulary rejected."""
    documents = []
    for item in sources:
        if not isinstance(item, dict):
            continue
        try:
            documents.append(_normalise(item, base))
        except Unreadable as exc:
            reason = str(exc)
        except RecursionError:
            reason = "the document is nested too deeply"
        else:
            continue
        iri = item.get("@id") if isinstance(item.get("@id"), str) else None
        batch.rejected.append(Rejected(reason=reason, iri=iri, raw=_dump(item)))
        batch.complete = False
    return documents


def _normalise(value: object, base: str) -> object:
    """Keys and types without their schema.org prefix, @ids resolved against the page, contexts checked."""
    if isinstance(value, list):
        return [_normalise(item, base) for item in value]
    if not isinstance(value, dict):
        return value
    if "@context" in value:
        _check_context(value["@context"])
    node: dict = {}
    for key, item in value.items():
        name = local(key)
        if name == "@context" or name in node:  # "name" beside "schema:name": the first one wins
            continue
        if name == "@type":
            node[name] = [local(kind) for kind in as_list(item) if isinstance(kind, str)]
        elif name == "@id" and isinstance(item, str):
            node[name] = item if item.startswith("_:") else join(base, item) or item
        else:
            node[name] = _normalise(item, base)
    return node


def _check_context(context: object) -> None:
    """Accept schema.org in any spelling, as a URL or as @vocab; refuse any other context."""
    for entry in as_list(context):
        if isinstance(entry, str) and not _SCHEMA_CONTEXT.match(entry.strip()):
            raise Unreadable(f"unknown context {entry}: not fetched")
        if isinstance(entry, dict):
            if "@import" in entry:
                raise Unreadable(f"unknown context {entry['@import']}: not fetched")
            vocab = entry.get("@vocab")
            if isinstance(vocab, str) and not _SCHEMA_CONTEXT.match(vocab.strip()):
                raise Unreadable(f"unknown vocabulary {vocab}")


def _index(value: object, nodes: dict[str, dict]) -> None:
    """Every node that has an @id and more than it, by @id."""
    if isinstance(value, list):
        for item in value:
            _index(item, nodes)
    elif isinstance(value, dict):
        ident = value.get("@id")
        if isinstance(ident, str) and len(value) > 1:
            nodes.setdefault(ident, value)
        for item in value.values():
            _index(item, nodes)


def _collect(value: object, page: Page, seen: set[int], found: list[dict]) -> None:
    """Event nodes, depth first, through the containers that hold them; each node visited once."""
    if isinstance(value, list):
        for item in value:
            _collect(item, page, seen, found)
        return
    node = page.resolve(value)
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    if EVENT_TYPES.intersection(node.get("@type", ())):
        found.append(node)
    for key in CONTAINER_KEYS:
        if key in node:
            _collect(node[key], page, seen, found)


def _read_events(found: list[dict], page: Page, place_iri: str | None, batch: Batch) -> None:
    seen: set[str] = set()
    shared = _shared_urls(found, page)
    for node in found:
        if _is_container(node):
            continue
        iri = _identity(node, page, shared)
        if iri in seen:
            continue
        seen.add(iri)
        try:
            data = event_data(node, page)
            valid = event_input(data, place_iri)
        except ValidationError as exc:
            reason = validation_reason(exc, "event")
        except (Unreadable, OverflowError) as exc:
            reason = str(exc)
        else:
            batch.records.append(Harvested(kind="event", iri=iri, data=data, input=valid))
            continue
        batch.rejected.append(Rejected(reason=reason, iri=iri, raw=_dump(node)))


def _is_container(node: dict) -> bool:
    """A series or festival without a start of its own that lists its sub-events: those are the events."""
    has_start = "startDate" in node or "eventSchedule" in node
    return not has_start and bool(node.get("subEvent") or node.get("subEvents"))


def _shared_urls(found: list[dict], page: Page) -> set[str]:
    """URLs carried by several events: plugins that give every event the agenda's URL name the page."""
    counts = Counter(page.absolute(text(node.get("url"))) for node in found)
    return {url for url, count in counts.items() if url and count > 1}


def _identity(node: dict, page: Page, shared_urls: set[str]) -> str:
    """The node's @id, else its url (unless other events share it), else a hash of its name and start."""
    url = page.absolute(text(node.get("url")))
    for candidate in (node.get("@id"), None if url in shared_urls else url):
        iri = http(candidate) if isinstance(candidate, str) else None
        if iri:
            return iri
    key = (text(node.get("name")) or "") + (text(node.get("startDate")) or "")
    return f"{page.url}#{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]}"


def _dump(node: object) -> str:
    # The standard library, not orjson: it also writes integers beyond 64 bits that a page may hold.
    return json.dumps(node, ensure_ascii=False)
