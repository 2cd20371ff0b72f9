"""Federation over real HTTP: nodes publish, hubs harvest, hubs of hubs keep the origin."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlmodel import Session, select

from hub.api.app import create_app
from hub.demo.data import seed_fabrique
from hub.events.models import Event, Occurrence
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.apply import apply_batch
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Quarantine
from hub.federation.registry import SourceIn, add_source, describe, list_sources
from hub.people.schemas import PersonIn
from hub.people.service import save_person, withdraw_consent
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.store.changes import FeedState
from hub.store.db import session_scope
from tests import factories
from tests.processes import wait_until
from tests.servers import running_node


@pytest.fixture
def hub_settings(db):
    return db.settings(
        role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False, harvest_retries=0
    )


@pytest.fixture
def hub(hub_settings, db):
    with TestClient(create_app(hub_settings, engine=db.engine)) as client:
        yield client


def register(engine, url: str, **fields) -> int:
    with session_scope(engine) as session:
        return add_source(session, SourceIn(url=url, **fields), default_interval=3600).id


def harvest(engine, settings):
    return asyncio.run(harvest_many(engine, settings, all_sources(engine)))


@pytest.fixture
def fabrique(tmp_path):
    with running_node(tmp_path, "fabrique") as node:
        with node.session() as session:
            ids = seed_fabrique(session, node.settings, datetime.now(node.settings.zone).date())
        node.ids = ids
        yield node


def _titles(client, path="/api/v1/events", **params) -> list[str]:
    return sorted(e["title"] for e in client.get(path, params={"limit": 500, **params}).json()["items"])


def test_hub_harvests_a_node_over_http_keeping_iris_and_provenance(db, hub_settings, hub, fabrique):
    register(db.engine, fabrique.base_url, token=fabrique.harvest_token())
    [report] = harvest(db.engine, hub_settings)
    assert report.ok, report.error
    events = hub.get("/api/v1/events", params={"limit": 100}).json()["items"]
    assert len(events) == 5
    assert all(e["id"].startswith(fabrique.base_url + "/events/") for e in events)
    assert {e["provenance"]["source"] for e in events} == {fabrique.base_url + "/"}
    names = {p["display_name"] for p in hub.get("/api/v1/people", headers={}).json()["items"]}
    assert "Inès Laforge" in names and "Paul Rivière" not in names
    occurrences = hub.get("/api/v1/occurrences", params={"q": "co-lunch", "limit": 5}).json()["items"]
    assert occurrences and occurrences[0]["start"].endswith(("+01:00", "+02:00"))


@pytest.fixture
def statements(db):
    """Start recording the statements the database runs that begin with one of `prefixes` (any
    case; every statement without one); recording ends with the test."""
    recorders = []

    def start(*prefixes: str) -> list[str]:
        found: list[str] = []
        wanted = tuple(p.upper() for p in prefixes) or ("",)

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith(wanted):
                found.append(statement.lstrip())

        sa_event.listen(db.engine, "before_cursor_execute", record)
        recorders.append(record)
        return found

    yield start
    for record in recorders:
        sa_event.remove(db.engine, "before_cursor_execute", record)


def test_unchanged_sources_get_conditional_requests_only_and_no_record_is_written(
    db, hub_settings, fabrique, statements
):
    register(db.engine, fabrique.base_url, token=fabrique.harvest_token())
    register(db.engine, f"{fabrique.base_url}/feeds/events.ics", kind="ics")
    harvest(db.engine, hub_settings)
    harvest(db.engine, hub_settings)  # learns the ETag of the empty page after the last cursor
    writes = statements("INSERT", "UPDATE", "DELETE")
    reports = harvest(db.engine, hub_settings)
    assert [r.requests for r in reports] == [1, 1]
    assert all(r.not_modified for r in reports)
    record_writes = [w for w in writes if " source " not in f" {w.split('(')[0]} ".replace('"', " ")]
    assert record_writes == [], record_writes


def test_withdrawn_consent_removes_profile_from_hub(db, hub_settings, hub, fabrique):
    register(db.engine, fabrique.base_url, token=fabrique.harvest_token())
    harvest(db.engine, hub_settings)
    [ines] = [p for p in hub.get("/api/v1/people").json()["items"] if p["display_name"] == "Inès Laforge"]
    with fabrique.session() as session:
        from hub.people.models import Person

        person = session.exec(select(Person).where(Person.iri == ines["id"])).one()
        withdraw_consent(session, person.id)
    harvest(db.engine, hub_settings)
    for path in ("/api/v1/people", f"/api/v1/people/{ines['uid']}", "/api/v1/changes"):
        assert "Inès Laforge" not in hub.get(path).text


def test_network_fields_reach_the_hub_only_with_a_token_and_are_republished_by_visibility(
    db, hub_settings, hub, fabrique
):
    with fabrique.session() as session:
        save_person(
            session,
            fabrique.base_url,
            PersonIn.model_validate(
                factories.person(
                    display_name="Réseau Fictif",
                    bio="bio réservée au réseau",
                    visibility={"display_name": "public", "bio": "network", "contact": "private"},
                )
            ),
        )
    register(db.engine, fabrique.base_url)  # no token: public fields only
    harvest(db.engine, hub_settings)
    assert "bio réservée au réseau" not in hub.get("/api/v1/people", params={"q": "fictif"}).text
    with session_scope(db.engine) as session:
        source = list_sources(session)[0]
        source.token, source.cursor, source.etag = fabrique.harvest_token(), None, None
    harvest(db.engine, hub_settings)
    public = hub.get("/api/v1/people", params={"q": "fictif"}).json()["items"]
    assert public and "bio" not in public[0]
    with session_scope(db.engine) as session:
        from hub.auth.tokens import create_token

        token = create_token(session, "national hub", ["harvest"])[1]
    network = hub.get("/api/v1/people", params={"q": "fictif"}, headers={"Authorization": f"Bearer {token}"})
    assert network.json()["items"][0]["bio"] == "bio réservée au réseau"
    assert "fictive@example.org" not in network.text  # private never left the node


def test_hub_of_hubs_shows_each_record_once_with_its_origin(db, hub_settings, hub, fabrique, tmp_path):
    token = fabrique.harvest_token()
    with running_node(tmp_path, "nord", role="hub") as nord, running_node(tmp_path, "sud", role="hub") as sud:
        for regional in (nord, sud):
            register(regional.engine, fabrique.base_url, token=token)
            harvest(regional.engine, regional.settings)
            register(db.engine, regional.base_url, token=regional.harvest_token())
        reports = harvest(db.engine, hub_settings)
    assert all(r.ok for r in reports), [r.error for r in reports]
    events = hub.get("/api/v1/events", params={"limit": 100}).json()["items"]
    assert len(events) == 5
    assert len({e["id"] for e in events}) == 5
    for e in events:
        assert e["provenance"]["source"] == fabrique.base_url + "/"
        assert len(e["provenance"]["via"]) == 1
        assert e["provenance"]["via"][0] in (nord.base_url + "/", sud.base_url + "/")


def test_change_feed_pages_with_cursor_and_conditional_requests(fabrique):
    with TestClient(create_app(fabrique.settings, engine=fabrique.engine)) as node:
        first = node.get("/api/v1/changes", params={"limit": 2})
        assert first.status_code == 200 and first.json()["has_more"] is True
        items, cursor = first.json()["items"], first.json()["next_cursor"]
        while True:
            page = node.get("/api/v1/changes", params={"limit": 2, "since": cursor}).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        assert {i["type"] for i in items} == {"Place", "Event", "Person"}
        last = node.get("/api/v1/changes", params={"since": cursor})
        assert last.json()["items"] == []
        again = node.get(
            "/api/v1/changes", params={"since": cursor}, headers={"If-None-Match": last.headers["etag"]}
        )
        assert again.status_code == 304


def test_change_feed_answers_410_past_retention_and_for_another_epoch(fabrique):
    with TestClient(create_app(fabrique.settings, engine=fabrique.engine)) as node:
        cursor = node.get("/api/v1/changes", params={"limit": 1}).json()["next_cursor"]
        with fabrique.session() as session:
            session.add(FeedState(key="min_cursor", value=10_000))
        gone = node.get("/api/v1/changes", params={"since": cursor})
        assert gone.status_code == 410
        assert gone.headers["content-type"] == "application/problem+json"
        assert node.get("/api/v1/changes", params={"since": "YzEuMS4y"}).status_code == 410


def test_deletion_on_the_node_reaches_the_hub_as_a_tombstone(db, hub_settings, hub, fabrique):
    register(db.engine, fabrique.base_url)
    harvest(db.engine, hub_settings)
    with TestClient(create_app(fabrique.settings, engine=fabrique.engine)) as node:
        headers = {"Authorization": f"Bearer {fabrique.harvest_token()}"}
        assert node.get("/api/v1/events", headers=headers).status_code == 200
    with fabrique.session() as session:
        from hub.events.service import delete_event

        delete_event(session, fabrique.ids["colunch"])
    harvest(db.engine, hub_settings)
    assert "Co-lunch du vendredi" not in _titles(hub)
    assert len(_titles(hub)) == 4


def test_records_outside_the_node_base_are_quarantined_and_shown_in_health(db, hub_settings, hub, fabrique):
    with fabrique.session() as session:
        event = save_event(
            session, fabrique.settings, EventIn.model_validate(factories.event(title="Intrus"))
        )
        event.iri = "https://ailleurs.example/events/1"
        import orjson

        doc = orjson.loads(event.doc)
        doc["id"] = event.iri
        event.doc = orjson.dumps(doc).decode()
        from hub.store.changes import record_change

        record_change(session, "event", event.iri)
    register(db.engine, fabrique.base_url)
    [report] = harvest(db.engine, hub_settings)
    assert report.ok and report.stats.quarantined == 1
    assert "Intrus" not in _titles(hub)
    with Session(db.engine) as session:
        [quarantined] = session.exec(select(Quarantine)).all()
        assert "not under the source's base" in quarantined.reason
        [health] = describe(session, list_sources(session))
    assert health.records_quarantined == 1 and health.records_held == 9


def test_a_page_is_applied_in_one_savepoint_when_no_record_fails(db, hub_settings, fabrique, statements):
    register(db.engine, fabrique.base_url)
    savepoints = statements("SAVEPOINT")
    [report] = harvest(db.engine, hub_settings)
    assert report.ok and report.stats.new == 9 and report.pages == 1
    assert page_savepoints(savepoints, db.engine) == 1


def page_savepoints(savepoints: list[str], engine) -> int:
    """How many SAVEPOINTs applying a node's one page took: on SQLite, the round's writer also
    gives each of the harvest's three writes one (its kind, its descriptor, its page)."""
    return len(savepoints) - (3 if engine.dialect.name == "sqlite" else 0)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_page_queues_for_the_change_log_lock_only_once_its_records_are_written(
    db, hub_settings, fabrique, statements
):
    # The lock keeps the change feed in commit order; taken before the records' writes, it would
    # make workers harvesting different sources write their pages one at a time.
    register(db.engine, fabrique.base_url)
    run = statements()
    [report] = harvest(db.engine, hub_settings)
    assert report.ok and report.stats.new == 9 and report.pages == 1
    [lock] = [i for i, s in enumerate(run) if "pg_advisory_xact_lock" in s]
    records = [i for i, s in enumerate(run) if s.startswith(("INSERT INTO event ", "INSERT INTO person "))]
    changes = [i for i, s in enumerate(run) if s.startswith("INSERT INTO change ")]
    assert records and max(records) < lock < min(changes)


