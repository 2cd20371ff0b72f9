"""iCalendar source adapter: the calendar file a place publishes, read as event records.

Reads RFC 5545 as producers really write it (Google, Outlook/Exchange, Nextcloud, Thunderbird,
hand-made files): Windows zone names, X-WR-TIMEZONE, floating times, overrides whose series is
missing, truncated downloads. Pure: bytes in, records out, a page of whole series at a time
(`read_pages`; `ics_text` finds the pages without parsing the file whole); no database, no network.
An event that cannot be read is rejected alone; a body that is not a calendar raises NotACalendar.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

import x_wr_timezone
from annotated_types import MaxLen
from icalendar import Calendar, Component, Event, vBroken, vGeo, vRecur
from icalendar.parser import unescape_backslash
from icalendar.timezone import tzids_from_tzinfo
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.calendar.recurrence import RecurrenceError, parse_rule
from hub.events.schemas import EventIn, LocationIn, WebUrl
from hub.federation.adapters.ics_text import calendar_text
from hub.federation.errors import NotACalendar, Unreadable, WrongContentType
from hub.federation.harvested import Batch, Harvested, Rejected, event_input, readable, validation_reason

Moment = date | datetime

DEFAULT_ZONE = "Europe/Paris"
STATUSES = {"TENTATIVE": "scheduled", "CONFIRMED": "scheduled", "CANCELLED": "cancelled"}
# A private slot in a shared calendar must not be published.
HIDDEN_CLASSES = {"PRIVATE", "CONFIDENTIAL"}
# People named by an event are personal data: never copied, not even into the quarantine.
PERSONAL = ("ORGANIZER", "ATTENDEE", "CONTACT")
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "GMT", "UCT", "Zulu"}
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
CUT_MARKUP = re.compile(r"<[^>]*$|&#?\w*$")
PAGE_SIZE = 500  # events parsed at a time
HTTP_URL = TypeAdapter(WebUrl)


def _limit(model: type[BaseModel], field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


TITLE_MAX = _limit(EventIn, "title")
DESCRIPTION_MAX = _limit(EventIn, "description")
THEMES_MAX = _limit(EventIn, "themes")
LOCATION_MAX = _limit(LocationIn, "name")


def _begins_a_calendar(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \r\n\t")[:15].upper().startswith(b"BEGIN:VCALENDAR")


def sniff(body: bytes, content_type: str, url: str) -> bool:
    """Whether an answer is a calendar, by its first line or its content type."""
    return _begins_a_calendar(body) or "calendar" in content_type.lower()


def read(
    body: bytes, content_type: str, *, url: str, place_iri: str | None = None, page_size: int = PAGE_SIZE
) -> Iterator[Batch]:
    """The calendar at `url` as pages of events at `place_iri` unless they name their own; a web
    page, or a calendar cut short before any event could be read, raises its error."""
    if "html" in content_type.lower() and not _begins_a_calendar(body):
        raise WrongContentType(f"{url} answered a web page ({content_type.split(';')[0]}), not a calendar")
    pages = read_pages(
        body, source_url=url, content_type=content_type, page_size=page_size, place_iri=place_iri
    )
    return readable(pages, NotACalendar(f"{url}: the calendar is cut short or unreadable"))


def read_pages(
    body: bytes,
    *,
    source_url: str,
    content_type: str | None = None,
    page_size: int = PAGE_SIZE,
    place_iri: str | None = None,
) -> Iterator[Batch]:
    """Read a calendar file as event records, a page of whole series (about `page_size` events)
    at a time, parsing only that page's components: at least one page, each saying whether the
    file was complete. Raises NotACalendar, at the first page, when the body is not a calendar."""
    found = calendar_text(body, content_type)
    read = False
    for page in found.pages(page_size):
        try:
            components = Calendar.from_ical(page, multiple=True)
        except Exception as exc:  # hostile input trips icalendar in more ways than ValueError
            raise NotACalendar(f"the calendar cannot be read: {exc}") from exc
        batch = Batch(complete=found.complete)
        for calendar in components:
            if calendar.name == "VCALENDAR":
                _read_calendar(calendar, source_url, place_iri, batch)
        read = True
        yield batch
    if not read:
        yield Batch(complete=found.complete)


def parse_calendar(body: bytes, *, source_url: str, content_type: str | None = None) -> Batch:
    """Read a calendar file as event records in one batch, for callers that hold it whole anyway.
    Raises NotACalendar when the body is not one."""
    whole = Batch()
    for page in read_pages(body, source_url=source_url, content_type=content_type):
        whole.records += page.records
        whole.rejected += page.rejected
        whole.complete = page.complete
    return whole


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana(tzid: str) -> str | None:
    """The IANA name behind a TZID as producers write it (IANA, Windows, vendor-prefixed), if any."""
    cleaned = tzid.strip().strip('"').strip("/")
    parts = cleaned.split("/")
    # Vendor-prefixed ids (/mozilla.org/20050126_1/Europe/Paris) end with the IANA name.
    candidates = [
        cleaned,
        WINDOWS_TO_OLSON.get(cleaned),
        *("/".join(parts[i:]) for i in range(1, len(parts))),
    ]
    for candidate in candidates:
        if candidate in _known_zones():
            return "UTC" if candidate in UTC_NAMES else candidate
    return None


def _props(component: Component, name: str) -> list[Any]:
    """Every occurrence of a property (EXDATE, CATEGORIES... may be repeated)."""
    value = component.get(name, [])
    return value if isinstance(value, list) else [value]


def _first(component: Component, name: str) -> Any:
    return next(iter(_props(component, name)), None)


def _ical(prop: Any) -> str:
    """A property or component as written, for identities and the quarantine; '' if icalendar cannot."""
    try:
        text = b"" if prop is None else prop.to_ical()
    except (TypeError, ValueError):
        return ""
    return text.decode() if isinstance(text, bytes) else text


def _value(component: Event, name: str) -> Any:
    """The parsed value of a property, None when absent. A broken value makes the event unreadable."""
    prop = _first(component, name)
    if isinstance(prop, vBroken):
        raise Unreadable(f"{name} cannot be read: {_ical(prop)!r}")
    return None if prop is None else prop.dt


def _when(component: Event, name: str) -> Moment | None:
    """A date or date-time property, None when absent; anything else makes the event unreadable."""
    value = _value(component, name)
    if value is not None and not isinstance(value, date):
        raise Unreadable(f"{name} is not a date or a date-time")
    return value


def _text(component: Component, name: str) -> str:
    prop = _first(component, name)
    return "" if prop is None or isinstance(prop, vBroken) else str(prop)


def _line(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut_markup(markup: str, limit: int) -> str:
    # A cut must not leave half a tag or half an entity behind.
    return markup if len(markup) <= limit else CUT_MARKUP.sub("", markup[: limit - 1]) + "…"


def _iso(moment: Moment) -> str:
    return moment.isoformat()


def _iri(source_url: str, uid: str) -> str:
    return f"{source_url}#{quote(uid, safe='')}"


def _uid(component: Event) -> str:
    uid = _text(component, "UID").strip()
    if uid:
        return uid
    seed = _ical(_first(component, "DTSTART")) + "|" + _text(component, "SUMMARY")
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _hidden(component: Event) -> bool:
    return _text(component, "CLASS").strip().upper() in HIDDEN_CLASSES


def _sequence(component: Event) -> int:
    value = component.get("SEQUENCE")
    return value if isinstance(value, int) else 0


def _latest(components: list[Event]) -> dict[str | None, Event]:
    """One component per RECURRENCE-ID (None: the series): the highest SEQUENCE, then the last written."""
    chosen: dict[str | None, Event] = {}
    for component in components:
        key = _ical(_first(component, "RECURRENCE-ID")) if "RECURRENCE-ID" in component else None
        if key not in chosen or _sequence(component) >= _sequence(chosen[key]):
            chosen[key] = component
    return chosen


def _title(component: Event) -> str | None:
    return _cut(_line(_text(component, "SUMMARY")), TITLE_MAX) or None


def _description(component: Event) -> str | None:
    """HTML: the producer's own (X-ALT-DESC) when given, else the plain text in paragraphs."""
    for alt in _props(component, "X-ALT-DESC"):
        if str(alt.params.get("FMTTYPE", "")).lower() == "text/html":
            # Unknown to icalendar, so still escaped as TEXT; sanitizing is the applier's job.
            markup = unescape_backslash(str(alt)).strip()
            if markup:
                return _cut_markup(markup, DESCRIPTION_MAX)
    text = _text(component, "DESCRIPTION").replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [
        "<p>" + "<br>".join(html.escape(line.strip()) for line in block.strip().split("\n")) + "</p>"
        for block in PARAGRAPH_BREAK.split(text)
        if block.strip()
    ]
    return _cut_markup("".join(paragraphs), DESCRIPTION_MAX) if paragraphs else None


