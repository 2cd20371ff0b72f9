"""Fixtures: real, migrated databases (SQLite and PostgreSQL), apps built from test settings."""

from __future__ import annotations

import os
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine
from hub.store.tables import metadata
from tests.clock import MOMENTS, frozen_at

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
BASE_URL = "http://testserver"
# Loaded once per database by `hub db upgrade`; every other table is emptied after each test.
KEPT_TABLES = {"concept", "conceptlabel", "alembic_version"}
KEPT_STATE = "('thesauri_digest', 'epoch')"


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


@dataclass
class Store:
    kind: str
    url: str
    schema: str | None
    engine: Engine

    def settings(self, **overrides) -> Settings:
        values = {
            "database_url": self.url,
            "database_schema": self.schema,
            "base_url": BASE_URL,
            "admin_token": ADMIN_TOKEN,
            "name": "Test node",
            "horizon_days_ahead": 3650,
            # One client (the test) reads pages and searches far faster than a person: tests of the
            # rate limit turn it on.
            "rate_limit_per_minute": 0,
            **overrides,
        }
        return Settings(_env_file=None, **values)

    def empty(self) -> None:
        tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEPT_TABLES]
        with self.engine.begin() as connection:
            if self.kind == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables if t.name != "feedstate")
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    if table.name != "feedstate":
                        connection.execute(table.delete())
            connection.execute(text(f"DELETE FROM feedstate WHERE key NOT IN {KEPT_STATE}"))


def open_store(kind: str, tmp_dir) -> Iterator[Store]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_dir / 'hub.store.db'}"
        engine = make_engine(url)
        upgrade(engine)
        yield Store(kind, url, None, engine)
        engine.dispose()
        return
    problem = postgres_reachable()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is unreachable at {POSTGRES_URL} and CI=true: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = make_engine(POSTGRES_URL, schema)
    upgrade(engine, schema)
    try:
        yield Store(kind, POSTGRES_URL, schema, engine)
    finally:
        engine.dispose()
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


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
    from tests.network import demo_network

    with demo_network(tmp_path_factory.mktemp("network")) as running:
        yield running


@pytest.fixture(params=MOMENTS)
def any_day(request) -> Iterator[datetime | None]:
    """Today, or a date that broke date-sensitive code, the clock frozen there for the test.
    Ask for it before the fixtures that should see that date."""
    with frozen_at(request.param) as moment:
        yield moment


@contextmanager
def harvested_hub(store: Store, network) -> Iterator[TestClient]:
    """A hub on `store` that harvested the demo network over HTTP, as a client with an admin token."""
    settings = store.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    admin = network.harvested_by(store.engine, settings)
    with TestClient(create_app(settings, engine=store.engine)) as client:
        client.admin = {"Authorization": f"Bearer {admin}"}
        yield client


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
