"""Programmes: a series of events run across several places ("Place à l'Emploi"), a record of its
own (schema.org EventSeries) that events of any node join by IRI."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.api.app import create_app
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.programmes.models import Programme
from hub.programmes.schemas import ProgrammeIn
from hub.programmes.service import delete_programme, save_programme
from hub.store.db import session_scope
from tests import factories
from tests.servers import running_node

EMPLOI = {
    "name": "Place à l'Emploi",
    "description": "<p>Ateliers pour chercheurs d'emploi</p><script>alert(1)</script>",
    "url": "https://emploi.example.org/",
    "themes": ["emploi"],
}


def _programme(client, writer, **overrides) -> dict:
    response = client.post("/api/v1/programmes", json={**EMPLOI, **overrides}, headers=writer)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_programme_is_an_event_series_with_a_sanitized_description(client, writer):
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    created = _programme(client, writer, organizers=[place["uid"]])
    assert created["type"] == "EventSeries" and created["name"] == "Place à l'Emploi"
    assert "<script>" not in created["description"] and "Ateliers" in created["description"]
    assert created["organizers"] == [place["id"]]
    assert created["themes"][0]["id"].startswith("https://w3id.org/tiers-lieux/themes/")
    assert client.get(f"/api/v1/programmes/{created['uid']}").json() == created
    assert f"/programmes/{created['uid']}?lang=fr" in client.get("/sitemap.xml").text
    assert [p["id"] for p in client.get("/api/v1/programmes").json()["items"]] == [created["id"]]


def test_writing_a_programme_takes_a_token_and_valid_fields(client, writer):
    assert client.post("/api/v1/programmes", json=EMPLOI).status_code == 401
    refused = client.post("/api/v1/programmes", json={**EMPLOI, "name": ""}, headers=writer)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "name"
    unknown_place = client.post(
        "/api/v1/programmes", json={**EMPLOI, "organizers": ["nowhere"]}, headers=writer
    )
    assert unknown_place.json()["errors"][0]["field"] == "organizers[0]"
    assert client.get("/api/v1/programmes", params={"programme": "x"}).status_code == 422
    assert client.get("/api/v1/programmes/nothing-here").status_code == 404


def test_events_join_a_programme_and_are_listed_by_it(client, writer):
    programme = _programme(client, writer)
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    joined = client.post(
        "/api/v1/events",
        json=factories.event(title="Atelier CV", place=place["uid"], programme=programme["uid"]),
        headers=writer,
    ).json()
    client.post("/api/v1/events", json=factories.event(title="Repair café"), headers=writer)
    assert joined["programme"] == programme["id"]
    for path in ("/api/v1/events", "/api/v1/occurrences"):
        listed = client.get(path, params={"programme": programme["id"]}).json()["items"]
        assert [e.get("title") or e["event"]["title"] for e in listed] == ["Atelier CV"]
    by_uid = client.get("/api/v1/events", params={"programme": programme["uid"]}).json()["items"]
    assert [e["title"] for e in by_uid] == ["Atelier CV"]
    unknown = client.get("/api/v1/events", params={"programme": "nothing"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "programme"
    refused = client.post("/api/v1/events", json=factories.event(programme="nothing"), headers=writer)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "programme"


def test_deleting_a_programme_leaves_a_tombstone_in_the_change_feed(client, writer):
    programme = _programme(client, writer)
    cursor = client.get("/api/v1/changes").json()["next_cursor"]
    replaced = client.put(
        f"/api/v1/programmes/{programme['uid']}",
        json={**EMPLOI, "name": "Place à l'Emploi 2027"},
        headers=writer,
    )
    assert replaced.status_code == 200 and replaced.json()["name"] == "Place à l'Emploi 2027"
    assert client.delete(f"/api/v1/programmes/{programme['uid']}", headers=writer).status_code == 204
    assert client.get(f"/api/v1/programmes/{programme['uid']}").status_code == 404
    items = client.get("/api/v1/changes", params={"since": cursor}).json()["items"]
    [tombstone] = [i for i in items if i["id"] == programme["id"]]
    assert tombstone["type"] == "Tombstone" and tombstone["kind"] == "programme"


# At a hub: one programme, published by one node, joined by events of two nodes


def _harvest(engine, settings) -> list:
    return asyncio.run(harvest_many(engine, settings, all_sources(engine)))


@pytest.fixture
def hub_settings(db):
    return db.settings(
        role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False, harvest_retries=0
    )


@pytest.fixture
def two_nodes(tmp_path):
    """Two nodes: the first publishes "Place à l'Emploi" and a session of it, the second a session
    of its own joining the first's programme by IRI."""
    with running_node(tmp_path, "creuse") as creuse, running_node(tmp_path, "correze") as correze:
        with creuse.session() as session:
            place = create_place(session, creuse.settings.base_url, PlaceIn.model_validate(factories.place()))
            programme = save_programme(session, creuse.settings.base_url, ProgrammeIn(**EMPLOI))
            save_event(
                session,
                creuse.settings,
                EventIn(
                    **factories.event(title="Atelier CV à Guéret", place=place.id, programme=programme.id)
                ),
            )
            creuse.programme = (programme.id, programme.iri)
        with correze.session() as session:
            place = create_place(
                session,
                correze.settings.base_url,
                PlaceIn.model_validate(factories.place(name="Tiers-lieu de Tulle")),
            )
            save_event(
                session,
                correze.settings,
                EventIn(
                    **factories.event(
                        title="Simulation d'entretien à Tulle", place=place.id, programme=programme.iri
                    )
                ),
            )
        yield creuse, correze


def test_a_programme_joined_by_events_of_two_nodes_shows_both_at_the_hub(db, hub_settings, two_nodes):
    creuse, _ = two_nodes
    with session_scope(db.engine) as session:
        for node in two_nodes:
            add_source(
                session, SourceIn(url=node.base_url, token=node.harvest_token()), default_interval=3600
            )
    assert all(report.ok for report in _harvest(db.engine, hub_settings))
    programme_iri = creuse.programme[1]
    with TestClient(create_app(hub_settings, engine=db.engine)) as hub:
        [programme] = hub.get("/api/v1/programmes").json()["items"]
        assert programme["id"] == programme_iri and programme["provenance"]["source"] == creuse.base_url + "/"
        titles = sorted(
            e["title"] for e in hub.get("/api/v1/events", params={"programme": programme_iri}).json()["items"]
        )
        assert titles == ["Atelier CV à Guéret", "Simulation d'entretien à Tulle"]
        csv = (
            hub.get(
                "/api/v1/stats",
                params={"by": "programmes", "start": f"{factories.YEAR}-01-01", "format": "csv"},
            )
            .text.removeprefix("\ufeff")
            .splitlines()
        )
        assert csv[0] == "programme,name,place,place_name,events,occurrences"
        assert len(csv) == 3 and all(
            line.startswith(f"{programme_iri},Place à l'Emploi,") for line in csv[1:]
        )
        assert any(",Tiers-lieu de Tulle,1,1" in line for line in csv[1:])

        with creuse.session() as session:
            delete_programme(session, creuse.programme[0])
        _harvest(db.engine, hub_settings)
        assert hub.get("/api/v1/programmes").json()["items"] == []
        with session_scope(db.engine) as session:
            assert session.exec(select(Programme)).all() == []
        # The events keep naming it, as they name a place deleted elsewhere.
        assert len(hub.get("/api/v1/events", params={"programme": programme_iri}).json()["items"]) == 2