def _status(component: Event) -> str:
    return STATUSES.get(_text(component, "STATUS").strip().upper(), "scheduled")


def _location(component: Event) -> dict | None:
    name = _cut(_line(_text(component, "LOCATION")), LOCATION_MAX)
    if not name:
        return None
    geo = _first(component, "GEO")
    if isinstance(geo, vGeo) and -90 <= geo.latitude <= 90 and -180 <= geo.longitude <= 180:
        return {"name": name, "geo": {"lat": geo.latitude, "lon": geo.longitude}}
    return {"name": name}


def _themes(component: Event) -> list[str]:
    themes: dict[str, str] = {}
    for prop in _props(component, "CATEGORIES"):
        for category in [] if isinstance(prop, vBroken) else prop.cats:
            label = _line(str(category))
            if label:
                themes.setdefault(label.casefold(), label)
    return list(themes.values())[:THEMES_MAX]


def _http(value: object) -> str | None:
    """`value` when it is an http(s) URL an event may keep, else None."""
    url = "" if value is None or isinstance(value, vBroken) else str(value).strip()
    try:
        HTTP_URL.validate_python(url)
    except ValidationError:
        return None
    return url


def _param(prop: object, name: str) -> str:
    return str(getattr(prop, "params", {}).get(name, ""))


