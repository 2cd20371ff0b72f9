"""The rolling horizon: occurrences follow the calendar, each roll expanding only the days that
entered the window since the last one, and the store always holds what a full expansion gives.

Every event here starts one hour past the time of day the rolls run at, so no occurrence is under
way at the back of the window, where a full expansion (by start) and the expiry (by end) differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from hub.events import occurrences
from hub.events.models import Event, Occurrence
from hub.events.occurrences import HORIZON_END, horizon, occurrences_of, roll_horizon
from hub.events.schemas import EventIn
from hub.events.service import get_event, overrides_of, save_event
from hub.horizon import roll_if_due
from hub.settings import Settings
from hub.store.changes import FeedState
from hub.store.db import session_scope
from hub.store.records import utcnow
from tests import factories

AHEAD = timedelta(days=28)
BACK = timedelta(days=7)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Clock:
    """Rolls run at whole days from `now`; events start one hour later in the day."""

    now: datetime

    def later(self, days: float) -> datetime:
        return self.now + days * DAY

    def at(self, days: float) -> datetime:
        """An event time: `days` from now, one hour into the day of the rolls."""
        return self.later(days) + HOUR


@pytest.fixture
def clock(any_day) -> Clock:
    # Close to the time of the test (today or a hard date): saving an event expands it at now.
    return Clock(utcnow().replace(second=0, microsecond=0))


@pytest.fixture
def settings(db) -> Settings:
    return db.settings(horizon_days_ahead=AHEAD.days, horizon_days_back=BACK.days)


def save(db, settings: Settings, start: datetime, *, event_id: str | None = None, **fields) -> str:
    """Create (or replace) an event of two hours, as an edit or a harvest does; returns its id."""
    data = factories.event(
        start=start.isoformat(), end=(start + 2 * HOUR).isoformat(), timezone="UTC", **fields
    )
    with session_scope(db.engine) as session:
        event = get_event(session, event_id) if event_id else None
        return save_event(session, settings, EventIn.model_validate(data), event=event).id


def moved(original: datetime, start: datetime) -> dict:
    return {"recurrence_id": original.isoformat(), "start": start.isoformat()}


def roll(db, settings: Settings, now: datetime) -> int:
    return roll_horizon(db.engine, settings, now=now)


def stored(db) -> list[tuple]:
    with Session(db.engine) as session:
        rows = session.exec(select(Occurrence)).all()
        return sorted((o.event_id, o.start_utc, o.end_utc, o.recurrence_id, o.title, o.status) for o in rows)


def fully_expanded(db, settings: Settings, now: datetime) -> list[tuple]:
    """What re-expanding every event over the whole window at `now` would store."""
    with Session(db.engine) as session:
        return sorted(
            (e.id, i.start_utc, i.end_utc, i.recurrence_id, i.title, i.status)
            for e in session.exec(select(Event)).all()
            for i in occurrences_of(e, overrides_of(session, e), *horizon(settings, now))
        )


def starts(db, event_id: str) -> list[datetime]:
    return [start for owner, start, *_ in stored(db) if owner == event_id]


def test_a_day_later_a_weekly_event_gains_its_far_occurrence_and_loses_the_expired_one(db, settings, clock):
    weekly = save(db, settings, clock.at(-14), recurrence={"rrule": "FREQ=WEEKLY"})
    roll(db, settings, clock.now)
    assert starts(db, weekly) == [clock.at(d) for d in (-7, 0, 7, 14, 21)]

    assert roll(db, settings, clock.later(1)) == 1
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14, 21, 28)]
    assert stored(db) == fully_expanded(db, settings, clock.later(1))


def test_rolling_day_after_day_stores_what_a_full_expansion_gives(db, settings, clock):
    # Two days a week, the first of them the start's own (a series starts on a date of its rule).
    days = ",".join(
        ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][(clock.at(-20).weekday() + k) % 7] for k in (0, 3)
    )
    save(db, settings, clock.at(-20), recurrence={"rrule": f"FREQ=WEEKLY;BYDAY={days}"})
    until = clock.later(15).strftime("%Y%m%dT%H%M%SZ")
    save(
        db,
        settings,
        clock.at(-3),
        recurrence={"rrule": f"FREQ=DAILY;UNTIL={until}", "exdates": [clock.at(3).isoformat()]},
    )
    save(db, settings, clock.at(-40), recurrence={"rrule": "FREQ=MONTHLY"})
    save(
        db, settings, clock.at(2), recurrence={"rdates": [clock.at(29).isoformat(), clock.at(31).isoformat()]}
    )
    save(db, settings, clock.at(1))
    save(db, settings, clock.at(30))
    save(
        db,
        settings,
        clock.at(0),
        recurrence={"rrule": "FREQ=WEEKLY"},
        overrides=[
            moved(clock.at(42), clock.at(33)),
            moved(clock.at(28), clock.at(60)),
            {"recurrence_id": clock.at(7).isoformat(), "status": "cancelled"},
        ],
    )
    for day in range(10):
        roll(db, settings, clock.later(day))
        assert stored(db) == fully_expanded(db, settings, clock.later(day)), f"day {day}"


def test_an_event_saved_since_the_last_roll_is_not_doubled(db, settings, clock):
    edited = save(db, settings, clock.at(-10), recurrence={"rrule": "FREQ=DAILY"})
    roll(db, settings, clock.later(-1))
    # Expanded up to now + AHEAD, a day past where the last roll stopped.
    save(
        db,
        settings,
        clock.at(-10),
        event_id=edited,
        title="Atelier renommé",
        recurrence={"rrule": "FREQ=DAILY"},
    )
    created = save(db, settings, clock.at(-10), recurrence={"rrule": "FREQ=DAILY"})

    roll(db, settings, clock.now)
    assert starts(db, edited) == starts(db, created) == [clock.at(d) for d in range(-7, 28)]
    assert stored(db) == fully_expanded(db, settings, clock.now)


def test_a_one_off_event_beyond_the_horizon_gets_its_occurrence_when_the_horizon_reaches_it(
    db, settings, clock
):
    later = save(db, settings, clock.at(28.5))
    roll(db, settings, clock.now)
    assert starts(db, later) == []

    roll(db, settings, clock.later(1))
    assert starts(db, later) == [clock.at(28.5)]


def test_an_override_moving_an_occurrence_into_or_out_of_the_new_day_is_followed(db, settings, clock):
    weekly = save(
        db,
        settings,
        clock.at(0),
        recurrence={"rrule": "FREQ=WEEKLY"},
        overrides=[
            moved(clock.at(28), clock.at(60)),  # would enter the window with this day: moved out of it
            moved(clock.at(35), clock.at(28.5)),  # moved into this day from beyond the window
            {"recurrence_id": clock.at(14).isoformat(), "status": "cancelled"},
        ],
    )
    roll(db, settings, clock.now)
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14, 21)]

    roll(db, settings, clock.later(1))
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14, 21, 28.5)]
    assert stored(db) == fully_expanded(db, settings, clock.later(1))


def test_the_first_roll_starts_where_saving_the_events_left_off_and_remembers_where_it_ends(
    db, settings, clock
):
    weekly = save(db, settings, clock.at(-14), recurrence={"rrule": "FREQ=WEEKLY"})
    later = save(db, settings, clock.at(28.5))  # beyond the horizon when saved

    assert roll(db, settings, clock.later(1)) == 2  # at(28) of the weekly event, and at(28.5)
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14, 21, 28)]
    assert starts(db, later) == [clock.at(28.5)]
    assert stored(db) == fully_expanded(db, settings, clock.later(1))
    with Session(db.engine) as session:
        assert session.get(FeedState, HORIZON_END).value == int((clock.later(1) + AHEAD).timestamp())


def test_a_shortened_horizon_drops_what_lies_beyond_it(db, settings, clock):
    weekly = save(db, settings, clock.at(0), recurrence={"rrule": "FREQ=WEEKLY"})
    later = save(db, settings, clock.at(20))
    roll(db, settings, clock.now)

    shorter = settings.model_copy(update={"horizon_days_ahead": 14})
    roll(db, shorter, clock.later(1))
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14)]
    assert starts(db, later) == []
    assert stored(db) == fully_expanded(db, shorter, clock.later(1))


def test_the_horizon_is_rolled_once_every_twelve_hours(db, settings, clock):
    save(db, settings, clock.at(0), recurrence={"rrule": "FREQ=WEEKLY"})
    assert roll_if_due(db.engine, settings, now=clock.now) == 0  # expanded when saved
    assert roll_if_due(db.engine, settings, now=clock.now + 11 * HOUR) is None
    assert roll_if_due(db.engine, settings, now=clock.now + 12 * HOUR) == 1  # at(28) entered the window
    assert roll_if_due(db.engine, settings, now=clock.now + 23 * HOUR) is None


def test_the_roll_commits_batch_by_batch_so_writers_wait_for_a_batch_not_the_roll(
    db, settings, clock, monkeypatch
):
    for day in range(3):
        save(db, settings, clock.at(day), recurrence={"rrule": "FREQ=WEEKLY"})
    roll(db, settings, clock.now)
    monkeypatch.setattr(occurrences, "ROLL_BATCH", 1)
    commits = []

    def committed(connection) -> None:
        commits.append(connection)

    event.listen(db.engine, "commit", committed)
    try:
        assert roll(db, settings, clock.later(7)) == 3
    finally:
        event.remove(db.engine, "commit", committed)
    assert len(commits) >= 3 + 2  # a batch each, where the roll starts and where it ends
    assert stored(db) == fully_expanded(db, settings, clock.later(7))


def test_an_event_whose_stored_rule_cannot_be_expanded_does_not_stop_the_roll(db, settings, clock):
    weekly = save(db, settings, clock.at(-14), recurrence={"rrule": "FREQ=WEEKLY"})
    stale = save(db, settings, clock.at(-14), recurrence={"rrule": "FREQ=DAILY"})
    with session_scope(db.engine) as session:
        # Stored before rules were bounded: it walks to the year 9999 without producing a date.
        get_event(session, stale).rrule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
    roll(db, settings, clock.now)
    daily = starts(db, stale)

    assert roll(db, settings, clock.later(1)) == 1
    assert starts(db, weekly) == [clock.at(d) for d in (0, 7, 14, 21, 28)]
    assert starts(db, stale) == daily[1:]  # what it had, less the day gone; nothing new
