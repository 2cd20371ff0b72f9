"""Needs and offers: posted by a place or a consented member, matched, relayed, expiring, in the
change feed with tombstones, harvested by hubs; nobody's contact details in any output."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.errors import InvalidInput
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Source
from hub.federation.registry import SourceIn, add_source
from hub.needs.models import Need, NeedRelay, NeedSkill
from hub.needs.service import purge_expired
from hub.places.models import Place
from hub.portability import export_lines, import_document
from hub.store.db import session_scope
from hub.vocabulary.jsonld import JSONLD_TYPE
from tests import factories
from tests.servers import running_node
from tests.stores import ADMIN_TOKEN, open_store

PRIVATE_MAIL = "adresse-privee-5d1e@example.org"
REPLY_MAIL = "reponse-relais-8c2f@example.org"
ACCOUNTING = "https://w3id.org/tiers-lieux/skills/accounting"
LASER = "https://w3id.org/tiers-lieux/skills/laser-cutting"


def _member(client, writer, place: dict, name: str, skills: list[str], **overrides) -> dict:
    data = factories.person(
        **{
            "display_name": name,
            "skills": skills,
            "places": [place["uid"]],
            "contact": {"email": PRIVATE_MAIL},
        }
        | overrides
    )
    response = client.post("/api/v1/people", json=data, headers=writer)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def network_of_two(client, writer) -> dict[str, dict]:
    """A fablab with a laser cutter in Guéret, a coworking space in Aubusson, a member of each."""
    fablab = client.post(
        "/api/v1/places", json=factories.place(name="Fablab de Guéret"), headers=writer
    ).json()
    coworking = client.post(
        "/api/v1/places",
        json=factories.place(name="Coworking d'Aubusson", geo={"lat": 45.957, "lon": 2.168}, equipment=[]),
        headers=writer,
    ).json()
    return {
        "fablab": fablab,
        "coworking": coworking,
        "karima": _member(client, writer, coworking, "Karima Exemple", ["comptabilité"]),
        "paul": _member(client, writer, fablab, "Paul Fictif", ["soudure"]),
    }


def _post(client, writer, **data) -> dict:
    response = client.post("/api/v1/needs", json=data, headers=writer)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_place_posts_a_need_whose_words_name_its_skills(client, writer, network_of_two):
    need = _post(
        client,
        writer,
        title="Je cherche quelqu'un pour la compta d'une asso",
        author=network_of_two["fablab"]["uid"],
    )
    assert need["type"] == "Demand"
    assert need["author"] == need["area_served"] == network_of_two["fablab"]["id"]
    assert [s["id"] for s in need["item_offered"]] == [ACCOUNTING]
    assert need["state"] == "open" and need["shown_to"] == "public"
    assert need["contact_url"].endswith(f"/api/v1/needs/{need['uid']}/contact")
    assert client.get(f"/api/v1/needs/{need['uid']}").json() == need
    assert [n["id"] for n in client.get("/api/v1/needs").json()["items"]] == [need["id"]]
    assert client.get("/api/v1/needs", params={"kind": "offer"}).json()["items"] == []
    assert [n["id"] for n in client.get("/api/v1/needs", params={"skill": "Accounting"}).json()["items"]] == [
        need["id"]
    ]


def test_the_best_match_is_the_member_with_the_skill_then_the_distance_is_given(
    client, writer, network_of_two
):
    need = _post(
        client,
        writer,
        title="Besoin d'aide",
        skills=["expertise comptable"],
        author=network_of_two["fablab"]["uid"],
    )
    matches = client.get(f"/api/v1/needs/{need['uid']}/matches").json()
    [karima] = matches["items"]
    assert (karima["match_kind"], karima["candidate"], karima["name"]) == (
        "person",
        network_of_two["karima"]["person"],
        "Karima Exemple",
    )
    assert [s["id"] for s in karima["skills"]] == [ACCOUNTING]
    assert 20 < karima["distance_km"] < 40
    assert "contact" not in karima  # her address is private


def test_a_place_with_the_machine_matches_a_need_in_english(client, writer, network_of_two):
    need = _post(
        client, writer, title="Looking for a laser cutter", author=network_of_two["coworking"]["uid"]
    )
    [fablab] = client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]
    assert fablab["match_kind"] == "place" and fablab["machines"] == ["découpeuse laser"]
    assert [s["id"] for s in fablab["skills"]] == [LASER]


def test_writing_needs_a_token(client, network_of_two):
    response = client.post("/api/v1/needs", json={"title": "x", "author": network_of_two["fablab"]["uid"]})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "swap"}, "kind"),
        ({"author": "nobody"}, "author"),
        ({"place": "nowhere"}, "place"),
        ({"valid_through": "2026-01-01T00:00:00"}, "valid_through"),
        ({"valid_through": "2000-01-01T00:00:00Z"}, "valid_through"),
        ({"visibility": "friends"}, "visibility"),
        ({"skills": ["x"] * 21}, "skills"),
        ({"contact": {"email": "a@example.org"}}, "contact"),
    ],
)
def test_invalid_needs_are_refused_naming_the_field(client, writer, network_of_two, data, field):
    body = {"title": "Un besoin", "author": network_of_two["fablab"]["uid"], **data}
    response = client.post("/api/v1/needs", json=body, headers=writer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].split(".")[0].split("[")[0] == field


def test_a_need_may_stay_open_six_months_at_most(client, writer, settings, network_of_two):
    later = (datetime.now(UTC) + timedelta(days=settings.need_days_max + 1)).isoformat()
    response = client.post(
        "/api/v1/needs",
        json={"title": "Un besoin", "author": network_of_two["fablab"]["uid"], "valid_through": later},
        headers=writer,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "valid_through"


def test_unknown_query_parameters_are_refused_naming_them(client):
    response = client.get("/api/v1/needs", params={"skil": "compta"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "skil"


def test_a_member_without_consent_cannot_post(client, writer, network_of_two):
    never = client.post("/api/v1/people", json=factories.person(consent=None), headers=writer).json()
    response = client.post(
        "/api/v1/needs", json={"title": "Un besoin", "author": never["uid"]}, headers=writer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "author"


def test_a_members_need_is_seen_no_wider_than_their_profile(client, writer, db, network_of_two):
    everything = ["display_name", "skills", "places"]
    reseau = _member(
        client,
        writer,
        network_of_two["fablab"],
        "Réseau Seulement",
        ["soudure"],
        visibility={f: "network" for f in everything},
        consent={"fields": everything},
    )
    need = _post(client, writer, title="Besoin de soudure", author=reseau["uid"], visibility="public")
    assert need["shown_to"] == "network"
    with session_scope(db.engine) as session:
        hub = {"Authorization": f"Bearer {create_token(session, 'hub', ['harvest'])[1]}"}
    assert client.get("/api/v1/needs").json()["items"] == []
    assert client.get(f"/api/v1/needs/{need['uid']}").status_code == 404
    assert "Besoin de soudure" not in client.get("/api/v1/changes").text
    assert [n["id"] for n in client.get("/api/v1/needs", headers=hub).json()["items"]] == [need["id"]]
    assert "Besoin de soudure" in client.get("/api/v1/changes", headers=hub).text


def test_needs_expire_and_then_are_neither_listed_nor_matched_nor_relayed_but_may_be_closed(
    any_day, client, writer, network_of_two
):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    assert client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=61), tick=True):
        assert client.get("/api/v1/needs").json()["items"] == []
        assert client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"] == []
        response = client.post(
            f"/api/v1/needs/{need['uid']}/contact", json={"name": "Paul", "message": "Bonjour"}
        )
        assert response.status_code == 409
        closed = client.patch(f"/api/v1/needs/{need['uid']}", json={"state": "closed"}, headers=writer)
        assert closed.status_code == 200, closed.text  # an expired need is still closed by its author


def test_a_need_expired_long_enough_ago_is_deleted_with_the_requests_it_got(
    client, writer, db, settings, network_of_two
):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    asked = {"name": "Jeanne Fictive", "message": "Je peux aider", "reply_to": REPLY_MAIL}
    assert client.post(f"/api/v1/needs/{need['uid']}/contact", json=asked).status_code == 202
    cursor = client.get("/api/v1/changes", params={"limit": 500}).json()["next_cursor"]
    expired = datetime.fromisoformat(need["valid_through"].replace("Z", "+00:00"))
    kept = expired + timedelta(days=settings.need_keep_days - 1)
    gone = expired + timedelta(days=settings.need_keep_days + 1)

    with session_scope(db.engine) as session:
        assert purge_expired(session, settings, kept) == 0
    assert client.get(f"/api/v1/needs/{need['uid']}/contacts", headers=writer).json()["items"]
    with session_scope(db.engine) as session:
        assert purge_expired(session, settings, gone) == 1
        assert session.exec(select(NeedRelay)).all() == []
    assert client.get(f"/api/v1/needs/{need['uid']}").status_code == 404
    [tombstone] = client.get("/api/v1/changes", params={"since": cursor}).json()["items"]
    assert tombstone.items() >= {"type": "Tombstone", "id": need["id"], "kind": "need"}.items()


def test_answered_needs_leave_the_list_of_open_ones(client, writer, network_of_two):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    response = client.patch(f"/api/v1/needs/{need['uid']}", json={"state": "answered"}, headers=writer)
    assert response.status_code == 200 and response.json()["state"] == "answered"
    assert response.json()["title"] == need["title"]
    assert client.get("/api/v1/needs").json()["items"] == []
    assert [n["id"] for n in client.get("/api/v1/needs", params={"state": "answered"}).json()["items"]] == [
        need["id"]
    ]
    refused = client.patch(f"/api/v1/needs/{need['uid']}", json={"author": "x"}, headers=writer)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "author"


def test_a_withdrawn_need_leaves_a_tombstone_in_the_change_feed(client, writer, network_of_two):
    need = _post(
        client, writer, kind="offer", title="J'offre une initiation", author=network_of_two["fablab"]["uid"]
    )
    assert need["type"] == "Offer"
    cursor = client.get("/api/v1/changes", params={"limit": 500}).json()["next_cursor"]
    assert client.delete(f"/api/v1/needs/{need['uid']}", headers=writer).status_code == 204
    assert client.get(f"/api/v1/needs/{need['uid']}").status_code == 404
    [tombstone] = client.get("/api/v1/changes", params={"since": cursor}).json()["items"]
    assert tombstone.items() >= {"type": "Tombstone", "id": need["id"], "kind": "offer"}.items()
    snapshot = client.get("/api/v1/changes", params={"limit": 500}).json()["items"]
    assert need["id"] not in {i["id"] for i in snapshot}  # a newcomer is told nothing of it


def test_a_request_to_be_put_in_touch_is_kept_for_its_recipient_only(client, writer, network_of_two):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    karima = network_of_two["karima"]["person"]
    asked = {"name": "Jeanne Fictive", "message": "Je peux aider", "reply_to": REPLY_MAIL, "to": karima}
    response = client.post(f"/api/v1/needs/{need['uid']}/contact", json=asked)
    assert response.status_code == 202
    assert response.json() == {"need": need["id"], "to": karima, "status": "relayed"}
    to_author = client.post(
        f"/api/v1/needs/{need['uid']}/contact", json={"name": "Léo", "message": "Moi aussi"}
    )
    assert to_author.json()["to"] == network_of_two["fablab"]["id"]
    assert client.get(f"/api/v1/needs/{need['uid']}/contacts").status_code == 401
    relays = client.get(f"/api/v1/needs/{need['uid']}/contacts", headers=writer).json()["items"]
    assert {(r["to"], r["reply_to"]) for r in relays} == {
        (karima, REPLY_MAIL),
        (network_of_two["fablab"]["id"], None),
    }
    stranger = client.post(
        f"/api/v1/needs/{need['uid']}/contact", json={**asked, "to": network_of_two["paul"]["person"]}
    )
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "to"


def test_the_page_of_a_need_relays_a_request_from_its_form_and_keeps_nothing_a_robot_sends(
    client, writer, network_of_two
):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    form = {"name": "Jeanne Fictive", "message": "Je peux aider", "reply_to": REPLY_MAIL}
    path, contacts = f"/needs/{need['uid']}/contact", f"/api/v1/needs/{need['uid']}/contacts"
    foreign = client.post(path, data=form, headers={"Origin": "https://ailleurs.example"})
    assert foreign.status_code == 403
    assert client.post("/needs/no-such-need/contact", data=form).status_code == 404
    robot = client.post(path, data=form | {"website": "https://spam.example"})
    assert robot.status_code == 200 and 'role="status"' in robot.text
    assert client.get(contacts, headers=writer).json()["items"] == []
    missing = client.post(path, data=form | {"message": "", "reply_to": "pas-une-adresse"})
    assert missing.status_code == 422
    assert 'id="f-message-error"' in missing.text and 'id="f-reply_to-error"' in missing.text
    assert 'value="Jeanne Fictive"' in missing.text
    sent = client.post(path, data=form)
    assert sent.status_code == 200 and 'role="status"' in sent.text and REPLY_MAIL not in sent.text
    [relay] = client.get(contacts, headers=writer).json()["items"]
    assert (relay["to"], relay["name"], relay["reply_to"]) == (
        network_of_two["fablab"]["id"],
        "Jeanne Fictive",
        REPLY_MAIL,
    )
    client.patch(f"/api/v1/needs/{need['uid']}", json={"state": "answered"}, headers=writer)
    closed = client.post(path, data=form | {"lang": "en"}, headers={"Accept-Language": "en"})
    assert closed.status_code == 409 and "no longer open" in closed.text


def _every_output(client, app, headers: dict, need_uid: str) -> list[tuple[str, str]]:
    """Every GET of the API (in JSON and JSON-LD), with the need's id, and the pages."""
    bodies = []
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        filled = path.replace("{need_id}", need_uid)
        for accept in ("application/json", JSONLD_TYPE):
            response = client.get(filled, headers={**headers, "Accept": accept})
            bodies.append((f"{filled} {accept}", response.text))
    for page in ("/needs", f"/needs/{need_uid}", "/needs?lang=en"):
        bodies.append((page, client.get(page, headers=headers).text))
    return bodies


