"""Mobilizon groups and Gancio instances harvested over real HTTP, from fixtures in the shape of
each project's own (tests/fediverse/): detected by what they answer, applied incrementally, and
bounded when hostile without losing what the hub holds."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.events.models import Event, EventConcept
from hub.federation.adapters import gancio as gancio_api
from hub.federation.adapters.mobilizon import parse_answer
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Quarantine, Source
from hub.federation.registry import SourceIn, add_source, check_source
from hub.store.db import session_scope
from tests.hostile import harvesting_hub
from tests.servers import serve

FIXTURES = Path(__file__).parent / "fediverse"
AS = "application/activity+json; charset=utf-8"
GROUP = "/@la-ruche"
GAMES, WELCOME = (
    "/events/4e1b7d92-0c6a-4f3e-9b8d-2a5c7e1f3b64",
    "/events/7d0a3e58-9f1b-4c2d-8e6a-5b3f0c9d1e27",
)
GANCIO_API = "/api/events?show_recurrent=true"  # the occurrences of recurring events included
OUTBOX = f"{GROUP}/outbox"
PAGE_2 = f"{OUTBOX}?page=2"
REPAIR, LASER, LUNCH, PITCH, GONE = (
    "/events/0b7c6a39-5f0e-4a51-8d0a-1c6b0f3e9a10",
    "/events/2f4e8d21-9c3b-4d6e-a1f7-5b8c2d9e0f31",
    "/events/6a9d3e52-1b7c-4f8a-9e2d-3c5b7a1f0e42",
    "/events/8c1e5f73-4d2a-4b9c-8f1e-7a3d6b2c9e53",
    "/events/9d2f6a84-7e3b-4c0d-9a2f-8b4e7c3d0f64",
)


class Instance:
    """A Mobilizon or a Gancio on 127.0.0.1 serving the fixtures, with its own address in them,
    each with its ETag; what it serves can change between harvests."""

    def __init__(self) -> None:
        self.served: dict[str, tuple[str, bytes]] = {}
        self.asked: list[str] = []

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url
        return Starlette(routes=[Route("/{path:path}", self.handle)])

    async def handle(self, request: Request) -> Response:
        key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.asked.append(key)
        if key not in self.served:
            return Response(status_code=404)
        media, body = self.served[key]
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type=media, headers={"ETag": etag})

    def document(self, name: str) -> dict | list:
        text = (FIXTURES / name).read_text()
        for host in ("https://mobilizon.example", "https://gancio.example"):
            text = text.replace(host, self.base_url)
        return json.loads(text)

    def serve(self, path: str, document: object, media: str = AS) -> None:
        self.served[path] = (media, json.dumps(document).encode())


@pytest.fixture
def mobilizon():
    instance = Instance()
    with serve(instance.app):
        instance.serve(GROUP, instance.document("mobilizon-group.json"))
        instance.serve(OUTBOX, instance.document("mobilizon-outbox.json"))
        instance.serve(PAGE_2, instance.document("mobilizon-outbox-page-2.json"))
        instance.serve("/relay", instance.document("mobilizon-relay.json"))
        instance.serve("/@relay/outbox", instance.document("mobilizon-relay-outbox.json"))
        yield instance


@pytest.fixture
def gancio():
    instance = Instance()
    with serve(instance.app):
        instance.served["/"] = ("text/html", b"<!doctype html><title>Gancio</title>")
        instance.serve(GANCIO_API, instance.document("gancio-events.json"), "application/json")
        yield instance


@pytest.fixture
def gancio_with_series():
    """A Gancio with a weekly repair café: the parent holding the rule, and the two occurrences
    Gancio created ahead, shown only when asked for (`show_recurrent`)."""
    instance = Instance()
    with serve(instance.app):
        items = instance.document("gancio-recurrent-events.json")
        instance.serve("/api/events", [i for i in items if not i["parentId"]], "application/json")
        instance.serve(GANCIO_API, items, "application/json")
        yield instance


@pytest.fixture
def hub_settings(db):
    return harvesting_hub(db, harvest_retries=0, harvest_total_timeout=5, harvest_max_bytes=60_000)


def register(db, url: str, kind: str = "auto") -> None:
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=url, kind=kind), default_interval=3600)


def harvest(db, settings):
    [report] = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))
    return report


def detected_and_harvested(db, settings) -> str:
    """The kind the harvest of the one source registered found, once it went well."""
    report = harvest(db, settings)
    assert report.error is None, report.error
    with Session(db.engine) as session:
        return session.exec(select(Source.kind)).one()


def themes(db, event: Event) -> list[tuple[str | None, str]]:
    """The event's themes: the thesaurus concept each label named (None: kept as free text)."""
    with Session(db.engine) as session:
        rows = session.exec(select(EventConcept).where(EventConcept.event_id == event.id)).all()
        return [(row.concept_iri, row.label) for row in rows if row.scheme == "theme"]


