"""Fixtures: real, migrated databases (SQLite and PostgreSQL), apps built from test settings."""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.settings import Settings
from tests.clock import MOMENTS, frozen_at
from tests.hostile import Hostile
from tests.loopback import loopback_only
from tests.network import demo_network, harvested_hub
from tests.servers import serve
from tests.stores import ADMIN_TOKEN, Store, open_store


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under `--dist loadgroup`, a test marked `xdist_group` carries its group in its id: that is
    what sends the group to one worker. pytest 9.2 with pytest-xdist 3.8 lost it without a word,
    and each grouped module built its networks and browsers on both workers: such a pair fails."""
    grouped = getattr(item.config.option, "loadgroup", False) and item.get_closest_marker("xdist_group")
    if grouped and "@" not in item.nodeid:
        pytest.fail("pytest-xdist did not put this test in its group (see the pin of pytest in pyproject)")


@pytest.fixture(scope="session", autouse=True)
def no_way_out() -> Iterator[None]:
    """No test goes further than 127.0.0.0/8 (tests/loopback.py)."""
    with loopback_only():
        yield


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory) -> Iterator[Store]:
    """A migrated database of each kind, shared by the tests of one worker."""
    yield from open_store(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture
def db(store: Store) -> Iterator[Store]:
    """The store, emptied after the test (thesauri kept)."""
    yield store
    store.empty()


@pytest.fixture
def settings(db: Store) -> Settings:
    return db.settings()


@pytest.fixture
def app(settings: Settings, db: Store):
    return create_app(settings, engine=db.engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def network_attempts(monkeypatch) -> list[tuple]:
    """Every way out to the network refuses and is recorded; a test asserts the list stays empty."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is refused in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return attempts


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """The demo network (four nodes and a calendar-only place) served on 127.0.0.1 for a module."""
    with demo_network(tmp_path_factory.mktemp("network")) as running:
        yield running


@pytest.fixture(params=MOMENTS)
def any_day(request) -> Iterator[datetime | None]:
    """Today, or a date that broke date-sensitive code, the clock frozen there for the test.
    Ask for it before the fixtures that should see that date."""
    with frozen_at(request.param) as moment:
        yield moment


@pytest.fixture
def hub(db, network) -> Iterator[TestClient]:
    """A hub that harvested the demo network, for one test."""
    with harvested_hub(db, network) as client:
        yield client


@pytest.fixture(scope="module")
def chromium_browser(store):
    """Headless Chromium, once per module and database. Launched after the store exists:
    migrating PostgreSQL runs an event loop, which Playwright's sync API forbids in its thread."""
    from tests.browser import browser

    with browser() as launched:
        yield launched


@pytest.fixture
def writer() -> dict[str, str]:
    """Headers of a client allowed to write."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def hub_env(db, monkeypatch):
    """The `hub` command's settings (HUB_* variables) for a hub over the test's store."""
    monkeypatch.setenv("HUB_DATABASE_URL", db.url)
    if db.schema:
        monkeypatch.setenv("HUB_DATABASE_SCHEMA", db.schema)
    monkeypatch.setenv("HUB_ROLE", "hub")
    return db


@pytest.fixture
def calendar_url() -> Iterator[str]:
    """A calendar of three events, served on 127.0.0.1."""
    with serve(Hostile().app) as base_url:
        yield f"{base_url}/agenda.ics"


@pytest.fixture
def page_without_events() -> Iterator[str]:
    """A page served on 127.0.0.1 that is no calendar nor holds any event."""
    hostile = Hostile()
    hostile.mode = "wrong-type"
    with serve(hostile.app) as base_url:
        yield f"{base_url}/agenda"


@pytest.fixture
def closed_port() -> Iterator[str]:
    """A URL on a port bound by no server that listens: connections to it are refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}/agenda.ics"


@pytest.fixture
def connections(monkeypatch) -> list:
    """Every connection aiohttp opens, recorded (a test of a refusal asserts there is none)."""
    opened: list = []
    original = asyncio.BaseEventLoop.create_connection

    async def record(self, *args, **kwargs):
        opened.append((args, kwargs))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", record)
    return opened
