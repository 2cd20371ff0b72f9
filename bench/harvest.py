"""Harvest benchmark: a hub harvesting a simulated network over HTTP on 127.0.0.1.

    python -m bench.harvest --nodes 200 [--database sqlite|postgresql] [--ics-share 0.1] [--workers 1 2]
                            [--reuse STORE] [--keep]

Prints, for each phase, the time, records per second, requests, rows written and the peak
memory (RSS) of the hub process: the first full harvest (on SQLite, followed by its storage
floor: the same rows inserted with bare sqlite3, `bench/storage.py`), a harvest that learns the ETag of
each node's empty page, three incremental harvests with nothing changed (all `304`), and one
with 1 % of the nodes changed. After the first and the unchanged harvests, the ceiling: bare HTTP
clients sending the same requests at the same concurrency and decoding the answers, and the
ratio of the hub's time to the fastest of them. On PostgreSQL, `--workers` also times the
first full harvest by that many `hub worker` processes sharing the job queue.

All simulated nodes share one host, 127.0.0.1, where a real network has one host per node: the
hub's per-host limit is raised to its concurrency so that it is not what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvicorn
from sqlalchemy import event, text
from sqlmodel import Session, func, select

from bench import storage
from bench.ceiling import Ask, Ceiling, fastest, measure
from hub.events.models import Event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.jobs import apply_queue_schema, defer_harvest, procrastinate_app
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.people.models import Person
from hub.places.models import Place
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope

UNCHANGED_ROUNDS = 3
POSTGRES_URL = os.environ.get("HUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _serve_network(port: int, nodes: int) -> None:
    from bench.simulator import make_app

    base_url = f"http://127.0.0.1:{port}"
    uvicorn.run(make_app(base_url, nodes, date.today()), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_network(nodes: int, port: int | None = None) -> tuple[multiprocessing.Process, str]:
    """The simulated network in a child process; on `port` to serve a store harvested earlier
    (its records are minted under that address)."""
    port = port or free_port()
    process = multiprocessing.Process(target=_serve_network, args=(port, nodes), daemon=True)
    process.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/n0/.well-known/tiers-lieux", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the simulated network did not start")


def rss(pid: int | str = "self") -> int:
    """Resident memory of a process, in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


class PeakMemory:
    """Peak resident memory of processes (this one by default) while a phase runs, sampled every 20 ms;
    of several processes, the peak of their sum."""

    def __init__(self, pids: list[int | str] | None = None) -> None:
        self.pids = pids or ["self"]

    def __enter__(self) -> PeakMemory:
        self.peak, self._stop = self._rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def _rss(self) -> int:
        return sum(rss(pid) for pid in self.pids)


@dataclass
class Phase:
    name: str
    seconds: float
    records: int
    requests: int
    rows_written: int
    peak_rss: int
    failures: int
    cpu: float = 0.0  # seconds of CPU of the hub's process (the simulated network runs in another)

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0
        return (
            f"  {self.name:<34} {self.seconds:7.2f} s  cpu {self.cpu:7.2f} s  {self.records:8d} records  "
            f"{rate:9.0f} rec/s  "
            f"{self.requests:6d} requests  {self.rows_written:8d} rows written  "
            f"peak RSS {self.peak_rss / 2**20:6.0f} MiB  failures {self.failures}"
        )


def run_phase(name: str, engine, settings: Settings) -> Phase:
    writes = [0]

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes[0] += cursor.rowcount if cursor.rowcount and cursor.rowcount > 0 else 1

    event.listen(engine, "after_cursor_execute", count)
    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    event.remove(engine, "after_cursor_execute", count)
    records = sum(r.stats.new + r.stats.updated + r.stats.unchanged for r in reports)
    return Phase(
        name,
        seconds,
        records,
        sum(r.requests for r in reports),
        writes[0],
        memory.peak,
        sum(1 for r in reports if r.error),
        cpu,
    )


def hub_settings(url: str, schema: str | None) -> Settings:
    concurrency = Settings.model_fields["harvest_concurrency"].default
    return Settings(
        _env_file=None,
        role="hub",
        database_url=url,
        database_schema=schema,
        allowed_private_networks=["127.0.0.1/32"],
        harvest_retries=1,
        harvest_per_host=concurrency,
    )


