"""A seeded node and a seeded hub served over real HTTP, for schemathesis to hold them to their contract.

`python -m tests.contract [schemathesis options]` serves both on 127.0.0.1 (SQLite in a temporary
folder) and runs the schemathesis CLI against each; the figures of its full run are in
bench/RESULTS.md. tests/test_openapi.py runs the same with fewer examples.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.demo.data import seed_fabrique
from hub.federation.registry import SourceIn, add_source
from hub.settings import Settings
from hub.store.db import session_scope
from tests.loopback import loopback_only
from tests.servers import running_node, serve

ADMIN_TOKEN = "contract-admin-token-0123456789abcdef"
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def seed(engine: Engine, settings: Settings) -> None:
    """The demo fablab with its recurring events and members; on a hub, a source it never harvests."""
    with session_scope(engine) as session:
        seed_fabrique(session, settings, datetime.now(settings.zone).date())
        if settings.role == "hub":
            add_source(session, SourceIn(url="https://noeud.example/"), default_interval=3600)


@contextmanager
def seeded(engine: Engine, make_settings) -> Iterator[str]:
    """Serve the app of `make_settings(base_url)` over `engine`, seeded; yields its base URL."""

    def make(base_url: str):
        settings = make_settings(base_url)
        seed(engine, settings)
        return create_app(settings, engine=engine)

    with serve(make) as base_url:
        yield base_url


def command(base_url: str, token: str, *options: str) -> list[str]:
    """The schemathesis CLI run against an instance, every check on, as the admin."""
    return [
        SCHEMATHESIS,
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        *options,
    ]


def main(options: list[str]) -> int:
    """Serve a seeded node and hub, run schemathesis against each; non-zero if any run fails."""
    failed = 0
    with tempfile.TemporaryDirectory() as directory, loopback_only():
        for role in ("node", "hub"):
            with running_node(Path(directory), role, role=role, admin_token=ADMIN_TOKEN) as node:
                seed(node.engine, node.settings)
                began = time.monotonic()
                run = subprocess.run(command(node.base_url, ADMIN_TOKEN, *options), check=False)
                print(f"{role}: exit {run.returncode} in {time.monotonic() - began:.0f} s", flush=True)
                failed |= run.returncode
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
