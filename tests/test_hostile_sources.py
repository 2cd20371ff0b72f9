"""Hostile and broken sources: the hub keeps what it held, says what is wrong, and goes on."""

from __future__ import annotations

import asyncio
from datetime import datetime

import aiohttp
import pytest
from sqlmodel import Session, select

from hub.demo.data import seed_fabrique
from hub.events.models import Event
from hub.federation.fetch import Fetcher
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.settings import Settings
from hub.store.db import session_scope
from tests.hostile import FixedResolver, Hostile, harvesting_hub
from tests.servers import running_node, serve


@pytest.fixture
def hub_settings(db):
    return harvesting_hub(
        db,
        harvest_retries=1,
        harvest_read_timeout=1,
        harvest_total_timeout=3,
        harvest_max_bytes=100_000,
        harvest_max_retry_after=2,
    )


@pytest.fixture
def hostile():
    state = Hostile()
    with serve(state.app) as base_url:
        state.url = f"{base_url}/agenda.ics"
        yield state


@pytest.fixture
def good_node(tmp_path):
    with running_node(tmp_path, "fabrique") as node:
        with node.session() as session:
            seed_fabrique(session, node.settings, datetime.now(node.settings.zone).date())
        yield node


def harvest(engine, settings):
    reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
    return {r.url: r for r in reports}


def events_held(engine, url_prefix: str) -> set[str]:
    with Session(engine) as session:
        return {iri for iri in session.exec(select(Event.iri)).all() if iri.startswith(url_prefix)}


HOSTILE_MODES = {
    "gzip-bomb": "too-large",
    "slow": "timeout",
    "endless": "timeout",
    "huge": "too-large",
    "invalid-calendar": "not-a-calendar",
    "wrong-type": "content-type",
    "server-error": "server-error",
    "rate-limited-long": "rate-limited",
    "redirect-loop": "redirects",
    "redirect-private": "refused-address",
}


@pytest.mark.parametrize("mode", sorted(HOSTILE_MODES))
def test_hostile_source_keeps_what_the_hub_held_and_others_are_harvested(
    mode, db, hub_settings, hostile, good_node
):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
        add_source(session, SourceIn(url=good_node.base_url), default_interval=3600)
    first = harvest(db.engine, hub_settings)
    assert all(r.ok for r in first.values())
    held = events_held(db.engine, hostile.url)
    assert len(held) == 3
    hostile.mode = mode
    with session_scope(db.engine) as session:  # ask again, unconditionally
        for source in session.exec(select(Source)).all():
            source.etag = None
    reports = harvest(db.engine, hub_settings)
    assert reports[hostile.url].error_kind == HOSTILE_MODES[mode], reports[hostile.url].error
    assert reports[good_node.base_url].ok
    assert events_held(db.engine, hostile.url) == held
    with Session(db.engine) as session:
        source = session.exec(select(Source).where(Source.url == hostile.url)).one()
        assert source.last_error and source.consecutive_failures == 1 and source.failing_since


def test_a_failing_source_is_retried_sooner_and_healthy_again_once_it_answers(db, hub_settings, hostile):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)

    def health() -> Source:
        with Session(db.engine) as session:
            return session.exec(select(Source)).one()

    hostile.mode = "invalid-calendar"
    harvest(db.engine, hub_settings)
    harvest(db.engine, hub_settings)
    failing = health()
    assert failing.consecutive_failures == 2 and failing.last_error_kind == "not-a-calendar"
    backoff = (failing.next_harvest_at - failing.last_attempt_at).total_seconds()
    assert 600 * 0.9 <= backoff <= 600 * 1.1  # the second failure waits 10 minutes, not the hour
    hostile.mode = "good"
    harvest(db.engine, hub_settings)
    healthy = health()
    assert healthy.consecutive_failures == 0 and healthy.failing_since is None
    assert healthy.last_success_at == healthy.last_attempt_at > failing.last_attempt_at
    assert healthy.last_error_kind == "not-a-calendar"  # the last error stays on record
    interval = (healthy.next_harvest_at - healthy.last_success_at).total_seconds()
    assert 3600 * 0.9 <= interval <= 3600 * 1.1


def test_429_with_retry_after_is_honoured_and_then_harvested(db, hub_settings, hostile):
    hostile.mode = "rate-limited-once"
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    [report] = harvest(db.engine, hub_settings).values()
    assert report.ok and report.requests == 2 and report.stats.new == 3


