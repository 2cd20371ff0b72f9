"""What a request reads with, for the API and the pages alike: the settings, sessions, and the
refusal of query parameters a route does not take."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.filters import LimitQuery, names_of, refuse_unknown
from hub.http.readers import on_readers
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
    """Run `work` with a read session on the reader threads: one hop for a whole read."""

    def run() -> T:
        with read_session(request.app.state.read_engine) as session:
            return work(session)

    return await on_readers(request.app.state.settings, run)


async def in_write_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` with a write session in the thread pool, and commit when it returns (a refusal
    it raises leaves nothing written)."""

    def run() -> T:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            result = work(session)
            session.commit()
            return result

    return await run_in_threadpool(run)


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for writing; the route commits."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' and its query models' included."""
    names = set()
    for field in dependant.query_params:
        model = field.field_info.annotation
        names |= (
            names_of(model) if isinstance(model, type) and issubclass(model, BaseModel) else {field.alias}
        )
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


async def refuse_unknown_parameters(request: Request) -> None:
    refuse_unknown(request.query_params.keys(), query_names(request.scope["route"].dependant))


# On a router or a route: a query parameter it does not declare is refused, named.
KnownParameters = Depends(refuse_unknown_parameters)


async def get_limit(settings: SettingsDep, query: Annotated[LimitQuery, Query()]) -> int:
    return query.most(settings)


LimitDep = Annotated[int, Depends(get_limit)]
