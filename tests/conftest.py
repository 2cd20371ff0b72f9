"""Fixtures: real, migrated databases (SQLite and PostgreSQL), apps built from test settings."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.settings import Settings
from tests.clock import MOMENTS, frozen_at
from tests.network import demo_network, harvested_hub
from tests.stores import ADMIN_TOKEN, Store, open_store


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
