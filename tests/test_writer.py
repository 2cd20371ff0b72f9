"""SQLite's one writer: pages of different sources share a transaction, each in a SAVEPOINT of its
own; a page that fails rolls back alone, and a page's caller hears how it went once committed."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlmodel import Session

from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.federation.writer import Writer
from hub.store.db import session_scope

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def sources(engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        urls = [f"https://lieu-{i}.example" for i in range(count)]
        return [add_source(session, SourceIn(url=url), default_interval=3600).id for url in urls]


def names(engine, ids: list[int]) -> list[str | None]:
    with Session(engine) as session:
        return [session.get(Source, i).name for i in ids]


def naming(name: str, gate: threading.Event | None = None):
    """A page's work: name its source (after `gate` opens, when given)."""

    def work(session, source: Source) -> str:
        if gate is not None:
            assert gate.wait(5)
        source.name = name
        return name

    return work


def failing(session, source: Source) -> None:
    source.name = "à moitié écrit"
    session.flush()
    raise ValueError("une page refusée")


async def grouped(writer: Writer, gate: threading.Event, pages: list[tuple[int, object]], **landed):
    """Give the writer `pages` while the first one waits at `gate`, so that they share its transaction."""
    tasks = []
    for source_id, work in pages:
        tasks.append(asyncio.ensure_future(writer.write(source_id, work, landed.get(str(source_id)))))
        await asyncio.sleep(0)  # the page is queued
    gate.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_a_failing_page_in_a_shared_transaction_rolls_back_alone_and_the_pages_beside_it_land(db):
    ids = sources(db.engine, 3)

    async def scenario():
        writer, gate = Writer(db.engine), threading.Event()
        try:
            pages = [(ids[0], naming("Fabrique", gate)), (ids[1], failing), (ids[2], naming("Atelier"))]
            return await grouped(writer, gate, pages), writer.transactions
        finally:
            await writer.close()

    (first, second, third), transactions = asyncio.run(scenario())
    assert (first, third) == ("Fabrique", "Atelier")
    assert isinstance(second, ValueError)
    assert transactions == 1
    assert names(db.engine, ids) == ["Fabrique", None, "Atelier"]


def test_a_deadline_while_a_page_waits_in_a_shared_transaction_lets_it_commit_whole_first(db):
    ids = sources(db.engine, 2)
    landed: list[str] = []

    async def scenario():
        writer, gate = Writer(db.engine), threading.Event()
        beside = None
        started = time.monotonic()
        try:
            async with asyncio.timeout(0.05):
                first = writer.write(ids[0], naming("Fabrique", gate), landed.append)
                beside = asyncio.ensure_future(writer.write(ids[1], naming("Atelier")))
                threading.Timer(0.3, gate.set).start()
                await first
        except TimeoutError:
            waited = time.monotonic() - started
            return waited, await beside, writer.transactions
        finally:
            await writer.close()

    waited, beside, transactions = asyncio.run(scenario())
    # The deadline passed at 0.05 s; its caller heard of it once the page was committed, at 0.3 s.
    assert waited >= 0.3
    assert landed == ["Fabrique"] and beside == "Atelier" and transactions == 1
    assert names(db.engine, ids) == ["Fabrique", "Atelier"]


def test_a_page_failure_that_ends_the_shared_transaction_has_each_page_applied_alone(db, caplog):
    # Some of SQLite's errors roll the whole transaction back, beyond the failing page's SAVEPOINT:
    # the pages before it, rolled back with it, are applied again on their own.
    ids = sources(db.engine, 3)

    def ending(session, source: Source) -> None:
        session.connection().exec_driver_sql("ROLLBACK")
        raise ValueError("la transaction est finie")

    async def scenario():
        writer, gate = Writer(db.engine), threading.Event()
        try:
            pages = [(ids[0], naming("Fabrique", gate)), (ids[1], ending), (ids[2], naming("Atelier"))]
            return await grouped(writer, gate, pages)
        finally:
            await writer.close()

    first, second, third = asyncio.run(scenario())
    assert (first, third) == ("Fabrique", "Atelier")
    assert isinstance(second, ValueError)
    assert "each is applied alone" in caplog.text
    assert names(db.engine, ids) == ["Fabrique", None, "Atelier"]