def test_a_new_event_refused_when_expanded_is_quarantined_alone(db, hub_settings, hub, fabrique, statements):
    # The node's copy of one event says it recurs every 30 February: the hub finds out only when
    # it expands it. A new event is computed whole before anything of it is written.
    with fabrique.session() as session:
        event = save_event(
            session, fabrique.settings, EventIn.model_validate(factories.event(title="Chaque 30 février"))
        )
        doc = orjson.loads(event.doc)
        doc["recurrence"] = {"rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"}
        event.doc = orjson.dumps(doc).decode()
    register(db.engine, fabrique.base_url)
    savepoints = statements("SAVEPOINT")
    [report] = harvest(db.engine, hub_settings)
    assert report.ok and report.stats.quarantined == 1 and report.stats.new == 9
    assert page_savepoints(savepoints, db.engine) == 1  # nothing written to undo: no second attempt
    assert "Chaque 30 février" not in _titles(hub)
    with Session(db.engine) as session:
        [quarantined] = session.exec(select(Quarantine)).all()
        assert "recurrence.rrule: the rule never produces a date" in quarantined.reason
        assert session.exec(select(Event).where(Event.title == "Chaque 30 février")).all() == []


def test_a_node_and_its_own_calendar_file_show_each_event_once(db, hub_settings, hub, fabrique):
    place_iri = f"{fabrique.base_url}/places/{fabrique.ids['place']}"
    register(db.engine, fabrique.base_url)
    register(db.engine, f"{fabrique.base_url}/feeds/events.ics", kind="ics", place=place_iri)
    harvest(db.engine, hub_settings)
    titles = _titles(hub)
    assert len(titles) == len(set(titles)) == 5
    assert len(hub.get("/api/v1/links").json()["items"]) == 5


