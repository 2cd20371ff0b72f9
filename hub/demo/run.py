"""`hub demo`: build the demo network from scratch and serve it over HTTP until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import datetime
from pathlib import Path

import uvicorn
from rich.console import Console

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.db import make_engine, session_scope
from hub.demo.data import seed_fabrique
from hub.migrate import upgrade
from hub.settings import Settings

console = Console()


def _node(data_dir: Path, host: str, port: int, name: str) -> tuple[Settings, str]:
    settings = Settings(
        role="node",
        name=name,
        database_url=f"sqlite:///{data_dir / f'node-{port}.db'}",
        base_url=f"http://{host}:{port}",
        allow_private_sources=True,
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        seed_fabrique(session, settings, datetime.now(settings.zone).date())
        _, token = create_token(session, "demo writer", ["write"])
    engine.dispose()
    return settings, token


async def _serve(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(server.serve() for server in servers))


def run_demo(*, host: str, base_port: int, data_dir: Path) -> None:
    """Fresh databases every run, so the demo always starts from the same story."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    node, token = _node(data_dir, host, base_port + 1, "La Fabrique du Bocage")
    servers = [
        uvicorn.Server(uvicorn.Config(create_app(node), host=host, port=base_port + 1, log_level="warning"))
    ]
    console.print(f"[bold]Demo node[/bold] {node.name}: {node.base_url}")
    for path in (
        "/api/v1/places",
        "/api/v1/occurrences",
        "/api/v1/people",
        "/feeds/events.ics",
        "/feeds/events.rss",
        "/docs",
    ):
        console.print(f"  {node.base_url}{path}")
    console.print(f"  write token: {token}")
    console.print("Ctrl-C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(servers))