def checkpoint(path: Path) -> None:
    """Move what the WAL holds into the SQLite file itself, so the file alone is the store."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


class Store:
    """A hub store: a fresh SQLite file (or a copy of one harvested earlier), or a fresh PostgreSQL
    schema dropped at the end."""

    def __init__(self, database: str, copy_of: Path | None = None) -> None:
        if database == "sqlite":
            self.file = Path(tempfile.mkdtemp()) / "hub.store.db"
            if copy_of:
                shutil.copyfile(copy_of, self.file)
            self.url, self.schema = f"sqlite:///{self.file}", None
        else:
            self.file = None
            self.url, self.schema = POSTGRES_URL, f"bench_{uuid.uuid4().hex[:8]}"
        self.settings = hub_settings(self.url, self.schema)
        self.engine = make_engine(self.url, self.schema)
        upgrade(self.engine, self.schema)

    def network_port(self) -> int | None:
        """The port of the simulated network this store was harvested from, if it was."""
        with Session(self.engine) as session:
            source = session.exec(select(Source).limit(1)).first()
        return urlsplit(source.url).port if source else None

    def keep(self, path: Path) -> None:
        """Keep a copy of this SQLite store at `path` for the query benchmark."""
        checkpoint(self.file)
        shutil.copyfile(self.file, path.with_suffix(".partial"))
        path.with_suffix(".partial").rename(path)

    def register(self, base: str, nodes: int, ics_share: float) -> None:
        every = round(1 / ics_share) if ics_share else 0
        with session_scope(self.engine) as session:
            for i in range(nodes):
                ics = every and i % every == every - 1
                url = f"{base}/n{i}/agenda.ics" if ics else f"{base}/n{i}"
                add_source(session, SourceIn(url=url, kind="ics" if ics else "node"), default_interval=3600)

    def records(self) -> int:
        with Session(self.engine) as session:
            return sum(
                session.exec(select(func.count()).select_from(t)).one() for t in (Place, Event, Person)
            )

    def drop(self) -> None:
        self.engine.dispose()
        if self.file:
            shutil.rmtree(self.file.parent)
        if self.schema:
            with make_engine(POSTGRES_URL).begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


def first_asks(engine) -> list[Ask]:
    """What the hub fetched in its first harvest: each node's descriptor and whole feed, each calendar."""
    asks = []
    with Session(engine) as session:
        for source in session.exec(select(Source)):
            if source.kind == "node":
                asks += [Ask(source.url + "/.well-known/tiers-lieux"), Ask(f"{source.feed_url}?limit=200")]
            else:
                asks.append(Ask(source.url))
    return asks


def conditional_asks(engine) -> list[Ask]:
    """What the hub sends when nothing changed: each feed after its cursor, each calendar, with ETags."""
    with Session(engine) as session:
        return [
            Ask(f"{s.feed_url}?limit=200&since={s.cursor}", s.etag)
            if s.kind == "node"
            else Ask(s.url, s.etag)
            for s in session.exec(select(Source))
        ]


def ceiling(label: str, hub: Phase | None, asks: list[Ask], concurrency: int) -> list[Ceiling]:
    runs = fastest(asks, concurrency)
    print(f"ceiling of the {label}: {len(asks)} requests, concurrency {concurrency}")
    for run in runs:
        print(run.line())
    if hub:
        print(f"  ratio hub / fastest client: {hub.seconds / runs[0].seconds:.1f}x")
    return runs


def storage_floor(file: Path, first: Phase) -> float:
    """Seconds bare sqlite3 takes to insert the rows the first harvest wrote; prints the hub's ratio,
    in time and in CPU (on a shared machine, CPU time is what the load disturbs least): to the
    inserts' CPU, and to the CPU of the whole floor (reading the rows and building its empty store
    too), the figure printed before 2026-12-06."""
    print("storage floor of the first full harvest: its rows inserted with bare sqlite3")
    whole = time.process_time()
    seconds, cpu = storage.run(file)
    whole = time.process_time() - whole
    rates = f"{first.records / first.seconds:.0f} against {first.records / seconds:.0f} rec/s"
    print(f"  ratio hub / storage floor: {first.seconds / seconds:.1f}x ({rates})")
    print(f"  ratio in CPU time: {first.cpu / cpu:.1f}x ({first.cpu:.2f} against {cpu:.2f} s)")
    print(f"  ratio to the whole floor's CPU: {first.cpu / whole:.1f}x (against {whole:.2f} s)")
    return seconds