def _url(component: Event) -> str | None:
    return _http(_first(component, "URL"))


def _image(component: Event) -> str | None:
    """The event's picture: an RFC 7986 IMAGE given by its URL, else an ATTACH of an image type
    (one given inline, in base64, is not kept)."""
    attached = [a for a in _props(component, "ATTACH") if _param(a, "FMTTYPE").lower().startswith("image/")]
    return next(filter(None, map(_http, _props(component, "IMAGE") + attached)), None)


def _fields(component: Event, span: _Span) -> dict:
    """What an event says about itself, in the `EventIn` shape."""
    return {
        "title": _title(component),
        "description": _description(component),
        "start": _iso(span.start),
        "end": None if span.end is None else _iso(span.end),
        "timezone": span.zone,
        "location": _location(component),
        "themes": _themes(component),
        "status": _status(component),
        "url": _url(component),
        "image": _image(component),
    }


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, [], {})}


def _unique(moments: list[Moment]) -> list[str]:
    return list(dict.fromkeys(_iso(moment) for moment in moments))


def _raw(component: Event) -> str:
    """The event's properties as text for the quarantine, without the people it names."""
    # Property by property: icalendar cannot always write back a whole component it has read.
    lines = [
        f"{name}:{_ical(prop)}"
        for name in component
        if name not in PERSONAL
        for prop in _props(component, name)
    ]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Span:
    """When an event happens: aware start and end in `zone`, or days (then `end` is the last day)."""

    start: Moment
    end: Moment | None
    zone: str

    @property
    def duration(self) -> timedelta:
        return (self.end or self.start) - self.start


