"""Places: created by writers, read by all, validated field by field."""

from __future__ import annotations

import pytest

from hub.places.models import Place
from hub.places.schemas import PlaceIn
from hub.places.service import find_place, known_places, save_place
from hub.store.db import session_scope
from tests import factories


def test_writer_creates_place_and_everyone_reads_it(client, writer):
    created = client.post("/api/v1/places", json=factories.place(name="La Forge"), headers=writer)
    assert created.status_code == 201
    place = created.json()
    assert place["id"] == f"http://testserver/places/{place['uid']}"
    assert created.headers["location"] == f"/api/v1/places/{place['uid']}"

    read = client.get(f"/api/v1/places/{place['uid']}")
    assert read.status_code == 200
    assert read.json()["name"] == "La Forge"
    assert read.json()["equipment"] == [
        {"name": "découpeuse laser", "category": "fabrication numérique", "quantity": 1}
    ]


def test_department_and_region_are_derived_from_the_postal_code(client, writer):
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    assert place["address"]["department"] == "23"
    assert place["address"]["region"] == "75"


def test_region_contradicting_department_is_refused_naming_the_field(client, writer):
    data = factories.place(address={"postal_code": "23000", "department": "23", "region": "11"})
    response = client.post("/api/v1/places", json=data, headers=writer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address.region"


def test_a_website_longer_than_its_column_is_refused_naming_the_field(client, writer):
    long = "https://tiers-lieu.example/" + "a" * 500
    response = client.post("/api/v1/places", json=factories.place(website=long), headers=writer)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["website"]
    kept = client.post("/api/v1/places", json=factories.place(website=long[:500]), headers=writer)
    assert kept.status_code == 201 and kept.json()["website"] == long[:500]


def test_bad_postal_code_is_refused_naming_the_field(client, writer):
    response = client.post(
        "/api/v1/places", json=factories.place(address={"postal_code": "ABCDE"}), headers=writer
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["address.postal_code"]


def test_writing_without_token_is_refused(client):
    response = client.post("/api/v1/places", json=factories.place())
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthorized")


def test_harvest_token_cannot_write(client, db):
    from hub.auth.tokens import create_token
    from hub.store.db import session_scope

    with session_scope(db.engine) as session:
        _, clear = create_token(session, "a hub", ["harvest"])
    response = client.post(
        "/api/v1/places", json=factories.place(), headers={"Authorization": f"Bearer {clear}"}
    )
    assert response.status_code == 403


def test_place_description_is_sanitized(client, writer):
    data = factories.place(description='<p onclick="x()">Salut <script>alert(1)</script><b>!</b></p>')
    place = client.post("/api/v1/places", json=data, headers=writer).json()
    assert place["description"] == "<p>Salut <b>!</b></p>"


def test_places_filter_by_text_kind_and_department(client, writer):
    client.post(
        "/api/v1/places",
        json=factories.place(name="Le Café des Possibles", kinds=["third-place"]),
        headers=writer,
    )
    client.post(
        "/api/v1/places",
        json=factories.place(name="Cowork Ardent", kinds=["coworking"], address={"postal_code": "87000"}),
        headers=writer,
    )
    names = lambda r: [p["name"] for p in r.json()["items"]]  # noqa: E731
    assert names(client.get("/api/v1/places", params={"q": "cafe possibles"})) == ["Le Café des Possibles"]
    assert names(client.get("/api/v1/places", params={"kind": "coworking"})) == ["Cowork Ardent"]
    assert names(client.get("/api/v1/places", params={"department": "87"})) == ["Cowork Ardent"]
    assert client.get("/api/v1/places", params={"department": "999"}).status_code == 422


def test_replace_and_delete_place(client, writer):
    uid = client.post("/api/v1/places", json=factories.place(), headers=writer).json()["uid"]
    replaced = client.put(f"/api/v1/places/{uid}", json=factories.place(name="Nouveau nom"), headers=writer)
    assert replaced.json()["name"] == "Nouveau nom"
    assert client.delete(f"/api/v1/places/{uid}", headers=writer).status_code == 204
    assert client.get(f"/api/v1/places/{uid}").status_code == 404


def test_place_with_events_cannot_be_deleted(client, writer):
    uid = client.post("/api/v1/places", json=factories.place(), headers=writer).json()["uid"]
    client.post("/api/v1/events", json=factories.event(place=uid), headers=writer)
    response = client.delete(f"/api/v1/places/{uid}", headers=writer)
    assert response.status_code == 409


def test_cursor_pages_cover_every_place_once(client, writer):
    for i in range(7):
        client.post("/api/v1/places", json=factories.place(name=f"Lieu {i:02d}"), headers=writer)
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/places", params=params).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Lieu {i:02d}" for i in range(7)]


def test_forged_cursor_is_a_clear_error(client):
    response = client.get("/api/v1/places", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_a_page_finds_a_place_saved_after_it_looked_it_up_and_not_one_rolled_back(db):
    iri = "https://node.example/places/forge"
    data = PlaceIn.model_validate(factories.place(name="La Forge"))
    with session_scope(db.engine) as session:
        known_places(session, {iri})  # a harvested page looks up every place it names, held or not
        assert find_place(session, iri) is None
        with pytest.raises(RuntimeError), session.begin_nested():
            save_place(session, Place(iri=iri, name=data.name), data)
            raise RuntimeError("the record fails half-way")
        assert find_place(session, iri) is None
        save_place(session, Place(iri=iri, name=data.name), data)
        assert find_place(session, iri).name == "La Forge"
