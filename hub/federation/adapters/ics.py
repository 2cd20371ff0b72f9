"""iCalendar source adapter: the calendar file a place publishes, read as event records.

Reads RFC 5545 as producers really write it (Google, Outlook/Exchange, Nextcloud, Thunderbird,
hand-made files): Windows zone names, X-WR-TIMEZONE, floating times, overrides whose series is
missing, truncated downloads. Pure: bytes in, `Batch` out; no database, no network.

NotACalendar(ValueError)    the body is not an iCalendar file at all (HTML page, JSON, binary)
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from urllib.parse import quote
from zoneinfo import ZoneInfo, available_timezones

import x_wr_timezone
from annotated_types import MaxLen
from icalendar import Calendar, Event, vBroken, vRecur
from icalendar.error import BrokenCalendarProperty
from icalendar.parser import Contentline, unescape_backslash
from icalendar.timezone import tzids_from_tzinfo
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from pydantic import BaseModel, HttpUrl, TypeAdapter, ValidationError

from hub.calendar.recurrence import RecurrenceError, parse_rule
from hub.events.schemas import EventIn, LocationIn
from hub.federation.records import Batch, Harvested, Rejected

Moment = date | datetime

DEFAULT_ZONE = "Europe/Paris"
UNTITLED = "(sans titre)"
STATUSES = {"TENTATIVE": "scheduled", "CONFIRMED": "scheduled", "CANCELLED": "cancelled"}
# A private slot in a shared calendar must not be published.
HIDDEN_CLASSES = {"PRIVATE", "CONFIDENTIAL"}
# People named by an event are personal data: never copied, not even into the quarantine.
PERSONAL = ("ORGANIZER", "ATTENDEE", "CONTACT")
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "GMT", "UCT", "Zulu"}
# Components that only open directly inside VCALENDAR: meeting one inside another means an END was lost.
TOP_LEVEL = {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"}
UNFOLD = re.compile(rb"\r?\n[ \t]")
NEWLINE = re.compile(r"\r?\n")
CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
CUT_MARKUP = re.compile(r"<[^>]*$|&#?\w*$")
RAW_LIMIT = 4000
HTTP_URL = TypeAdapter(HttpUrl)


class NotACalendar(ValueError):
    """The body is not an iCalendar file."""


class _Unreadable(ValueError):
    """One event cannot be read; the message says why, in words a coordinator understands."""


def _limit(model: type[BaseModel], field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


TITLE_MAX = _limit(EventIn, "title")
DESCRIPTION_MAX = _limit(EventIn, "description")
THEMES_MAX = _limit(EventIn, "themes")
LOCATION_MAX = _limit(LocationIn, "name")


def parse_calendar(body: bytes, *, source_url: str, content_type: str | None = None) -> Batch:
    """Read a calendar file as event records. Raises NotACalendar when the body is not one."""
    lines = [line for line in NEWLINE.split(_decode(UNFOLD.sub(b"", body), content_type)) if line.strip()]
    if not lines:
        raise NotACalendar("the body is empty")
    if lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise NotACalendar(f"the body is not an iCalendar file: it starts with {lines[0][:60]!r}")
    kept, complete = _well_formed(lines)
    try:
        components = Calendar.from_ical("\r\n".join(kept), multiple=True)
    except ValueError as exc:
        raise NotACalendar(f"the calendar cannot be read: {exc}") from exc
    batch = Batch(complete=complete)
    for calendar in components:
        if calendar.name == "VCALENDAR":
            _Reader.of(calendar, source_url).read(calendar, batch)
    return batch


def _decode(body: bytes, content_type: str | None) -> str:
    """The body as text: UTF-8 (with or without BOM), else the declared charset, else Windows-1252."""
    declared = CHARSET.search(content_type or "")
    for encoding in ("utf-8-sig", declared and declared.group(1), "cp1252"):
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise NotACalendar("the body is not text (neither UTF-8, its declared charset nor Windows-1252)")


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


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana(tzid: str) -> str | None:
    """The IANA name behind a TZID as producers write it (IANA, Windows, vendor-prefixed), if any."""
    cleaned = tzid.strip().strip('"').strip("/")
    parts = cleaned.split("/")
    # Vendor-prefixed ids (/mozilla.org/20050126_1/Europe/Paris) end with the IANA name.
    candidates = [cleaned, WINDOWS_TO_OLSON.get(cleaned), *("/".join(parts[i:]) for i in range(1, len(parts)))]
    for candidate in candidates:
        if candidate in _known_zones():
            return "UTC" if candidate in UTC_NAMES else candidate
    return None


