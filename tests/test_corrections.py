"""A hub's coordinators correct or hide harvested records: over real HTTP harvests, the correction
survives the source's next update and is shown as such, a hidden record leaves every output, the
source's deletion still wins, and everything is logged."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import orjson
import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from sqlalchemy import text

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.events.schemas import EventIn
from hub.events.service import delete_event, get_event, save_event
from hub.federation.apply import apply_batch
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.store.db import session_scope
from hub.vocabulary.jsonld import JSONLD_TYPE, SCHEMAS_DIR, to_graph
from tests import factories
from tests.browser import screenshot, serious_violations
from tests.namespaces import TL
from tests.processes import wait_until
from tests.servers import Node, running_node, serve


@dataclass
class Source:
    """A node served over HTTP with one place and two events, changed between harvests."""

    node: Node
    place: str
    events: dict[str, str]

    def change_event(self, key: str, **changes) -> None:
        with self.node.session() as session:
            event = get_event(session, self.events[key])
            data = {**EVENTS[key], **changes}
            save_event(session, self.node.settings, EventIn(place=self.place, **data), event=event)

    def delete_event(self, key: str) -> None:
        with self.node.session() as session:
            delete_event(session, self.events[key])


EVENTS = {
    "repair": factories.event(
        title="Repair café", description="<p>Apportez vos objets.</p>", themes=["réparation"]
    ),
    "pitch": factories.event(
        title="Soirée pitch",
        start=f"{factories.YEAR}-06-19T19:00:00+02:00",
        end=f"{factories.YEAR}-06-19T21:00:00+02:00",
    ),
}


@pytest.fixture
def source(tmp_path) -> Iterator[Source]:
    # Test events are two years ahead: the node's calendar feed reaches them.
    with running_node(tmp_path, "bocage", horizon_days_ahead=3650) as node:
        with node.session() as session:
            place = create_place(session, node.settings.base_url, PlaceIn.model_validate(factories.place()))
            events = {
                key: save_event(session, node.settings, EventIn(place=place.id, **data)).id
                for key, data in EVENTS.items()
            }
            place_id = place.id
        yield Source(node, place_id, events)


@pytest.fixture
def hub_settings(db):
    return db.settings(
        role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False, harvest_retries=0
    )


@pytest.fixture
def hub(hub_settings, db) -> Iterator[TestClient]:
    with TestClient(create_app(hub_settings, engine=db.engine)) as client:
        with session_scope(db.engine) as session:
            client.coordinator = {
                "Authorization": f"Bearer {create_token(session, 'Réseau Creuse', ['admin'])[1]}"
            }
            client.writer = {"Authorization": f"Bearer {create_token(session, 'a writer', ['write'])[1]}"}
        yield client


def harvest(engine, settings) -> None:
    # In a thread of its own: once a browser test of this module started Playwright's sync API,
    # this thread runs an event loop.
    with ThreadPoolExecutor(1) as pool:
        reports = pool.submit(asyncio.run, harvest_many(engine, settings, all_sources(engine))).result()
    assert all(r.ok for r in reports), [r.error for r in reports]


def register(engine, url: str, **fields) -> None:
    with session_scope(engine) as session:
        add_source(session, SourceIn(url=url, **fields), default_interval=3600)


def hub_event(hub, title: str) -> dict:
    items = hub.get("/api/v1/events", params={"limit": 100}).json()["items"]
    [found] = [e for e in items if e["title"] == title]
    return found


@pytest.fixture
def harvested(db, hub_settings, source) -> Source:
    register(db.engine, source.node.base_url, token=source.node.harvest_token())
    harvest(db.engine, hub_settings)
    return source


def test_corrected_title_survives_the_sources_next_update_and_is_shown_as_such(
    db, hub_settings, hub, harvested
):
    uid = hub_event(hub, "Repair café")["uid"]
    answer = hub.put(
        f"/api/v1/corrections/events/{uid}/title",
        json={"value": "Repair café du Bocage", "reason": "nom officiel"},
        headers=hub.coordinator,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["source_value"] == "Repair café" and answer.json()["by"] == "Réseau Creuse"

    harvested.change_event("repair", title="Repair cafe", description="<p>Nouvel horaire.</p>")
    harvest(db.engine, hub_settings)

    event = hub.get(f"/api/v1/events/{uid}").json()
    assert event["title"] == "Repair café du Bocage"
    assert event["description"] == "<p>Nouvel horaire.</p>"  # the rest follows the source
    [mark] = event["corrections"]
    assert mark["field"] == "title" and mark["source_value"] == "Repair cafe"
    occurrences = hub.get("/api/v1/occurrences", params={"q": "bocage"}).json()["items"]
    assert [o["title"] for o in occurrences] == ["Repair café du Bocage"]
    changes = hub.get("/api/v1/changes").json()["items"]
    assert [c["title"] for c in changes if c.get("uid") == uid] == ["Repair café du Bocage"]

    page = hub.get(f"/events/{uid}")
    assert "Repair café du Bocage" in page.text and "corrigé par la coordination" in page.text
    assert "corrected by the network coordinators" in hub.get(f"/events/{uid}", params={"lang": "en"}).text

    undone = hub.delete(
        f"/api/v1/corrections/events/{uid}/title",
        params={"reason": "la source a corrigé"},
        headers=hub.coordinator,
    )
    assert undone.status_code == 204
    event = hub.get(f"/api/v1/events/{uid}").json()
    assert event["title"] == "Repair cafe" and not event.get("corrections")

    log = hub.get("/api/v1/corrections/log", headers=hub.coordinator).json()["items"]
    assert [(x["action"], x["field"], x["old"], x["new"], x["reason"]) for x in log] == [
        ("undo", "title", "Repair café du Bocage", "Repair cafe", "la source a corrigé"),
        ("correct", "title", "Repair café", "Repair café du Bocage", "nom officiel"),
    ]
    assert {x["by"] for x in log} == {"Réseau Creuse"}


FIGURES = {"by": "theme", "start": f"{factories.YEAR}-01-01", "end": f"{factories.YEAR}-12-31"}


def _everywhere(hub) -> str:
    """What the hub serves about its events: lists, feeds, sitemap, figures, agenda page."""
    answers = [
        hub.get("/api/v1/events", params={"limit": 100}),
        hub.get("/api/v1/occurrences", params={"limit": 100}),
        hub.get("/api/v1/occurrences", params={"q": "repair"}),
        hub.get("/feeds/events.ics"),
        hub.get("/feeds/events.rss"),
        hub.get("/sitemap.xml"),
        hub.get("/api/v1/stats", params=FIGURES),
        hub.get("/", params={"view": "list"}),
    ]
    assert all(a.status_code == 200 for a in answers), [(a.url, a.status_code) for a in answers]
    return "\n".join(a.text for a in answers)


def test_a_hidden_record_leaves_every_output_and_stays_hidden_after_updates(db, hub_settings, hub, harvested):
    event = hub_event(hub, "Repair café")
    cursor = hub.get("/api/v1/changes").json()["next_cursor"]
    assert "Repair café" in _everywhere(hub) and "paration" in hub.get("/api/v1/stats", params=FIGURES).text
    answer = hub.put(
        f"/api/v1/corrections/events/{event['uid']}/hidden",
        json={"reason": "doublon"},
        headers=hub.coordinator,
    )
    assert answer.status_code == 200, answer.text
    seen = _everywhere(hub)
    assert "Repair" not in seen and event["uid"] not in seen and event["id"] not in seen
    assert "paration" not in hub.get("/api/v1/stats", params=FIGURES).text
    assert "Soirée pitch" in seen  # the other event stays
    assert hub.get(f"/events/{event['uid']}").status_code == 404
    changes = hub.get("/api/v1/changes", params={"since": cursor}).json()["items"]
    [tombstone] = [c for c in changes if c["id"] == event["id"]]
    assert tombstone["type"] == "Tombstone"  # hubs harvesting this one drop it too

    harvested.change_event("repair", title="Repair café du samedi")
    harvest(db.engine, hub_settings)
    assert "Repair" not in _everywhere(hub)

    shown = hub.delete(f"/api/v1/corrections/events/{event['uid']}/hidden", headers=hub.coordinator)
    assert shown.status_code == 204
    back = hub.get(f"/api/v1/events/{event['uid']}").json()
    assert (
        back["title"] == "Repair café du samedi" and back["id"] == event["id"]
    )  # as the source last sent it
    assert "Repair café du samedi" in _everywhere(hub)
    actions = [
        x["action"] for x in hub.get("/api/v1/corrections/log", headers=hub.coordinator).json()["items"]
    ]
    assert actions == ["unhide", "hide"]


def test_the_sources_deletion_wins_over_a_correction_and_a_hiding(db, hub_settings, hub, harvested):
    repair, pitch = hub_event(hub, "Repair café"), hub_event(hub, "Soirée pitch")
    corrected = hub.put(
        f"/api/v1/corrections/events/{repair['uid']}/title",
        json={"value": "Réparations"},
        headers=hub.coordinator,
    )
    hidden = hub.put(f"/api/v1/corrections/events/{pitch['uid']}/hidden", headers=hub.coordinator)
    assert corrected.status_code == hidden.status_code == 200
    harvested.delete_event("repair")
    harvested.delete_event("pitch")
    harvest(db.engine, hub_settings)
    assert hub.get(f"/api/v1/events/{repair['uid']}").status_code == 404
    assert (
        hub.delete(f"/api/v1/corrections/events/{pitch['uid']}/hidden", headers=hub.coordinator).status_code
        == 204
    )
    assert hub.get(f"/api/v1/events/{pitch['uid']}").status_code == 404  # nothing to bring back
    assert hub.get("/api/v1/events").json()["items"] == []


def test_corrections_are_for_coordinators_and_name_the_refused_field(hub, harvested, writer):
    uid = hub_event(hub, "Repair café")["uid"]
    url = f"/api/v1/corrections/events/{uid}"
    assert hub.put(f"{url}/title", json={"value": "x"}).status_code == 401
    assert hub.put(f"{url}/title", json={"value": "x"}, headers=hub.writer).status_code == 403
    assert hub.get("/api/v1/corrections/log", headers=hub.writer).status_code == 403
    for field, value in (
        ("colour", "red"),
        ("start", "le 12 juin"),
        ("registration_url", "ftp://x"),
        ("end", "2020-01-01T10:00:00+01:00"),
    ):
        answer = hub.put(f"{url}/{field}", json={"value": value}, headers=hub.coordinator)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == ("field" if field == "colour" else field)
    unknown_key = hub.put(f"{url}/title", json={"value": "x", "colour": 1}, headers=hub.coordinator)
    assert unknown_key.status_code == 422 and unknown_key.json()["errors"][0]["field"] == "colour"
    assert (
        hub.put(
            "/api/v1/corrections/events/nothere/title", json={"value": "x"}, headers=hub.coordinator
        ).status_code
        == 404
    )
    local = hub.post("/api/v1/places", json=factories.place(), headers=writer).json()["uid"]
    assert (
        hub.put(
            f"/api/v1/corrections/places/{local}/name", json={"value": "x"}, headers=hub.coordinator
        ).status_code
        == 409
    )
    assert hub.delete(f"{url}/title", headers=hub.coordinator).status_code == 404
    assert hub.get("/api/v1/corrections/log", headers=hub.coordinator).json()["items"] == []
    assert hub.get(f"/api/v1/events/{uid}").json()["title"] == "Repair café"


def test_a_start_time_typo_of_a_calendar_is_corrected_in_every_output(db, hub_settings, hub, source):
    register(db.engine, f"{source.node.base_url}/feeds/events.ics", kind="ics")
    harvest(db.engine, hub_settings)
    uid = hub_event(hub, "Repair café")["uid"]
    answer = hub.put(
        f"/api/v1/corrections/events/{uid}/start",
        json={"value": f"{factories.YEAR}-06-12T18:30:00+02:00", "reason": "coquille"},
        headers=hub.coordinator,
    )
    assert answer.status_code == 200, answer.text
    source.change_event("repair", title="Repair café (nouvelle formule)")
    harvest(db.engine, hub_settings)
    event = hub.get(f"/api/v1/events/{uid}").json()
    assert event["title"] == "Repair café (nouvelle formule)"
    assert event["start"] == f"{factories.YEAR}-06-12T18:30:00+02:00"
    assert [m["source_value"] for m in event["corrections"]] == [f"{factories.YEAR}-06-12T18:00:00+02:00"]
    feed = hub.get("/feeds/events.ics", params={"q": "formule"}).text
    assert f"{factories.YEAR}0612T183000" in feed and f"{factories.YEAR}0612T180000" not in feed
    [occurrence] = hub.get("/api/v1/occurrences", params={"q": "formule"}).json()["items"]
    assert occurrence["start"] == f"{factories.YEAR}-06-12T18:30:00+02:00"


def test_a_places_address_is_corrected_on_its_page_and_in_the_api(db, hub_settings, hub, harvested):
    [place] = hub.get("/api/v1/places").json()["items"]
    answer = hub.put(
        f"/api/v1/corrections/places/{place['uid']}/address.street",
        json={"value": "2 place du Marché"},
        headers=hub.coordinator,
    )
    assert answer.status_code == 200, answer.text
    harvest(db.engine, hub_settings)
    held = hub.get(f"/api/v1/places/{place['uid']}").json()
    assert held["address"]["street"] == "2 place du Marché" and held["address"]["city"] == "Guéret"
    assert held["corrections"][0]["source_value"] == place["address"]["street"]
    page = hub.get(f"/places/{place['uid']}", params={"lang": "en"}).text
    assert "2 place du Marché" in page and "Street: corrected by the network coordinators" in page
    refused = hub.put(
        f"/api/v1/corrections/places/{place['uid']}/address.postal_code",
        json={"value": "23"},
        headers=hub.coordinator,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "address.postal_code"
    moved = hub.put(
        f"/api/v1/corrections/places/{place['uid']}/address.postal_code",
        json={"value": "63000"},
        headers=hub.coordinator,
    )
    assert moved.status_code == 200, moved.text
    address = hub.get(f"/api/v1/places/{place['uid']}").json()["address"]
    assert (address["postal_code"], address["department"], address["region"]) == ("63000", "63", "84")
    assert [e["title"] for e in hub.get("/api/v1/events", params={"department": "63"}).json()["items"]]
    wrong_kind = hub.put(
        f"/api/v1/corrections/places/{place['uid']}/title", json={"value": "x"}, headers=hub.coordinator
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["field"] == "field"


def test_a_corrected_event_as_jsonld_names_its_corrections_and_conforms_to_the_shapes(hub, harvested):
    uid = hub_event(hub, "Repair café")["uid"]
    hub.put(f"/api/v1/corrections/events/{uid}/themes", json={"value": ["fablab"]}, headers=hub.coordinator)
    document = hub.get(f"/api/v1/events/{uid}", headers={"Accept": JSONLD_TYPE}).json()
    graph = to_graph(document)
    conforms, _, text = pyshacl.validate(
        graph, shacl_graph=Graph().parse(SCHEMAS_DIR / "shapes.ttl"), inference="none"
    )
    assert conforms, text
    [correction] = graph.objects(URIRef(document["id"]), TL.correction)
    assert str(graph.value(correction, TL.correctedField)) == "themes"
    source_value = orjson.loads(str(graph.value(correction, TL.sourceValue)))
    assert source_value == ["https://w3id.org/tiers-lieux/themes/repair"]  # "réparation", as resolved
    assert [t["label"]["fr"] for t in document["themes"]] == ["Fabrication numérique"]


def test_a_hub_of_hubs_gets_the_corrected_values_with_their_corrections(
    db, hub_settings, hub, source, tmp_path
):
    with running_node(tmp_path, "region", role="hub") as region:
        register(region.engine, source.node.base_url, token=source.node.harvest_token())
        harvest(region.engine, region.settings)
        with region.session() as session:
            coordinator = create_token(session, "Réseau régional", ["admin"])[1]
        with httpx.Client(
            base_url=region.base_url, headers={"Authorization": f"Bearer {coordinator}"}
        ) as client:
            [event] = [e for e in client.get("/api/v1/events").json()["items"] if e["title"] == "Repair café"]
            answer = client.put(
                f"/api/v1/corrections/events/{event['uid']}/title", json={"value": "Repair café régional"}
            )
            assert answer.status_code == 200, answer.text
        register(db.engine, region.base_url, token=region.harvest_token())
        harvest(db.engine, hub_settings)
        source.change_event("repair", title="Repair café v2", description="<p>Changé.</p>")
        harvest(region.engine, region.settings)
        harvest(db.engine, hub_settings)
    national = hub_event(hub, "Repair café régional")
    assert national["id"] == event["id"] and national["description"] == "<p>Changé.</p>"
    assert [(m["field"], m["source_value"]) for m in national["corrections"]] == [("title", "Repair café v2")]
    assert national["provenance"]["source"] == source.node.base_url + "/"
    assert "corrigé par la coordination" in hub.get(f"/events/{national['uid']}").text


def _form(hub, uid: str, token: str, lang: str = "fr", **fields):
    return hub.post(f"/coordination/events/{uid}?lang={lang}", data={"token": token, **fields})


def test_coordinators_correct_undo_hide_and_read_the_log_with_plain_forms(hub, harvested):
    uid = hub_event(hub, "Repair café")["uid"]
    token = hub.coordinator["Authorization"].removeprefix("Bearer ")
    page = hub.get(f"/events/{uid}").text
    assert f'href="/coordination/events/{uid}"' in page
    form = hub.get(f"/coordination/events/{uid}")
    assert form.status_code == 200 and 'name="robots" content="noindex"' in form.text
    assert 'type="password"' in form.text and "<script" not in form.text.split("</head>")[1]

    refused = _form(hub, uid, "tlh_not-a-token", action="correct", field="title", value="X")
    assert refused.status_code == 401 and "pas un jeton de coordination valide" in refused.text
    writer = hub.writer["Authorization"].removeprefix("Bearer ")
    assert _form(hub, uid, writer, action="hide").status_code == 403
    bad_date = _form(hub, uid, token, action="correct", field="start", value="le 12 juin")
    assert (
        bad_date.status_code == 422
        and "Date de début\u00a0» est refusée\u00a0: une date et une heure" in bad_date.text
    )
    bad_field = _form(hub, uid, token, lang="en", action="correct", field="colour", value="red")
    assert bad_field.status_code == 422 and "This field cannot be corrected." in bad_field.text

    done = _form(
        hub, uid, token, action="correct", field="title", value="Repair café solidaire", reason="typo"
    )
    assert done.status_code == 200 and done.history[0].status_code == 303
    assert "Correction enregistrée." in done.text and "Repair café solidaire" in done.text
    themes = _form(hub, uid, token, action="correct", field="themes", value="fablab, repair")
    assert themes.status_code == 200
    event = hub.get(f"/api/v1/events/{uid}").json()
    assert event["title"] == "Repair café solidaire" and len(event["themes"]) == 2
    assert _form(hub, uid, token, action="undo", field="title").status_code == 200
    assert hub.get(f"/api/v1/events/{uid}").json()["title"] == "Repair café"

    hidden = _form(hub, uid, token, lang="en", action="hide", reason="spam")
    assert hidden.status_code == 200 and "This record is hidden." in hidden.text
    assert hub.get(f"/events/{uid}").status_code == 404
    assert "Fiche affichée à nouveau." in _form(hub, uid, token, action="unhide").text
    assert hub.get(f"/events/{uid}").status_code == 200

    assert "<table" not in hub.get("/coordination/log").text
    assert hub.post("/coordination/log", data={"token": writer}).status_code == 403
    log = hub.post("/coordination/log?lang=en", data={"token": token})
    assert log.status_code == 200
    for words in ("Hiding", "Shown again", "Undo", "Réseau Creuse", "spam", "typo", "Repair café solidaire"):
        assert words in log.text, words
    assert len(hub.get("/api/v1/corrections/log", headers=hub.coordinator).json()["items"]) == 5


@pytest.fixture
def served(db, source) -> Iterator[tuple[str, str]]:
    """A hub that harvested `source`, served over HTTP; its base URL and a coordinator token."""
    holder: dict = {}

    def make(base_url: str):
        settings = db.settings(
            role="hub", base_url=base_url, allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False
        )
        register(db.engine, source.node.base_url, token=source.node.harvest_token())
        harvest(db.engine, settings)
        with session_scope(db.engine) as session:
            holder["token"] = create_token(session, "Réseau Creuse", ["admin"])[1]
        return create_app(settings, engine=db.engine)

    with serve(make) as base:
        yield base, holder["token"]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_coordination_form_works_in_a_browser_on_a_phone_and_a_desktop(
    db, served, chromium_browser, width
):
    base, token = served
    [event] = [e for e in httpx.get(f"{base}/api/v1/events").json()["items"] if e["title"] == "Repair café"]
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(f"{base}/events/{event['uid']}")
        page.get_by_role("link", name="Coordination du réseau").click()
        page.get_by_label("Champ", exact=True).select_option("title")
        page.get_by_label("Valeur corrigée").fill("Repair café du Bocage")
        page.locator("#correct-reason").fill("nom officiel")
        page.locator("#correct-token").fill(token)
        page.get_by_role("button", name="Enregistrer la correction").click()
        assert page.get_by_role("status").inner_text() == "Correction enregistrée."
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        if db.kind == "sqlite":
            assert serious_violations(page) == []
            screenshot(page, f"coordination-{'phone' if width < 600 else 'desktop'}")
        page.get_by_role("link", name="Voir la fiche").click()
        assert "corrigé par la coordination" in page.locator(".corrected").inner_text()
        assert page.locator("h1").inner_text() == "Repair café du Bocage"
        if db.kind == "sqlite":
            assert serious_violations(page) == []
            screenshot(page, f"corrected-event-{'phone' if width < 600 else 'desktop'}")
        page.goto(f"{base}/coordination/log")
        page.get_by_label("Jeton de coordination").fill(token)
        page.get_by_role("button", name="Lire le journal").click()
        assert "nom officiel" in page.get_by_role("table").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        if db.kind == "sqlite":
            assert serious_violations(page) == []
            screenshot(page, f"coordination-log-{'phone' if width < 600 else 'desktop'}")
    finally:
        context.close()
    assert errors == []


def test_a_hidden_place_leaves_the_directory_and_the_sitemap_and_its_events_stay(hub, harvested):
    [place] = hub.get("/api/v1/places").json()["items"]
    assert place["uid"] in hub.get("/sitemap.xml").text
    answer = hub.put(f"/api/v1/corrections/places/{place['uid']}/hidden", headers=hub.coordinator)
    assert answer.status_code == 200, answer.text
    assert hub.get("/api/v1/places").json()["items"] == []
    assert place["uid"] not in hub.get("/sitemap.xml").text and place["name"] not in hub.get("/places").text
    assert hub.get(f"/places/{place['uid']}").status_code == 404
    assert len(hub.get("/api/v1/events").json()["items"]) == 2
    assert (
        hub.delete(f"/api/v1/corrections/places/{place['uid']}/hidden", headers=hub.coordinator).status_code
        == 204
    )
    assert hub.get(f"/api/v1/places/{place['uid']}").json()["name"] == place["name"]
    assert len(hub.get("/api/v1/events", params={"department": "23"}).json()["items"]) == 2


def test_an_event_a_calendar_leaves_out_while_hidden_is_not_brought_back(db, hub_settings, hub, source):
    register(db.engine, f"{source.node.base_url}/feeds/events.ics", kind="ics")
    harvest(db.engine, hub_settings)
    uid = hub_event(hub, "Soirée pitch")["uid"]
    assert hub.put(f"/api/v1/corrections/events/{uid}/hidden", headers=hub.coordinator).status_code == 200
    source.delete_event("pitch")
    harvest(db.engine, hub_settings)
    assert hub.delete(f"/api/v1/corrections/events/{uid}/hidden", headers=hub.coordinator).status_code == 204
    assert hub.get(f"/api/v1/events/{uid}").status_code == 404
    assert [e["title"] for e in hub.get("/api/v1/events").json()["items"]] == ["Repair café"]


def test_a_correction_made_while_a_page_of_its_source_is_applied_comes_after_it(
    db, hub_settings, hub, harvested, monkeypatch
):
    if db.kind != "postgresql":
        pytest.skip("SQLite lets one writer at a time in: there is no page to wait for")
    uid = hub_event(hub, "Repair café")["uid"]
    harvested.change_event("repair", title="Repair café v2", description="<p>Nouveau.</p>")
    applied, go = threading.Event(), threading.Event()

    def held_open(*args, **kwargs):
        """Apply the page, then keep its transaction (and its source's lock) open until `go`."""
        stats = apply_batch(*args, **kwargs)
        applied.set()
        assert go.wait(30)
        return stats

    monkeypatch.setattr("hub.federation.harvester.apply_batch", held_open)
    with ThreadPoolExecutor(2) as pool:
        page = pool.submit(harvest, db.engine, hub_settings)
        assert applied.wait(30)
        correcting = pool.submit(
            hub.put,
            f"/api/v1/corrections/events/{uid}/title",
            json={"value": "Repair café du Bocage"},
            headers=hub.coordinator,
        )
        wait_until(lambda: _waiting_for_a_source(db), 20, "the correction to wait for the page")
        go.set()
        page.result()
        assert correcting.result().status_code == 200
    event = hub.get(f"/api/v1/events/{uid}").json()
    assert event["title"] == "Repair café du Bocage" and event["description"] == "<p>Nouveau.</p>"
    assert event["corrections"][0]["source_value"] == "Repair café v2"


def _waiting_for_a_source(db) -> bool:
    with db.engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE :q"),
            {"q": "%FROM source%FOR UPDATE%"},
        ).scalar()
    return bool(waiting)
