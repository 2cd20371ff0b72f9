"""The production topology on 127.0.0.1, without containers: PostgreSQL, two API processes, two
harvest workers and the demo nodes. A worker is killed in the middle of a harvest and an API
process under load: the harvest completes on the other worker, no record is lost or duplicated,
and readers (going to the other process, as a load balancer would) get answers throughout."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import httpx
import pytest
from sqlmodel import Session, col, func, select

from hub.demo.run import register_network
from hub.events.models import Event, Occurrence
from hub.federation.jobs import defer_harvest, procrastinate_app, rescue_stalled
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.people.models import Person
from hub.places.models import Place
from hub.store.db import session_scope
from tests.hostile import SlowNodes
from tests.network import demo_network
from tests.processes import Output, harvests_queued, hub_api, hub_command, wait_until
from tests.servers import serve

SLOW_NODES = 16


class Readers:
    """Clients reading the calendar all along, from whichever API process answers."""

    def __init__(self, ports: list[int]) -> None:
        self.ports, self.answers, self.failures = ports, 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                for port in self.ports:
                    try:
                        if (
                            client.get(f"http://127.0.0.1:{port}/api/v1/occurrences?limit=20").status_code
                            == 200
                        ):
                            self.answers += 1
                            break
                    except httpx.TransportError:
                        continue
                else:
                    self.failures += 1
                time.sleep(0.02)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_killed_worker_and_api_process_lose_nothing_and_readers_are_served(db, tmp_path):
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"])
    # Slow enough that the harvest is still under way when the test looks (two workers take
    # six nodes at a time), however fast the workers write.
    nodes = SlowNodes(delay=1.5)
    with demo_network(tmp_path) as network, serve(nodes.app):
        register_network(
            db.engine,
            settings,
            [(n.base_url, t) for n, t in zip(network.nodes, network.tokens, strict=True)],
            network.calendar_url,
        )
        with session_scope(db.engine) as session:
            for i in range(SLOW_NODES):
                add_source(
                    session, SourceIn(url=f"{nodes.base_url}/n{i}", kind="node"), default_interval=3600
                )
            ids = [s.id for s in session.exec(select(Source)).all()]
        apis, _, ports = zip(*(hub_api(db) for _ in range(2)), strict=True)
        workers = [
            hub_command(["worker", "--concurrency", "3", "--heartbeat", "1", "--name", f"w{i}"], db)
            for i in (1, 2)
        ]
        outputs = [Output(worker) for worker in workers]
        readers = Readers(list(ports))
        try:
            for port in ports:
                wait_until(lambda p=port: _answers(p), 120, f"the API on port {port}")
            readers.thread.start()
            app = procrastinate_app(db.engine, settings)

            async def enqueue() -> None:
                async with app.open_async():
                    for source_id in ids:
                        await defer_harvest(app, source_id)

            asyncio.run(enqueue())
            # Mid-harvest: some slow nodes are done, others are being harvested.
            wait_until(lambda: 2 <= len(nodes.harvests) < SLOW_NODES, 60, "the harvest to be under way")
            workers[0].send_signal(signal.SIGKILL)
            apis[0].send_signal(signal.SIGKILL)

            async def rescue() -> None:
                async with app.open_async():
                    await rescue_stalled(app, seconds_since_heartbeat=3)

            def rescued_and_done() -> bool:
                # The dead worker's jobs go back to the queue once its heartbeat is 3 s old; done
                # is when no harvest waits or runs any more, so nothing can change what is held.
                asyncio.run(rescue())
                return _harvested(db) == len(ids) and harvests_queued(db.engine) == 0

            wait_until(rescued_and_done, 120, "every source to be harvested")
        finally:
            readers.stop.set()
            for process in [*apis, *workers]:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
    assert readers.failures == 0 and readers.answers > 20, [o.lines for o in outputs]
    published = {"place": 1 + SLOW_NODES, "event": 3, "person": 0}  # the local Grange; its 3 calendar events
    for node in network.nodes:
        with Session(node.engine) as session:
            published["place"] += session.exec(select(func.count()).select_from(Place)).one()
            published["event"] += session.exec(select(func.count()).select_from(Event)).one()
            published["person"] += session.exec(
                select(func.count()).select_from(Person).where(Person.profile_audience != "none")
            ).one()
    with Session(db.engine) as session:
        held = {
            kind: session.exec(select(func.count()).select_from(table)).one()
            for kind, table in (("place", Place), ("event", Event), ("person", Person))
        }
        assert held == published
        duplicated = session.exec(
            select(Occurrence.event_id, Occurrence.start_utc, func.count())
            .group_by(Occurrence.event_id, Occurrence.start_utc)
            .having(func.count() > 1)
        ).all()
        assert duplicated == []
        assert (
            session.exec(
                select(func.count()).select_from(Source).where(col(Source.last_error).is_not(None))
            ).one()
            == 0
        )


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _harvested(db) -> int:
    with Session(db.engine) as session:
        return session.exec(
            select(func.count()).select_from(Source).where(col(Source.last_success_at).is_not(None))
        ).one()
