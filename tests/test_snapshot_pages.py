"""A calendar is read and applied a page at a time: whole series per page, wherever their parts
are in the file; a snapshot cut short or failing half-way keeps what was applied and removes
nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.events.models import Event
from hub.federation.adapters.ics import parse_calendar, read_pages
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.store.db import session_scope
from tests.hostile import Hostile, harvesting_hub, many_events
from tests.servers import serve

CALENDARS = Path(__file__).parent / "calendars"
SOURCE = "https://tiers-lieu.example.org/agenda.ics"
EVENTS = 2_000
PAGE = 500


@pytest.mark.parametrize(
    "case",
    sorted(path.stem for path in CALENDARS.glob("*.ics") if not path.stem.startswith("not_a_calendar")),
)
def test_reading_a_calendar_in_pages_of_one_event_gives_the_records_read_whole(case):
    body = (CALENDARS / f"{case}.ics").read_bytes()
    whole = parse_calendar(body, source_url=SOURCE)
    pages = list(read_pages(body, source_url=SOURCE, page_size=1))

    assert [record for page in pages for record in page.records] == whole.records
    assert [rejected for page in pages for rejected in page.rejected] == whole.rejected
    assert {page.complete for page in pages} == {whole.complete}


def test_a_series_is_read_whole_in_one_page_though_its_override_is_at_the_end_of_the_file():
    pages = list(read_pages(many_events(30), source_url=SOURCE, page_size=10))

    assert [len(page.records) for page in pages] == [9, 10, 10, 1]  # the series and its override: 2
    series = pages[0].records[0].data
    assert series["title"] == "Atelier 0" and [o["title"] for o in series["overrides"]] == ["Atelier déplacé"]


def test_an_empty_calendar_is_one_empty_page():
    body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

    [page] = read_pages(body, source_url=SOURCE, page_size=10)
    assert (page.records, page.rejected, page.complete) == ([], [], True)


@pytest.fixture
def hub_settings(db):
    return harvesting_hub(db, harvest_retries=0, harvest_page_size=PAGE)


@pytest.fixture
def calendar(db):
    state = Hostile()
    state.mode = "given"
    with serve(state.app) as base_url:
        state.url = f"{base_url}/agenda.ics"
        with session_scope(db.engine) as session:
            state.source_id = add_source(
                session, SourceIn(url=state.url, kind="ics"), default_interval=3600
            ).id
        yield state


def harvest(engine, settings):
    [report] = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
    return report


def titles(engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.exec(select(Event.iri, Event.title)).all())


def test_a_big_calendar_served_over_http_is_applied_in_pages(db, hub_settings, calendar):
    calendar.served = many_events(EVENTS)
    report = harvest(db.engine, hub_settings)

    assert report.ok and report.stats.new == EVENTS
    assert report.pages == 5  # 2,001 components, 500 at a time: a transaction each
    held = titles(db.engine)
    assert len(held) == EVENTS and held[f"{calendar.url}#n0%40hostile.example"] == "Atelier 0"


def test_a_calendar_cut_in_the_middle_applies_what_it_could_read_and_removes_nothing(
    db, hub_settings, calendar
):
    calendar.served = many_events(EVENTS)
    harvest(db.engine, hub_settings)
    renamed = many_events(EVENTS, title="Atelier renommé")
    calendar.served = renamed[: len(renamed) // 2]
    report = harvest(db.engine, hub_settings)

    assert report.ok and report.pages > 1 and report.stats.deleted == 0
    assert "incomplete" in report.flagged
    held = titles(db.engine)
    assert len(held) == EVENTS  # the events missing from the cut file are still held
    renamed_now = sum(title.startswith("Atelier renommé") for title in held.values())
    assert renamed_now == report.stats.updated and EVENTS * 0.4 < renamed_now < EVENTS * 0.6


def test_a_calendar_failing_half_way_keeps_the_pages_applied_and_removes_nothing(db, hub_settings, calendar):
    calendar.served = many_events(EVENTS)
    harvest(db.engine, hub_settings)
    # 500 events fewer, renamed, and a time zone icalendar cannot read from the third page on.
    calendar.served = many_events(EVENTS - 500, title="Atelier renommé", broken_from=2 * PAGE)
    report = harvest(db.engine, hub_settings)

    assert report.error_kind == "not-a-calendar" and report.pages == 2
    held = titles(db.engine)
    assert len(held) == EVENTS
    assert sum(title.startswith("Atelier renommé") for title in held.values()) == report.stats.updated
    assert report.stats.updated == 2 * PAGE - 1  # the series and its override make one record
    with Session(db.engine) as session:
        source = session.get(Source, calendar.source_id)
        assert source.etag is None and source.last_error_kind == "not-a-calendar"
