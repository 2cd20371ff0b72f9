"""`/healthz` (the process lives), `/readyz` (the database answers, migrations at head), `/metrics`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hub.api.problems import problem_response
from hub.errors import PROBLEM_BASE
from hub.federation.harvester import due_sources
from hub.observability import QUEUE_DEPTH
from hub.store.migrate import schema_is_usable

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def _ready(engine: Engine) -> str | None:
    """None when ready, else why not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if not schema_is_usable(engine):
            return "the database is behind this code's migrations: run `hub db upgrade`"
    except Exception as exc:
        return f"the database does not answer ({type(exc).__name__})"
    return None


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    problem = await asyncio.to_thread(_ready, request.app.state.engine)
    if problem is not None:
        return problem_response(503, PROBLEM_BASE + "not-ready", "Not ready", problem, request.url.path)
    return Response(b'{"status":"ready"}', media_type="application/json")


def _queue_depth(engine: Engine) -> int:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            try:
                return connection.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
                ).scalar_one()
            except Exception:
                return 0
    return len(due_sources(engine))


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if request.app.state.settings.role == "hub":
        QUEUE_DEPTH.set(await asyncio.to_thread(_queue_depth, request.app.state.engine))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
