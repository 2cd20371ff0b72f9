"""Dates in and out: ISO 8601 with offsets or dates alone, stored as aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """A datetime as the store keeps it: aware, in UTC. Naive input is read in `zone`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def in_zone(value: datetime, zone: ZoneInfo) -> datetime:
    """A stored instant as local time in `zone`."""
    return value.astimezone(zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in `zone`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone)


def parse_bound(raw: str, zone: ZoneInfo, *, end: bool = False) -> datetime:
    """Parse a `start`/`end` query value. A date alone means the whole day in `zone`.

    Raises ValueError with a readable message.
    """
    raw = raw.strip()
    if len(raw) == 10:
        day = date.fromisoformat(raw)
        moment = start_of_day(day + timedelta(days=1) if end else day, zone)
        return to_utc(moment, zone)
    if raw.endswith(("z", "Z")):
        raw = raw[:-1] + "+00:00"
    return to_utc(datetime.fromisoformat(raw), zone)


def iso(value: datetime, zone: ZoneInfo) -> str:
    """A stored instant as ISO 8601 with the offset of `zone` at that instant."""
    return in_zone(value, zone).isoformat()


def iso_utc(value: datetime) -> str:
    """A stored instant as ISO 8601 in UTC (`Z`)."""
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
