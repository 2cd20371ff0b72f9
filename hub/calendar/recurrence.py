"""Expand an event's recurrence (RFC 5545 RRULE, RDATE, EXDATE, RECURRENCE-ID overrides).

Rules are evaluated on wall-clock time in the event's own zone, so a weekly 13:00 lunch stays
at 13:00 across daylight saving changes; instants are then converted to UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

MAX_OCCURRENCES = 1500


class RecurrenceError(ValueError):
    """The recurrence cannot be read or yields too much."""


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


def parse_rule(rule: str, dtstart: datetime) -> rrule:
    """Parse one RRULE (with or without the `RRULE:` prefix) anchored at an aware `dtstart`.

    UNTIL given as a date, or as a floating date-time, is read in the event's zone; a date
    includes its whole day ("until 26 June" keeps the lunch of 26 June).
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text:
        raise RecurrenceError("a single RRULE line is expected")
    parts = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if "FREQ" not in {k.upper() for k in parts}:
        raise RecurrenceError("invalid RRULE: FREQ is missing")
    try:
        naive = rrulestr(text, dtstart=dtstart.replace(tzinfo=None), ignoretz=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise RecurrenceError(f"invalid RRULE: {exc}") from exc
    if not isinstance(naive, rrule):
        raise RecurrenceError("a single RRULE is expected")
    until = _until(parts, dtstart)
    return naive.replace(dtstart=dtstart, until=until)


def _until(parts: dict[str, str], dtstart: datetime) -> datetime | None:
    raw = next((v for k, v in parts.items() if k.upper() == "UNTIL"), None)
    if raw is None:
        return None
    raw = raw.strip()
    try:
        if len(raw) == 8:
            day = datetime.strptime(raw, "%Y%m%d")
            return day.replace(hour=23, minute=59, second=59, tzinfo=dtstart.tzinfo)
        if raw.endswith(("Z", "z")):
            return datetime.strptime(raw[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return datetime.strptime(raw, "%Y%m%dT%H%M%S").replace(tzinfo=dtstart.tzinfo)
    except ValueError as exc:
        raise RecurrenceError(f"invalid RRULE: UNTIL {raw!r} is not a date or date-time") from exc


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
        rset = rruleset()
        if rule is not None:
            rset.rrule(parse_rule(rule, dtstart))
        # RFC 5545: DTSTART is always the first instance, even where the rule would not produce it.
        rset.rdate(dtstart)
        for moment in rdates:
            rset.rdate(_aware(moment, zone))
        for moment in exdates:
            rset.exdate(_aware(moment, zone))
        # Widen the window by the longest possible move so moved occurrences are not lost.
        moved = [o.recurrence_id for o in overrides if o.start_utc is not None]
        low = min([window_start, *moved]) - timedelta(days=1)
        high = max([window_end, *(m + timedelta(seconds=1) for m in moved)])
        originals = []
        for moment in rset.xafter(_aware(low, zone), inc=True):
            if moment >= _aware(high, zone):
                break
            originals.append(moment)
            if len(originals) > MAX_OCCURRENCES:
                raise RecurrenceError(
                    f"the recurrence yields more than {MAX_OCCURRENCES} occurrences in the horizon"
                )

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