def held(db) -> dict[str, Event]:
    with Session(db.engine) as session:
        return {event.iri: event for event in session.exec(select(Event))}


def quarantined(db) -> list[str]:
    with Session(db.engine) as session:
        return [q.reason for q in session.exec(select(Quarantine))]


def test_a_mobilizon_group_is_detected_and_harvested_through_its_outbox(db, hub_settings, mobilizon):
    base = mobilizon.base_url
    register(db, f"{base}{GROUP}")

    assert detected_and_harvested(db, hub_settings) == "mobilizon"
    events = held(db)
    # The Delete read first (newest) wins over the older Create of the same event; the post is no event.
    assert set(events) == {base + path for path in (REPAIR, LASER, LUNCH, PITCH)}
    repair = events[base + REPAIR]
    assert repair.title == "Repair café du samedi"  # the Update, not the older Create
    assert repair.description == "<p>On répare <strong>ensemble</strong> petit électroménager et vélos.</p>"
    assert repair.image_url == f"{base}/media/repair-banner.jpg"
    assert repair.timezone == "Europe/Paris"
    assert repair.location["address"]["city"] == "Guéret"
    assert (repair.lat, repair.lon) == (46.1716, 1.8717)
    assert events[base + PITCH].registration_url == "https://billetterie.example/pitch-janvier"
    assert events[base + LASER].capacity == 8
    assert events[base + REPAIR].capacity is None  # Mobilizon's 0: no limit
    assert quarantined(db) == []


def test_a_cancelled_mobilizon_event_with_sc_prefixed_terms_is_held_as_cancelled(db, hub_settings, mobilizon):
    register(db, f"{mobilizon.base_url}{GROUP}", "mobilizon")

    harvest(db, hub_settings)

    lunch = held(db)[mobilizon.base_url + LUNCH]
    assert lunch.status == "cancelled"
    assert lunch.location == {
        "name": "Le Garage numérique",
        "address": {"street": "3 rue des Forges", "postal_code": "87000", "city": "Limoges", "country": "FR"},
        "geo": {"lat": 45.8336, "lon": 1.2611},
    }


def test_a_second_mobilizon_harvest_applies_only_the_changes_and_deletes_only_on_a_delete(
    db, hub_settings, mobilizon
):
    base = mobilizon.base_url
    register(db, f"{base}{GROUP}", "mobilizon")
    harvest(db, hub_settings)
    outbox = mobilizon.document("mobilizon-outbox.json")
    page_2 = mobilizon.document("mobilizon-outbox-page-2.json")
    renamed = json.loads(json.dumps(page_2["orderedItems"][2]))
    renamed["type"], renamed["object"]["name"] = "Update", "Initiation à la découpe laser (complet)"
    delete = {
        "type": "Delete",
        "actor": f"{base}{GROUP}",
        "id": f"{base}{PITCH}/delete",
        "object": base + PITCH,
    }
    outbox["first"]["orderedItems"][:0] = [delete, renamed]
    page_2["orderedItems"] = [item for item in page_2["orderedItems"] if item["object"]["id"] != base + LUNCH]
    mobilizon.serve(OUTBOX, outbox)
    mobilizon.serve(PAGE_2, page_2)

    report = harvest(db, hub_settings)

    assert report.error is None, report.error
    assert (report.stats.new, report.stats.updated, report.stats.deleted) == (0, 1, 1)
    events = held(db)
    assert events[base + LASER].title == "Initiation à la découpe laser (complet)"
    assert base + PITCH not in events
    assert base + LUNCH in events  # gone from the outbox, never deleted by a Delete


