"""Recurrence expansion: wall-clock rules across daylight saving time, overrides, exceptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.calendar import recurrence
from hub.calendar.recurrence import Override, RecurrenceError, expand
from hub.calendar.rules import first_date, synchronized

PARIS = ZoneInfo("Europe/Paris")


def _expand(start, end, rule=None, **kwargs):
    return expand(
        start_utc=start.astimezone(UTC),
        end_utc=end.astimezone(UTC),
        zone=PARIS,
        title="Co-lunch",
        status="scheduled",
        rule=rule,
        rdates=kwargs.get("rdates", []),
        exdates=kwargs.get("exdates", []),
        overrides=kwargs.get("overrides", []),
        window_start=kwargs.get("window_start", datetime(2026, 1, 1, tzinfo=UTC)),
        window_end=kwargs.get("window_end", datetime(2027, 1, 1, tzinfo=UTC)),
    )


def test_weekly_lunch_stays_at_one_pm_across_both_dst_changes():
    start = datetime(2026, 3, 20, 13, tzinfo=PARIS)
    instances = _expand(start, datetime(2026, 3, 20, 14, tzinfo=PARIS), "FREQ=WEEKLY;BYDAY=FR;COUNT=35")
    local_hours = {(i.start_utc.astimezone(PARIS).hour, i.end_utc.astimezone(PARIS).hour) for i in instances}
    assert local_hours == {(13, 14)}
    offsets = [i.start_utc.astimezone(PARIS).utcoffset().total_seconds() / 3600 for i in instances]
    assert offsets[:3] == [1, 1, 2]  # 20 and 27 March CET, 3 April CEST (switch on 29 March)
    assert offsets[-1] == 1  # back to CET after 25 October


def test_exdate_removes_and_rdate_adds_an_occurrence():
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    instances = _expand(
        start,
        datetime(2026, 5, 1, 14, tzinfo=PARIS),
        "FREQ=WEEKLY;COUNT=3",
        exdates=[datetime(2026, 5, 8, 11, tzinfo=UTC)],
        rdates=[datetime(2026, 5, 20, 11, tzinfo=UTC)],
    )
    assert [i.start_utc.astimezone(PARIS).day for i in instances] == [1, 15, 20]


def test_override_cancels_one_occurrence_and_moves_another():
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    instances = _expand(
        start,
        datetime(2026, 5, 1, 14, tzinfo=PARIS),
        "FREQ=WEEKLY;COUNT=3",
        overrides=[
            Override(datetime(2026, 5, 8, 11, tzinfo=UTC), status="cancelled"),
            Override(
                datetime(2026, 5, 15, 11, tzinfo=UTC),
                start_utc=datetime(2026, 5, 16, 9, tzinfo=UTC),
                title="Brunch",
            ),
        ],
    )
    assert [(i.start_utc.day, i.status, i.title) for i in instances] == [
        (1, "scheduled", "Co-lunch"),
        (8, "cancelled", "Co-lunch"),
        (16, "scheduled", "Brunch"),
    ]
    assert instances[2].end_utc - instances[2].start_utc == instances[0].end_utc - instances[0].start_utc


def test_floating_until_is_read_in_the_event_zone():
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    instances = _expand(start, start, "FREQ=DAILY;UNTIL=20260503T130000")
    assert len(instances) == 3


def test_a_rule_read_at_one_instant_in_two_zones_is_read_in_each():
    # Rules read are kept, and aware date-times at the same instant are equal in any zone.
    paris = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    assert first_date("FREQ=DAILY;BYHOUR=13", paris) == paris
    assert first_date("FREQ=DAILY;BYHOUR=13", paris.astimezone(UTC)) == datetime(2026, 5, 1, 13, tzinfo=UTC)


def test_runaway_rule_is_refused():
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    with pytest.raises(RecurrenceError):
        _expand(start, start, "FREQ=MINUTELY")


def test_garbage_rule_is_refused():
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    with pytest.raises(RecurrenceError):
        _expand(start, start, "FREQ=SOMETIMES")


def test_start_off_its_rule_is_read_as_the_first_of_count_dates():
    start = datetime(2026, 11, 26, 18, tzinfo=PARIS)  # the fourth Thursday
    first, rule = synchronized("FREQ=MONTHLY;BYDAY=1TH;COUNT=2", start)
    assert (first, rule) == (datetime(2026, 12, 3, 18, tzinfo=PARIS), "FREQ=MONTHLY;BYDAY=1TH;COUNT=1")
    instances = _expand(first, first, rule, rdates=[start], window_end=datetime(2027, 6, 1, tzinfo=UTC))
    # RFC 5545: "DTSTART always counts as the first occurrence", so two dates in all, where
    # dateutil and recurring-ical-events add the start to two dates of the rule.
    assert [i.start_utc.astimezone(PARIS).date().isoformat() for i in instances] == [
        "2026-11-26",
        "2026-12-03",
    ]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
        "FREQ=YEARLY;BYWEEKNO=53;BYMONTH=6",
        "FREQ=DAILY;INTERVAL=7;BYDAY=SA",  # from a Friday, every seventh day is a Friday
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",  # from 2026: never a leap year
    ],
)
def test_rule_that_never_produces_a_date_is_refused(rule):
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    with pytest.raises(RecurrenceError, match="never produces a date"):
        _expand(start, start, rule)


@pytest.mark.parametrize(
    ("rule", "first"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2028-02-29"),
        ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "2026-11-13"),
        ("FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29", "2028-02-29"),
        ("FREQ=MONTHLY;BYDAY=-1SU;BYMONTH=10", "2026-10-25"),
    ],
)
def test_rare_rules_are_kept(rule, first):
    start = datetime(2026, 5, 1, 13, tzinfo=PARIS)
    instances = _expand(start, start, rule, window_end=datetime(2029, 1, 1, tzinfo=UTC))
    assert instances[1].start_utc.astimezone(PARIS).date().isoformat() == first


def test_series_walked_past_the_step_bound_from_its_start_is_refused():
    # dateutil starts a series only at its start: a yearly rule taking every day from 1880 walks
    # 53,000 days first. A daily rule starts a whole number of days before the window instead.
    start = datetime(1880, 5, 1, 13, tzinfo=PARIS)
    every_day = "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"
    with pytest.raises(RecurrenceError, match="takes more than 50000 occurrences"):
        _expand(start, start, every_day)
    assert len(_expand(start.replace(year=1950), start, every_day)) == 365
    assert len(_expand(start, start, "FREQ=DAILY")) == 365


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=FR",
        "FREQ=WEEKLY;INTERVAL=3",
        "FREQ=DAILY;INTERVAL=5;BYHOUR=9,13",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31",
        "FREQ=MONTHLY",
    ],
)
def test_a_series_years_old_has_the_dates_of_its_walk_from_the_start(rule, monkeypatch):
    # The walk starts a whole number of the rule's periods before the window, not at DTSTART
    # years before it; the window spans both changes of daylight saving time.
    start = datetime(2019, 3, 29, 13, tzinfo=PARIS)
    window = {
        "window_start": datetime(2026, 10, 20, tzinfo=UTC),
        "window_end": datetime(2027, 4, 1, tzinfo=UTC),
    }
    near = _expand(start, start + timedelta(hours=1), rule, **window)
    monkeypatch.setattr(recurrence, "_started_near", lambda rule, low: rule)
    assert near and near == _expand(start, start + timedelta(hours=1), rule, **window)
