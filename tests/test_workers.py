"""Harvest jobs on PostgreSQL: two `hub worker` processes share the sources, one source at a time."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

import pytest
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.federation.jobs import defer_harvest, procrastinate_app
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.places.models import Place
from hub.store.db import session_scope
from tests.servers import serve

SOURCES = 12


class SlowNodes:
    """Many minimal nodes under one server, each answering in `delay` seconds and counting overlaps."""

    def __init__(self, delay: float = 0.4) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.overlap: dict[str, int] = {}
        self.harvests: dict[str, int] = {}

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url

        async def descriptor(request: Request) -> JSONResponse:
            node = request.path_params["node"]
            base = f"{self.base_url}/{node}"
            return JSONResponse(
                {
                    "id": base + "/",
                    "type": "NodeDescriptor",
                    "name": node,
                    "role": "node",
                    "feeds": {"changes": f"{base}/api/v1/changes"},
                }
            )

        async def changes(request: Request) -> JSONResponse:
            node = request.path_params["node"]
            with self.lock:
                self.in_flight[node] = self.in_flight.get(node, 0) + 1
                self.overlap[node] = max(self.overlap.get(node, 0), self.in_flight[node])
                self.harvests[node] = self.harvests.get(node, 0) + 1
            await asyncio.sleep(self.delay)
            with self.lock:
                self.in_flight[node] -= 1
            place = {
                "id": f"{self.base_url}/{node}/places/1",
                "type": "Place",
                "name": f"Lieu {node}",
                "updated": "2026-01-01T00:00:00Z",
            }
            return JSONResponse(
                {"type": "ChangePage", "items": [place], "next_cursor": "end", "has_more": False}
            )

        return Starlette(
            routes=[
                Route("/{node}/.well-known/tiers-lieux", descriptor),
                Route("/{node}/api/v1/changes", changes),
            ]
        )


@pytest.fixture
def postgres(db):
    assert db.kind == "postgresql"
    return db


def _worker(db, name: str) -> subprocess.Popen:
    env = os.environ | {
        "HUB_DATABASE_URL": db.url,
        "HUB_DATABASE_SCHEMA": db.schema,
        "HUB_ROLE": "hub",
        "HUB_ALLOWED_PRIVATE_NETWORKS": '["127.0.0.1/32"]',
        "HUB_HARVEST_RETRIES": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "worker", "--concurrency", "4", "--name", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_two_workers_share_sources_and_never_harvest_one_twice_at_once(postgres):
    nodes = SlowNodes()
    hub_settings = postgres.settings(role="hub", allowed_private_networks=["127.0.0.1/32"])
    with serve(nodes.app):
        with session_scope(postgres.engine) as session:
            ids = [
                add_source(
                    session, SourceIn(url=f"{nodes.base_url}/n{i}", kind="node"), default_interval=3600
                ).id
                for i in range(SOURCES)
            ]
        app = procrastinate_app(postgres.engine, hub_settings)

        async def enqueue() -> None:
            async with app.open_async():
                for source_id in ids:
                    assert await defer_harvest(app, source_id)
                    assert not await defer_harvest(app, source_id)  # already queued: not twice
                    # A second job for the same source, queued on purpose: the lock must serialize them.
                    await app.configure_task("harvest_source", lock=f"source-{source_id}").defer_async(
                        source_id=source_id
                    )

        asyncio.run(enqueue())
        workers = [_worker(postgres, "worker-a"), _worker(postgres, "worker-b")]
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if len(nodes.harvests) == SOURCES and min(nodes.harvests.values()) >= 2:
                    break
                time.sleep(0.2)
            time.sleep(0.5)
        finally:
            for worker in workers:
                worker.terminate()
            outputs = [w.communicate(timeout=20)[0] for w in workers]
    # Every source harvested at least twice (its two jobs; the periodic scheduler may add one
    # for a source still due): none starved.
    assert len(nodes.harvests) == SOURCES and min(nodes.harvests.values()) >= 2, outputs
    assert set(nodes.overlap.values()) == {1}  # never the same source twice at once
    with Session(postgres.engine) as session:
        harvested = session.exec(select(Source).where(col(Source.last_success_at).is_not(None))).all()
        assert len(harvested) == SOURCES
        assert len(session.exec(select(Place)).all()) == SOURCES
