"""The floor of storing a harvest: the rows a first harvest wrote, inserted with nothing else.

    python -m bench.storage bench/out/hub-3500-0003-20261130.db [--rows-per-transaction 10000]

Reads every row of the harvested records' tables from a store built by the harvest benchmark
(`--keep`) and inserts them, with the bare `sqlite3` module, into a fresh store of the same
schema and settings (same indexes, the connection set up as the hub's: foreign keys checked, WAL,
synchronous=NORMAL, its cache and memory map), in transactions of 10,000 rows (or as many as
`--rows-per-transaction` says: a harvest commits a page, a few hundred rows, at a time). No parsing,
validation, expansion or duplicate search: what SQLite itself costs for the rows the hub writes.
The first harvest's ceiling (bare clients fetching and decoding) leaves this cost out; the two
together bound what any hub on SQLite could do.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from hub.setup import upgrade
from hub.store.db import make_engine, sqlite_pragmas

# The tables a harvest writes, parents first (the sources, which records name, before them).
TABLES = (
    "source",
    "place",
    "equipment",
    "event",
    "eventorganizer",
    "eventconcept",
    "eventoverride",
    "occurrence",
    "eventlink",
    "person",
    "personskill",
    "personplace",
    "change",
)
CHUNK = 10_000


def fresh_store(directory: Path) -> Path:
    path = directory / "floor.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def copy_rows(source: Path, target: Path, chunk: int = CHUNK) -> list[tuple[str, int, float, float]]:
    """Insert every row of each table of `source` into `target`; (table, rows, seconds, seconds of
    CPU) each, the inserts alone (not reading the rows)."""
    reading = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writing = sqlite3.connect(target, isolation_level=None)
    sqlite_pragmas(writing)
    timings = []
    for table in TABLES:
        columns = [row[1] for row in reading.execute(f'PRAGMA table_info("{table}")')]
        names = ", ".join(f'"{c}"' for c in columns)
        statement = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
        writing.execute(f'DELETE FROM "{table}"')
        rows = reading.execute(f'SELECT {names} FROM "{table}"').fetchall()
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(rows), chunk):
            writing.execute("BEGIN IMMEDIATE")
            writing.executemany(statement, rows[start : start + chunk])
            writing.execute("COMMIT")
        timings.append((table, len(rows), time.perf_counter() - started, time.process_time() - cpu))
    reading.close()
    writing.close()
    return timings


def run(store: Path, chunk: int = CHUNK) -> tuple[float, float]:
    """The seconds the inserts took, and their seconds of CPU."""
    with tempfile.TemporaryDirectory() as directory:
        timings = copy_rows(store, fresh_store(Path(directory)), chunk)
    for table, rows, seconds, cpu in timings:
        print(f"  {table:<16} {rows:>10,} rows  {seconds:7.2f} s  cpu {cpu:7.2f} s")
    total, cpu = sum(t[2] for t in timings), sum(t[3] for t in timings)
    print(f"  {'all tables':<16} {sum(t[1] for t in timings):>10,} rows  {total:7.2f} s  cpu {cpu:7.2f} s")
    return total, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path, help="a store kept by `python -m bench.harvest --keep`")
    parser.add_argument("--rows-per-transaction", type=int, default=CHUNK)
    args = parser.parse_args()
    run(args.store, args.rows_per_transaction)


if __name__ == "__main__":
    main()
