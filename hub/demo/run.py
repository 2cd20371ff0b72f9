"""`hub demo`: build the demo network from scratch, harvest it over HTTP, serve it until Ctrl-C.

hub      http://127.0.0.1:8000   harvests everything below
nodes    http://127.0.0.1:8001   La Fabrique du Bocage (fablab and coworking)
         http://127.0.0.1:8002   L'Escale Coworking
         http://127.0.0.1:8003   Le Fournil Partagé (village third place)
         http://127.0.0.1:8004   L'Atelier des Possibles (makerspace)
calendar http://127.0.0.1:8005/agenda.ics   La Grange aux Savoirs (no node, just a calendar)

With `--port 0` each server takes a free port of its own, and the URLs printed say which.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import socket
import time
from datetime import date, datetime
from pathlib import Path

import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.demo import network, shared_programme
from hub.demo.data import seed_fabrique
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.places.service import create_place
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope
from hub.web.live import SHUTDOWN_GRACE_SECONDS

console = Console()
NODES = ["La Fabrique du Bocage", "L'Escale Coworking", "Le Fournil Partagé", "L'Atelier des Possibles"]
DEMO_INTERVAL = 300


def _settings(data_dir: Path, host: str, port: int, name: str, role: str) -> Settings:
    return Settings(
        _env_file=None,
        role=role,
        name=name,
        database_url=f"sqlite:///{data_dir / f'{role}-{port}.db'}",
        base_url=f"http://{host}:{port}",
        allowed_private_networks=["127.0.0.0/8"],
        harvest_interval_seconds=DEMO_INTERVAL,
    )


def seed_network(nodes: list[tuple[Settings, Engine]], today: date) -> list[str]:
    """Seed four migrated nodes (fablab, coworking, village, makerspace) with the demo story;
    returns the harvest token each issued."""
    fabrique, escale, fournil, atelier = nodes
    with session_scope(escale[1]) as session:
        escale_place = network.escale_place(session, escale[0])
    with session_scope(fabrique[1]) as session:
        seeded = seed_fabrique(session, fabrique[0], today, network.forum(today, escale_place.iri))
        fabrique_iri = f"{fabrique[0].base_url}/places/{seeded['place']}"
    with session_scope(escale[1]) as session:
        network.seed_escale(session, escale[0], today, escale_place.id, network.forum(today, fabrique_iri))
    with session_scope(fabrique[1]) as session:
        shared = shared_programme.seed_fabrique_programme(session, fabrique[0], today)
    with session_scope(escale[1]) as session:
        shared_programme.seed_escale_programme(session, escale[0], shared)
    with session_scope(fournil[1]) as session:
        network.seed_fournil(session, fournil[0], today)
    with session_scope(atelier[1]) as session:
        network.seed_atelier(session, atelier[0], today)
    tokens = []
    for _, engine in nodes:
        with session_scope(engine) as session:
            tokens.append(create_token(session, "demo hub", ["harvest"])[1])
    return tokens


def _build_nodes(data_dir: Path, host: str, ports: list[int]) -> list[tuple[Settings, str]]:
    """Four nodes with their data; returns each node's settings and the harvest token it issued."""
    nodes = [_settings(data_dir, host, port, name, "node") for port, name in zip(ports, NODES, strict=True)]
    engines = [make_engine(s.database_url) for s in nodes]
    for engine in engines:
        upgrade(engine)
    tokens = seed_network(list(zip(nodes, engines, strict=True)), datetime.now(nodes[0].zone).date())
    for engine in engines:
        engine.dispose()
    return list(zip(nodes, tokens, strict=True))


def register_network(engine: Engine, hub: Settings, nodes: list[tuple[str, str]], calendar_url: str) -> str:
    """On a migrated hub: the calendar-only place, the five sources; returns a coordinator token."""
    with session_scope(engine) as session:
        grange = create_place(session, hub.base_url, network.GRANGE)
        for url, token in nodes:
            add_source(session, SourceIn(url=url, kind="node", token=token), default_interval=DEMO_INTERVAL)
        add_source(
            session, SourceIn(url=calendar_url, kind="ics", place=grange.id), default_interval=DEMO_INTERVAL
        )
        return create_token(session, "demo coordinator", ["admin"])[1]


