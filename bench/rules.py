"""Worst cases of reading and expanding an RRULE: hypothesis searches for the slowest rules.

    python -m bench.rules [--examples 3000] [--seed 14]

First the known worst cases, each timed alone. Then rules are drawn part by part (FREQ,
INTERVAL, COUNT, UNTIL, every BY part, in and out of their ranges, impossible combinations
included) with a DTSTART between 1900 and 2999; each is parsed (`parse_rule`) and expanded over
the default horizon around today, and hypothesis's `target` steers the search towards the
slowest. Prints, per outcome (expanded, or refused and why), how many rules and the slowest,
with its time. An alarm stops any single rule after 60 s and counts it as a hang: there must be
none.
"""

from __future__ import annotations

import argparse
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, seed, settings, target
from hypothesis import strategies as st

from hub.calendar.recurrence import expand
from hub.calendar.rules import RecurrenceError

PARIS = ZoneInfo("Europe/Paris")
HANG_SECONDS = 60
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


# Rules that walked to the year 9999 or for ever inside dateutil before they were bounded.
NAMED = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=WEEKLY;BYMONTH=2;BYDAY=MO;BYSETPOS=9",
    "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;INTERVAL=7;BYDAY=SA",
    "FREQ=DAILY;INTERVAL=3;BYMONTHDAY=31;BYMONTH=4",
    "FREQ=DAILY",
]


class Hang(Exception):
    pass


def _numbers(low: int, high: int) -> st.SearchStrategy[str]:
    inside = st.integers(low, high).map(str)
    outside = st.sampled_from(["0", "-1", "-400", "61", "367", "9999", "1.5", "+2", "x"])
    return st.lists(st.one_of(inside, inside, outside), min_size=1, max_size=4).map(",".join)


def _day() -> st.SearchStrategy[str]:
    ordinal = st.one_of(st.just(""), st.integers(-60, 60).map(str))
    return st.builds(lambda n, d: n + d, ordinal, st.sampled_from(DAYS))


PARTS = {
    "INTERVAL": st.one_of(st.integers(-2, 30).map(str), st.sampled_from(["1000", "1001", "10000000000"])),
    "COUNT": st.one_of(st.integers(-1, 50).map(str), st.sampled_from(["10000", "99999999999"])),
    "UNTIL": st.sampled_from(["20261231", "20300101T000000Z", "19991231T235959", "99991231"]),
    "BYMONTH": _numbers(1, 12),
    "BYMONTHDAY": _numbers(-31, 31),
    "BYYEARDAY": _numbers(-366, 366),
    "BYWEEKNO": _numbers(-53, 53),
    "BYSETPOS": _numbers(-366, 366),
    "BYHOUR": _numbers(0, 23),
    "BYMINUTE": _numbers(0, 59),
    "BYDAY": st.lists(_day(), min_size=1, max_size=3).map(",".join),
    "WKST": st.sampled_from(DAYS),
}


@st.composite
def rules(draw) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "MINUTELY", "SECONDLY"]))
    names = draw(st.lists(st.sampled_from(sorted(PARTS)), max_size=5, unique=True))
    return ";".join([f"FREQ={freq}", *(f"{name}={draw(PARTS[name])}" for name in names)])


def _window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=92), now + timedelta(days=365)


def _expand(rule: str, start: datetime, window: tuple[datetime, datetime]) -> list:
    start_utc = start.replace(tzinfo=PARIS).astimezone(UTC)
    return expand(
        start_utc=start_utc,
        end_utc=start_utc + timedelta(hours=1),
        zone=PARIS,
        title="x",
        status="scheduled",
        rule=rule,
        rdates=[],
        exdates=[],
        overrides=[],
        window_start=window[0],
        window_end=window[1],
    )


def named(starts: tuple[datetime, ...] = (datetime(2026, 5, 1, 13), datetime(1900, 5, 4, 13))) -> None:
    """Each known worst case from a recent start (a Friday) and from the oldest one allowed."""
    window = _window()
    for rule in NAMED:
        for start in starts:
            began = time.perf_counter()
            try:
                outcome = f"{len(_expand(rule, start, window))} in the horizon"
            except RecurrenceError as exc:
                outcome = f"refused: {exc}"
            took = (time.perf_counter() - began) * 1000
            print(f"  {rule:<48} from {start:%Y-%m-%d}  {took:6.0f} ms  {outcome}")


def run(examples: int, seed_value: int) -> dict[str, tuple[int, float, str]]:
    window = _window()
    outcomes: dict[str, list] = defaultdict(lambda: [0, 0.0, ""])

    def alarm(*_: object) -> None:
        raise Hang

    signal.signal(signal.SIGALRM, alarm)

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(rules(), st.datetimes(datetime(1900, 1, 1), datetime(2999, 12, 31)))
    def one(rule: str, start: datetime) -> None:
        signal.alarm(HANG_SECONDS)
        began = time.perf_counter()
        try:
            found = _expand(rule, start, window)
            outcome = f"expanded ({'none' if not found else 'some'} in the horizon)"
        except RecurrenceError as exc:
            outcome = "refused: " + _kind(str(exc))
        except Hang:
            outcome = "HANG"
        finally:
            signal.alarm(0)
        elapsed = time.perf_counter() - began
        target(elapsed)
        entry = outcomes[outcome]
        entry[0] += 1
        if elapsed > entry[1]:
            entry[1], entry[2] = elapsed, f"{rule} from {start:%Y-%m-%d}"

    one()
    return {k: tuple(v) for k, v in outcomes.items()}


def _kind(message: str) -> str:
    for words in ("never produces", "takes more than", "yields more than", "at most daily", "invalid RRULE"):
        if words in message:
            return words
    return "grammar, range or bound"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rules")
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    started = time.perf_counter()
    print("Known worst cases\n")
    named()
    print()
    outcomes = run(args.examples, args.seed)
    print(f"{'outcome':<40} {'rules':>6} {'slowest':>9}  slowest rule")
    for outcome, (count, slowest, rule) in sorted(outcomes.items(), key=lambda item: -item[1][1]):
        print(f"{outcome:<40} {count:>6} {slowest * 1000:>7.0f} ms  {rule}")
    print(f"\n{args.examples} rules in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
