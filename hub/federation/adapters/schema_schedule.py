"""A schema.org `eventSchedule` (a Schedule) as our recurrence: one RRULE and its exdates.

A schedule is translated only when it translates faithfully; otherwise `NoRule` is raised and the
event is read from its own dates. This is the lowest module of the JSON-LD page adapter, so it also
holds the readers of schema.org literals (text, numbers, enumeration members, dates) that the page
reader and the event mapping share.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.calendar.rules import RecurrenceError, first_date

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

_SCHEMA_PREFIX = re.compile(r"^(https?://(www\.)?schema\.org/|schema:)", re.I)
_FREQUENCY = re.compile(r"P(\d+)([DWMY])")
_ICAL_DAY = re.compile(r"[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)")
_DURATION = re.compile(r"PT((\d+)H)?((\d+)M)?")


class NoRule(Exception):
    """A schedule that does not translate faithfully into one RRULE."""


def series(schedules: list, start: date | datetime | None, end: date | datetime | None, zone: str) -> dict:
    """start, end and recurrence from the event's one schedule; NoRule when it does not translate.

    `schedules` are the event's `eventSchedule` values, references already followed. The start becomes
    the first occurrence, as wall-clock time in the event's zone (as RRULEs are read).
    """
    if len(schedules) != 1 or not isinstance(schedules[0], dict) or not set(schedules[0]) <= SCHEDULE_KEYS:
        raise NoRule
    schedule = schedules[0]
    anchor = _anchor(schedule, start, zone)
    all_day = not isinstance(anchor, datetime)
    rule = ";".join([*_rule_parts(schedule), *_limit(schedule, start, end, all_day, zone)])
    first = _first_occurrence(rule, anchor, zone)
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
    first = moment(schedule.get("startDate"))
    if "startDate" in schedule and first is None:
        raise NoRule
    base = first if first is not None else start
    if base is None:
        raise NoRule
    clock = _clock(schedule["startTime"]) if "startTime" in schedule else None
    for given in (first, start):
        if clock is None and isinstance(given, datetime):
            clock = wall(given, zone).time()
    in_zone = wall(base, zone)
    day = in_zone.date() if isinstance(in_zone, datetime) else in_zone
    return day if clock is None else datetime.combine(day, clock)


def _rule_parts(schedule: dict) -> list[str]:
    match = _FREQUENCY.fullmatch(text(schedule.get("repeatFrequency")) or "")
    if match is None or int(match[1]) == 0:
        raise NoRule
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
    for value in as_list(schedule.get("byDay")):
        name = enum(value) or ""
        code = WEEKDAYS.get(name) or (name.upper() if _ICAL_DAY.fullmatch(name.upper()) else None)
        if code is None:
            raise NoRule
        days.append(code)
    weeks = _ints(schedule.get("byMonthWeek"), -5, 5)
    if not weeks:
        return days
    if frequency != "MONTHLY" or not days or any(len(day) != 2 for day in days):
        raise NoRule
    return [f"{week}{day}" for week in weeks for day in days]


def _ints(value: object, low: int, high: int) -> list[int]:
    numbers = [integer(item) for item in as_list(value)]
    if any(number is None or number == 0 or not low <= number <= high for number in numbers):
        raise NoRule
    return numbers


def _limit(
    schedule: dict, start: date | datetime | None, end: date | datetime | None, all_day: bool, zone: str
) -> list[str]:
    """COUNT or UNTIL: the schedule's own, else the event's end when it lies days after its start."""
    if "repeatCount" in schedule and "endDate" in schedule:
        raise NoRule  # an RRULE takes one or the other
    if "repeatCount" in schedule:
        count = integer(schedule["repeatCount"])
        if count is None or count < 1:
            raise NoRule
        return [f"COUNT={count}"]
    if "endDate" in schedule:
        until = moment(schedule["endDate"])
        if until is None:
            raise NoRule
    elif (
        start is not None
        and end is not None
        and instant(end, zone) - instant(start, zone) >= timedelta(days=1)
    ):
        until = end
    else:
        return []
    in_zone = wall(until, zone)
    if all_day:
        return [f"UNTIL={in_zone:%Y%m%d}"]
    if not isinstance(in_zone, datetime):
        in_zone = datetime.combine(in_zone, time(23, 59, 59))  # a day alone: the whole of it
    return [f"UNTIL={in_zone:%Y%m%dT%H%M%S}"]


def _first_occurrence(rule: str, anchor: date | datetime, zone: str) -> date | datetime:
    """The first occurrence on or after the anchor, so the event starts on a day the rule holds."""
    dtstart = anchor if isinstance(anchor, datetime) else datetime.combine(anchor, time(0))
    try:
        first = first_date(rule, dtstart.replace(tzinfo=ZoneInfo(zone)))
    except RecurrenceError as exc:
        raise NoRule from exc
    if first is None:
        raise NoRule
    first = first.replace(tzinfo=None)
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
        length = instant(end, zone) - instant(start, zone)
        if timedelta(0) < length < timedelta(days=1):
            return first + length
    return None


def _clock(value: object) -> time:
    try:
        return time.fromisoformat(text(value) or "").replace(tzinfo=None)
    except ValueError as exc:
        raise NoRule from exc


def _duration(value: object) -> timedelta:
    match = _DURATION.fullmatch(text(value) or "")
    if match is None or not (match[2] or match[4]):
        raise NoRule
    return timedelta(hours=int(match[2] or 0), minutes=int(match[4] or 0))


def _exdates(schedule: dict, all_day: bool, zone: str) -> list[str]:
    """exceptDate values; for an all-day series, as days."""
    exdates = []
    for value in as_list(schedule.get("exceptDate")):
        when = moment(value)
        if when is None:
            raise NoRule  # leaving one out would add an occurrence that does not happen
        if all_day and isinstance(when, datetime):
            when = wall(when, zone).date()
        exdates.append(when.isoformat())
    return exdates


# Literals, shared with the event mapping and the page reader


def as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first(value: object) -> object:
    return next(iter(as_list(value)), None)


def text(value: object) -> str | None:
    """The first literal of a value as stripped text: a string, a number or a `{"@value": ...}`."""
    for item in as_list(value):
        literal = item.get("@value") if isinstance(item, dict) else item
        if isinstance(literal, str | int | float) and not isinstance(literal, bool) and str(literal).strip():
            return str(literal).strip()
    return None


def local(value: str) -> str:
    return _SCHEMA_PREFIX.sub("", value.strip(), count=1)


def enum(value: object) -> str | None:
    """The local name of an enumeration member given as IRI, prefixed name, bare name or `{"@id"}`."""
    member = first(value)
    if isinstance(member, dict):
        member = member.get("@id")
    return local(member) if isinstance(member, str) else None


def number(value: object) -> float | None:
    literal = text(value)
    try:
        parsed = float(literal.replace(",", ".")) if literal else None
    except ValueError:
        return None
    return parsed if parsed is not None and math.isfinite(parsed) else None


def integer(value: object) -> int | None:
    parsed = number(value)
    return int(parsed) if parsed is not None and parsed.is_integer() else None


def moment(value: object) -> date | datetime | None:
    """An ISO 8601 date or date-time, tolerating `Z`, a space for `T` and missing seconds."""
    literal = text(value)
    if literal is None:
        return None
    if literal[-1] in "zZ":
        literal = literal[:-1] + "+00:00"
    try:
        return date.fromisoformat(literal) if len(literal) == 10 else datetime.fromisoformat(literal)
    except ValueError:
        return None


def wall(value: date | datetime, zone: str) -> date | datetime:
    """A moment as wall-clock time in `zone`; naive moments and dates already are."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return value


def instant(value: date | datetime, zone: str) -> datetime:
    """A moment as an aware datetime, naive ones and dates read in `zone`."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
