"""An iCalendar file as text: decoded, its structure found without building any component, and
cut into pages of whole series, each page a small calendar of its own.

icalendar builds objects for every line of a file: a calendar of 200,000 events read whole took
940 MB. A first pass here finds where each component begins and ends (its BEGIN and END lines,
and the few properties that place it: an event's UID, a time zone's TZID, the calendar's
X-WR-TIMEZONE, matched by one regular expression over the text), groups each UID's master and
RECURRENCE-ID overrides wherever they are in the file, and tells whether the file is complete.
Only one page's components are then handed to icalendar at a time: what stays in memory for the
whole file is the text and where its events are. A body that is not an iCalendar file at all
(an HTML page, JSON, binary) raises NotACalendar.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from icalendar.parser import Contentline

from hub.federation.errors import NotACalendar

# Components that only open directly inside VCALENDAR: meeting one inside another means an END was lost.
TOP_LEVEL = {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"}
UNFOLD = re.compile(rb"\r?\n[ \t]")
NEWLINE = re.compile(r"\r?\n")
CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)
FIRST_LINE = re.compile(r"^.*\S.*$", re.MULTILINE)
# The lines the first pass looks at; the rest of the file is only sliced.
STRUCTURE = re.compile(
    r"^[^\S\n]*(?:BEGIN|END|UID|TZID|X-WR-TIMEZONE)[^\S\n]*[;:].*$", re.MULTILINE | re.IGNORECASE
)
TZID_PARAMETER = re.compile(r";[^\S\n]*TZID[^\S\n]*=[^\S\n]*(\"[^\"\n]*\"|[^;:\n]*)", re.IGNORECASE)
# The calendar's own properties its events are read with (the first of each is kept).
CALENDAR_PROPERTIES = ("X-WR-TIMEZONE",)

Span = tuple[int, int]


@dataclass
class _Calendar:
    """Where one VCALENDAR's parts are in the text."""

    properties: dict[str, str] = field(default_factory=dict)
    timezones: dict[str, list[Span]] = field(default_factory=dict)  # by TZID, case folded
    # Events by UID (by position when they have none), in the order each UID first appears.
    series: dict[str | int, list[Span]] = field(default_factory=dict)


@dataclass
class _Open:
    """A component begun and not yet ended, during the first pass."""

    name: str
    start: int
    key: str | None = None  # an event's UID, a time zone's TZID


@dataclass
class CalendarText:
    """A calendar file, decoded, with where its components are."""

    text: str
    calendars: list[_Calendar]
    complete: bool  # every component that began also ended: nothing was dropped

    def pages(self, page_size: int) -> Iterator[str]:
        """Calendars of about `page_size` events each: whole series (a UID's master and overrides),
        the time zones they name and the calendar's own properties, in the order of the file."""
        for calendar in self.calendars:
            page: list[Span] = []
            for spans in calendar.series.values():
                page.extend(spans)
                if len(page) >= page_size:
                    yield self._page(calendar, page)
                    page = []
            if page:
                yield self._page(calendar, page)

    def _page(self, calendar: _Calendar, spans: list[Span]) -> str:
        events = "\n".join(self.text[start:end] for start, end in spans)
        named = {_tzid(value) for value in TZID_PARAMETER.findall(events)}
        zones = [self.text[start:end] for tzid in named for start, end in calendar.timezones.get(tzid, ())]
        page = "\n".join(["BEGIN:VCALENDAR", *calendar.properties.values(), *zones, events, "END:VCALENDAR"])
        kept, _ = _well_formed([line for line in NEWLINE.split(page) if line.strip()])
        return "\r\n".join(kept)


def calendar_text(body: bytes, content_type: str | None) -> CalendarText:
    """The calendar file read by the first pass. Raises NotACalendar when the body is not one."""
    text = _decode(UNFOLD.sub(b"", body), content_type)
    first = FIRST_LINE.search(text)
    if first is None:
        raise NotACalendar("the body is empty")
    if first.group().strip().upper() != "BEGIN:VCALENDAR":
        start = first.group().removesuffix("\r")[:60]
        raise NotACalendar(f"the body is not an iCalendar file: it starts with {start!r}")
    calendars, complete = _layout(text)
    return CalendarText(text, calendars, complete)