def test_a_mobilizon_instance_is_detected_by_its_base_url_and_harvested_through_its_relay(
    db, hub_settings, mobilizon
):
    base = mobilizon.base_url
    register(db, f"{base}/")

    assert detected_and_harvested(db, hub_settings) == "mobilizon"
    events = held(db)
    # Every public event of the instance, whichever group organizes it; the comment is no event.
    assert set(events) == {base + GAMES, base + WELCOME}
    games = events[base + GAMES]
    assert (games.title, games.location["address"]["city"]) == ("Soirée jeux coopératifs", "Tulle")
    assert themes(db, games) == [("https://w3id.org/tiers-lieux/themes/games", "jeux")]
    assert "/relay" in mobilizon.asked and "/@relay/outbox" in mobilizon.asked
    assert quarantined(db) == []


@pytest.mark.parametrize("page", ["/@la-ruche/events", "/@la-ruche@{host}"], ids=["events-page", "seen-from"])
def test_a_mobilizon_group_registered_by_one_of_its_pages_is_read_through_its_actor(
    db, hub_settings, mobilizon, page
):
    base = mobilizon.base_url
    register(db, base + page.format(host=base.removeprefix("http://")))

    assert detected_and_harvested(db, hub_settings) == "mobilizon"
    assert set(held(db)) == {base + path for path in (REPAIR, LASER, LUNCH, PITCH)}
    assert GROUP in mobilizon.asked and "/relay" not in mobilizon.asked


def test_a_group_seen_from_an_instance_at_a_refused_address_is_not_asked(db, hub_settings, mobilizon):
    register(db, f"{mobilizon.base_url}/@la-ruche@10.0.0.1", "mobilizon")

    report = harvest(db, hub_settings)

    assert report.error_kind == "refused-address", report.error
    assert held(db) == {}


def test_a_mobilizon_group_handle_is_registered_as_its_actor_url(db):
    register(db, "@la-ruche@mobilizon.example")

    with Session(db.engine) as session:
        assert session.exec(select(Source.url)).one() == "https://mobilizon.example/@la-ruche"


def test_a_gancio_instance_is_detected_by_its_api_and_harvested(db, hub_settings, gancio):
    base = gancio.base_url
    register(db, f"{base}/")

    assert detected_and_harvested(db, hub_settings) == "gancio"
    events = held(db)
    assert set(events) == {f"{base}/federation/m/{n}" for n in (12, 13, 14)}
    couture = events[f"{base}/federation/m/12"]
    assert couture.title == "Atelier couture zéro déchet"
    assert couture.description == "<p>Apportez vos chutes de tissu.</p>"
    assert couture.start_utc.isoformat().startswith("2027-01-05T16:00:00")
    assert couture.url == f"{base}/event/atelier-couture-zero-dechet"
    assert couture.image_url == f"{base}/media/5c2b1e7f9a3d4e6b8c0f1a2d3e4b5c6d.jpg"
    assert couture.location["address"] == {
        "street": "8 rue de la Filature",
        "postal_code": "23200",
        "city": "Aubusson",
        "country": "FR",
    }
    assert events[f"{base}/federation/m/14"].location == {
        "name": "Salle des fêtes",
        "address": {"street": "Place du marché, Felletin", "country": "FR"},
    }


def test_a_gancio_recurring_event_is_held_as_its_occurrences_once_each(db, hub_settings, gancio_with_series):
    base = gancio_with_series.base_url
    register(db, f"{base}/")

    assert detected_and_harvested(db, hub_settings) == "gancio"
    # The occurrences Gancio created, asked for; the parent holding the rule repeats the first one.
    by_id = {iri.removeprefix(f"{base}/federation/m/"): event for iri, event in held(db).items()}
    assert sorted(by_id) == ["31", "32", "33"]
    repair = [by_id["31"], by_id["32"]]
    assert [e.start_utc.isoformat()[:16] for e in repair] == ["2027-01-07T17:00", "2027-01-14T17:00"]
    assert all(not e.recurring and e.canonical_id is None for e in repair)
    assert repair[1].url == f"{base}/event/repair-cafe-du-jeudi-2"
    assert repair[1].image_url == f"{base}/media/9e4c2b7a1d3f5e6c8b0a2d4f6e8c1b3a.jpg"
    assert themes(db, repair[1]) == [("https://w3id.org/tiers-lieux/themes/repair", "réparation")]
    assert GANCIO_API in gancio_with_series.asked and "/api/events" not in gancio_with_series.asked


