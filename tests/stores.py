"""Real, migrated databases for the tests: SQLite in a temporary folder, PostgreSQL in a schema
of its own, each emptied between tests but for what `hub db upgrade` loads once."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine
from hub.store.tables import metadata

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
                _empty_postgresql(connection, [t for t in tables if t.name != "feedstate"])
            else:
                for table in tables:
                    if table.name != "feedstate":
                        connection.execute(table.delete())
            connection.execute(text(f"DELETE FROM feedstate WHERE key NOT IN {KEPT_STATE}"))


def _empty_postgresql(connection, tables: list) -> None:
    """Delete the rows of the tables a test filled (children first) and restart every sequence.

    TRUNCATE costs PostgreSQL a new file per table: 0.17 s for the 29 tables, as long as a test
    itself. A test fills a few tables with a few rows, which DELETE removes in a millisecond."""
    probe = " UNION ALL ".join(f"(SELECT '{t.name}' FROM \"{t.name}\" LIMIT 1)" for t in tables)
    filled = {name for (name,) in connection.execute(text(probe))}
    for table in tables:
        if table.name in filled:
            connection.execute(table.delete())
    counters = [
        f"pg_get_serial_sequence('\"{t.name}\"', '{c.name}')"
        for t in tables
        for c in t.primary_key.columns
        if c.autoincrement is True or (c.autoincrement == "auto" and c.type.python_type is int)
    ]
    connection.execute(text(f"SELECT setval(s, 1, false) FROM unnest(ARRAY[{', '.join(counters)}]) s"))


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
            _end_sessions_left_in(connection, schema)
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _end_sessions_left_in(connection, schema: str) -> None:
    """End the sessions still holding locks on the schema's tables, naming their last statement.

    A connection left in a transaction (a test's thread still running, a connection never given
    back) made the DROP SCHEMA wait for PostgreSQL to end it (`idle_in_transaction_session_timeout`,
    60 s). The sessions ended are this store's alone: each test process has a schema of its own."""
    left = connection.execute(
        text(
            "SELECT DISTINCT a.pid, a.state, left(a.query, 200) FROM pg_locks l"
            " JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
        ),
        {"schema": schema},
    ).all()
    for pid, state, query in left:
        warnings.warn(f"a session was left {state} in the test store, ended: {query}", stacklevel=1)
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
