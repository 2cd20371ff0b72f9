"""`hub` commands run as processes of their own, their output read as it comes, and waits on
conditions rather than on the clock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Output:
    """What a process writes to its stdout, read line by line in a thread (so the pipe never
    fills and blocks it) and searched as it comes."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.lines: list[str] = []
        self.closed = False
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def _search(self, pattern: str) -> re.Match | None:
        return next(filter(None, (re.search(pattern, line) for line in self.lines)), None)

    def wait_for(self, pattern: str, seconds: float) -> re.Match:
        """The first line matching `pattern`, once written; fails if the process ends or
        `seconds` pass before."""
        with self.changed:
            self.changed.wait_for(lambda: self._search(pattern) or self.closed, seconds)
            found = self._search(pattern)
        if found is None:
            raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")
        return found


def hub_command(args: list[str], db) -> subprocess.Popen:
    """`hub <args>` as a hub on the test store `db`, harvesting 127.0.0.1 without retries."""
    env = os.environ | {
        "HUB_DATABASE_URL": db.url,
        "HUB_DATABASE_SCHEMA": db.schema,
        "HUB_ROLE": "hub",
        "HUB_ALLOWED_PRIVATE_NETWORKS": '["127.0.0.1/32"]',
        "HUB_HARVEST_RETRIES": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def hub_api(db) -> tuple[subprocess.Popen, Output, int]:
    """`hub serve --role hub` on a port the system chose, with the port it reports."""
    process = hub_command(["serve", "--role", "hub", "--port", "0"], db)
    output = Output(process)
    port = int(output.wait_for(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", 120)[1])
    return process, output, port


def harvests_queued(engine: Engine) -> int:
    """Harvest jobs waiting or running in procrastinate's queue (PostgreSQL)."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs"
                " WHERE task_name = 'harvest_source' AND status IN ('todo', 'doing')"
            )
        ).scalar_one()