def test_no_private_contact_nor_reply_address_in_any_output(client, app, writer, db, network_of_two):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    karima = network_of_two["karima"]["person"]
    client.post(
        f"/api/v1/needs/{need['uid']}/contact",
        json={"name": "Jeanne", "message": "Bonjour", "reply_to": REPLY_MAIL, "to": karima},
    )
    with session_scope(db.engine) as session:
        hub = {"Authorization": f"Bearer {create_token(session, 'hub', ['harvest'])[1]}"}
    bodies = _every_output(client, app, {}, need["uid"]) + _every_output(client, app, hub, need["uid"])
    assert any("Karima Exemple" in body for _, body in bodies)
    for where, body in bodies:
        assert PRIVATE_MAIL not in body, where
        assert REPLY_MAIL not in body, where


def test_public_contact_details_are_shown_with_the_match(client, writer, network_of_two):
    everything = ["display_name", "skills", "places", "contact"]
    _member(
        client,
        writer,
        network_of_two["fablab"],
        "Ouverte Fictive",
        ["comptabilité"],
        contact={"email": "publique@example.org"},
        visibility={f: "public" for f in everything},
        consent={"fields": everything},
    )
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["coworking"]["uid"])
    matches = client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]
    assert {m["name"]: m.get("contact") for m in matches} == {
        "Ouverte Fictive": {"email": "publique@example.org"},
        "Karima Exemple": None,
    }