def test_metrics_carry_harvests_records_and_the_queue(db, hub_settings, hub, fabrique):
    from prometheus_client.parser import text_string_to_metric_families

    def succeeded(source_id: int) -> float:
        # The counters live as long as the process: a source of an earlier test had the same id.
        families = {f.name: f for f in text_string_to_metric_families(hub.get("/metrics").text)}
        samples = families["hub_harvests"].samples if "hub_harvests" in families else []
        ok = {"source": str(source_id), "outcome": "ok"}
        return sum(s.value for s in samples if s.name == "hub_harvests_total" and s.labels == ok)

    source_id = register(db.engine, fabrique.base_url)
    before = succeeded(source_id)
    harvest(db.engine, hub_settings)
    assert succeeded(source_id) == before + 1
    families = {f.name: f for f in text_string_to_metric_families(hub.get("/metrics").text)}
    assert any(s.labels.get("action") == "new" for s in families["hub_records"].samples)
    assert "hub_harvest_duration_seconds" in families and "hub_harvest_queue_depth" in families


def test_harvested_records_are_served_under_the_hubs_own_ids(db, hub_settings, hub, fabrique):
    register(db.engine, fabrique.base_url)
    harvest(db.engine, hub_settings)
    for path in ("/api/v1/places", "/api/v1/events"):
        for item in hub.get(path).json()["items"]:
            assert hub.get(f"{path}/{item['uid']}").json()["id"] == item["id"]


