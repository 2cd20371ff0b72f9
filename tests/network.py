"""The demo network, served on 127.0.0.1 for hub tests: four nodes and a calendar-only place, and
a hub that harvested it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.demo.run import NODES, calendar_app, register_network, seed_network
from hub.federation.harvester import all_sources, harvest_many
from hub.settings import Settings
from tests.servers import Node, running_node, serve
from tests.stores import Store


@dataclass
class DemoNetwork:
    nodes: list[Node]
    tokens: list[str]
    calendar_url: str

    def harvested_by(self, engine: Engine, settings: Settings) -> str:
        """Register the network on a hub and harvest it over HTTP; the hub's admin token."""
        admin = register_network(
            engine,
            settings,
            [(n.base_url, t) for n, t in zip(self.nodes, self.tokens, strict=True)],
            self.calendar_url,
        )
        reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
        assert all(r.ok for r in reports), [r.error for r in reports]
        return admin


@contextmanager
def demo_network(directory: Path) -> Iterator[DemoNetwork]:
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(running_node(directory, f"node{i}", name=name))
            for i, name in enumerate(NODES)
        ]
        tokens = seed_network(
            [(n.settings, n.engine) for n in nodes], datetime.now(nodes[0].settings.zone).date()
        )
        calendar_base = stack.enter_context(serve(lambda _: calendar_app()))
        yield DemoNetwork(nodes, tokens, f"{calendar_base}/agenda.ics")


@contextmanager
def harvested_hub(store: Store, network) -> Iterator[TestClient]:
    """A hub on `store` that harvested the demo network over HTTP, as a client with an admin token."""
    settings = store.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    admin = network.harvested_by(store.engine, settings)
    with TestClient(create_app(settings, engine=store.engine)) as client:
        client.admin = {"Authorization": f"Bearer {admin}"}
        yield client


@contextmanager
def harvested_once(store: Store, network) -> Iterator[TestClient]:
    """`harvested_hub` for a whole module whose tests only read; the store is emptied after it."""
    try:
        with harvested_hub(store, network) as client:
            yield client
    finally:
        store.empty()
