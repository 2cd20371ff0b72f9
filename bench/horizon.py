"""The rolling horizon over a harvested network: a roll now, then the roll of each next day.

    python -m bench.horizon bench/out/hub-3500-0003-20261130.db [--days 2]

On a copy of a store kept by `python -m bench.harvest --keep`, times `roll_horizon` as a hub
runs it (a transaction per batch of events): a roll now, then one roll a day later for each
of `--days` days. Prints the time and occurrences written.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.harvest import hub_settings
from hub.events.occurrences import roll_horizon
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
        engine.dispose()
    return rolls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path, help="a store kept by `python -m bench.harvest --keep`")
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    run(args.store, args.days)


if __name__ == "__main__":
    main()