def test_withdrawn_consent_removes_the_members_needs_and_matches(client, app, writer, network_of_two):
    karima = network_of_two["karima"]
    offer = _post(client, writer, kind="offer", title="J'aide pour la compta", author=karima["uid"])
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    assert {m["name"] for m in client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]} == {
        "Karima Exemple",
        "J'aide pour la compta",
    }
    cursor = client.get("/api/v1/changes", params={"limit": 500}).json()["next_cursor"]
    assert client.delete(f"/api/v1/people/{karima['uid']}/consent", headers=writer).status_code == 200
    assert client.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"] == []
    for where, body in _every_output(client, app, {}, need["uid"]):
        assert "J'aide pour la compta" not in body, where
        assert "Karima Exemple" not in body, where
    changes = client.get("/api/v1/changes", params={"since": cursor}).json()["items"]
    assert [(c["type"], c["kind"]) for c in changes if c["id"] == offer["id"]] == [("Tombstone", "offer")]


def test_needs_of_the_day_are_the_public_ones_posted_in_the_last_day_in_an_area(
    client, writer, db, network_of_two
):
    from hub.needs.service import needs_of_the_day

    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    with session_scope(db.engine) as session:
        now = datetime.now(UTC)
        assert [n.iri for n in needs_of_the_day(session, now, department="23")] == [need["id"]]
        assert needs_of_the_day(session, now, department="19") == []
        assert needs_of_the_day(session, now + timedelta(days=2)) == []


