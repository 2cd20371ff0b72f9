"""What a request reads with, for the API and the pages alike: the settings, and sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.settings import Settings

T = TypeVar("T")
READ_BUDGET_MS = 5000


# Dependencies that do no I/O are `async def`: FastAPI runs them inline instead of handing
# each one to the thread pool (a hop per dependency costs more than the work).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading. On PostgreSQL a read gets a time budget: a query too wide for it
    ends in a problem document asking to narrow it, not in a timeout of the client."""
    with Session(engine, expire_on_commit=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL statement_timeout = {READ_BUDGET_MS}"))
        yield session


def get_session(request: Request) -> Iterator[Session]:
    with read_session(request.app.state.read_engine) as session:
        yield session


async def in_read_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` with a read session in the thread pool: one hop for a whole read."""

    def run() -> T:
        with read_session(request.app.state.read_engine) as session:
            return work(session)

    return await run_in_threadpool(run)


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for writing; the route commits."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