def test_erased_member_disappears_from_the_node_and_then_from_the_hub(db, hub_settings, hub, fabrique):
    from hub.people.service import erase_person

    register(db.engine, fabrique.base_url)
    harvest(db.engine, hub_settings)
    [ines] = [p for p in hub.get("/api/v1/people").json()["items"] if p["display_name"] == "Inès Laforge"]
    with fabrique.session() as session:
        erase_person(session, ines["id"])
    harvest(db.engine, hub_settings)
    assert "Inès Laforge" not in hub.get("/api/v1/people").text
    with Session(fabrique.engine) as session:
        from hub.people.models import Person

        assert session.exec(select(Person).where(Person.iri == ines["id"])).first() is None


def test_a_record_changed_twice_in_a_row_reaches_a_hub_each_time(fabrique):
    with TestClient(create_app(fabrique.settings, engine=fabrique.engine)) as node:
        cursor = node.get("/api/v1/changes").json()["next_cursor"]
        headers = {"Authorization": f"Bearer {fabrique.harvest_token()}"}
        for title in ("Premier titre", "Second titre"):
            with fabrique.session() as session:
                from hub.events.service import get_event

                event = get_event(session, fabrique.ids["colunch"])
                event.title = title
                from hub.store.changes import record_change

                record_change(session, "event", event.iri)
            page = node.get("/api/v1/changes", params={"since": cursor}, headers=headers).json()
            assert [item["id"] for item in page["items"]] == [event.iri]
            cursor = page["next_cursor"]


def test_an_event_stored_while_another_harvest_stores_its_place_gets_linked_to_it(
    db, hub_settings, tmp_path, monkeypatch
):
    """Two harvests write at once (PostgreSQL workers): one stores a place, the other an event
    held at that place, before the first commits."""
    if db.kind != "postgresql":
        pytest.skip("SQLite lets one writer at a time in: the two pages cannot overlap")
    with running_node(tmp_path, "lieu") as lieu, running_node(tmp_path, "voisin") as voisin:
        with lieu.session() as session:
            place = create_place(session, lieu.base_url, PlaceIn(**factories.place()))
        with voisin.session() as session:
            save_event(session, voisin.settings, EventIn(**factories.event(place=place.iri)))
        sources = {}
        for node in (lieu, voisin):
            with session_scope(db.engine) as session:
                source = SourceIn(url=node.base_url, token=node.harvest_token())
                sources[node.settings.name] = [add_source(session, source, default_interval=60).id]
        stored, go = threading.Event(), threading.Event()

        def held_open(session, settings, source, *args, **kwargs):
            """Apply the place's page, then keep its transaction open until `go`."""
            stats = apply_batch(session, settings, source, *args, **kwargs)
            if source.id in sources["lieu"] and stats.new:
                stored.set()
                assert go.wait(30)
            return stats

        monkeypatch.setattr("hub.federation.harvester.apply_batch", held_open)
        with ThreadPoolExecutor(2) as pool:
            placing = pool.submit(asyncio.run, harvest_many(db.engine, hub_settings, sources["lieu"]))
            assert stored.wait(30)
            holding = pool.submit(asyncio.run, harvest_many(db.engine, hub_settings, sources["voisin"]))
            wait_until(lambda: _waiting_for_a_lock(db), 30, "the event's page to wait for the place's")
            go.set()
            assert all(report.ok for report in placing.result() + holding.result())
    with Session(db.engine) as session:
        [event] = session.exec(select(Event).where(Event.place_iri == place.iri)).all()
        assert event.place_id is not None
        occurrences = session.exec(select(Occurrence).where(Occurrence.event_id == event.id)).all()
        assert occurrences and all(o.place_id == event.place_id for o in occurrences)


def _waiting_for_a_lock(db) -> bool:
    with db.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return bool(connection.execute(text(query)).scalar())
