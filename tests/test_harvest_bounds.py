"""Every harvest ends: a change feed must move its cursor, a harvest takes a bounded number of
pages, each source and each round has a deadline, and each source's health is written as soon
as it ends, whatever the others do."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from hub.events.models import Event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.store.db import session_scope
from tests.hostile import ChangeFeed, Hostile, harvesting_hub
from tests.processes import wait_until
from tests.servers import serve

POLL_LIMIT = 30  # seconds a test waits for what it expects before it fails


@pytest.fixture
def hub_settings(db):
    return harvesting_hub(db, harvest_retries=0)


@pytest.fixture
def calendar():
    state = Hostile()
    with serve(state.app) as base_url:
        state.url = base_url
        yield state


def register(engine, url: str, kind: str = "node") -> int:
    with session_scope(engine) as session:
        return add_source(session, SourceIn(url=url, kind=kind), default_interval=3600).id


def harvest(engine, settings):
    return asyncio.run(harvest_many(engine, settings, all_sources(engine)))


def source(engine, source_id: int) -> Source:
    with Session(engine) as session:
        return session.get(Source, source_id)


def events_of(engine, feed: ChangeFeed) -> set[str]:
    with Session(engine) as session:
        return {iri for iri in session.exec(select(Event.iri)).all() if iri.startswith(feed.url)}


def test_a_change_feed_whose_cursor_never_moves_fails_after_one_repeated_page(db, hub_settings):
    feed = ChangeFeed(stuck=True)
    with serve(feed.app) as feed.url:
        source_id = register(db.engine, feed.url)
        [report] = harvest(db.engine, hub_settings)
    assert report.error_kind == "stuck-feed" and "does not move" in report.error
    assert feed.asked == [None, "p1"]  # the first page moved the cursor to p1; p1 answered p1
    assert events_of(db.engine, feed) == {feed.event_iri(0), feed.event_iri(1)}  # the repeat is refused
    held = source(db.engine, source_id)
    assert held.cursor == "p1" and held.last_error_kind == "stuck-feed" and held.consecutive_failures == 1


def test_a_long_change_feed_is_harvested_a_bounded_number_of_pages_at_a_time_and_resumes_soon(
    db, hub_settings
):
    feed = ChangeFeed(pages=5)
    settings = hub_settings.model_copy(update={"harvest_max_pages": 2})
    with serve(feed.app) as feed.url:
        source_id = register(db.engine, feed.url)
        [first] = harvest(db.engine, settings)
        assert first.ok and first.has_more and first.pages == 2
        held = source(db.engine, source_id)
        assert held.cursor == "p2"
        assert held.next_harvest_at - held.last_success_at <= timedelta(minutes=2)  # not in an hour
        [second] = harvest(db.engine, settings)
        [last] = harvest(db.engine, settings)
    assert second.ok and second.has_more and second.pages == 2
    assert last.ok and not last.has_more and last.pages == 1
    assert feed.asked == [None, "p1", "p2", "p3", "p4"]  # each harvest resumed from the saved cursor
    assert len(events_of(db.engine, feed)) == 10
    done = source(db.engine, source_id)
    assert done.next_harvest_at - done.last_success_at >= timedelta(minutes=50)


def test_a_source_past_its_deadline_keeps_the_pages_it_applied_and_is_marked_timed_out(db, hub_settings):
    feed = ChangeFeed(delay=0.2)  # never ends
    settings = hub_settings.model_copy(update={"harvest_source_timeout": 1.5})
    with serve(feed.app) as feed.url:
        source_id = register(db.engine, feed.url)
        [report] = harvest(db.engine, settings)
    assert report.error_kind == "timeout" and "took more than 1.5 s" in report.error
    assert report.pages >= 1 and len(events_of(db.engine, feed)) == 2 * report.pages
    held = source(db.engine, source_id)
    assert held.cursor == f"p{report.pages}" and held.last_error_kind == "timeout"


def test_a_stuck_source_does_not_hold_back_the_health_of_the_others(db, hub_settings, calendar):
    feed = ChangeFeed(delay=0.05)  # pages that never end, until the test lets it finish
    with serve(feed.app) as feed.url, ThreadPoolExecutor(1) as pool:
        stuck = register(db.engine, feed.url)
        others = [register(db.engine, f"{calendar.url}/{name}.ics", "ics") for name in ("a", "b")]
        running = pool.submit(harvest, db.engine, hub_settings)
        try:
            wait_until(
                lambda: all(source(db.engine, i).last_success_at for i in others),
                POLL_LIMIT,
                "the others' health to be written while one source ran",
            )
            assert not running.done() and source(db.engine, stuck).last_attempt_at is None
        finally:
            feed.pages = len(feed.asked) + 1
        reports = running.result(timeout=POLL_LIMIT)
    assert all(report.ok for report in reports)
    assert source(db.engine, stuck).last_success_at is not None


def test_a_harvest_round_ends_at_its_deadline_and_records_every_source(db, hub_settings, calendar):
    feed = ChangeFeed(delay=0.2)  # never ends
    settings = hub_settings.model_copy(update={"harvest_concurrency": 1, "harvest_round_timeout": 2})
    with serve(feed.app) as feed.url:
        first = register(db.engine, f"{calendar.url}/first.ics", "ics")
        endless = register(db.engine, feed.url)
        last = register(db.engine, f"{calendar.url}/last.ics", "ics")
        reports = {r.source_id: r for r in harvest(db.engine, settings)}
    assert reports[first].ok and reports[first].stats.new == 3
    assert (
        reports[endless].error_kind == "timeout"
        and "while this source was harvested" in reports[endless].error
    )
    assert reports[endless].pages >= 1 and len(events_of(db.engine, feed)) == 2 * reports[endless].pages
    assert reports[last].error_kind == "timeout" and "before this source was reached" in reports[last].error
    assert calendar.requests == 1  # the source not reached was not asked
    health = {i: source(db.engine, i) for i in (first, endless, last)}
    assert all(held.last_attempt_at is not None for held in health.values())
    assert health[first].last_success_at is not None and health[first].consecutive_failures == 0
    assert health[endless].last_error_kind == health[last].last_error_kind == "timeout"


def test_a_source_that_trickles_bytes_fails_at_one_deadline_for_the_whole_fetch(db, hub_settings, calendar):
    calendar.mode = "trickle"  # a byte every 0.1 s: no read ever times out
    settings = hub_settings.model_copy(
        update={"harvest_total_timeout": 1.5, "harvest_read_timeout": 1, "harvest_retries": 2}
    )
    register(db.engine, f"{calendar.url}/agenda.ics", "ics")
    [report] = harvest(db.engine, settings)
    assert calendar.requests == 1  # the deadline passed during the first request: no retry
    assert report.error_kind == "timeout" and "1.5 s in all" in report.error
