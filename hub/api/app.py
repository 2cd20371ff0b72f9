"""The application factory: one FastAPI app per settings object."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from hub import __version__
from hub.activitypub.delivery import run_deliveries
from hub.activitypub.remote import ActorCache
from hub.api import (
    activitypub,
    animators,
    corrections,
    docs,
    events,
    federation,
    feeds,
    health,
    links,
    needs,
    people,
    places,
    problems,
    programmes,
    sources,
    stats,
    vocabulary,
)
from hub.api.headers import SecurityHeaders
from hub.api.ratelimit import Buckets, RateLimit, limited_in_openapi
from hub.auth.tokens import scopes_of
from hub.federation.jobs import run_in_process
from hub.horizon import roll_if_due
from hub.http.cache import PerVersion, VersionProbe, current_version
from hub.http.common_deps import read_session
from hub.http.compression import Compress
from hub.kit.bounded import BoundedMap
from hub.needs.service import purge_needs
from hub.observability import RequestContext, configure_logging
from hub.settings import Settings
from hub.store.db import make_engine, reader_of, refresh_statistics
from hub.web import (
    agenda,
    coordination,
    directory,
    embed,
    event,
    figures,
    needs_pages,
    programme,
    publish,
    publish_equipment,
    publish_events,
    publish_needs,
    signin,
    sitemap,
    wall,
)
from hub.web import animators as animators_page
from hub.web.assets import Assets
from hub.web.live import VersionWatch

log = logging.getLogger(__name__)
HORIZON_CHECK_SECONDS = 3600

DESCRIPTION = """Open API of a tiers-lieux node (and, on a hub, of the whole network it harvests).

Reads are open to all. Writes need a bearer token issued by `hub tokens create`.
Every error is an RFC 9457 problem document naming the offending field. A query parameter an
operation does not list is refused the same way (422, named), except `lang`, the cache buster `_`
and campaign tags (`utm_*`, `fbclid`, `gclid`): every operation takes them, and ignores them
unless it lists them.
"""


async def _keep_horizon(app: FastAPI) -> None:
    """Every hour: roll the occurrence horizon when due, delete the needs expired long enough
    ago, and refresh the planner's statistics (harvests and rolls change the tables' sizes)."""
    while True:
        try:
            await asyncio.to_thread(roll_if_due, app.state.engine, app.state.settings)
        except Exception:
            log.exception("rolling the occurrence horizon failed; will retry")
        try:
            await asyncio.to_thread(purge_needs, app.state.engine, app.state.settings)
        except Exception:
            log.exception("deleting expired needs failed; will retry")
        try:
            await asyncio.to_thread(refresh_statistics, app.state.engine)
        except Exception:
            log.exception("refreshing the planner's statistics failed; will retry")
        await asyncio.sleep(HORIZON_CHECK_SECONDS)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    tasks = [asyncio.create_task(_keep_horizon(app))]
    if settings.role == "hub" and settings.is_sqlite and settings.harvest_in_process:
        # On SQLite the hub harvests in-process; on PostgreSQL, `hub worker` processes do.
        tasks.append(asyncio.create_task(run_in_process(app.state.engine, settings)))
    if settings.activitypub_enabled:
        tasks.append(asyncio.create_task(run_deliveries(app.state.engine, settings)))
    try:
        yield
    finally:
        if app.state.version_probe is not None:
            app.state.version_probe.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _known(app: FastAPI, token: str) -> bool:
    """Whether a bearer token is valid (then its client reads without a budget)."""
    with read_session(app.state.read_engine) as session:
        return bool(scopes_of(session, token, app.state.settings.admin_token))


def freeze_heap() -> None:
    """Before serving: what a started process holds (modules, the app) is never garbage, and is
    kept out of the collector's full passes, which scanned its 220,000 objects for 120 to 190 ms
    in the middle of requests (the worst of cold reads at 16 clients, bench/RESULTS.md). Tests,
    which build apps by the hundred in one process, do not."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, *, engine=None) -> FastAPI:
    """Build the app for these settings (tests pass their own engine to share a database)."""
    app = FastAPI(
        title=f"Tiers-lieux {settings.role} API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, settings.database_schema)
    app.state.read_cache = BoundedMap()
    app.state.session_signer = signin.signer(settings)
    app.state.page_cache = BoundedMap()
    app.state.page_choices = PerVersion()
    app.state.read_engine = reader_of(app.state.engine)
    sqlite = app.state.engine.dialect.name == "sqlite"
    app.state.version_probe = VersionProbe(app.state.read_engine) if sqlite else None
    app.state.wall_cache = BoundedMap(entries=64)
    app.state.wall_watch = VersionWatch(
        lambda: current_version(app), settings.wall_poll_seconds, settings.wall_streams_max
    )
    app.add_middleware(Compress)
    if settings.rate_limit_per_minute:
        buckets = Buckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        app.add_middleware(RateLimit, buckets=buckets, known=lambda token: _known(app, token))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "Accept", "Accept-Language"],
        expose_headers=["ETag", "Location", "Retry-After"],
        max_age=86400,
    )
    problems.install(app)
    app.add_middleware(RequestContext)
    app.add_middleware(SecurityHeaders)
    for module in (
        health,
        places,
        events,
        people,
        needs,
        animators,
        programmes,
        vocabulary,
        feeds,
        federation,
    ):
        app.include_router(module.router)
    if settings.activitypub_enabled:
        app.state.actor_cache = ActorCache(settings)
        app.include_router(activitypub.router)
    for web in (
        agenda,
        event,
        directory,
        figures,
        embed,
        sitemap,
        signin,
        publish,
        publish_events,
        publish_equipment,
        publish_needs,
        needs_pages,
        wall,
        programme,
    ):
        app.include_router(web.router)
    app.mount("/static", Assets(), name="static")
    docs.install(app)
    if settings.role == "hub":
        app.include_router(sources.router)
        app.include_router(links.router)
        app.include_router(corrections.router)
        app.include_router(coordination.router)
        app.include_router(animators_page.router)
        app.include_router(stats.router)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = limited_in_openapi(problems.problems_in_openapi(schema))
        return app.openapi_schema

    app.openapi = openapi
    return app


def app_from_env() -> FastAPI:
    """The app of the `HUB_*` settings, for `uvicorn --factory hub.api.app:app_from_env`."""
    settings = Settings()
    configure_logging()
    return create_app(settings)
