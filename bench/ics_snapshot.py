"""One big iCalendar file harvested by a hub on SQLite: time, records per second, peak memory.

    python -m bench.ics_snapshot --events 200000 [--page-size 200]

A generated calendar (short events as a busy shared calendar exports them; one in a hundred a
weekly series whose moved occurrence is written at the end of the file, far from its series)
is served by a child process on 127.0.0.1 and harvested by a hub on a fresh SQLite store, in
this process, with the default settings but its deadlines. Then once more, unchanged (the
server sends no ETag, so the file is read and compared again). Prints, for each, the time,
events a second, pages (transactions) and the peak resident memory of this process
(`ru_maxrss`, which only grows: the first harvest's peak is the one that counts).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import shutil
import tempfile
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.harvest import free_port, rss
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope

SERIES_EVERY = 100  # one event in a hundred is a weekly series with a moved occurrence


def calendar(events: int, year: int) -> bytes:
    """`events` events over the year, about 90 bytes each (a start, a title, no end)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//Snapshot//FR", "X-WR-TIMEZONE:Europe/Paris"]
    moved = []
    for n in range(events):
        day = f"{year}{1 + n // 28 % 12:02d}{1 + n % 28:02d}"
        lines += ["BEGIN:VEVENT", f"UID:{n}@b", f"DTSTART:{day}T1{n % 10}0000"]
        lines.append(f"SUMMARY:Atelier {n}")
        if n % SERIES_EVERY == 0:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=8")
            moved += ["BEGIN:VEVENT", f"UID:{n}@b", f"RECURRENCE-ID:{day}T1{n % 10}0000"]
            moved += [f"DTSTART:{day}T1{n % 10}3000", "SUMMARY:Déplacé", "END:VEVENT"]
        lines.append("END:VEVENT")
    return ("\r\n".join([*lines, *moved, "END:VCALENDAR"]) + "\r\n").encode()


def _serve(port: int, events: int, year: int) -> None:
    body = calendar(events, year)

    class Calendar(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Calendar).serve_forever()


def start_server(events: int) -> tuple[multiprocessing.Process, str, int]:
    """The calendar served by a child process; its URL and size once it answers."""
    port = free_port()
    process = multiprocessing.Process(target=_serve, args=(port, events, date.today().year + 1), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{port}/agenda.ics"
    for _ in range(600):
        try:
            return process, url, len(httpx.get(url, timeout=60).content)
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the calendar server did not start")


def run(events: int, page_size: int | None = None) -> list[tuple[str, float, int, int, int]]:
    """Harvest a calendar of `events` events twice; (phase, seconds, events, pages, peak RSS) each."""
    process, url, size = start_server(events)
    directory = Path(tempfile.mkdtemp())
    phases = []
    try:
        database = f"sqlite:///{directory / 'hub.store.db'}"
        settings = Settings(
            _env_file=None,
            role="hub",
            database_url=database,
            allowed_private_networks=["127.0.0.1/32"],
            harvest_source_timeout=7200,
            harvest_round_timeout=7200,
            **({"harvest_page_size": page_size} if page_size else {}),
        )
        engine = make_engine(database)
        upgrade(engine)
        with session_scope(engine) as session:
            add_source(session, SourceIn(url=url, kind="ics"), default_interval=3600)
        print(
            f"calendar of {events:,} events ({events // SERIES_EVERY:,} of them weekly series with a moved "
            f"occurrence), {size / 1e6:.1f} MB; pages of {settings.harvest_page_size}; "
            f"RSS before harvesting {rss() / 2**20:.0f} MiB"
        )
        for name in ("first harvest", "unchanged, read again"):
            started = time.perf_counter()
            [report] = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
            seconds = time.perf_counter() - started
            if not report.ok:
                raise RuntimeError(f"{name}: {report.error}")
            read = report.stats.new + report.stats.updated + report.stats.unchanged
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            phases.append((name, seconds, read, report.pages, peak))
            print(
                f"  {name:<22} {seconds:8.2f} s  {read:8,} events  {read / seconds:6.0f} events/s  "
                f"{report.pages:5} pages  peak RSS {peak / 2**20:5.0f} MiB"
            )
        engine.dispose()
    finally:
        process.terminate()
        shutil.rmtree(directory)
    return phases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, help="events per page (default: the setting's default)")
    args = parser.parse_args()
    run(args.events, args.page_size)


if __name__ == "__main__":
    main()