def test_a_gancio_event_with_an_online_location_is_held_as_mixed(db, hub_settings, gancio_with_series):
    register(db, f"{gancio_with_series.base_url}/", "gancio")
    harvest(db, hub_settings)

    permanence = held(db)[f"{gancio_with_series.base_url}/federation/m/33"]
    assert permanence.attendance_mode == "mixed"
    assert permanence.location["name"] == "Tiers-lieu La Filature"
    assert themes(db, permanence) == [("https://w3id.org/tiers-lieux/themes/digital", "numérique")]


def test_an_older_gancio_gives_its_image_as_image_path():
    item = {"id": 4, "title": "Bourse aux plantes", "start_datetime": 1799164800, "image_path": "plantes.jpg"}

    data = gancio_api.event_of(item, "https://gancio.example")

    assert data["image"] == "https://gancio.example/media/plantes.jpg"


def test_a_second_gancio_harvest_applies_only_the_changes(db, hub_settings, gancio):
    base = gancio.base_url
    register(db, f"{base}/api/events", "gancio")
    harvest(db, hub_settings)
    items = gancio.document("gancio-events.json")
    items[0]["title"] = "Atelier couture zéro déchet – complet"
    items[1]["is_visible"] = False
    del items[2]  # passed, or out of the API's window: not a deletion
    gancio.serve(GANCIO_API, items, "application/json")

    report = harvest(db, hub_settings)

    assert report.error is None, report.error
    assert (report.stats.new, report.stats.updated, report.stats.unchanged, report.stats.deleted) == (
        0,
        1,
        0,
        1,
    )
    assert set(held(db)) == {f"{base}/federation/m/12", f"{base}/federation/m/14"}


def test_an_unchanged_gancio_is_not_read_again(db, hub_settings, gancio):
    register(db, f"{gancio.base_url}/", "gancio")
    harvest(db, hub_settings)

    report = harvest(db, hub_settings)

    assert report.not_modified
    assert report.stats.written == 0


def test_a_group_cannot_delete_the_event_another_source_brought(db, hub_settings, mobilizon):
    base = mobilizon.base_url
    other = {"type": "Group", "id": f"{base}/@voisins", "outbox": f"{base}/@voisins/outbox"}
    delete = {"type": "Delete", "actor": f"{base}/@voisins", "id": f"{base}/d/1", "object": base + REPAIR}
    context = mobilizon.document("mobilizon-group.json")["@context"]
    mobilizon.serve("/@voisins", {"@context": context, **other})
    mobilizon.serve("/@voisins/outbox", {"type": "OrderedCollectionPage", "orderedItems": [delete]})
    register(db, f"{base}{GROUP}", "mobilizon")
    harvest(db, hub_settings)
    register(db, f"{base}/@voisins", "mobilizon")

    asyncio.run(harvest_many(db.engine, hub_settings, all_sources(db.engine)))

    assert base + REPAIR in held(db)
    assert quarantined(db) == [f"a tombstone for {base}{REPAIR}, which another source brought"]


def test_adding_a_source_checks_a_gancio_and_a_mobilizon_group_as_a_harvest_reads_them(
    hub_settings, gancio, mobilizon
):
    instance = asyncio.run(check_source(hub_settings, f"{gancio.base_url}/", "auto"))
    group = asyncio.run(check_source(hub_settings, f"{mobilizon.base_url}{GROUP}", "auto"))

    assert (instance.kind, instance.events) == ("gancio", 3)
    assert group.kind == "mobilizon"


