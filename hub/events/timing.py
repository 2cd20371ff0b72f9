"""When an event happens: the moments of its input as stored UTC instants, and its occurrences
over a window, computed from the input alone (no store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.calendar.dates import start_of_day, to_utc
from hub.calendar.recurrence import Instance, Override, RecurrenceError, expand
from hub.calendar.rules import first_date, synchronized
from hub.errors import InvalidInput
from hub.events.schemas import EventIn
from hub.kit.sanitize import clean_html


@dataclass(frozen=True, slots=True)
class OverrideTiming:
    """One occurrence changed (RECURRENCE-ID), its moments in UTC and its description cleaned."""

    recurrence_id: datetime
    start_utc: datetime | None
    end_utc: datetime | None
    title: str | None
    description: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class Timing:
    """An event's stored moments, and its occurrences starting in the window it was computed for."""

    zone: ZoneInfo
    all_day: bool
    start_utc: datetime
    end_utc: datetime
    rule: str | None
    rdates: list[datetime]
    exdates: list[datetime]
    overrides: list[OverrideTiming]
    instances: list[Instance]


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone", f"unknown time zone {name!r}") from exc


def _is_date(value: date | datetime) -> bool:
    return not isinstance(value, datetime)


class _Clock:
    """Turns the moments of one event's input into stored UTC instants."""

    def __init__(self, zone: ZoneInfo, all_day: bool, start_time: time) -> None:
        self.zone, self.all_day, self.start_time = zone, all_day, start_time

    def instant(self, value: date | datetime, field: str) -> datetime:
        if self.all_day:
            if not _is_date(value):
                raise InvalidInput(field, "an all-day event takes dates, not date-times")
            return to_utc(start_of_day(value, self.zone), self.zone)
        if _is_date(value):
            # A day alone names that day's occurrence, at the event's start time.
            return to_utc(datetime.combine(value, self.start_time), self.zone)
        return to_utc(value, self.zone)

    def end_instant(self, value: date | datetime, field: str) -> datetime:
        if self.all_day:
            if not _is_date(value):
                raise InvalidInput(field, "an all-day event ends on a date")
            return to_utc(start_of_day(value + timedelta(days=1), self.zone), self.zone)
        if _is_date(value):
            raise InvalidInput(field, "a timed event ends at a date-time")
        return to_utc(value, self.zone)


def event_timing(
    data: EventIn, default_zone: str, *, harvested: bool, window: tuple[datetime, datetime]
) -> Timing:
    """The moments of `data` (in its zone, else `default_zone`) and its occurrences starting in
    `window`; raises InvalidInput naming the field that cannot be read."""
    zone = zone_named(data.timezone or default_zone)
    all_day = _is_date(data.start)
    start_time = time(0) if all_day else to_utc(data.start, zone).astimezone(zone).time()
    clock = _Clock(zone, all_day, start_time)
    start_utc = clock.instant(data.start, "start")
    end_utc = (
        clock.end_instant(data.end, "end")
        if data.end is not None
        else (start_utc + timedelta(days=1) if all_day else start_utc)
    )
    if end_utc < start_utc:
        raise InvalidInput("end", "must not be before start")
    rule = data.recurrence.rrule if data.recurrence else None
    rdates = (
        [clock.instant(v, f"recurrence.rdates[{i}]") for i, v in enumerate(data.recurrence.rdates)]
        if data.recurrence
        else []
    )
    if rule:
        start_utc, end_utc, rule = _on_its_rule(start_utc, end_utc, zone, rule, rdates, harvested=harvested)
    exdates = (
        [clock.instant(v, f"recurrence.exdates[{i}]") for i, v in enumerate(data.recurrence.exdates)]
        if data.recurrence
        else []
    )
    rule = rule.strip() if rule else None
    overrides = _overrides(data, clock)
    try:
        instances = expand(
            start_utc=start_utc,
            end_utc=end_utc,
            zone=zone,
            title=data.title,
            status=data.status,
            rule=rule,
            rdates=rdates,
            exdates=exdates,
            overrides=[
                Override(o.recurrence_id, o.start_utc, o.end_utc, o.title, o.status) for o in overrides
            ],
            window_start=window[0],
            window_end=window[1],
        )
    except RecurrenceError as exc:
        raise InvalidInput("recurrence.rrule" if rule else "recurrence", str(exc)) from exc
    return Timing(zone, all_day, start_utc, end_utc, rule, rdates, exdates, overrides, instances)


def _on_its_rule(
    start_utc: datetime,
    end_utc: datetime,
    zone: ZoneInfo,
    rule: str,
    rdates: list[datetime],
    *,
    harvested: bool,
) -> tuple[datetime, datetime, str | None]:
    """Start, end and rule of a series that starts on a date of its rule (README, "Recurring events").

    RFC 5545 leaves the dates of any other series undefined and clients disagree: a write is
    refused, naming `start` and the rule's first date; a harvested series is read as "DTSTART
    counts as the first occurrence" (`synchronized`): the start moves to the rule's first date,
    COUNT loses one, and the original start joins `rdates`.
    """
    start = start_utc.astimezone(zone)
    try:
        first = first_date(rule, start)
    except RecurrenceError as exc:
        raise InvalidInput("recurrence.rrule", str(exc)) from exc
    if first == start:
        return start_utc, end_utc, rule
    if not harvested and first is None:
        raise InvalidInput(
            "recurrence.rrule", f"the rule produces no date from the start {start.isoformat()}"
        )
    if not harvested:
        raise InvalidInput(
            "start",
            f"{start.isoformat()} is not a date of the rule {rule}: "
            f"its first date from there is {first.isoformat()}",
        )
    moved, kept = synchronized(rule, start)
    if moved == start:
        return start_utc, end_utc, kept
    rdates.append(start_utc)
    # The same length in wall-clock time as every occurrence of the series.
    length = end_utc.astimezone(zone).replace(tzinfo=None) - start.replace(tzinfo=None)
    return to_utc(moved, zone), to_utc(moved.replace(tzinfo=None) + length, zone), kept


def _overrides(data: EventIn, clock: _Clock) -> list[OverrideTiming]:
    overrides = [
        OverrideTiming(
            recurrence_id=clock.instant(o.recurrence_id, f"overrides[{i}].recurrence_id"),
            start_utc=clock.instant(o.start, f"overrides[{i}].start") if o.start else None,
            end_utc=clock.end_instant(o.end, f"overrides[{i}].end") if o.end else None,
            title=o.title,
            description=clean_html(o.description),
            status=o.status,
        )
        for i, o in enumerate(data.overrides)
    ]
    seen = set()
    for i, override in enumerate(overrides):
        if override.recurrence_id in seen:
            raise InvalidInput(f"overrides[{i}].recurrence_id", "two overrides name the same occurrence")
        seen.add(override.recurrence_id)
    return overrides