def test_gzip_encoded_calendar_is_read(db, hub_settings, hostile):
    hostile.mode = "gzip"
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    [report] = harvest(db.engine, hub_settings).values()
    assert report.ok and report.stats.new == 3


def test_changing_etag_for_unchanged_content_writes_nothing(db, hub_settings, hostile):
    hostile.mode = "changing-etag"
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    harvest(db.engine, hub_settings)
    [report] = harvest(db.engine, hub_settings).values()
    assert report.ok and report.stats.unchanged == 3 and report.stats.written == 0


def test_truncated_calendar_removes_nothing_and_is_flagged(db, hub_settings, hostile):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    harvest(db.engine, hub_settings)
    hostile.mode = "truncated"
    [report] = harvest(db.engine, hub_settings).values()
    assert report.stats.deleted == 0 and report.flagged
    assert len(events_held(db.engine, hostile.url)) == 3


def test_snapshot_that_would_remove_most_events_removes_nothing_and_flags_the_source(
    db, hub_settings, hostile
):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    harvest(db.engine, hub_settings)
    hostile.mode = "mass-deletion"
    [report] = harvest(db.engine, hub_settings).values()
    assert report.stats.deleted == 0 and "nothing was removed" in report.flagged
    assert len(events_held(db.engine, hostile.url)) == 3


def test_event_missing_from_a_complete_snapshot_is_removed(db, hub_settings, hostile):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=hostile.url, kind="ics"), default_interval=3600)
    harvest(db.engine, hub_settings)
    hostile.mode = "one-removed"
    [report] = harvest(db.engine, hub_settings).values()
    assert report.stats.deleted == 1 and report.flagged is None
    assert len(events_held(db.engine, hostile.url)) == 2


def test_invalid_json_from_a_node_changes_nothing(db, hub_settings, hostile, good_node):
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=good_node.base_url), default_interval=3600)
    harvest(db.engine, hub_settings)
    held = events_held(db.engine, good_node.base_url)
    with session_scope(db.engine) as session:
        source = session.exec(select(Source)).one()
        source.feed_url, source.etag = hostile.url, None
    hostile.mode = "invalid-json"
    [report] = harvest(db.engine, hub_settings).values()
    assert report.error_kind == "invalid-json"
    assert events_held(db.engine, good_node.base_url) == held


async def _get(settings: Settings, url: str, resolver=None):
    async with Fetcher(settings, resolver=resolver) as fetcher:
        return await fetcher.get(url, accept="*/*")


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("http://127.0.0.1:9/agenda.ics", None),
        ("http://[::1]:9/agenda.ics", None),
        ("http://169.254.169.254/latest/meta-data/", None),
        ("http://intranet.example/agenda.ics", "192.168.1.10"),
        ("http://metadata.example/", "169.254.169.254"),
        ("http://localhost.example/", "127.0.0.1"),
        ("http://v6.example/", "fd00::1"),
    ],
)
def test_default_settings_refuse_private_addresses_before_connecting(url, resolved, connections):
    from hub.federation.errors import RefusedAddress

    settings = Settings(_env_file=None)
    resolver = FixedResolver(resolved) if resolved else None
    with pytest.raises(RefusedAddress):
        asyncio.run(_get(settings, url, resolver))
    assert connections == []


def test_redirect_to_a_private_address_is_refused_before_connecting(hostile, connections):
    from hub.federation.errors import RefusedAddress

    hostile.mode = "redirect-private"
    settings = Settings(_env_file=None, allowed_private_networks=["127.0.0.1/32"], harvest_retries=0)
    with pytest.raises(RefusedAddress, match=r"10\.20\.30\.40"):
        asyncio.run(_get(settings, hostile.url))
    assert len(connections) == 1  # the hostile server itself; never 10.20.30.40
    assert hostile.requests == 1


def test_public_address_is_allowed_by_the_policy():
    from hub.federation.fetch import AddressPolicy

    assert AddressPolicy().allows("93.184.216.34")
    assert not AddressPolicy().allows("10.0.0.1")
    assert AddressPolicy(allow_private=True).allows("10.0.0.1")
    assert not AddressPolicy(allow_private=True).allows("0.0.0.0")


def test_aiohttp_is_the_transport(hub_settings):
    async def session_type():
        async with Fetcher(hub_settings) as fetcher:
            return type(fetcher._session)

    assert asyncio.run(session_type()) is aiohttp.ClientSession
