"""Harvest jobs: the same job function runs on procrastinate (PostgreSQL) or in-process (SQLite).

On PostgreSQL, `hub worker` processes share the work: a periodic task defers one job per due
source, with a queueing lock (never two queued) and a lock (never two running) per source;
failed jobs are retried. On SQLite, `hub serve --role hub` runs the same function on a simple
in-process loop.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine

from hub.federation.fetch import Fetcher
from hub.federation.harvester import SourceReport, due_sources, harvest_many, harvest_source
from hub.settings import Settings

log = logging.getLogger(__name__)
SCHEDULER_TICK_SECONDS = 30
STALLED_SECONDS = 30  # a worker silent this long (it beats every 10 s) is taken for dead


async def harvest_job(engine: Engine, settings: Settings, source_id: int) -> SourceReport:
    """The job: harvest one source with its own client."""
    async with Fetcher(settings) as fetcher:
        return await harvest_source(engine, settings, fetcher, source_id)


async def run_in_process(engine: Engine, settings: Settings, *, tick: float = SCHEDULER_TICK_SECONDS) -> None:
    """SQLite's scheduler: harvest whatever is due, then sleep a tick; forever."""
    while True:
        try:
            due = await asyncio.to_thread(due_sources, engine)
            if due:
                await harvest_many(engine, settings, due)
        except Exception:
            log.exception("the in-process harvest scheduler failed a round; it goes on")
        await asyncio.sleep(tick)


def _connector(engine: Engine, schema: str | None):
    from procrastinate import PsycopgConnector

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    options = {"options": f"-csearch_path={schema}"} if schema else {}
    return PsycopgConnector(conninfo=url, kwargs=options)


def procrastinate_app(engine: Engine, settings: Settings):
    """The procrastinate app of this hub, its tasks bound to this engine and these settings."""
    import procrastinate
    from procrastinate import RetryStrategy

    app = procrastinate.App(connector=_connector(engine, settings.database_schema))

    @app.task(
        name="harvest_source", queue="harvest", retry=RetryStrategy(max_attempts=3, exponential_wait=10)
    )
    async def harvest_source_task(source_id: int) -> None:
        report = await harvest_job(engine, settings, source_id)
        log.info("harvested source %s: %s", source_id, report.error or "ok", extra={"source_id": source_id})

    @app.periodic(cron="* * * * *", periodic_id="schedule")
    @app.task(name="schedule_harvests", queue="schedule", queueing_lock="schedule_harvests")
    async def schedule_harvests(timestamp: int) -> int:
        await rescue_stalled(app)
        due = await asyncio.to_thread(due_sources, engine)
        for source_id in due:
            await defer_harvest(app, source_id)
        return len(due)

    return app


async def defer_harvest(app, source_id: int) -> bool:
    """Queue a harvest of one source unless one is already queued; False when it was."""
    from procrastinate.exceptions import AlreadyEnqueued

    try:
        await app.configure_task(
            "harvest_source", lock=f"source-{source_id}", queueing_lock=f"source-{source_id}"
        ).defer_async(source_id=source_id)
    except AlreadyEnqueued:
        return False
    return True


async def rescue_stalled(app, *, seconds_since_heartbeat: float = STALLED_SECONDS) -> int:
    """Put back in the queue the harvests of workers that died mid-job (no heartbeat for a while):
    another worker takes them up from the source's last applied page. Returns how many.

    When a fresh harvest of that source is already queued, the dead one is closed as failed
    instead: the queued one does the work."""
    from procrastinate.exceptions import UniqueViolation
    from procrastinate.jobs import Status

    stalled = await app.job_manager.get_stalled_jobs(
        task_name="harvest_source", seconds_since_heartbeat=seconds_since_heartbeat
    )
    for job in stalled:
        source_id = job.task_kwargs.get("source_id")
        log.warning(
            "harvest job %s of a dead worker goes back to the queue", job.id, extra={"source_id": source_id}
        )
        try:
            await app.job_manager.retry_job(job)
        except UniqueViolation:
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
    return len(stalled)


def apply_queue_schema(engine: Engine, schema: str | None) -> bool:
    """Install procrastinate's tables on PostgreSQL once; returns whether it did."""
    import procrastinate
    from sqlalchemy import inspect

    if engine.dialect.name != "postgresql":
        return False
    if "procrastinate_jobs" in inspect(engine).get_table_names(schema=schema):
        return False
    app = procrastinate.App(connector=_connector(engine, schema))

    async def apply() -> None:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()

    asyncio.run(apply())
    return True
