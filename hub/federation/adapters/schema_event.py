"""One schema.org Event node as the plain JSON of `EventIn`: title, text, place, offers, time.

Values too long for `EventIn` are cut rather than the event refused; values that cannot be read
(a relative image URL, a language given by name) are left out. An event without a name or a
readable start raises `Unreadable`, whose message is the reason given to people.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError

from hub.events.schemas import WebUrl
from hub.federation.adapters.schema_schedule import (
    NoRule,
    as_list,
    enum,
    first,
    instant,
    integer,
    moment,
    number,
    series,
    text,
    wall,
)
from hub.federation.errors import Unreadable
from hub.kit.sanitize import plain_text

DEFAULT_TIMEZONE = "Europe/Paris"
STATUSES = {
    "EventCancelled": "cancelled",
    "EventPostponed": "postponed",
    "EventMovedOnline": "moved_online",
    "EventRescheduled": "scheduled",
    "EventScheduled": "scheduled",
}
ATTENDANCE = {"Offline": "offline", "Online": "online", "Mixed": "mixed"}
# EventIn's limits, applied here so a long text is cut rather than the whole event refused.
TITLE_MAX, DESCRIPTION_MAX, THEMES_MAX = 300, 20_000, 30
LOCATION_NAME_MAX, STREET_MAX, CITY_MAX = 200, 300, 120
PRICE_MAX, CAPACITY_MAX = 100_000, 1_000_000

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_BLANK_LINES = re.compile(r"\n\s*\n")
_ADDRESS_LINE = re.compile(
    r"^(?P<street>.+?)[,\s]+(?P<postal_code>\d{5})\s+(?P<city>[^,\d][^,]*?)(,\s*france)?$", re.I
)
_PRICE = re.compile(r"[^\d-]*(\d+([.,]\d+)?)\D*")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_HTTP_URL = TypeAdapter(WebUrl)


@dataclass
class Page:
    """The page being read: its URL and its identified nodes, so references can be followed."""

    url: str
    nodes: dict[str, dict] = field(default_factory=dict)

    def resolve(self, value: object) -> object:
        """A reference (`{"@id": ...}` alone) replaced by the node it names, when the page has it."""
        if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
            return self.nodes.get(value["@id"], value)
        return value

    def absolute(self, value: str | None) -> str | None:
        return join(self.url, value) if value else None


def event_data(node: dict, page: Page) -> dict:
    """The node as EventIn's plain JSON."""
    title = _short(node.get("name"), TITLE_MAX)
    if title is None:
        raise Unreadable("the event has no name")
    status = STATUSES.get(enum(node.get("eventStatus")) or "")
    location, virtual = _location(node.get("location"), page)
    optional = {
        "description": _description(node.get("description")),
        "status": status,
        "attendance_mode": _attendance(node, status, has_place=location is not None, virtual=virtual),
        "location": location,
        "image": _image(node.get("image"), page),
        "url": http(page.absolute(text(node.get("url")))),
        "language": _language(node.get("inLanguage"), page),
        "capacity": _capacity(node.get("maximumAttendeeCapacity")),
        "themes": _themes(node, page) or None,
        **_offers(node, page),
    }
    return {"title": title, **_timing(node, page), **{k: v for k, v in optional.items() if v is not None}}


def _description(value: object) -> str | None:
    """HTML kept as given (the applier sanitizes it); plain text escaped into paragraphs."""
    description = text(value)
    if description is None:
        return None
    if not _TAG.search(description):
        # Plain text often comes with entities (WordPress writes &#039;): decode before escaping.
        paragraphs = [part.strip() for part in _BLANK_LINES.split(html.unescape(description)) if part.strip()]
        description = "".join(map(_paragraph, paragraphs))
    return description[:DESCRIPTION_MAX] or None


def _paragraph(text: str) -> str:
    return "<p>" + "<br>".join(html.escape(line.strip(), quote=False) for line in text.splitlines()) + "</p>"


def _attendance(node: dict, status: str | None, *, has_place: bool, virtual: bool) -> str | None:
    mode = (enum(node.get("eventAttendanceMode")) or "").removesuffix("EventAttendanceMode")
    if mode in ATTENDANCE:
        return ATTENDANCE[mode]
    if status == "moved_online":
        return "online"
    if virtual:
        return "mixed" if has_place else "online"
    return None


def _location(value: object, page: Page) -> tuple[dict | None, bool]:
    """The first physical location, and whether a virtual one is given."""
    place, virtual = None, False
    for item in map(page.resolve, as_list(value)):
        if isinstance(item, dict) and "VirtualLocation" in item.get("@type", ()):
            virtual = True
        elif place is None:
            place = _place(item, page)
    return place, virtual


def _place(value: object, page: Page) -> dict | None:
    """A Place, a bare PostalAddress or a plain name, as LocationIn."""
    if not isinstance(value, dict):
        name = _short(value, LOCATION_NAME_MAX)
        return {"name": name} if name else None
    is_address = "PostalAddress" in value.get("@type", ())
    address = _address(value if is_address else page.resolve(first(value.get("address"))), page)
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


