"""One RFC 5545 RRULE, read strictly and bounded before dateutil ever iterates it.

dateutil walks its own loop, without yielding, until a candidate passes every BY-part: a rule
whose parts can never meet (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) walks day by day to the year
9999, INTERVAL=0 never ends, a negative INTERVAL crashes, a huge one loops month by month. No
deadline checked between yields can stop that, so what cannot be bounded is refused here:

- parts outside RFC 5545's grammar, ranges or combinations (clients disagree on them anyway);
- frequencies under a day (an event recurs at most daily; several times a day is
  FREQ=DAILY with BYHOUR), INTERVAL outside 1..MAX_INTERVAL, COUNT outside 1..MAX_COUNT;
- a rule that produces no date in the 400 years after its start (`_productive`).

A rule that passes produces a date within a bounded number of dateutil's steps after any one
of its dates (the Gregorian calendar repeats itself every 400 years, so do the rule's dates):
at most 146,097 daily steps, 20,871 weekly, 4,800 monthly or 400 yearly ones.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, datetime, tzinfo
from functools import lru_cache

from dateutil.rrule import rrule, rrulestr

MAX_INTERVAL = 1000
MAX_COUNT = 10_000
# Years after which the Gregorian calendar repeats itself: weekdays and leap days included.
CYCLE_YEARS = 400
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Name: (lowest, highest) absolute value; negative values allowed when the lowest is 1.
RANGES = {
    "BYSECOND": (0, 60),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (1, 366),
}
SIGNED = {"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"}
NAMES = {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *RANGES}
# RFC 5545 3.3.10: the frequencies each part MUST NOT be used with.
FORBIDDEN = {
    "BYMONTHDAY": {"WEEKLY"},
    "BYYEARDAY": {"DAILY", "WEEKLY", "MONTHLY"},
    "BYWEEKNO": {"DAILY", "WEEKLY", "MONTHLY"},
}
NUMBER = re.compile(r"[+-]?[0-9]+")
DAY = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
UNTIL = re.compile(r"[0-9]{8}(T[0-9]{6}Z?)?")


class RecurrenceError(ValueError):
    """The recurrence cannot be read, or cannot be expanded within bounds."""


def rule_parts(rule: str) -> dict[str, str]:
    """The parts of one RRULE (with or without the `RRULE:` prefix), checked against RFC 5545
    and the bounds above; names upper-cased. Raises RecurrenceError saying what is wrong."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "\r" in text:
        raise RecurrenceError("a single RRULE line is expected")
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not equals or not value:
            raise RecurrenceError(f"{part!r} is not NAME=VALUE")
        if name not in NAMES:
            raise RecurrenceError(f"unknown part {name}")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice")
        parts[name] = value
    _check(parts)
    return parts