def _build_hub(data_dir: Path, host: str, port: int, nodes, calendar_url: str) -> tuple[Settings, str]:
    hub = _settings(data_dir, host, port, "Réseau des tiers-lieux du bocage", "hub")
    engine = make_engine(hub.database_url)
    upgrade(engine)
    admin = register_network(engine, hub, [(node.base_url, token) for node, token in nodes], calendar_url)
    engine.dispose()
    return hub, admin


def calendar_app() -> Starlette:
    """Serves the calendar-only place's iCalendar file, with an ETag."""

    async def agenda(request: Request) -> Response:
        body = network.grange_calendar(datetime.now(Settings().zone).date())
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type="text/calendar; charset=utf-8", headers={"ETag": etag})

    return Starlette(routes=[Route("/agenda.ics", agenda)])


async def _serve_and_harvest(servers: list[tuple[uvicorn.Server, socket.socket]], hub: Settings) -> None:
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    while not all(server.started for server, _ in servers):
        if any(task.done() for task in tasks):
            for task in tasks:
                task.result()  # a server failed to start: say why
        await asyncio.sleep(0.05)
    engine = make_engine(hub.database_url)
    started = time.perf_counter()
    reports = await harvest_many(engine, hub, all_sources(engine))
    elapsed = time.perf_counter() - started
    engine.dispose()
    title = f"First harvest of the demo network, over HTTP, in {elapsed:.2f} s"
    table = Table("source", "records", "outcome", title=title)
    for r in sorted(reports, key=lambda r: r.source_id):
        s = r.stats
        table.add_row(
            r.url, str(s.new + s.updated + s.unchanged), f"[red]{r.error}[/red]" if r.error else "ok"
        )
    console.print(table)
    _print_urls(hub)
    await asyncio.gather(*tasks)


def _print_urls(hub: Settings) -> None:
    console.print(f"[bold]Hub[/bold] {hub.name}: {hub.base_url}")
    console.print(f"  pages: {hub.base_url}/ (agenda), /places, /people, /stats, /sources, /wall (live wall)")
    console.print(f"  the agenda for other sites: {hub.base_url}/embed")
    for path in (
        "/api/v1/occurrences",
        "/api/v1/events",
        "/api/v1/places",
        "/api/v1/people?skill=impression%203d",
        "/api/v1/sources",
        "/feeds/events.ics",
        "/feeds/events.rss",
        "/.well-known/tiers-lieux",
        "/docs",
    ):
        console.print(f"  {hub.base_url}{path}")


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before any server starts: port 0 gets a free one."""
    return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)


def run_demo(*, host: str, base_port: int, data_dir: Path) -> None:
    """Fresh databases every run, so the demo always starts from the same story."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    sockets = [_listen(host, base_port + i if base_port else 0) for i in range(6)]
    ports = [sock.getsockname()[1] for sock in sockets]
    nodes = _build_nodes(data_dir, host, ports[1:5])
    calendar_url = f"http://{host}:{ports[5]}/agenda.ics"
    hub, admin = _build_hub(data_dir, host, ports[0], nodes, calendar_url)

    def server(app) -> uvicorn.Server:
        return uvicorn.Server(
            uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)
        )

    apps = [create_app(hub), *(create_app(node) for node, _ in nodes), calendar_app()]
    servers = [(server(app), sock) for app, sock in zip(apps, sockets, strict=True)]
    console.print("[bold]Demo nodes[/bold] (everything here is fictional):")
    for node, _ in nodes:
        console.print(f"  {node.name}: {node.base_url}")
    console.print(f"  La Grange aux Savoirs (calendar only): {calendar_url}")
    console.print(f"Coordinator token (admin on the hub): {admin}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_and_harvest(servers, hub))
