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
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.etree
import orjson
from dateutil.rrule import rrulestr
from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html
from pydantic import HttpUrl, TypeAdapter, ValidationError
from w3lib.encoding import html_to_unicode

from hub.events.schemas import EventIn
from hub.federation.records import Batch, Harvested, Rejected
from hub.sanitize import plain_text

DEFAULT_TIMEZONE = "Europe/Paris"
RAW_LIMIT = 10_000  # a quarantined document is kept for a person to read, not whole when huge
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
STATUSES = {
    "EventCancelled": "cancelled",
    "EventPostponed": "postponed",
    "EventMovedOnline": "moved_online",
    "EventRescheduled": "scheduled",
    "EventScheduled": "scheduled",
}
ATTENDANCE = {"Offline": "offline", "Online": "online", "Mixed": "mixed"}
WEEKDAYS = {
    "Monday": "MO",
    "Tuesday": "TU",
    "Wednesday": "WE",
    "Thursday": "TH",
    "Friday": "FR",
    "Saturday": "SA",
    "Sunday": "SU",
}
FREQUENCIES = {"D": "DAILY", "W": "WEEKLY", "M": "MONTHLY", "Y": "YEARLY"}
# A schedule carrying anything else cannot be translated faithfully, so it is not translated at all.
SCHEDULE_KEYS = frozenset(
    {
        "@type",
        "@id",
        "name",
        "repeatFrequency",
        "byDay",
        "byMonthWeek",
        "byMonthDay",
        "byMonth",
        "startDate",
        "endDate",
        "startTime",
        "endTime",
        "duration",
        "repeatCount",
        "scheduleTimezone",
        "exceptDate",
    }
)
# EventIn's limits, applied here so a long text is cut rather than the whole event refused.
TITLE_MAX, DESCRIPTION_MAX, THEMES_MAX = 300, 20_000, 30
LOCATION_NAME_MAX, STREET_MAX, CITY_MAX = 200, 300, 120
PRICE_MAX, CAPACITY_MAX = 100_000, 1_000_000

_SCHEMA_CONTEXT = re.compile(r"^https?://(www\.)?schema\.org/?(docs/jsonldcontext\.jsonld?)?$", re.I)
_SCHEMA_PREFIX = re.compile(r"^(https?://(www\.)?schema\.org/|schema:)", re.I)
_JSONLD_SCRIPTS = lxml.etree.XPath('//script[@type="application/ld+json"]')  # extruct's own selector
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_BLANK_LINES = re.compile(r"\n\s*\n")
_ADDRESS_LINE = re.compile(
    r"^(?P<street>.+?)[,\s]+(?P<postal_code>\d{5})\s+(?P<city>[^,\d][^,]*?)(,\s*france)?$", re.I
)
_PRICE = re.compile(r"[^\d-]*(\d+([.,]\d+)?)\D*")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_FREQUENCY = re.compile(r"P(\d+)([DWMY])")
_ICAL_DAY = re.compile(r"[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)")
_DURATION = re.compile(r"PT((\d+)H)?((\d+)M)?")
_HTTP_URL = TypeAdapter(HttpUrl)


class _UnknownContext(Exception):
    """A JSON-LD context other than schema.org; reading it would mean fetching it."""


class _Unreadable(Exception):
    """An event node that cannot become an event; the message is the reason given to people."""


class _NoRule(Exception):
    """A schedule that does not translate faithfully into one RRULE."""