def _worker(store: Store, name: str) -> subprocess.Popen:
    env = os.environ | {
        "HUB_DATABASE_URL": store.url,
        "HUB_DATABASE_SCHEMA": store.schema or "",
        "HUB_ROLE": "hub",
        "HUB_ALLOWED_PRIVATE_NETWORKS": '["127.0.0.1/32"]',
        "HUB_HARVEST_RETRIES": "1",
        "HUB_HARVEST_PER_HOST": str(store.settings.harvest_per_host),
    }
    command = [sys.executable, "-m", "hub.cli", "worker", "--concurrency", "25", "--name", name]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_workers(workers: int, base: str, nodes: int, ics_share: float) -> Phase:
    """The first full harvest by `hub worker` processes on PostgreSQL, from queueing to the last job."""
    store = Store("postgresql")
    try:
        store.register(base, nodes, ics_share)
        apply_queue_schema(store.engine, store.schema)
        app = procrastinate_app(store.engine, store.settings)

        async def enqueue() -> None:
            async with app.open_async():
                for source_id in all_sources(store.engine):
                    await defer_harvest(app, source_id)

        started = time.perf_counter()
        asyncio.run(enqueue())
        processes = [_worker(store, f"bench-{i}") for i in range(workers)]
        pending = text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
        try:
            with PeakMemory([p.pid for p in processes]) as memory:
                with store.engine.connect() as connection:
                    while connection.execute(pending).scalar_one():
                        connection.commit()
                        time.sleep(0.2)
                seconds = time.perf_counter() - started
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        with store.engine.connect() as connection:
            failed = connection.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
            ).scalar_one()
        return Phase(
            f"first full harvest, {workers} worker(s)", seconds, store.records(), 0, 0, memory.peak, failed
        )
    finally:
        store.drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--ics-share", type=float, default=0.1, help="share of nodes harvested as iCalendar files"
    )
    parser.add_argument("--reuse", type=Path, help="a SQLite store that harvested this network today")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=[],
        help="on PostgreSQL, also harvest with these many workers",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the SQLite store for the query benchmark (bench/out/)"
    )
    args = parser.parse_args()
    from bench.query import store_path  # the query benchmark builds on this one

    keep = store_path(args.nodes) if args.keep else None
    run(args.nodes, args.database, args.ics_share, args.workers, reuse=args.reuse, keep=keep)


def run(
    nodes: int,
    database: str,
    ics_share: float,
    workers: list[int],
    *,
    reuse: Path | None = None,
    keep: Path | None = None,
) -> list[Phase]:
    """Every phase, printed as it ends; the ceilings are printed after the phase they bound.

    With `reuse`, a SQLite store that already harvested this network today stands for the first
    full harvest (its time is the one printed when it was built); with `keep`, the store
    harvested here is kept for the query benchmark."""
    store = Store(database, copy_of=reuse)
    network, base = start_network(nodes, store.network_port())
    # The simulator builds a node when first asked: build them all before anything is timed.
    measure("aiohttp", [Ask(f"{base}/n{i}/.well-known/tiers-lieux") for i in range(nodes)], 50)
    phases: list[Phase] = []

    def phase(name: str) -> Phase:
        phases.append(run_phase(name, store.engine, store.settings))
        print(phases[-1].line())
        return phases[-1]

    try:
        concurrency = store.settings.harvest_concurrency
        if reuse:
            print(f"hub on a copy of {reuse}, {nodes} simulated nodes")
            first = None
        else:
            store.register(base, nodes, ics_share)
            print(f"hub on {database}, {nodes} simulated nodes ({ics_share:.0%} as iCalendar files)")
            first = phase("first full harvest")
            if keep:  # before anything else can fail: this store took the longest to build
                store.keep(keep)
            if store.file:
                storage_floor(store.file, first)
        ceiling("first full harvest", first, first_asks(store.engine), concurrency)
        phase("second harvest (learns empty-page ETags)")
        # About a second each at 3,500 nodes, easily disturbed: the best of a few, hub and clients alike.
        hub_best, client_best = float("inf"), float("inf")
        for i in range(UNCHANGED_ROUNDS):
            unchanged = phase(f"incremental, nothing changed ({i + 1}/{UNCHANGED_ROUNDS})")
            runs = ceiling(
                "incremental harvest, nothing changed", unchanged, conditional_asks(store.engine), concurrency
            )
            hub_best, client_best = min(hub_best, unchanged.seconds), min(client_best, runs[0].seconds)
        print(f"  ratio hub / fastest client, best of {UNCHANGED_ROUNDS} each: {hub_best / client_best:.1f}x")
        changed = max(1, nodes // 100)
        for i in range(changed):
            httpx.post(f"{base}/n{i * 100 % nodes}/touch")
        phase(f"incremental, 1 % changed ({changed} nodes)")
        for count in workers if database == "postgresql" else []:
            phases.append(run_workers(count, base, nodes, ics_share))
            print(phases[-1].line())
        return phases
    finally:
        store.drop()
        network.terminate()


if __name__ == "__main__":
    main()