@dataclass(frozen=True, slots=True)
class _Reader:
    """Reads the events of one calendar, whose floating times and all-day events happen in `zone`,
    at `place_iri` (the place the calendar is registered for)."""

    zone: str
    place_iri: str | None

    def record(self, iri: str, component: Event, overrides: list[Event]) -> Harvested | Rejected:
        """One event with its overridden occurrences, or why it cannot be harvested."""
        try:
            data = self._series(component, overrides)
            valid = event_input(data, self.place_iri)
        except Unreadable as exc:
            return Rejected(str(exc), iri, _raw(component))
        except ValidationError as exc:
            return Rejected(validation_reason(exc, "event"), iri, _raw(component))
        return Harvested(kind="event", iri=iri, data=data, input=valid)

    def _series(self, master: Event, overrides: list[Event]) -> dict:
        span = self._span(master)
        data = _fields(master, span)
        data["recurrence"] = self._recurrence(master, span)
        entries = [self._override(override, span, data) for override in overrides]
        # RECURRENCE-IDs written differently (UTC, another zone) can name the same occurrence.
        data["overrides"] = list({entry["recurrence_id"]: entry for entry in entries}.values())
        return _compact(data)

    def _moment(self, value: Moment) -> tuple[Moment, str]:
        """A day alone, or an aware date-time in the IANA zone it names, with that zone's name."""
        if not isinstance(value, datetime):
            return value, self.zone
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(self.zone)), self.zone
        name = next(filter(None, map(_iana, tzids_from_tzinfo(value.tzinfo))), None)
        if name is None:
            # A zone only its own VTIMEZONE knows: keep the instant, shown in the calendar's zone.
            return value.astimezone(ZoneInfo(self.zone)), self.zone
        # Keep the wall-clock time: a Windows-named VTIMEZONE is at best a copy of the IANA rules.
        return value.replace(tzinfo=ZoneInfo(name)), name

    def _align(self, value: Moment, start: Moment, zone: str) -> Moment:
        """A moment of an event (end, EXDATE, RDATE, RECURRENCE-ID) in the kind and zone of its start."""
        moment, _ = self._moment(value)
        if not isinstance(start, datetime):
            return moment.astimezone(ZoneInfo(zone)).date() if isinstance(moment, datetime) else moment
        if not isinstance(moment, datetime):
            # A day alone names that day's occurrence, at the start's time of day.
            moment = datetime.combine(moment, start.time(), start.tzinfo)
        return moment.astimezone(ZoneInfo(zone))

    def _span(self, component: Event) -> _Span:
        raw_start = _when(component, "DTSTART")
        if raw_start is None:
            raise Unreadable("the event has no DTSTART")
        start, zone = self._moment(raw_start)
        raw_end, duration = _when(component, "DTEND"), _value(component, "DURATION")
        if raw_end is not None:
            if isinstance(raw_end, datetime) != isinstance(start, datetime):
                raise Unreadable("DTSTART and DTEND must both be dates or both be date-times")
            end = self._align(raw_end, start, zone)
            if end < start:
                # RFC 5545 wants DTEND later; a slip of the producer's, the start is what people
                # go by: the event is kept, with no end.
                return _Span(start, None, zone)
        elif isinstance(duration, timedelta):
            if duration < timedelta(0):
                raise Unreadable("DURATION is negative")
            end = start + duration
        else:
            return _Span(start, None, zone)
        if not isinstance(start, datetime):
            # An ICS all-day event ends on the following day; ours on its last day.
            end = max(start, end - timedelta(days=1))
        return _Span(start, end, zone)

    def _recurrence(self, component: Event, span: _Span) -> dict | None:
        rule = _first(component, "RRULE")
        moments: dict[str, list[Moment]] = {"EXDATE": [], "RDATE": []}
        for name, found in moments.items():
            for prop in _props(component, name):
                if isinstance(prop, vBroken):
                    raise Unreadable(f"{name} cannot be read: {_ical(prop)!r}")
                # A PERIOD (a tuple) would give the occurrence its own length, which we cannot keep.
                found.extend(
                    self._align(ddd.dt, span.start, span.zone) for ddd in prop.dts if isinstance(ddd.dt, date)
                )
        if rule is None and not moments["RDATE"]:
            return None
        return _compact(
            {
                "rrule": None if rule is None else self._rule(rule, span),
                "rdates": _unique(moments["RDATE"]),
                "exdates": _unique(moments["EXDATE"]),
            }
        )

    def _rule(self, rule: vRecur | vBroken, span: _Span) -> str:
        """The RRULE as text, its UNTIL in the form `parse_rule` and every reader agree on."""
        until = None if isinstance(rule, vBroken) else (rule.get("UNTIL") or [None])[0]
        if isinstance(rule, vBroken) or "FREQ" not in rule or not isinstance(until, date | None):
            raise Unreadable(f"RRULE cannot be read: {_ical(rule)!r}")
        if until is not None:
            rule = vRecur({**rule, "UNTIL": [_until(until, span.start)]})
        text = rule.to_ical().decode()
        anchor = span.start
        if not isinstance(anchor, datetime):
            anchor = datetime.combine(anchor, time(), ZoneInfo(span.zone))
        try:
            parse_rule(text, anchor)
        except RecurrenceError as exc:
            raise Unreadable(f"RRULE {text!r}: {exc}") from exc
        return text

    def _override(self, component: Event, series: _Span, master: dict) -> dict:
        """One occurrence changed by a RECURRENCE-ID component: only what differs from the series."""
        rid = self._align(_when(component, "RECURRENCE-ID"), series.start, series.zone)
        start, end = rid, rid + series.duration
        if "DTSTART" in component:
            own = self._span(component)
            start = self._align(own.start, series.start, series.zone)
            end = start if own.end is None else self._align(own.end, series.start, series.zone)
        entry = {"recurrence_id": _iso(rid)}
        if (start, end) != (rid, rid + series.duration):
            entry |= {"start": _iso(start), "end": _iso(end)}
        changed = {
            "title": _title(component),
            "description": _description(component),
            "status": _status(component),
        }
        return entry | {key: value for key, value in changed.items() if value and value != master.get(key)}