# Over real HTTP: a node publishes, a regional hub harvests it, a national hub harvests the region.


def _harvest(engine, settings) -> None:
    reports = asyncio.run(harvest_many(engine, settings, all_sources(engine)))
    assert all(r.ok for r in reports), [r.error for r in reports]


def _register(engine, url: str, token: str) -> None:
    with session_scope(engine) as session:
        add_source(session, SourceIn(url=url, token=token), default_interval=3600)


def _offer_of_a_member(api: httpx.Client) -> tuple[dict, dict, dict]:
    """On a node: a fablab, a member of it, and the offer she posts: twenty skills posted and one
    more named in its words, so that it is published with 21, more than a write takes."""
    place = api.post("/api/v1/places", json=factories.place(name="Fablab du nœud")).json()
    member = api.post(
        "/api/v1/people", json=factories.person(display_name="Inès Fictive", places=[place["uid"]])
    ).json()
    offer = {
        "kind": "offer",
        "title": "J'imprime en 3D",
        "description": "Et je tiens la comptabilité d'associations.",
        "skills": ["impression 3D", *(f"savoir-faire n°{n}" for n in range(19))],
    }
    return place, member, api.post("/api/v1/needs", json=offer | {"author": member["uid"]}).json()


def test_hubs_of_hubs_carry_needs_and_drop_them_when_consent_is_withdrawn(db, tmp_path):
    national = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    with (
        running_node(tmp_path, "node", admin_token="n" * 32) as node,
        running_node(tmp_path, "region", role="hub") as region,
    ):
        writer = {"Authorization": f"Bearer {'n' * 32}"}
        with httpx.Client(base_url=node.base_url, headers=writer) as api:
            _, member, offer = _offer_of_a_member(api)
        _register(region.engine, node.base_url, node.harvest_token())
        _harvest(region.engine, region.settings)
        _register(db.engine, region.base_url, region.harvest_token())
        _harvest(db.engine, national)
        with TestClient(create_app(national, engine=db.engine)) as hub:
            [held] = hub.get("/api/v1/needs").json()["items"]
            assert held["id"] == offer["id"] and held["contact_url"] == offer["contact_url"]
            assert len(held["item_offered"]) == len(offer["item_offered"]) == 21
            assert held["provenance"]["source"] == node.base_url + "/"
            assert held["provenance"]["via"] == [region.base_url + "/"]
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            foreign = hub.post(
                "/api/v1/needs", json={"title": "En son nom", "author": held["author"]}, headers=admin
            )
            assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "author"
            own = hub.post(
                "/api/v1/places", json=factories.place(name="Tiers-lieu national"), headers=admin
            ).json()
            need = hub.post(
                "/api/v1/needs",
                json={"title": "Besoin d'une imprimante 3D", "author": own["uid"]},
                headers=admin,
            ).json()
            assert {m["name"] for m in hub.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]} >= {
                "J'imprime en 3D",
                "Inès Fictive",
            }
            elsewhere = hub.post(
                f"/api/v1/needs/{held['uid']}/contact", json={"name": "Léo", "message": "Bonjour"}
            )
            assert elsewhere.status_code == 409 and elsewhere.json()["contact_url"] == offer["contact_url"]
            page = hub.get(f"/needs/{held['uid']}")
            assert f'href="{offer["id"]}"' in page.text and 'action="' not in page.text
            with httpx.Client(base_url=node.base_url, headers=writer) as api:
                assert api.delete(f"/api/v1/people/{member['uid']}/consent").status_code == 200
            _harvest(region.engine, region.settings)
            _harvest(db.engine, national)
            assert hub.get("/api/v1/needs", params={"kind": "offer"}).json()["items"] == []
            names = {m["name"] for m in hub.get(f"/api/v1/needs/{need['uid']}/matches").json()["items"]}
            assert not names & {"J'imprime en 3D", "Inès Fictive"}
            assert "J'imprime en 3D" not in hub.get("/api/v1/changes", params={"limit": 500}).text