def test_mobilizon_hashtags_are_themes_and_mentions_are_not():
    outbox = (FIXTURES / "mobilizon-outbox.json").read_bytes()

    batch = parse_answer(outbox, url="https://mobilizon.example/@la-ruche/outbox")

    repair = batch.records[0]
    assert repair.data["themes"] == ["Réparation"]
    assert repair.input.themes == ["Réparation"]
    assert batch.next_url == "https://mobilizon.example/@la-ruche/outbox?page=2"


def test_gancio_federated_events_without_context_are_read():
    activity = json.loads((FIXTURES / "gancio-event-activity.json").read_text())
    page = {"type": "OrderedCollectionPage", "orderedItems": [activity]}

    batch = parse_answer(json.dumps(page).encode(), url="https://gancio.example/federation/u/relay/outbox")

    [record] = batch.records
    assert record.iri == "https://gancio.example/federation/m/12"
    assert record.data["start"] == "2027-01-05T17:00:00+01:00"
    assert record.data["location"] == {"name": "Tiers-lieu La Filature"}
    assert record.data["themes"] == ["couture"]


@pytest.mark.parametrize(
    ("break_it", "kind"),
    [
        (
            lambda m: m.served.update({PAGE_2: (AS, b'{"type": "OrderedCollectionPage", "orderedItems": [')}),
            "invalid-json",
        ),
        (lambda m: m.served.update({PAGE_2: (AS, b" " * 70_000)}), "too-large"),
        (lambda m: _link_page_2_to(m, f"{m.base_url}{OUTBOX}"), "stuck-feed"),
        (lambda m: _link_page_2_to(m, "http://10.0.0.1/outbox?page=3"), "refused-address"),
    ],
    ids=["malformed", "huge", "looping-next", "private-address-in-next"],
)
def test_a_hostile_outbox_is_refused_without_losing_what_the_hub_holds(
    db, hub_settings, mobilizon, break_it, kind
):
    register(db, f"{mobilizon.base_url}{GROUP}", "mobilizon")
    harvest(db, hub_settings)
    before = {iri: event.title for iri, event in held(db).items()}
    break_it(mobilizon)

    report = harvest(db, hub_settings)

    assert report.error_kind == kind, report.error
    assert {iri: event.title for iri, event in held(db).items()} == before
    assert "10.0.0.1" not in " ".join(mobilizon.asked)


def _link_page_2_to(mobilizon: Instance, link: str) -> None:
    page = mobilizon.document("mobilizon-outbox-page-2.json")
    page["next"] = link
    mobilizon.serve(PAGE_2, page)


def test_an_endless_outbox_is_read_up_to_the_page_limit(db, hub_settings, mobilizon):
    for n in range(2, 40):
        page = {
            "type": "OrderedCollectionPage",
            "orderedItems": [],
            "next": f"{mobilizon.base_url}{OUTBOX}?page={n + 1}",
        }
        mobilizon.serve(f"{OUTBOX}?page={n}", page)
    register(db, f"{mobilizon.base_url}{GROUP}", "mobilizon")

    report = harvest(db, hub_settings.model_copy(update={"harvest_max_pages": 5}))

    assert report.error is None, report.error
    assert report.has_more
    assert len(mobilizon.asked) == 5  # the group, its outbox and three pages after it
    assert set(held(db)) == {mobilizon.base_url + REPAIR, mobilizon.base_url + PITCH}  # of the first page


def test_an_event_of_another_host_and_a_page_too_long_are_quarantined_alone(db, hub_settings, mobilizon):
    outbox = mobilizon.document("mobilizon-outbox.json")
    outbox["first"]["orderedItems"][0]["object"]["id"] = "https://elsewhere.example/events/1"
    mobilizon.serve(OUTBOX, outbox)
    register(db, f"{mobilizon.base_url}{GROUP}", "mobilizon")

    report = harvest(db, hub_settings.model_copy(update={"harvest_page_size": 3}))

    assert report.error is None, report.error
    assert sorted(quarantined(db)) == [
        f"{mobilizon.base_url}{OUTBOX} lists 4 activities; the first 3 were read",
        f"{mobilizon.base_url}{PAGE_2} lists 4 activities; the first 3 were read",
        "the event https://elsewhere.example/events/1 is not on the source's host; "
        "a source speaks for its own events",
    ]
    assert mobilizon.base_url + LUNCH in held(db)
