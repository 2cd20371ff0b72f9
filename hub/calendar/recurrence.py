"""Expand an event's recurrence (RFC 5545 RRULE, RDATE, EXDATE, RECURRENCE-ID overrides).

Rules are evaluated on wall-clock time in the event's own zone, so a weekly 13:00 lunch stays
at 13:00 across daylight saving changes; instants are then converted to UTC.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rruleset

from hub.calendar.rules import RecurrenceError, parse_rule

# Occurrences kept in one window, and occurrences walked from the start of the series to the
# window's end: dateutil cannot start a series anywhere but at its start.
MAX_OCCURRENCES = 1500
MAX_STEPS = 50_000
# A last resort: the rules' bounds (hub/calendar/rules.py) keep every expansion far below it.
MAX_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Override:
    recurrence_id: datetime  # UTC: the original start of the occurrence
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    title: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Instance:
    recurrence_id: datetime | None  # UTC, None for a one-off event
    start_utc: datetime
    end_utc: datetime
    title: str
    status: str


def _aware(value_utc: datetime, zone: ZoneInfo) -> datetime:
    return value_utc.astimezone(zone)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def expand(
    *,
    start_utc: datetime,
    end_utc: datetime,
    zone: ZoneInfo,
    title: str,
    status: str,
    rule: str | None,
    rdates: list[datetime],
    exdates: list[datetime],
    overrides: list[Override],
    window_start: datetime,
    window_end: datetime,
) -> list[Instance]:
    """Occurrences starting in [window_start, window_end), overrides applied.

    A moved occurrence is kept if either its original or its new start is in the window.
    """
    dtstart = _aware(start_utc, zone)
    wall_duration = _aware(end_utc, zone).replace(tzinfo=None) - dtstart.replace(tzinfo=None)
    by_id = {o.recurrence_id: o for o in overrides}

    if rule is None and not rdates:
        originals = [dtstart] if window_start <= start_utc < window_end or start_utc in by_id else []
    else:
        # Widen the window by the longest possible move so moved occurrences are not lost.
        moved = [o.recurrence_id for o in overrides if o.start_utc is not None]
        low = min([window_start, *moved]) - timedelta(days=1)
        high = max([window_end, *(m + timedelta(seconds=1) for m in moved)])
        rset = rruleset()
        if rule is not None:
            rset.rrule(_started_near(parse_rule(rule, dtstart), _aware(low, zone)))
        # RFC 5545: DTSTART is always the first instance, even where the rule would not produce it.
        rset.rdate(dtstart)
        for moment in rdates:
            rset.rdate(_aware(moment, zone))
        # An override whose RECURRENCE-ID the rule does not produce (the series was shortened
        # after the change, or its time moved) still happens, as calendar apps show it; one
        # EXDATE removes stays removed.
        for override in overrides:
            rset.rdate(_aware(override.recurrence_id, zone))
        for moment in exdates:
            rset.exdate(_aware(moment, zone))
        originals = _walk(rset, _aware(low, zone), _aware(high, zone))

    instances = []
    for original in originals:
        rid = _utc(original)
        wall_end = (original.replace(tzinfo=None) + wall_duration).replace(tzinfo=zone)
        instance = Instance(
            recurrence_id=rid if (rule is not None or rdates) else None,
            start_utc=rid,
            end_utc=_utc(wall_end),
            title=title,
            status=status,
        )
        override = by_id.get(rid)
        if override is not None:
            new_start = override.start_utc or instance.start_utc
            instance = Instance(
                recurrence_id=instance.recurrence_id,
                start_utc=new_start,
                end_utc=override.end_utc or new_start + (instance.end_utc - instance.start_utc),
                title=override.title or title,
                status=override.status or status,
            )
        if window_start <= instance.start_utc < window_end:
            instances.append(instance)
    instances.sort(key=lambda i: i.start_utc)
    return instances


def _started_near(rule: rrule, low: datetime) -> rrule:
    """The same rule started as late before `low` as keeps every date from `low` on: dateutil walks
    a series from its start, and each roll of the horizon would walk every date of a series since
    it began to reach the day it adds.

    A rule repeats by whole periods of its own (INTERVAL days, weeks or months) at the same
    wall-clock time, so its start moves by whole periods: a DAILY or WEEKLY one as it is (the
    weekday it implies moves along), a MONTHLY one to the first of a month when its days are
    given (BYDAY or BYMONTHDAY; else its start's day is the day of each month). One that counts
    its dates (COUNT), or repeats by year, is walked from its start."""
    if rule._count is not None:
        return rule
    start, interval = rule._dtstart, rule._interval
    if rule._freq in (DAILY, WEEKLY):
        step = timedelta(days=interval * (1 if rule._freq == DAILY else 7))
        periods = (low - start) // step - 1  # a period to spare, for a change of UTC offset
        return rule.replace(dtstart=start + periods * step) if periods > 0 else rule
    given = rule._original_rule  # what the rule says; None for what its start implies
    if rule._freq == MONTHLY and (given.get("byweekday") or given.get("bymonthday")):
        months = (low.year - start.year) * 12 + low.month - start.month
        periods = months // interval - 1
        if periods > 0:
            years, month = divmod(start.month - 1 + periods * interval, 12)
            return rule.replace(dtstart=start.replace(year=start.year + years, month=month + 1, day=1))
    return rule


def _walk(rset: rruleset, low: datetime, high: datetime) -> list[datetime]:
    """The set's moments in [low, high), walked from its start within MAX_STEPS and MAX_SECONDS."""
    deadline = time.monotonic() + MAX_SECONDS
    found: list[datetime] = []
    moments = iter(rset)
    for _ in range(MAX_STEPS):
        if time.monotonic() > deadline:
            break
        try:
            moment = next(moments, None)
        except (ValueError, OverflowError) as exc:
            raise RecurrenceError(f"the recurrence cannot be expanded: {exc}") from exc
        if moment is None or moment >= high:
            return found
        if moment >= low:
            found.append(moment)
            if len(found) > MAX_OCCURRENCES:
                raise RecurrenceError(
                    f"the recurrence yields more than {MAX_OCCURRENCES} occurrences in the horizon"
                )
    raise RecurrenceError(
        f"the recurrence takes more than {MAX_STEPS} occurrences or {MAX_SECONDS:g} s to reach the horizon"
    )