def test_figures_count_needs_posted_matched_and_answered_per_month_and_place(db, writer):
    with TestClient(create_app(db.settings(role="hub"), engine=db.engine)) as hub:
        network = {}
        for key, name in (("fablab", "Fablab de Guéret"), ("coworking", "Coworking d'Aubusson")):
            network[key] = hub.post("/api/v1/places", json=factories.place(name=name), headers=writer).json()
        _member(hub, writer, network["coworking"], "Karima Exemple", ["comptabilité"])
        matched = _post(hub, writer, title="Compta d'une asso", author=network["fablab"]["uid"])
        _post(hub, writer, title="Quelqu'un pour tenir la buvette", author=network["fablab"]["uid"])
        _post(hub, writer, kind="offer", title="Je prête ma salle", author=network["coworking"]["uid"])
        hub.patch(f"/api/v1/needs/{matched['uid']}", json={"state": "answered"}, headers=writer)
        # An offer posted later matches the need nobody could help with: it counts as matched now.
        _post(hub, writer, kind="offer", title="Je tiens une buvette", author=network["coworking"]["uid"])
        table = hub.get("/api/v1/stats", params={"by": "needs"}).json()
        month = datetime.now(db.settings().zone).strftime("%Y-%m")
        assert table["columns"] == ["month", "place", "name", "needs", "offers", "matched", "answered"]
        assert sorted(table["rows"]) == sorted(
            [
                [month, network["coworking"]["id"], "Coworking d'Aubusson", 0, 2, 0, 0],
                [month, network["fablab"]["id"], "Fablab de Guéret", 2, 0, 2, 1],
            ]
        )
        csv = hub.get("/api/v1/stats", params={"by": "needs", "format": "csv"}).text
        assert csv.splitlines()[0].lstrip("\ufeff") == "month,place,name,needs,offers,matched,answered"
        assert "Karima" not in csv and PRIVATE_MAIL not in csv  # places and counts, no person
        page = hub.get("/stats", params={"lang": "en"}).text
        assert "Needs and offers posted, by month and place" in page and "Fablab de Guéret" in page


