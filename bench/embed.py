"""The embeddable agenda: its transferred size, and its time to first render against the demo hub.

    python -m bench.embed [--runs 10]

Serves the demo network and a hub that harvested it (SQLite) on 127.0.0.1, and a partner page
on another origin holding `<tiers-lieux-agenda>`. A fresh headless Chromium context (empty cache)
loads the partner page `--runs` times; each time we note when the first event appears in the
component's shadow root and the browser's first contentful paint, both from navigation start.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from hub.api.app import create_app
from hub.demo.run import register_network
from hub.federation.harvester import all_sources, harvest_many
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine
from tests.browser import browser
from tests.network import demo_network
from tests.servers import serve

PARTNER = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title>
<link rel="icon" href="data:,"><script src="{hub}/embed/agenda.js" type="module"></script></head>
<body><main><h1>Agenda</h1><tiers-lieux-agenda></tiers-lieux-agenda></main></body></html>"""
FIRST_EVENT = "() => document.querySelector('tiers-lieux-agenda')?.shadowRoot?.querySelector('li.ev')"
TIMINGS = """() => ({
  event: performance.now(),
  paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
})"""


def harvested_hub(directory: Path, stack: ExitStack) -> str:
    """A hub on SQLite that harvested the demo network, served; returns its URL."""
    (directory / "network").mkdir()
    network = stack.enter_context(demo_network(directory / "network"))
    url = f"sqlite:///{directory}/hub.store.db"
    options = {"role": "hub", "allowed_private_networks": ["127.0.0.1/32"], "harvest_in_process": False}
    settings = Settings(_env_file=None, database_url=url, **options)
    engine = make_engine(url)
    upgrade(engine)
    nodes = [(n.base_url, t) for n, t in zip(network.nodes, network.tokens, strict=True)]
    register_network(engine, settings, nodes, network.calendar_url)
    asyncio.run(harvest_many(engine, settings, all_sources(engine)))
    return stack.enter_context(
        serve(lambda base: create_app(settings.model_copy(update={"base_url": base}), engine=engine))
    )


def script_size(hub: str) -> tuple[int, int]:
    """The component's size as served, and as transferred with gzip."""
    response = httpx.get(f"{hub}/embed/agenda.js", headers={"Accept-Encoding": "gzip"})
    response.raise_for_status()
    transferred = response.num_bytes_downloaded
    assert response.headers.get("content-encoding") == "gzip", "the hub should gzip its script"
    return len(response.content), transferred or len(gzip.compress(response.content))


def first_renders(partner: str, runs: int) -> list[dict]:
    timings = []
    with browser() as chromium:
        for _ in range(runs):
            context = chromium.new_context()
            page = context.new_page()
            page.goto(partner)
            page.wait_for_function(FIRST_EVENT, polling="raf")
            timings.append(page.evaluate(TIMINGS))
            context.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    run(args.runs)


def run(runs: int) -> None:
    with ExitStack() as stack:
        hub = harvested_hub(Path(stack.enter_context(tempfile.TemporaryDirectory())), stack)
        partner = stack.enter_context(serve(lambda _: Starlette(routes=[Route("/", page_for(hub))])))
        served, transferred = script_size(hub)
        print(f"agenda.js: {served:,} bytes served, {transferred:,} bytes transferred with gzip")
        timings = first_renders(partner, runs)
    events = sorted(t["event"] for t in timings)
    paints = sorted(t["paint"] for t in timings if t["paint"] is not None)
    print(
        f"first event shown, from navigation start, {runs} cold loads: "
        f"median {statistics.median(events):.0f} ms, slowest {events[-1]:.0f} ms"
    )
    if paints:
        print(f"first contentful paint: median {statistics.median(paints):.0f} ms")


def page_for(hub: str):
    async def partner_page(request) -> HTMLResponse:
        return HTMLResponse(PARTNER.format(hub=hub))

    return partner_page


if __name__ == "__main__":
    main()