def _check(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("FREQ is missing")
    if freq in SUB_DAILY:
        raise RecurrenceError(
            f"FREQ={freq} is refused: an event recurs at most daily (FREQ=DAILY with BYHOUR for several "
            "times a day)"
        )
    if freq not in FREQUENCIES:
        raise RecurrenceError(f"FREQ={freq} is not one of {', '.join(FREQUENCIES)}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("COUNT and UNTIL cannot both be given")
    if "UNTIL" in parts and not UNTIL.fullmatch(parts["UNTIL"]):
        raise RecurrenceError(f"UNTIL={parts['UNTIL']} is not a date or a date-time")
    for name, high in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        if name in parts and not 1 <= _number(name, parts[name]) <= high:
            raise RecurrenceError(f"{name} must be between 1 and {high}")
    if parts.get("WKST", "MO") not in WEEKDAYS:
        raise RecurrenceError(f"WKST={parts['WKST']} is not a weekday")
    for name, (low, high) in RANGES.items():
        for value in _values(parts, name):
            number, signed = _number(name, value), name in SIGNED
            if not low <= (abs(number) if signed else number) <= high or (value[0] in "+-" and not signed):
                raise RecurrenceError(f"{name}={value} is out of range")
    for name, frequencies in FORBIDDEN.items():
        if name in parts and freq in frequencies:
            raise RecurrenceError(f"{name} cannot be used with FREQ={freq}")
    _check_days(parts, freq)
    if "BYSETPOS" in parts and not any(name.startswith("BY") and name != "BYSETPOS" for name in parts):
        raise RecurrenceError("BYSETPOS needs another BY part to choose from")


def _check_days(parts: dict[str, str], freq: str) -> None:
    for value in _values(parts, "BYDAY"):
        match = DAY.fullmatch(value)
        if match is None:
            raise RecurrenceError(f"BYDAY={value} is not a weekday")
        if match[1] is None:
            continue
        if freq not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in parts:
            raise RecurrenceError(
                f"BYDAY={value}: a numbered weekday needs FREQ=MONTHLY or YEARLY, without BYWEEKNO"
            )
        if not 1 <= abs(int(match[1])) <= (5 if freq == "MONTHLY" else 53):
            raise RecurrenceError(f"BYDAY={value} is out of range")


def _values(parts: dict[str, str], name: str) -> list[str]:
    return parts[name].split(",") if name in parts else []


def _number(name: str, value: str) -> int:
    if not NUMBER.fullmatch(value):
        raise RecurrenceError(f"{name}={value} is not an integer")
    return int(value)


def parse_rule(rule: str, dtstart: datetime) -> rrule:
    """Parse one RRULE anchored at an aware `dtstart`; RecurrenceError unless it is bounded.

    UNTIL given as a date, or as a floating date-time, is read in the event's zone; a date
    includes its whole day ("until 26 June" keeps the lunch of 26 June).

    Saving an event reads its rule twice (its first date, then its dates in the horizon), and
    checking that a rule is bounded costs more than expanding it: the rules read last are kept.
    Aware date-times are equal at the same instant in any zone, so the zone and the fold
    (which of a repeated hour) are part of the key.
    """
    return _parsed(rule, dtstart.replace(tzinfo=None), dtstart.fold, dtstart.tzinfo)


@lru_cache(maxsize=1024)
def _parsed(rule: str, start: datetime, fold: int, zone: tzinfo | None) -> rrule:
    dtstart = start.replace(tzinfo=zone, fold=fold)
    parts = rule_parts(rule)
    text = ";".join(f"{name}={value}" for name, value in parts.items() if name != "UNTIL")
    try:
        naive = rrulestr(text, dtstart=start, ignoretz=True)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(f"invalid RRULE: {exc}") from exc
    if not _productive(naive, start, parts):
        raise RecurrenceError(
            f"the rule never produces a date (none in the {CYCLE_YEARS} years after the start)"
        )
    return naive.replace(dtstart=dtstart, until=_until(parts.get("UNTIL"), dtstart))


def first_date(rule: str, dtstart: datetime) -> datetime | None:
    """The rule's first date at or after an aware `dtstart`; None when COUNT or UNTIL leave none."""
    return parse_rule(rule, dtstart).after(dtstart, inc=True)


def synchronized(rule: str, dtstart: datetime) -> tuple[datetime, str | None]:
    """A series whose `dtstart` may not be a date of its rule, as one whose start is.

    RFC 5545 leaves the dates of such a series undefined, and clients disagree: dateutil and
    recurring-ical-events add DTSTART to COUNT dates of the rule, others count it as the first.
    Read as RFC 5545's "DTSTART always counts as the first occurrence": returns the new start
    (the rule's first date from `dtstart`) and the rule from there, COUNT one less; None for the
    rule when no date of it is left (then `dtstart` alone remains). When the start moves, the
    caller keeps `dtstart` as an RDATE: the series is the same, and every client reads it alike.
    """
    parts = rule_parts(rule)
    first = parse_rule(rule, dtstart).after(dtstart, inc=True)
    if first == dtstart:
        return dtstart, rule
    count = int(parts.get("COUNT", 0))
    if first is None or count == 1:
        return dtstart, None
    if count:
        parts["COUNT"] = str(count - 1)
    return first, ";".join(f"{name}={value}" for name, value in parts.items())


def _productive(naive: rrule, start: datetime, parts: dict[str, str]) -> bool:
    """Whether the rule, without COUNT or UNTIL, produces a date in the 400 years after `start`.

    The question is asked of the same rule started a whole number of Gregorian cycles later,
    between 400 and 800 years before dateutil's last year: it sees the same calendar, and its
    walk stops there, whatever the rule, after at most 800 years. A daily rule walks them day by
    day (about a second): whether any day at all passes its BY parts is asked first, year by year.
    """
    later = start.replace(year=start.year + (MAXYEAR - CYCLE_YEARS - start.year) // CYCLE_YEARS * CYCLE_YEARS)
    probes = [naive.replace(dtstart=later, count=None, until=None)]
    if parts["FREQ"] == "DAILY" and ("BYMONTH" in parts or "BYMONTHDAY" in parts):
        days = {name: parts[name] for name in ("BYMONTH", "BYMONTHDAY") if name in parts}
        # Every weekday by default: a yearly rule without BYDAY would take its day from DTSTART.
        days["BYDAY"] = parts.get("BYDAY", ",".join(WEEKDAYS))
        yearly = ";".join(["FREQ=YEARLY", *(f"{name}={value}" for name, value in days.items())])
        probes.insert(0, rrulestr(yearly, dtstart=later))
    try:
        return all(next(iter(probe), None) is not None for probe in probes)
    except (ValueError, OverflowError) as exc:
        raise RecurrenceError(f"invalid RRULE: {exc}") from exc


def _until(raw: str | None, dtstart: datetime) -> datetime | None:
    if raw is None:
        return None
    try:
        if len(raw) == 8:
            day = datetime.strptime(raw, "%Y%m%d")
            return day.replace(hour=23, minute=59, second=59, tzinfo=dtstart.tzinfo)
        if raw.endswith("Z"):
            return datetime.strptime(raw[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return datetime.strptime(raw, "%Y%m%dT%H%M%S").replace(tzinfo=dtstart.tzinfo)
    except ValueError as exc:
        raise RecurrenceError(f"UNTIL={raw} is not a date or a date-time") from exc