# Moving an instance: `hub export` then `hub import` into an empty one.


def _held(engine) -> dict[str, dict]:
    """Every need and offer as stored, by IRI, with its skills as posted and the requests it got;
    its source named by URL (ids are the store's own)."""
    with Session(engine) as session:
        urls = dict(session.exec(select(Source.id, Source.url)).all())
        held = {}
        for need in session.exec(select(Need)).all():
            row = need.model_dump() | {"source_id": urls.get(need.source_id)}
            skills = session.exec(
                select(NeedSkill).where(NeedSkill.need_id == need.id).order_by(col(NeedSkill.id))
            )
            row["skills"] = [(s.concept_iri, s.label) for s in skills]
            relays = session.exec(select(NeedRelay).where(NeedRelay.need_id == need.id))
            row["relays"] = sorted((r.to_iri, r.name, r.message, r.reply_to, r.created_at) for r in relays)
            held[need.iri] = row
    return held


def _exported(engine, settings) -> dict:
    with Session(engine) as session:
        return orjson.loads(b"".join(export_lines(session, settings)))


def test_needs_and_offers_move_with_the_requests_they_got_and_come_back_identical(db, writer, tmp_path):
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    with running_node(tmp_path, "node", admin_token="n" * 32) as node:
        with httpx.Client(base_url=node.base_url, headers={"Authorization": f"Bearer {'n' * 32}"}) as api:
            place, _, _ = _offer_of_a_member(api)
            api.post(
                "/api/v1/needs", json={"title": "Qui tient la compta d'une asso ?", "author": place["uid"]}
            )
        _register(db.engine, node.base_url, node.harvest_token())
        _harvest(db.engine, settings)
    with TestClient(create_app(settings, engine=db.engine)) as hub:
        fablab = hub.post(
            "/api/v1/places", json=factories.place(name="Fablab de Guéret"), headers=writer
        ).json()
        karima = _member(hub, writer, fablab, "Karima Exemple", ["comptabilité", "a free-text skill"])
        seen_by_network = _member(
            hub,
            writer,
            fablab,
            "Noé Réseau",
            ["soudure"],
            visibility={"display_name": "network", "skills": "network"},
        )
        with time_machine.travel(datetime.now(UTC) - timedelta(days=61), tick=True):
            _post(hub, writer, title="Une buvette pour la fête", author=fablab["uid"])  # expired, still kept
        need = _post(
            hub, writer, title="Compta d'une asso", skills=["expertise comptable"], author=fablab["uid"]
        )
        answered = _post(hub, writer, title="Besoin d'une salle", author=fablab["uid"])
        hub.patch(f"/api/v1/needs/{answered['uid']}", json={"state": "answered"}, headers=writer)
        _post(hub, writer, kind="offer", title="Je soude", author=seen_by_network["uid"])
        asked = {"name": "Jeanne Fictive", "message": "Je peux aider", "reply_to": REPLY_MAIL}
        for to in (None, karima["person"]):
            relayed = hub.post(
                f"/api/v1/needs/{need['uid']}/contact", json=asked | ({"to": to} if to else {})
            )
            assert relayed.status_code == 202, relayed.text
        [harvested] = [
            n for n in hub.get("/api/v1/needs", params={"kind": "need"}).json()["items"] if "provenance" in n
        ]
        relayed = hub.post(f"/api/v1/needs/{harvested['uid']}/contact", json=asked | {"to": karima["person"]})
        assert relayed.status_code == 202, relayed.text  # for a member of this hub, who can help
        contacts = hub.get(f"/api/v1/needs/{need['uid']}/contacts", headers=writer).json()["items"]
    before = _held(db.engine)
    assert len(before) == 6 and {n["source_id"] for n in before.values()} == {None, node.base_url}
    assert sum(len(n["relays"]) for n in before.values()) == 3
    exported = _exported(db.engine, settings)
    for store in open_store(db.kind, tmp_path):
        fresh_settings = store.settings(role="hub")
        with session_scope(store.engine) as session:
            counts = import_document(session, fresh_settings, exported)
        assert (counts["need"], counts["offer"]) == (4, 2)
        assert _held(store.engine) == before
        fresh_app = create_app(fresh_settings, engine=store.engine)
        with TestClient(fresh_app) as fresh:
            moved = fresh.get(f"/api/v1/needs/{need['uid']}/contacts", headers=writer).json()["items"]
            assert [{**r, "id": None} for r in moved] == [{**r, "id": None} for r in contacts]
            # Seen by whom it was seen by, and the requests by their recipient only.
            assert {n["title"] for n in fresh.get("/api/v1/needs").json()["items"]} == {
                "Compta d'une asso",
                "J'imprime en 3D",
                "Qui tient la compta d'une asso ?",
            }
            with session_scope(store.engine) as session:
                network = {"Authorization": f"Bearer {create_token(session, 'hub', ['harvest'])[1]}"}
            for headers in ({}, network):
                for where, body in _every_output(fresh, fresh_app, headers, need["uid"]):
                    assert REPLY_MAIL not in body and PRIVATE_MAIL not in body, where
            assert "Je soude" in fresh.get("/api/v1/needs", headers=network).text


