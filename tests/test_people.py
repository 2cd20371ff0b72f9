"""Member profiles: consent first, then each field's visibility, in every output."""

from __future__ import annotations

import re

import pytest

from hub.auth.tokens import create_token
from hub.store.db import session_scope
from tests import factories

NEVER_CONSENTED = "Sentinelle Sans Accord"
PRIVATE_MARK = "marqueur-prive-7f3a"
NETWORK_MARK = "marqueur-reseau-91bc"


@pytest.fixture
def harvest_headers(db) -> dict[str, str]:
    with session_scope(db.engine) as session:
        _, clear = create_token(session, "regional hub", ["harvest"])
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def members(client, writer) -> dict[str, dict]:
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    client.post("/api/v1/events", json=factories.event(place=place["uid"]), headers=writer)
    created = {}
    for key, data in {
        "never": factories.person(display_name=NEVER_CONSENTED, consent=None, places=[place["uid"]]),
        "mixed": factories.person(
            display_name="Karima Exemple",
            bio=f"bio {PRIVATE_MARK}",
            badges=[NETWORK_MARK],
            skills=["soudure"],
            places=[place["uid"]],
            contact={"email": f"{PRIVATE_MARK}@example.org"},
            visibility={
                "display_name": "public",
                "bio": "private",
                "badges": "network",
                "skills": "public",
                "places": "public",
                "contact": "private",
            },
        ),
    }.items():
        response = client.post("/api/v1/people", json=data, headers=writer)
        assert response.status_code == 201, response.text
        created[key] = response.json()
    created["place"] = place
    return created


def _every_get_output(client, app, headers, ids: dict[str, str]) -> list[tuple[str, str]]:
    """Call every GET operation of the API (detail paths with known ids) and collect the bodies."""
    bodies = []
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        for name in re.findall(r"{(\w+)}", path):
            path = path.replace("{" + name + "}", ids.get(name, "x"))
        for params in ({}, {"q": "exemple"}, {"skill": "soudure"}, {"start": "2000-01-01"}):
            response = client.get(path, params=params, headers=headers)
            bodies.append((f"{path} {params}", response.text))
    return bodies


def test_no_consent_private_and_network_fields_appear_in_no_public_output(client, app, members):
    ids = {"person_id": members["mixed"]["uid"], "place_id": members["place"]["uid"], "slug": "welding"}
    for where, body in _every_get_output(client, app, {}, ids):
        assert NEVER_CONSENTED not in body, where
        assert PRIVATE_MARK not in body, where
        assert NETWORK_MARK not in body, where


def test_a_hub_token_reveals_network_fields_but_never_private_ones(client, app, members, harvest_headers):
    ids = {"person_id": members["mixed"]["uid"], "place_id": members["place"]["uid"], "slug": "welding"}
    bodies = _every_get_output(client, app, harvest_headers, ids)
    assert any(NETWORK_MARK in body for _, body in bodies)
    for where, body in bodies:
        assert NEVER_CONSENTED not in body, where
        assert PRIVATE_MARK not in body, where


def test_profile_without_consent_is_not_found_even_by_id(client, members, harvest_headers):
    uid = members["never"]["uid"]
    assert client.get(f"/api/v1/people/{uid}").status_code == 404
    assert client.get(f"/api/v1/people/{uid}", headers=harvest_headers).status_code == 404


def test_search_does_not_match_hidden_fields(client, members, harvest_headers):
    assert client.get("/api/v1/people", params={"q": PRIVATE_MARK}).json()["items"] == []
    assert client.get("/api/v1/people", params={"q": NETWORK_MARK}).json()["items"] == []
    found = client.get("/api/v1/people", params={"q": NETWORK_MARK}, headers=harvest_headers).json()["items"]
    assert [p["display_name"] for p in found] == ["Karima Exemple"]


def test_skill_filter_only_matches_skills_the_reader_may_see(client, writer):
    client.post(
        "/api/v1/people",
        json=factories.person(
            display_name="Réseau Seulement",
            skills=["comptabilité"],
            visibility={"display_name": "public", "skills": "network"},
        ),
        headers=writer,
    )
    assert client.get("/api/v1/people", params={"skill": "compta"}).json()["items"] == []


def test_skill_asked_in_any_spelling_finds_the_person(client, writer):
    client.post(
        "/api/v1/people",
        json=factories.person(display_name="Maker Fictif", skills=["3D printing"]),
        headers=writer,
    )
    for spelling in ("impression 3d", "Imprimante 3D", "IMPRESSION-3D", "3d-printing"):
        found = client.get("/api/v1/people", params={"skill": spelling}).json()["items"]
        assert [p["display_name"] for p in found] == ["Maker Fictif"], spelling


def test_skill_neither_in_the_thesaurus_nor_on_a_visible_profile_is_named_in_the_problem(client, writer):
    client.post(
        "/api/v1/people",
        json=factories.person(display_name="Tricoteuse Fictive", skills=["Tricot urbain"]),
        headers=writer,
    )
    found = client.get("/api/v1/people", params={"skill": "Tricot urbain"}).json()["items"]
    assert [p["display_name"] for p in found] == ["Tricoteuse Fictive"]
    response = client.get("/api/v1/people", params={"skill": "Tricot urbian"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "skill"
    assert "/api/v1/skills" in response.json()["errors"][0]["message"]


def test_skill_asked_finds_narrower_skills(client, writer):
    client.post(
        "/api/v1/people",
        json=factories.person(display_name="Maker Fictif", skills=["3D printing"]),
        headers=writer,
    )
    found = client.get("/api/v1/people", params={"skill": "digital-fabrication"}).json()["items"]
    assert [p["display_name"] for p in found] == ["Maker Fictif"]


def test_withdrawn_consent_removes_profile_from_every_output(client, app, writer, members):
    uid = members["mixed"]["uid"]
    withdrawn = client.delete(f"/api/v1/people/{uid}/consent", headers=writer)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None
    ids = {"person_id": uid, "place_id": members["place"]["uid"], "slug": "welding"}
    for where, body in _every_get_output(client, app, {}, ids):
        assert "Karima Exemple" not in body, where


def test_consent_given_again_publishes_again(client, writer, members):
    uid = members["never"]["uid"]
    response = client.put(f"/api/v1/people/{uid}/consent", json={"fields": ["display_name"]}, headers=writer)
    assert response.status_code == 200
    profile = client.get(f"/api/v1/people/{uid}").json()
    assert profile == {
        "id": profile["id"],
        "type": "Person",
        "uid": uid,
        "display_name": NEVER_CONSENTED,
        "updated": profile["updated"],
    }


def test_consent_record_is_for_writers_only(client, writer, members):
    uid = members["mixed"]["uid"]
    assert client.get(f"/api/v1/people/{uid}/consent").status_code == 401
    record = client.get(f"/api/v1/people/{uid}/consent", headers=writer).json()
    assert record["given_at"] and record["visibility"]["bio"] == "private"


def test_unknown_visibility_level_is_refused_naming_the_field(client, writer):
    response = client.post(
        "/api/v1/people", json=factories.person(visibility={"bio": "friends"}), headers=writer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "visibility.bio"
