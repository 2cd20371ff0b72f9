"""The dates that broke date-sensitive code, and a frozen clock to run tests at them.

Each date is the next one after the real today, so the clock only ever jumps forward: asyncio
loops and deadlines already running in the process keep working (time-machine moves
`time.monotonic` with the wall clock). The clock ticks from there, as a real one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine

PARIS = ZoneInfo("Europe/Paris")


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _next(today: date, candidate) -> date:
    """The first `candidate(year)` that is after today, looking a few years ahead."""
    for year in range(today.year, today.year + 9):
        day = candidate(year)
        if day is not None and day > today:
            return day
    raise AssertionError("no such date within eight years")


def _leap_day(year: int) -> date | None:
    try:
        return date(year, 2, 29)
    except ValueError:
        return None


def hard_dates(today: date) -> dict[str, datetime]:
    """New year's eve at 23:30 UTC, which is already new year's day in Paris; then, in Paris,
    half an hour before each daylight saving change (the short and the long Sunday), and
    29 February."""
    eve = datetime.combine(_next(today, lambda y: date(y, 12, 31)), time(23, 30), UTC)
    moments = {
        "spring-forward": (_next(today, lambda y: _last_sunday(y, 3)), time(1, 30)),
        "fall-back": (_next(today, lambda y: _last_sunday(y, 10)), time(1, 30)),
        "leap-day": (_next(today, _leap_day), time(12, 0)),
    }
    return {"new-years-eve": eve} | {
        name: datetime.combine(day, at, PARIS) for name, (day, at) in moments.items()
    }


HARD_DATES = hard_dates(date.today())
MOMENTS = ["today", *HARD_DATES]


@contextmanager
def frozen_at(moment: str) -> Iterator[datetime | None]:
    """The clock at the hard date named `moment`, ticking from there; "today" leaves it alone."""
    if moment == "today":
        yield None
        return
    with time_machine.travel(HARD_DATES[moment], tick=True):
        yield HARD_DATES[moment]
