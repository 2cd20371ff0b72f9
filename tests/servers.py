"""Real HTTP servers on 127.0.0.1 for federation tests: nodes, hubs and hostile sources."""

from __future__ import annotations

import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uvicorn
from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.settings import Settings
from hub.setup import new_feed_epoch, upgrade
from hub.store.db import make_engine, session_scope


@contextmanager
def serve(make_app: Callable[[str], object]) -> Iterator[str]:
    """Serve the app `make_app(base_url)` builds, on a free port of 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = make_app(base_url)
    # Requests still under way at the end (a slow or endless hostile source) are cut after a second.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Node:
    """A node (or a hub) of its own, with its own SQLite store, served over HTTP."""

    base_url: str
    settings: Settings
    engine: Engine

    def harvest_token(self) -> str:
        with session_scope(self.engine) as session:
            return create_token(session, "a hub", ["harvest"])[1]

    def session(self):
        return session_scope(self.engine)


@cache
def _migrated_template() -> tuple[tempfile.TemporaryDirectory, Path]:
    """One SQLite store migrated for the whole test process (its folder kept as long as it is)."""
    folder = tempfile.TemporaryDirectory(prefix="hub-node-template-")
    path = Path(folder.name) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return folder, path


def fresh_sqlite(database: Path) -> Engine:
    """A fresh migrated SQLite store at `database`: a copy of the process's template (`hub db
    upgrade` loads the thesauri in seconds, a copy takes milliseconds) with a feed epoch of its own,
    as an upgrade gives each instance."""
    template = sqlite3.connect(_migrated_template()[1])
    with closing(template), closing(sqlite3.connect(database)) as copy:
        template.backup(copy)
    engine = make_engine(f"sqlite:///{database}")
    new_feed_epoch(engine)
    return engine


@contextmanager
def running_node(directory: Path, label: str, *, role: str = "node", **overrides) -> Iterator[Node]:
    """A node with a fresh SQLite store; `role="hub"` for a hub other hubs harvest."""
    database = directory / f"{label}.db"
    holder: dict = {}

    def make(base_url: str):
        settings = Settings(
            _env_file=None,
            role=role,
            name=overrides.pop("name", label),
            database_url=f"sqlite:///{database}",
            base_url=base_url,
            allowed_private_networks=["127.0.0.1/32"],
            harvest_in_process=False,
            harvest_retries=0,
            **{"rate_limit_per_minute": 0, **overrides},
        )
        engine = fresh_sqlite(database)
        holder["node"] = Node(base_url, settings, engine)
        return create_app(settings, engine=engine)

    with serve(make):
        yield holder["node"]
    holder["node"].engine.dispose()