def _address(value: object, page: Page) -> dict | None:
    """A PostalAddress, or one line of text ("12 rue des Forges, 87000 Limoges"), as Address."""
    if isinstance(value, dict):
        country = page.resolve(first(value.get("addressCountry")))
        fields = {
            "street": _label(value.get("streetAddress")),
            "postal_code": text(value.get("postalCode")),
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
    lat, lon = number(value.get("latitude")), number(value.get("longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": lat, "lon": lon}


def _offers(node: dict, page: Page) -> dict:
    """is_free, price, currency and registration_url. Free when nothing costs or the event says so."""
    offers = [offer for offer in map(page.resolve, as_list(node.get("offers"))) if isinstance(offer, dict)]
    free = any(_is_true(item.get("isAccessibleForFree")) for item in (node, *offers))
    prices = [
        (price, text(offer.get("priceCurrency")))
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
    urls = (http(page.absolute(text(offer.get("url")))) for offer in offers)
    registration = next((url for url in urls if url), None)
    if registration:
        result["registration_url"] = registration
    return result


def _price(value: object) -> float | None:
    """A price as a number, or as text such as "12,50 €"."""
    if isinstance(value, str):
        match = _PRICE.fullmatch(re.sub(r"\s", "", value))
        value = match[1] if match else None
    price = number(value)
    return price if price is not None and 0 <= price <= PRICE_MAX else None


def _image(value: object, page: Page) -> str | None:
    """The first absolute http(s) image: a URL, an ImageObject or a list of them."""
    for item in map(page.resolve, as_list(value)):
        url = text(item.get("url") or item.get("contentUrl")) if isinstance(item, dict) else text(item)
        if image := http(url):
            return image
    return None


def _language(value: object, page: Page) -> str | None:
    """A language tag such as "fr" or "fr-FR"; names ("French") are dropped."""
    for item in map(page.resolve, as_list(value)):
        code = text(item.get("alternateName")) if isinstance(item, dict) else text(item)
        if code:
            primary, *rest = code.replace("_", "-").split("-")
            tag = "-".join([primary.lower(), *(part.upper() for part in rest)])
            if _LANGUAGE.match(tag):
                return tag
    return None


def _capacity(value: object) -> int | None:
    capacity = integer(value)
    return capacity if capacity is not None and 0 <= capacity <= CAPACITY_MAX else None


def _themes(node: dict, page: Page) -> list[str]:
    """Keywords (comma-separated text or a list) and what the event is about, deduplicated."""
    labels = [
        part
        for item in as_list(node.get("keywords"))
        for part in (_label(page.resolve(item)) or "").split(",")
    ]
    labels += [_label(page.resolve(item)) or "" for item in as_list(node.get("about"))]
    themes: list[str] = []
    seen: set[str] = set()
    for label in map(plain_text, labels):
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            themes.append(label)
    return themes[:THEMES_MAX]


# Time: one occurrence, or a schedule as an RRULE


def _timing(node: dict, page: Page) -> dict:
    """start, end, timezone and recurrence, as EventIn takes them."""
    zone = _zone_name(node, page)
    raw_start = text(node.get("startDate"))
    start, end = moment(raw_start), moment(node.get("endDate"))
    if raw_start is not None and start is None:
        raise Unreadable(f"startDate {raw_start!r} is not an ISO 8601 date or date-time")
    schedules = list(map(page.resolve, as_list(node.get("eventSchedule"))))
    try:
        return {**series(schedules, start, end, zone), "timezone": zone}
    except NoRule:
        pass
    if start is None:
        raise Unreadable("the event has no startDate")
    timing = {"start": start.isoformat(), "timezone": zone}
    last = _end(start, end, zone)
    if last is not None:
        timing["end"] = last.isoformat()
    return timing


def _zone_name(node: dict, page: Page) -> str:
    """The schedule's time zone when it names one we know, else Europe/Paris."""
    for schedule in map(page.resolve, as_list(node.get("eventSchedule"))):
        name = text(schedule.get("scheduleTimezone")) if isinstance(schedule, dict) else None
        if name and is_zone(name):
            return name
    return DEFAULT_TIMEZONE


def is_zone(name: str) -> bool:
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
        last = wall(end, zone)
        last = last.date() if isinstance(last, datetime) else last
        return last if last >= start else None
    if not isinstance(end, datetime):
        if end <= start.date():
            return None
        end = datetime.combine(end, time(23, 59), tzinfo=start.tzinfo)  # through its last day
    # An end before the start is a publishing slip; the event is still worth listing without it.
    return end if instant(end, zone) >= instant(start, zone) else None


# Literals


def _label(value: object) -> str | None:
    """A literal, or the name of a Thing."""
    if isinstance(value, dict) and "@value" not in value:
        return text(value.get("name"))
    return text(value)


def _short(value: object, limit: int) -> str | None:
    """Plain text of a short literal (entities decoded, tags dropped), cut to `limit`."""
    return plain_text(_label(value))[:limit].strip() or None


def _is_true(value: object) -> bool:
    return value is True or (enum(value) or "").lower() == "true"


def join(base: str, value: str) -> str | None:
    """`value` resolved against `base`; None when it cannot be a URL ("http://[" ...)."""
    try:
        return urljoin(base, value.strip())
    except ValueError:
        return None


def http(value: str | None) -> str | None:
    """`value` when it is an absolute http(s) URL that EventIn accepts (500 characters at most)."""
    if not value:
        return None
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        return None
    return value
