"""Harvest benchmark: a hub harvesting a simulated network over HTTP on 127.0.0.1.

    python -m bench.harvest --nodes 200 [--database sqlite|postgresql] [--ics-share 0.1]

Prints, for each phase, the time, records per second, requests, rows written and the peak
memory (RSS) of the hub process: the first full harvest, a harvest that learns the ETag of
each node's empty page, an incremental harvest with nothing changed (all `304`), and one with
1 % of the nodes changed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import uvicorn
from sqlalchemy import event, text

from hub.db import make_engine, session_scope
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.migrate import upgrade
from hub.settings import Settings

POSTGRES_URL = os.environ.get("HUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _serve_network(port: int, nodes: int) -> None:
    from bench.simulator import make_app

    base_url = f"http://127.0.0.1:{port}"
    uvicorn.run(make_app(base_url, nodes, date.today()), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_network(nodes: int) -> tuple[multiprocessing.Process, str]:
    port = free_port()
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


class PeakMemory:
    """Peak resident memory of this process while a phase runs, sampled every 20 ms."""

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

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0


@dataclass
class Phase:
    name: str
    seconds: float
    records: int
    requests: int
    rows_written: int
    peak_rss: int
    failures: int

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0
        return (
            f"  {self.name:<34} {self.seconds:7.2f} s  {self.records:8d} records  {rate:9.0f} rec/s  "
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
        started = time.perf_counter()
        reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
        seconds = time.perf_counter() - started
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
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--ics-share", type=float, default=0.1, help="share of nodes harvested as iCalendar files"
    )
    args = parser.parse_args()
    network, base = start_network(args.nodes)
    schema = None
    try:
        if args.database == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/hub.db"
        else:
            url, schema = POSTGRES_URL, f"bench_{uuid.uuid4().hex[:8]}"
        settings = Settings(
            _env_file=None,
            role="hub",
            database_url=url,
            database_schema=schema,
            allowed_private_networks=["127.0.0.1/32"],
            harvest_retries=1,
        )
        engine = make_engine(url, schema)
        upgrade(engine, schema)
        every = round(1 / args.ics_share) if args.ics_share else 0
        with session_scope(engine) as session:
            for i in range(args.nodes):
                ics = every and i % every == every - 1
                url_i = f"{base}/n{i}/agenda.ics" if ics else f"{base}/n{i}"
                add_source(session, SourceIn(url=url_i, kind="ics" if ics else "node"), default_interval=3600)
        print(
            f"hub on {args.database}, {args.nodes} simulated nodes ({args.ics_share:.0%} as iCalendar files)"
        )
        phases = [run_phase("first full harvest", engine, settings)]
        phases.append(run_phase("second harvest (learns empty-page ETags)", engine, settings))
        phases.append(run_phase("incremental, nothing changed", engine, settings))
        changed = max(1, args.nodes // 100)
        for i in range(changed):
            httpx.post(f"{base}/n{i * 100 % args.nodes}/touch")
        phases.append(run_phase(f"incremental, 1 % changed ({changed} nodes)", engine, settings))
        for phase in phases:
            print(phase.line())
    finally:
        network.terminate()
        if schema:
            with make_engine(POSTGRES_URL).begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