@pytest.mark.parametrize(
    ("breaking", "field"),
    [
        (lambda need: need.update(title=""), "title"),
        (lambda need: need.update(area_served="https://ailleurs.example/places/x"), "area_served"),
        (lambda need: need["held"].pop("valid_through"), "held.valid_through"),
        (lambda need: need["held"]["relays"][0].pop("name"), "held.relays[0].name"),
    ],
    ids=["no-title", "unknown-place", "no-end", "request-without-name"],
)
def test_an_export_with_a_malformed_need_is_refused_naming_the_field_and_writes_nothing(
    client, writer, db, network_of_two, tmp_path, breaking, field
):
    need = _post(client, writer, title="Compta d'une asso", author=network_of_two["fablab"]["uid"])
    client.post(f"/api/v1/needs/{need['uid']}/contact", json={"name": "Jeanne Fictive", "message": "Bonjour"})
    exported = _exported(db.engine, db.settings())
    [at] = [n for n, item in enumerate(exported["items"]) if item["id"] == need["id"]]
    breaking(exported["items"][at])
    for store in open_store(db.kind, tmp_path):
        with pytest.raises(InvalidInput) as refused, session_scope(store.engine) as session:
            import_document(session, store.settings(), exported)
        assert refused.value.field == f"items[{at}].{field}"
        assert need["id"] in refused.value.detail
        with Session(store.engine) as session:
            assert session.exec(select(Place)).all() == [] and session.exec(select(Source)).all() == []
