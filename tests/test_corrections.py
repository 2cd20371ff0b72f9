"""A hub's coordinators correct or hide harvested records: over real HTTP harvests, the correction
survives the source's next update and is shown as such, a hidden record leaves every output, the
source's deletion still wins, and everything is logged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.events.schemas import EventIn
from hub.events.service import delete_event, get_event, save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.store.db import session_scope
from tests import factories
from tests.servers import Node, running_node


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
    with running_node(tmp_path, "bocage") as node:
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
    reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
    assert all(r.ok for r in reports), [r.error for r in reports]


def register(engine, url: str, **fields) -> None:
    with session_scope(engine) as session:
        add_source(session, SourceIn(url=url, **fields), default_interval=3600)


def hub_event(hub, title: str) -> dict:
    [found] = [
        e for e in hub.get("/api/v1/events", params={"limit": 100}).json()["items"] if e["title"] == title
    ]
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