@dataclass
class _Page:
    """The page being read: its URL and its identified nodes, so references can be followed."""

    url: str
    nodes: dict[str, dict] = field(default_factory=dict)

    def resolve(self, value: object) -> object:
        """A reference (`{"@id": ...}` alone) replaced by the node it names, when the page has it."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self.nodes.get(value["@id"], value)
        return value

    def absolute(self, value: str | None) -> str | None:
        return _join(self.url, value) if value else None


def parse_page(body: bytes, *, source_url: str, content_type: str | None = None) -> Batch:
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
    page = _Page(source_url)
    _index(documents, page.nodes)
    found: list[dict] = []
    _collect(documents, page, set(), found)
    _read_events(found, page, batch)
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
    batch.rejected.append(Rejected(reason=reason, raw=raw[:RAW_LIMIT]))
    batch.complete = False


def _normalised(sources: list, base: str, batch: Batch) -> list[dict]:
    """Top-level documents with schema.org keys made plain; documents in another vocabulary rejected."""
    documents = []
    for item in sources:
        if not isinstance(item, dict):
            continue
        try:
            documents.append(_normalise(item, base))
        except _UnknownContext as exc:
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
        name = _local(key)
        if name == "@context" or name in node:  # "name" beside "schema:name": the first one wins
            continue
        if name == "@type":
            node[name] = [_local(kind) for kind in _as_list(item) if isinstance(kind, str)]
        elif name == "@id" and isinstance(item, str):
            node[name] = item if item.startswith("_:") else _join(base, item) or item
        else:
            node[name] = _normalise(item, base)
    return node


def _check_context(context: object) -> None:
    """Accept schema.org in any spelling, as a URL or as @vocab; refuse any other context."""
    for entry in _as_list(context):
        if isinstance(entry, str) and not _SCHEMA_CONTEXT.match(entry.strip()):
            raise _UnknownContext(f"unknown context {entry}: not fetched")
        if isinstance(entry, dict):
            if "@import" in entry:
                raise _UnknownContext(f"unknown context {entry['@import']}: not fetched")
            vocab = entry.get("@vocab")
            if isinstance(vocab, str) and not _SCHEMA_CONTEXT.match(vocab.strip()):
                raise _UnknownContext(f"unknown vocabulary {vocab}")


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


def _collect(value: object, page: _Page, seen: set[int], found: list[dict]) -> None:
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


def _read_events(found: list[dict], page: _Page, batch: Batch) -> None:
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
            data = _event_data(node, page)
            EventIn.model_validate(data)
        except ValidationError as exc:
            reason = _explain(exc)
        except (_Unreadable, OverflowError) as exc:
            reason = str(exc)
        else:
            batch.records.append(Harvested(kind="event", iri=iri, data=data))
            continue
        batch.rejected.append(Rejected(reason=reason, iri=iri, raw=_dump(node)))


def _is_container(node: dict) -> bool:
    """A series or festival without a start of its own that lists its sub-events: those are the events."""
    has_start = "startDate" in node or "eventSchedule" in node
    return not has_start and bool(node.get("subEvent") or node.get("subEvents"))


def _shared_urls(found: list[dict], page: _Page) -> set[str]:
    """URLs carried by several events: plugins that give every event the agenda's URL name the page."""
    counts = Counter(page.absolute(_text(node.get("url"))) for node in found)
    return {url for url, count in counts.items() if url and count > 1}


def _identity(node: dict, page: _Page, shared_urls: set[str]) -> str:
    """The node's @id, else its url (unless other events share it), else a hash of its name and start."""
    url = page.absolute(_text(node.get("url")))
    for candidate in (node.get("@id"), None if url in shared_urls else url):
        iri = _http(candidate) if isinstance(candidate, str) else None
        if iri:
            return iri
    key = (_text(node.get("name")) or "") + (_text(node.get("startDate")) or "")
    return f"{page.url}#{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]}"


def _explain(exc: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'event'}: {error['msg']}" for error in exc.errors()
    )
    return f"not a valid event: {problems}"


def _dump(node: object) -> str:
    # The standard library, not orjson: it also writes integers beyond 64 bits that a page may hold.
    return json.dumps(node, ensure_ascii=False)[:RAW_LIMIT]


# Literals


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: object) -> object:
    return next(iter(_as_list(value)), None)


def _text(value: object) -> str | None:
    """The first literal of a value as stripped text: a string, a number or a `{"@value": ...}`."""
    for item in _as_list(value):
        literal = item.get("@value") if isinstance(item, dict) else item
        if isinstance(literal, str | int | float) and not isinstance(literal, bool) and str(literal).strip():
            return str(literal).strip()
    return None


def _label(value: object) -> str | None:
    """A literal, or the name of a Thing."""
    if isinstance(value, dict) and "@value" not in value:
        return _text(value.get("name"))
    return _text(value)


def _short(value: object, limit: int) -> str | None:
    """Plain text of a short literal (entities decoded, tags dropped), cut to `limit`."""
    return plain_text(_label(value))[:limit].strip() or None


def _local(value: str) -> str:
    return _SCHEMA_PREFIX.sub("", value.strip(), count=1)


def _enum(value: object) -> str | None:
    """The local name of an enumeration member given as IRI, prefixed name, bare name or `{"@id"}`."""
    member = _first(value)
    if isinstance(member, dict):
        member = member.get("@id")
    return _local(member) if isinstance(member, str) else None


