"""The VTIMEZONE components of our feeds: ical.js (Thunderbird) reads from them the offsets zoneinfo
gives, day after day for years, for every form of rule the time zone database uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from hub.calendar.vtimezone import build_vtimezone, current_rule, parse_posix_tz
from tests.reference_clients import ical_js_occurrences

SINCE, UNTIL = date(2022, 1, 1), date(2033, 1, 1)
ZONES = {
    "Europe/Paris": "last Sundays of March and October",
    "America/New_York": "second and first Sundays",
    "Australia/Sydney": "southern hemisphere: daylight saving time over the new year",
    "America/Santiago": "changes at 24:00 on Saturday, that is Sunday",
    "Asia/Jerusalem": "the Friday before the last Sunday, at 26:00 after the Thursday",
    "America/Nuuk": "at -1:00 on Sunday, that is Saturday evening, and a new standard offset in 2023",
    "America/Mexico_City": "daylight saving time abolished in 2022",
    "Africa/Cairo": "the day after the last Thursday of October: no RRULE says it",
    "Asia/Gaza": "transitions the rule does not predict",
    "Asia/Tokyo": "one offset",
}


def _noon_every_day(zones: list[str]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//vtimezone//")
    calendar.add("version", "2.0")
    for key in zones:
        calendar.add_component(build_vtimezone(ZoneInfo(key), SINCE, UNTIL))
        event = icalendar.Event()
        event.add("uid", key)
        event.add("dtstamp", datetime(2022, 1, 1, tzinfo=UTC))
        event.add("summary", key)
        event.add("dtstart", datetime.combine(SINCE, time(12), ZoneInfo(key)))
        event.add("dtend", datetime.combine(SINCE, time(13), ZoneInfo(key)))
        event.add("rrule", {"freq": "daily"})
        calendar.add_component(event)
    return calendar.to_ical()


def test_ical_js_reads_every_kind_of_zone_as_zoneinfo_does_day_after_day():
    start, end = datetime.combine(SINCE, time(), UTC), datetime.combine(UNTIL, time(), UTC)
    occurrences = ical_js_occurrences(_noon_every_day(list(ZONES)), start, end)
    found = {(o["uid"], o["start"]) for o in occurrences}
    days = [SINCE + timedelta(days=n) for n in range((UNTIL - SINCE).days)]
    expected = {
        (key, datetime.combine(day, time(12), ZoneInfo(key)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for key in ZONES
        for day in days
    }
    assert sorted(found - expected) == []
    assert sorted(expected - found) == []


@pytest.mark.parametrize(
    "key",
    [key for key in ZONES if key not in ("Africa/Cairo", "Asia/Gaza")],
)
def test_a_zone_following_its_rule_is_written_as_rules_from_the_year_before(key):
    component = build_vtimezone(ZoneInfo(key), date(2026, 5, 1), UNTIL)
    observances = component.walk("STANDARD") + component.walk("DAYLIGHT")
    ruled = [o for o in observances if "RRULE" in o]
    assert all("RDATE" not in o for o in observances)
    assert len(ruled) == (0 if current_rule(key).changes is None else 2)
    assert min(o["DTSTART"].dt for o in observances).year == 2025


def test_posix_tz_strings_read_as_offsets_and_changes():
    paris = parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3")
    assert paris.standard == timedelta(hours=1)
    begin, end = paris.changes
    assert begin.local_onset(2027) == datetime(2027, 3, 28, 2)
    assert end.local_onset(2027) == datetime(2027, 10, 31, 3)
    assert (begin.after, end.after) == (timedelta(hours=2), timedelta(hours=1))
    nuuk = parse_posix_tz("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")
    assert nuuk.changes[0].local_onset(2027) == datetime(2027, 3, 27, 23)
    assert nuuk.standard_name == "-02"
    assert parse_posix_tz("JST-9").changes is None
    assert parse_posix_tz("EST5EDT") is None  # daylight saving time without a rule