def _until(value: Moment, start: Moment) -> Moment:
    """UNTIL of the kind RFC 5545 asks for: a day for all-day series, else a UTC date-time."""
    if not isinstance(start, datetime):
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, datetime):
        # A day alone bounds the series inclusively: the occurrence on that day still happens.
        value = datetime.combine(value, time(23, 59, 59))
    if value.tzinfo is None:
        value = value.replace(tzinfo=start.tzinfo)
    return value.astimezone(UTC)


def _read_calendar(calendar: Calendar, source_url: str, place_iri: str | None, batch: Batch) -> None:
    """Add the public events of one VCALENDAR to `batch`, overrides folded into their series."""
    declared = _iana(_text(calendar, "X-WR-TIMEZONE"))
    if declared:
        # Google's X-WR-TIMEZONE: the calendar's UTC and floating times are meant in that zone.
        calendar = x_wr_timezone.to_standard(calendar, timezone=ZoneInfo(declared))
    reader = _Reader(declared or DEFAULT_ZONE, place_iri)
    hidden = {_uid(c) for c in calendar.events if _hidden(c) and "RECURRENCE-ID" not in c}
    series: dict[str, list[Event]] = {}
    for component in calendar.events:
        uid = _uid(component)
        if uid not in hidden and not _hidden(component):
            series.setdefault(uid, []).append(component)
    for uid, components in series.items():
        chosen = _latest(components)
        master = chosen.pop(None, None)
        if master is not None:
            records = [reader.record(_iri(source_url, uid), master, list(chosen.values()))]
        else:
            # Occurrences whose series is not in the file (a shared event's export) stand alone.
            records = [
                reader.record(f"{_iri(source_url, uid)}@{quote(rid, safe='')}", orphan, [])
                for rid, orphan in chosen.items()
            ]
        for record in records:
            (batch.records if isinstance(record, Harvested) else batch.rejected).append(record)