def _is_true(value: object) -> bool:
    return value is True or (_enum(value) or "").lower() == "true"


def _number(value: object) -> float | None:
    text = _text(value)
    try:
        number = float(text.replace(",", ".")) if text else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _int(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _join(base: str, value: str) -> str | None:
    """`value` resolved against `base`; None when it cannot be a URL ("http://[" ...)."""
    try:
        return urljoin(base, value.strip())
    except ValueError:
        return None


def _http(value: str | None) -> str | None:
    """`value` when it is an absolute http(s) URL that EventIn accepts."""
    if not value:
        return None
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        return None
    return value


def _moment(value: object) -> date | datetime | None:
    """An ISO 8601 date or date-time, tolerating `Z`, a space for `T` and missing seconds."""
    text = _text(value)
    if text is None:
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def _wall(moment: date | datetime, zone: str) -> date | datetime:
    """A moment as wall-clock time in `zone`; naive moments and dates already are."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return moment


def _instant(moment: date | datetime, zone: str) -> datetime:
    """A moment as an aware datetime, naive ones and dates read in `zone`."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


# The event


def _event_data(node: dict, page: _Page) -> dict:
    """The node as EventIn's plain JSON."""
    title = _short(node.get("name"), TITLE_MAX)
    if title is None:
        raise _Unreadable("the event has no name")
    status = STATUSES.get(_enum(node.get("eventStatus")) or "")
    location, virtual = _location(node.get("location"), page)
    optional = {
        "description": _description(node.get("description")),
        "status": status,
        "attendance_mode": _attendance(node, status, has_place=location is not None, virtual=virtual),
        "location": location,
        "image": _image(node.get("image"), page),
        "url": _http(page.absolute(_text(node.get("url")))),
        "language": _language(node.get("inLanguage"), page),
        "capacity": _capacity(node.get("maximumAttendeeCapacity")),
        "themes": _themes(node, page) or None,
        **_offers(node, page),
    }
    return {"title": title, **_timing(node, page), **{k: v for k, v in optional.items() if v is not None}}


def _description(value: object) -> str | None:
    """HTML kept as given (the applier sanitizes it); plain text escaped into paragraphs."""
    text = _text(value)
    if text is None:
        return None
    if not _TAG.search(text):
        # Plain text often comes with entities (WordPress writes &#039;): decode before escaping.
        paragraphs = [part.strip() for part in _BLANK_LINES.split(html.unescape(text)) if part.strip()]
        text = "".join(map(_paragraph, paragraphs))
    return text[:DESCRIPTION_MAX] or None


def _paragraph(text: str) -> str:
    return "<p>" + "<br>".join(html.escape(line.strip(), quote=False) for line in text.splitlines()) + "</p>"


def _attendance(node: dict, status: str | None, *, has_place: bool, virtual: bool) -> str | None:
    mode = (_enum(node.get("eventAttendanceMode")) or "").removesuffix("EventAttendanceMode")
    if mode in ATTENDANCE:
        return ATTENDANCE[mode]
    if status == "moved_online":
        return "online"
    if virtual:
        return "mixed" if has_place else "online"
    return None


def _location(value: object, page: _Page) -> tuple[dict | None, bool]:
    """The first physical location, and whether a virtual one is given."""
    place, virtual = None, False
    for item in map(page.resolve, _as_list(value)):
        if isinstance(item, dict) and "VirtualLocation" in item.get("@type", ()):
            virtual = True
        elif place is None:
            place = _place(item, page)
    return place, virtual


def _place(value: object, page: _Page) -> dict | None:
    """A Place, a bare PostalAddress or a plain name, as LocationIn."""
    if not isinstance(value, dict):
        name = _short(value, LOCATION_NAME_MAX)
        return {"name": name} if name else None
    is_address = "PostalAddress" in value.get("@type", ())
    address = _address(value if is_address else page.resolve(_first(value.get("address"))), page)
    geo = _geo(page.resolve(value.get("geo"))) or _geo(value)
    name = _short(value.get("name"), LOCATION_NAME_MAX) or _address_label(address)
    if name is None:
        return None
    location: dict = {"name": name}
    if address:
        location["address"] = address
    if geo:
        location["geo"] = geo
    return location


def _address_label(address: dict | None) -> str | None:
    """A name for a place known by its address alone: "street, city"."""
    parts = [address.get("street"), address.get("city")] if address else []
    return ", ".join(part for part in parts if part)[:LOCATION_NAME_MAX] or None


def _address(value: object, page: _Page) -> dict | None:
    """A PostalAddress, or one line of text ("12 rue des Forges, 87000 Limoges"), as Address."""
    if isinstance(value, dict):
        country = page.resolve(_first(value.get("addressCountry")))
        fields = {
            "street": _label(value.get("streetAddress")),
            "postal_code": _text(value.get("postalCode")),
            "city": _label(value.get("addressLocality")),
            "country": _label(country),
        }
    else:
        line = _short(value, STREET_MAX)
        if line is None:
            return None
        match = _ADDRESS_LINE.match(line)
        fields = match.groupdict() if match else {"street": line}
    address = {
        "street": _short(fields.get("street"), STREET_MAX),
        "postal_code": re.sub(r"\s", "", fields.get("postal_code") or ""),
        "city": _short(fields.get("city"), CITY_MAX),
        "country": (fields.get("country") or "").upper(),
    }
    if not re.fullmatch(r"\d{5}", address["postal_code"]):
        del address["postal_code"]
    if not re.fullmatch(r"[A-Z]{2}", address["country"]):
        del address["country"]  # "France" or a 3-letter code: left to Address's default
    return {key: item for key, item in address.items() if item} or None


def _geo(value: object) -> dict | None:
    if not isinstance(value, dict):
        return None
    lat, lon = _number(value.get("latitude")), _number(value.get("longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": lat, "lon": lon}


def _offers(node: dict, page: _Page) -> dict:
    """is_free, price, currency and registration_url. Free when nothing costs or the event says so."""
    offers = [offer for offer in map(page.resolve, _as_list(node.get("offers"))) if isinstance(offer, dict)]
    free = any(_is_true(item.get("isAccessibleForFree")) for item in (node, *offers))
    prices = [
        (price, _text(offer.get("priceCurrency")))
        for offer in offers
        if (price := _price(offer.get("price", offer.get("lowPrice")))) is not None
    ]
    paid = [(price, currency) for price, currency in prices if price > 0]
    result: dict = {}
    if paid and not free:
        price, currency = min(paid, key=lambda pair: pair[0])
        result.update(is_free=False, price=price)
        if currency and re.fullmatch(r"[A-Z]{3}", currency.upper()):
            result["currency"] = currency.upper()
    elif free or prices:
        result["is_free"] = True
    urls = (_http(page.absolute(_text(offer.get("url")))) for offer in offers)
    registration = next((url for url in urls if url), None)
    if registration:
        result["registration_url"] = registration
    return result


def _price(value: object) -> float | None:
    """A price as a number, or as text such as "12,50 €"."""
    if isinstance(value, str):
        match = _PRICE.fullmatch(re.sub(r"\s", "", value))
        value = match[1] if match else None
    price = _number(value)
    return price if price is not None and 0 <= price <= PRICE_MAX else None


def _image(value: object, page: _Page) -> str | None:
    """The first absolute http(s) image: a URL, an ImageObject or a list of them."""
    for item in map(page.resolve, _as_list(value)):
        url = _text(item.get("url") or item.get("contentUrl")) if isinstance(item, dict) else _text(item)
        if image := _http(url):
            return image
    return None


def _language(value: object, page: _Page) -> str | None:
    """A language tag such as "fr" or "fr-FR"; names ("French") are dropped."""
    for item in map(page.resolve, _as_list(value)):
        code = _text(item.get("alternateName")) if isinstance(item, dict) else _text(item)
        if code:
            primary, *rest = code.replace("_", "-").split("-")
            tag = "-".join([primary.lower(), *(part.upper() for part in rest)])
            if _LANGUAGE.match(tag):
                return tag
    return None


def _capacity(value: object) -> int | None:
    capacity = _int(value)
    return capacity if capacity is not None and 0 <= capacity <= CAPACITY_MAX else None


def _themes(node: dict, page: _Page) -> list[str]:
    """Keywords (comma-separated text or a list) and what the event is about, deduplicated."""
    labels = [
        part
        for item in _as_list(node.get("keywords"))
        for part in (_label(page.resolve(item)) or "").split(",")
    ]
    labels += [_label(page.resolve(item)) or "" for item in _as_list(node.get("about"))]
    themes: list[str] = []
    seen: set[str] = set()
    for label in map(plain_text, labels):
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            themes.append(label)
    return themes[:THEMES_MAX]


# Time: one occurrence, or a schedule as an RRULE


def _timing(node: dict, page: _Page) -> dict:
    """start, end, timezone and recurrence, as EventIn takes them."""
    zone = _zone_name(node, page)
    raw_start = _text(node.get("startDate"))
    start, end = _moment(raw_start), _moment(node.get("endDate"))
    if raw_start is not None and start is None:
        raise _Unreadable(f"startDate {raw_start!r} is not an ISO 8601 date or date-time")
    try:
        return {**_series(node, page, start, end, zone), "timezone": zone}
    except _NoRule:
        pass
    if start is None:
        raise _Unreadable("the event has no startDate")
    timing = {"start": start.isoformat(), "timezone": zone}
    last = _end(start, end, zone)
    if last is not None:
        timing["end"] = last.isoformat()
    return timing


def _zone_name(node: dict, page: _Page) -> str:
    """The schedule's time zone when it names one we know, else Europe/Paris."""
    for schedule in map(page.resolve, _as_list(node.get("eventSchedule"))):
        name = _text(schedule.get("scheduleTimezone")) if isinstance(schedule, dict) else None
        if name and _is_zone(name):
            return name
    return DEFAULT_TIMEZONE


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" names a directory
        return False
    return True


def _end(start: date | datetime, end: date | datetime | None, zone: str) -> date | datetime | None:
    """The end in the form of the start (a last day for a day, a date-time for a date-time), or None."""
    if end is None:
        return None
    if not isinstance(start, datetime):
        last = _wall(end, zone)
        last = last.date() if isinstance(last, datetime) else last
        return last if last >= start else None
    if not isinstance(end, datetime):
        if end <= start.date():
            return None
        end = datetime.combine(end, time(23, 59), tzinfo=start.tzinfo)  # through its last day
    # An end before the start is a publishing slip; the event is still worth listing without it.
    return end if _instant(end, zone) >= _instant(start, zone) else None


def _series(
    node: dict, page: _Page, start: date | datetime | None, end: date | datetime | None, zone: str
) -> dict:
    """start, end and recurrence from the event's one schedule; _NoRule when it does not translate.

    The start becomes the first occurrence, as wall-clock time in the event's zone (as RRULEs are read).
    """
    schedules = list(map(page.resolve, _as_list(node.get("eventSchedule"))))
    if len(schedules) != 1 or not isinstance(schedules[0], dict) or not set(schedules[0]) <= SCHEDULE_KEYS:
        raise _NoRule
    schedule = schedules[0]
    anchor = _anchor(schedule, start, zone)
    all_day = not isinstance(anchor, datetime)
    rule = ";".join([*_rule_parts(schedule), *_limit(schedule, start, end, all_day, zone)])
    first = _first_occurrence(rule, anchor)
    series: dict = {"start": first.isoformat(), "recurrence": {"rrule": rule}}
    last = _occurrence_end(schedule, first, start, end, zone)
    if last is not None:
        series["end"] = last.isoformat()
    exdates = _exdates(schedule, all_day, zone)
    if exdates:
        series["recurrence"]["exdates"] = exdates
    return series


def _anchor(schedule: dict, start: date | datetime | None, zone: str) -> date | datetime:
    """Where the series begins: the schedule's start day (else the event's) at its start time, if any."""
    first = _moment(schedule.get("startDate"))
    if "startDate" in schedule and first is None:
        raise _NoRule
    base = first if first is not None else start
    if base is None:
        raise _NoRule
    clock = _clock(schedule["startTime"]) if "startTime" in schedule else None
    for moment in (first, start):
        if clock is None and isinstance(moment, datetime):
            clock = _wall(moment, zone).time()
    wall = _wall(base, zone)
    day = wall.date() if isinstance(wall, datetime) else wall
    return day if clock is None else datetime.combine(day, clock)


def _rule_parts(schedule: dict) -> list[str]:
    match = _FREQUENCY.fullmatch(_text(schedule.get("repeatFrequency")) or "")
    if match is None or int(match[1]) == 0:
        raise _NoRule
    frequency, interval = FREQUENCIES[match[2]], int(match[1])
    parts = [f"FREQ={frequency}"] + ([f"INTERVAL={interval}"] if interval > 1 else [])
    for name, values in (
        ("BYDAY", _weekdays(schedule, frequency)),
        ("BYMONTHDAY", _ints(schedule.get("byMonthDay"), -31, 31)),
        ("BYMONTH", _ints(schedule.get("byMonth"), 1, 12)),
    ):
        if values:
            parts.append(f"{name}={','.join(map(str, values))}")
    return parts


def _weekdays(schedule: dict, frequency: str) -> list[str]:
    """byDay (schema.org days or iCal codes), numbered by byMonthWeek ("first Monday": 1MO)."""
    days = []
    for value in _as_list(schedule.get("byDay")):
        name = _enum(value) or ""
        code = WEEKDAYS.get(name) or (name.upper() if _ICAL_DAY.fullmatch(name.upper()) else None)
        if code is None:
            raise _NoRule
        days.append(code)
    weeks = _ints(schedule.get("byMonthWeek"), -5, 5)
    if not weeks:
        return days
    if frequency != "MONTHLY" or not days or any(len(day) != 2 for day in days):
        raise _NoRule
    return [f"{week}{day}" for week in weeks for day in days]


def _ints(value: object, low: int, high: int) -> list[int]:
    numbers = [_int(item) for item in _as_list(value)]
    if any(number is None or number == 0 or not low <= number <= high for number in numbers):
        raise _NoRule
    return numbers


def _limit(
    schedule: dict, start: date | datetime | None, end: date | datetime | None, all_day: bool, zone: str
) -> list[str]:
    """COUNT or UNTIL: the schedule's own, else the event's end when it lies days after its start."""
    if "repeatCount" in schedule and "endDate" in schedule:
        raise _NoRule  # an RRULE takes one or the other
    if "repeatCount" in schedule:
        count = _int(schedule["repeatCount"])
        if count is None or count < 1:
            raise _NoRule
        return [f"COUNT={count}"]
    if "endDate" in schedule:
        until = _moment(schedule["endDate"])
        if until is None:
            raise _NoRule
    elif (
        start is not None
        and end is not None
        and _instant(end, zone) - _instant(start, zone) >= timedelta(days=1)
    ):
        until = end
    else:
        return []
    wall = _wall(until, zone)
    if all_day:
        return [f"UNTIL={wall:%Y%m%d}"]
    if not isinstance(wall, datetime):
        wall = datetime.combine(wall, time(23, 59, 59))  # a day alone: the whole of it
    return [f"UNTIL={wall:%Y%m%dT%H%M%S}"]


def _first_occurrence(rule: str, anchor: date | datetime) -> date | datetime:
    """The first occurrence on or after the anchor, so the event starts on a day the rule holds."""
    dtstart = anchor if isinstance(anchor, datetime) else datetime.combine(anchor, time(0))
    try:
        first = rrulestr(rule, dtstart=dtstart).after(dtstart, inc=True)
    except (ValueError, OverflowError) as exc:
        raise _NoRule from exc
    if first is None:
        raise _NoRule
    return first if isinstance(anchor, datetime) else first.date()


def _occurrence_end(
    schedule: dict,
    first: date | datetime,
    start: date | datetime | None,
    end: date | datetime | None,
    zone: str,
) -> datetime | None:
    """When the first occurrence ends: endTime, duration, or the event's own length under a day."""
    if not isinstance(first, datetime):
        return None  # an all-day occurrence lasts its day
    if "endTime" in schedule:
        last = datetime.combine(first.date(), _clock(schedule["endTime"]))
        return last if last > first else last + timedelta(days=1)  # ends after midnight
    if "duration" in schedule:
        return first + _duration(schedule["duration"])
    if start is not None and end is not None:
        length = _instant(end, zone) - _instant(start, zone)
        if timedelta(0) < length < timedelta(days=1):
            return first + length
    return None


def _clock(value: object) -> time:
    try:
        return time.fromisoformat(_text(value) or "").replace(tzinfo=None)
    except ValueError as exc:
        raise _NoRule from exc


def _duration(value: object) -> timedelta:
    match = _DURATION.fullmatch(_text(value) or "")
    if match is None or not (match[2] or match[4]):
        raise _NoRule
    return timedelta(hours=int(match[2] or 0), minutes=int(match[4] or 0))


def _exdates(schedule: dict, all_day: bool, zone: str) -> list[str]:
    """exceptDate values; for an all-day series, as days."""
    exdates = []
    for value in _as_list(schedule.get("exceptDate")):
        moment = _moment(value)
        if moment is None:
            raise _NoRule  # leaving one out would add an occurrence that does not happen
        if all_day and isinstance(moment, datetime):
            moment = _wall(moment, zone).date()
        exdates.append(moment.isoformat())
    return exdates