def _decode(body: bytes, content_type: str | None) -> str:
    """The body as text: UTF-8 (with or without BOM), else the declared charset, else Windows-1252."""
    declared = CHARSET.search(content_type or "")
    for encoding in ("utf-8-sig", declared and _encoding(declared.group(1)), "cp1252"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotACalendar("the body is not text (neither UTF-8, its declared charset nor Windows-1252)")


def _encoding(label: str) -> str | None:
    """The codec for a declared charset, None if unknown."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # As in browsers (WHATWG Encoding): "ISO-8859-1" is what servers say, Windows-1252 what they send.
    return "cp1252" if name == "iso8859-1" else name


def _tzid(value: str) -> str:
    return value.strip().strip('"').strip().casefold()


def _layout(text: str) -> tuple[list[_Calendar], bool]:
    """The calendars of the file and where their events and time zones are, and whether the file
    is complete: the structure `_well_formed` keeps, found from the structural lines alone."""
    calendars: list[_Calendar] = []
    stack: list[_Open] = []
    intact = True
    for match in STRUCTURE.finditer(text):
        line = match.group()
        key, _, value = line.partition(":")
        key, name = key.strip().upper(), value.strip().upper()
        if key == "BEGIN":
            depth = 0 if name == "VCALENDAR" else 1 if name in TOP_LEVEL else len(stack)
            intact &= _drop_open(stack, depth)
            stack.append(_Open(name, match.start()))
            if name == "VCALENDAR":
                calendars.append(_Calendar())
        elif key == "END" and any(opened.name == name for opened in stack):
            depth = max(i for i, opened in enumerate(stack) if opened.name == name)
            intact &= _drop_open(stack, depth + 1)
            ended = stack.pop()
            if depth == 1 and stack[0].name == "VCALENDAR":
                _note(calendars[-1], ended, (ended.start, match.end()))
        elif key == "END":
            intact = False
        elif stack:
            _note_property(calendars, stack, key.split(";", 1)[0].strip(), value.strip())
    intact &= _drop_open(stack, 0)
    return calendars, intact


def _drop_open(stack: list[_Open], depth: int) -> bool:
    """End what is still open above `depth` (as `_close` does); False when something was."""
    intact = len(stack) <= depth
    del stack[depth:]
    return intact


def _note(calendar: _Calendar, ended: _Open, span: Span) -> None:
    """Remember where a component that ended directly inside a calendar is, if it is of use."""
    if ended.name == "VEVENT":
        calendar.series.setdefault(ended.key if ended.key is not None else span[0], []).append(span)
    elif ended.name == "VTIMEZONE" and ended.key is not None:
        calendar.timezones.setdefault(_tzid(ended.key), []).append(span)


def _note_property(calendars: list[_Calendar], stack: list[_Open], name: str, value: str) -> None:
    top = stack[-1]
    if (name, top.name) in (("UID", "VEVENT"), ("TZID", "VTIMEZONE")):
        top.key = value if top.key is None else top.key
    elif name in CALENDAR_PROPERTIES and len(stack) == 1 and top.name == "VCALENDAR":
        calendars[-1].properties.setdefault(name, f"{name}:{value}")


def _well_formed(lines: list[str]) -> tuple[list[str], bool]:
    """Keep the components closed by their END line; say whether nothing had to be dropped.

    icalendar gives up on the whole file when one END is missing (a truncated download, a lost
    line), so components left open are dropped here, and a calendar left open keeps what closed.
    """
    kept: list[str] = []
    stack: list[tuple[str, list[str]]] = []
    intact = True
    for line in lines:
        key, _, value = line.partition(":")
        key, name = key.strip().upper(), value.strip().upper()
        if key == "BEGIN":
            depth = 0 if name == "VCALENDAR" else 1 if name in TOP_LEVEL else len(stack)
            intact &= _close(stack, depth, kept)
            stack.append((name, [line]))
        elif key == "END" and any(open_name == name for open_name, _ in stack):
            depth = max(i for i, (open_name, _) in enumerate(stack) if open_name == name)
            intact &= _close(stack, depth + 1, kept)
            _, body = stack.pop()
            body.append(line)
            (stack[-1][1] if stack else kept).extend(body)
        elif key == "END":
            intact = False
        elif stack and _parses(line):
            stack[-1][1].append(line)
    intact &= _close(stack, 0, kept)
    return kept, intact


def _close(stack: list[tuple[str, list[str]]], depth: int, kept: list[str]) -> bool:
    """End what is still open above `depth`: a calendar keeps its closed parts, a component is lost."""
    intact = len(stack) <= depth
    while len(stack) > depth:
        name, body = stack.pop()
        if name == "VCALENDAR":
            kept.extend([*body, "END:VCALENDAR"])
    return intact


def _parses(line: str) -> bool:
    # Outside a VEVENT icalendar refuses the whole file for one garbled line; drop the line instead.
    try:
        Contentline(line).parts()
    except ValueError:
        return False
    return True
