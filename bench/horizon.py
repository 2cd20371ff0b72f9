"""The rolling horizon over a harvested network: a roll now, then the roll of each next day.

    python -m bench.horizon bench/out/hub-3500-0003-20261130.db [--days 2]

On a copy of a store kept by `python -m bench.harvest --keep`, times `roll_horizon` as a hub
runs it (a transaction per batch of events): a roll now, then one roll a day later for each
of `--days` days. Prints the time and occurrences written; then the walk alone, with no
store: each recurring event expanded over the day a roll adds at the horizon's end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bench.harvest import hub_settings
from hub.events.models import Event
from hub.events.occurrences import occurrences_of, roll_horizon
from hub.store.db import make_engine
from hub.store.records import utcnow


def run(store: Path, days: int) -> list[tuple[str, float, int]]:
    rolls = []
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "hub.store.db"
        shutil.copyfile(store, copy)
        url = f"sqlite:///{copy}"
        engine, settings = make_engine(url), hub_settings(url, None)
        now = utcnow()
        for day in range(days + 1):
            started = time.perf_counter()
            written = roll_horizon(engine, settings, now=now + timedelta(days=day))
            name = "roll now" if day == 0 else f"roll {day} day{'s' if day > 1 else ''} later"
            rolls.append((name, time.perf_counter() - started, written))
            print(f"  {name:<20} {rolls[-1][1]:7.2f} s  {written:>9,} occurrences written")
        walk(engine, settings.horizon_ahead, now)
        engine.dispose()
    return rolls


def walk(engine, ahead: timedelta, now) -> float:
    """Milliseconds of CPU a recurring event takes to expand over the day a roll adds (dateutil's walk)."""
    with Session(engine) as session:
        events = session.exec(select(Event).where(col(Event.recurring))).all()
    end = now + ahead
    started = time.process_time()  # CPU time: the machine is shared
    for event in events:
        occurrences_of(event, [], end, end + timedelta(days=1))
    each = (time.process_time() - started) / max(len(events), 1) * 1000
    print(f"  walk of a recurring event to the day a roll adds: {each:.3f} ms ({len(events):,} events)")
    return each


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path, help="a store kept by `python -m bench.harvest --keep`")
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    run(args.store, args.days)


if __name__ == "__main__":
    main()
