"""Engine and sessions for the one store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, event, make_url
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

# Stable constraint names, so alembic migrations read the same on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata
IDLE_IN_TRANSACTION_MS = 60_000
SQLITE_MMAP_BYTES = 4 * 1024**3
SQLITE_CACHE_KIB = 32 * 1024
SQLITE_POOL = 40  # anyio's thread pool: 40 threads
ANALYSIS_ROWS = 1000  # rows sampled per index by ANALYZE


def make_engine(database_url: str, schema: str | None = None, *, writer: bool = True) -> Engine:
    """Build the engine; SQLite gets foreign keys and WAL, PostgreSQL a search_path.

    On SQLite, a writer engine opens every transaction with BEGIN IMMEDIATE: writers queue for
    the lock up front instead of failing when a read turns into a write, and SAVEPOINTs work
    (pysqlite's own transaction handling breaks them). Readers keep SQLite's default, so they
    never wait for a writer.
    """
    if database_url.startswith("sqlite"):
        # Connections kept open for as many reads as the thread pool runs at once: beyond
        # SQLAlchemy's default of 5, each read opened (and set up) a connection of its own.
        in_memory = make_url(database_url).database in (None, "", ":memory:")
        pool = {} if in_memory else {"pool_size": SQLITE_POOL, "max_overflow": SQLITE_POOL}
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            sqlite_pragmas(dbapi_conn)
            if writer:
                dbapi_conn.isolation_level = None

        if writer:

            @event.listens_for(engine, "begin")
            def _begin_immediate(connection) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A transaction left idle (its process frozen or gone without the socket closing) would hold
    # its locks until TCP noticed; PostgreSQL ends it instead. No transaction here waits on purpose.
    options = f"-cidle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
    connect_args = {"options": f"{options} -csearch_path={schema}" if schema else options}
    return create_engine(
        database_url, connect_args=connect_args, pool_size=10, max_overflow=10, pool_pre_ping=True
    )


def sqlite_pragmas(dbapi_conn) -> None:
    """How every connection to a SQLite store is set up (the storage floor's too: bench/storage.py)."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Pages read through a memory map and a 32 MiB cache a connection, not a system call
    # a page and SQLite's 2 MiB default: a calendar page at 3,500 nodes reads thousands.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's query planner the sizes of tables and indexes (a sample, a few ms): without
    them it takes `canonical_id IS NULL` for a narrow index, and lists a day of the calendar by
    reading every event. PostgreSQL's autovacuum keeps its own statistics."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_ROWS}")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reader_of(engine: Engine) -> Engine:
    """The engine to read with next to a writer engine: on SQLite, one whose transactions do not
    queue for the write lock (a writer's BEGIN IMMEDIATE does, even to read one row); elsewhere
    the engine itself."""
    if engine.dialect.name != "sqlite":
        return engine
    if engine not in _readers:
        _readers[engine] = make_engine(engine.url.render_as_string(hide_password=False), writer=False)
    return _readers[engine]


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
