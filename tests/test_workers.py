"""Harvest jobs on PostgreSQL: two `hub worker` processes share the sources, one source at a time."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, col, select

from hub.federation.jobs import defer_harvest, procrastinate_app
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.places.models import Place
from hub.store.db import session_scope
from tests.hostile import SlowNodes
from tests.processes import Output, harvests_queued, hub_command, wait_until
from tests.servers import serve

SOURCES = 12


@pytest.fixture
def postgres(db):
    assert db.kind == "postgresql"
    return db


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
        workers = [
            hub_command(["worker", "--concurrency", "4", "--name", name], postgres)
            for name in ("worker-a", "worker-b")
        ]
        outputs = [Output(worker) for worker in workers]
        try:
            # Until no harvest waits or runs: what the workers did is then all there is to see.
            wait_until(lambda: harvests_queued(postgres.engine) == 0, 90, "the queue to be drained")
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=20)
    # Every source harvested at least twice (its two jobs; the periodic scheduler may add one
    # for a source still due): none starved.
    assert len(nodes.harvests) == SOURCES and min(nodes.harvests.values()) >= 2, [o.lines for o in outputs]
    assert set(nodes.overlap.values()) == {1}  # never the same source twice at once
    with Session(postgres.engine) as session:
        harvested = session.exec(select(Source).where(col(Source.last_success_at).is_not(None))).all()
        assert len(harvested) == SOURCES
        assert len(session.exec(select(Place)).all()) == SOURCES
