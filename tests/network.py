"""The demo network, served on 127.0.0.1 for hub tests: four nodes and a calendar-only place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.demo.run import NODES, calendar_app, seed_network
from tests.servers import Node, running_node, serve


@dataclass
class DemoNetwork:
    nodes: list[Node]
    tokens: list[str]
    calendar_url: str


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
