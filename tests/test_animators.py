"""A place's animators: consented members it declares with a role, badges and a start date; events
that name them; who animates where across a network. A role follows the visibility of the member's
places: an animator whose places are for the network only is on no public output, in any format."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import orjson
import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from sqlmodel import select

from hub.api.app import create_app
from hub.auth.tokens import create_token
from hub.events.models import EventAnimator
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.people.animators import name_animators
from hub.people.models import Person, PersonRole
from hub.people.roles import declare_role
from hub.people.schemas import PersonIn, RoleIn
from hub.people.service import save_person, withdraw_consent
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.portability import export_lines, import_document
from hub.programmes.schemas import ProgrammeIn
from hub.programmes.service import save_programme
from hub.store.db import session_scope
from hub.vocabulary.jsonld import SCHEMAS_DIR, to_graph
from tests import factories
from tests.browser import opened, screenshot, serious_violations
from tests.servers import running_node, serve
from tests.stores import open_store

EVERYTHING = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]
ANIMATRICE = {"role_name": "animatrice", "badges": ["accueil", "médiation numérique"], "since": "2025-09-01"}


def _member(client, writer, name: str, seen_by: str = "public", consent: bool = True) -> dict:
    data = factories.person(display_name=name, visibility={"places": seen_by, "display_name": seen_by})
    if not consent:
        data.pop("consent")
    response = client.post("/api/v1/people", json=data, headers=writer)
    assert response.status_code == 201, response.text
    return response.json()


def _harvesting_hub(client, db) -> dict[str, str]:
    with session_scope(db.engine) as session:
        return {"Authorization": f"Bearer {create_token(session, 'a hub', ['harvest'])[1]}"}


@pytest.fixture
def fablab(client, writer) -> dict:
    """A place with two animators: one the public sees at her places, one only the network sees."""
    place = client.post("/api/v1/places", json=factories.place(name="La Fabrique"), headers=writer).json()
    public = _member(client, writer, "Léa Publique")
    network = _member(client, writer, "Noé Réseau", seen_by="network")
    for member, role in ((public, ANIMATRICE), (network, {"role_name": "concierge"})):
        path = f"/api/v1/places/{place['uid']}/animators/{member['uid']}"
        assert client.put(path, json=role, headers=writer).status_code == 204
    return {"place": place, "public": public, "network": network}


def test_a_place_declares_its_animators_with_a_role_badges_and_a_start_date(client, fablab):
    place, public = fablab["place"], fablab["public"]
    profile = client.get(f"/api/v1/people/{public['uid']}").json()
    [role] = profile["roles"]
    assert role["type"] == "Role" and role["work_location"] == place["id"]
    assert role["role_name"] == "animatrice" and role["since"] == "2025-09-01"
    assert [b["label"]["en"] for b in role["role_badges"]] == ["Welcome", "Digital inclusion"]
    [listed] = client.get("/api/v1/animators").json()["items"]
    assert listed["holder"] == {"id": public["person"], "uid": public["uid"], "display_name": "Léa Publique"}
    assert listed["work_location"] == {"id": place["id"], "uid": place["uid"], "name": "La Fabrique"}
    assert client.get("/api/v1/animators", params={"place": "elsewhere"}).json()["items"] == []


def test_declaring_an_animator_is_refused_naming_what_is_wrong(client, writer, fablab):
    place = fablab["place"]["uid"]
    stranger = _member(client, writer, "Sans Consentement", consent=False)
    path = f"/api/v1/places/{place}/animators"
    not_consented = client.put(f"{path}/{stranger['uid']}", json=ANIMATRICE, headers=writer)
    assert not_consented.status_code == 422
    assert not_consented.headers["content-type"] == "application/problem+json"
    assert not_consented.json()["errors"][0] == {
        "field": "person_id",
        "location": "path",
        "message": "this member has not consented to a published profile",
    }
    bad_badge = client.put(
        f"{path}/{fablab['public']['uid']}", json={"role_name": "x", "badges": ["licorne"]}, headers=writer
    )
    assert bad_badge.status_code == 422 and bad_badge.json()["errors"][0]["field"] == "badges[0]"
    empty_role = client.put(f"{path}/{fablab['public']['uid']}", json={"role_name": ""}, headers=writer)
    assert empty_role.json()["errors"][0]["field"] == "role_name"
    assert client.put(f"{path}/{fablab['public']['uid']}", json=ANIMATRICE).status_code == 401
    assert (
        client.put(
            f"/api/v1/places/nowhere/animators/{fablab['public']['uid']}", json=ANIMATRICE, headers=writer
        ).status_code
        == 404
    )
    assert client.get("/api/v1/animators", params={"plac": "x"}).json()["errors"][0]["field"] == "plac"


def test_removing_an_animator_republishes_the_profile_without_the_role(client, writer, fablab):
    path = f"/api/v1/places/{fablab['place']['uid']}/animators/{fablab['public']['uid']}"
    assert client.delete(path, headers=writer).status_code == 204
    assert "roles" not in client.get(f"/api/v1/people/{fablab['public']['uid']}").json()
    assert client.delete(path, headers=writer).status_code == 404


def test_an_animator_seen_only_by_the_network_is_on_no_public_output(client, writer, db, fablab):
    place, public, network = fablab["place"], fablab["public"], fablab["network"]
    event = client.post(
        "/api/v1/events",
        json=factories.event(
            title="Atelier soudure", place=place["uid"], animators=[public["uid"], network["person"]]
        ),
        headers=writer,
    )
    assert event.status_code == 201, event.text
    assert event.json()["animators"] == [public["person"]]
    secret = network["person"]
    year = factories.YEAR
    public_outputs = [
        "/api/v1/animators",
        "/api/v1/people",
        f"/api/v1/events/{event.json()['uid']}",
        "/api/v1/events",
        "/api/v1/occurrences",
        "/api/v1/changes",
        "/feeds/events.ics",
        "/feeds/events.rss",
        f"/events/{event.json()['uid']}",
        f"/places/{place['uid']}",
    ]
    for path in public_outputs:
        for accept in ("application/json", "application/ld+json"):
            answer = client.get(
                path,
                params={"start": f"{year}-01-01"} if "occurrences" in path else {},
                headers={"Accept": accept},
            )
            assert answer.status_code == 200, (path, answer.text)
            assert secret not in answer.text and "Noé Réseau" not in answer.text, path
    assert "Léa Publique" in client.get("/api/v1/animators").text
    assert "Animé par</dt>\n  <dd>Léa Publique</dd>" in client.get(f"/events/{event.json()['uid']}").text
    hub = _harvesting_hub(client, db)
    assert "Noé Réseau" in client.get("/api/v1/animators", headers=hub).text
    assert "concierge" in client.get(f"/api/v1/people/{network['uid']}", headers=hub).text


def test_an_event_names_only_consented_members_and_forgets_those_who_withdraw(client, writer, fablab):
    public = fablab["public"]
    stranger = _member(client, writer, "Sans Consentement", consent=False)
    refused = client.post("/api/v1/events", json=factories.event(animators=[stranger["uid"]]), headers=writer)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "animators[0]"
    event = client.post(
        "/api/v1/events", json=factories.event(animators=[public["uid"]]), headers=writer
    ).json()
    # A write that does not name the animators keeps them.
    kept = client.put(
        f"/api/v1/events/{event['uid']}", json=factories.event(title="Renommé"), headers=writer
    ).json()
    assert kept["animators"] == [public["person"]]
    assert client.delete(f"/api/v1/people/{public['uid']}/consent", headers=writer).status_code == 200
    assert "animators" not in client.get(f"/api/v1/events/{event['uid']}").json()
    assert client.get("/api/v1/animators").json()["items"] == []


def test_the_figures_count_events_per_animator_and_place_for_what_the_reader_may_see(
    client, writer, db, fablab
):
    place, public, network = fablab["place"], fablab["public"], fablab["network"]
    for title in ("Atelier A", "Atelier B"):
        client.post(
            "/api/v1/events",
            json=factories.event(title=title, place=place["uid"], animators=[public["uid"], network["uid"]]),
            headers=writer,
        )
    hub_settings = db.settings(role="hub")
    with TestClient(create_app(hub_settings, engine=db.engine)) as hub:
        params = {"by": "animators", "start": f"{factories.YEAR}-01-01"}
        rows = hub.get("/api/v1/stats", params=params).json()["rows"]
        assert rows == [[public["person"], "Léa Publique", place["id"], "La Fabrique", 2, 2]]
        token = _harvesting_hub(client, db)
        seen_by_network = hub.get("/api/v1/stats", params=params, headers=token).json()["rows"]
        assert sorted(r[1] for r in seen_by_network) == ["Léa Publique", "Noé Réseau"]
        csv = hub.get("/api/v1/stats", params={**params, "format": "csv"}).text.removeprefix("\ufeff")
        assert csv.splitlines()[0] == "animator,name,place,place_name,events,occurrences"


def test_profiles_with_roles_and_events_with_animators_conform_to_the_shapes(client, writer, db, fablab):
    programme = client.post("/api/v1/programmes", json={"name": "Place à l'Emploi"}, headers=writer).json()
    client.post(
        "/api/v1/events",
        json=factories.event(programme=programme["uid"], animators=[fablab["public"]["uid"]]),
        headers=writer,
    )
    shapes = Graph().parse(SCHEMAS_DIR / "shapes.ttl")
    hub = _harvesting_hub(client, db)
    for path in (
        "/api/v1/people",
        "/api/v1/events",
        "/api/v1/programmes",
        "/api/v1/animators",
        "/api/v1/changes",
    ):
        document = client.get(path, headers={"Accept": "application/ld+json", **hub}).json()
        conforms, _, report = pyshacl.validate(to_graph(document), shacl_graph=shapes, inference="none")
        assert conforms, (path, report)
    broken = client.get(
        f"/api/v1/people/{fablab['public']['uid']}", headers={"Accept": "application/ld+json"}
    ).json()
    broken["roles"][0]["role_badges"] = [
        {"id": "https://w3id.org/tiers-lieux/themes/emploi", "label": {"fr": "Emploi"}}
    ]
    conforms, _, report = pyshacl.validate(to_graph(broken), shacl_graph=shapes, inference="none")
    assert not conforms and "badges thesaurus" in report


def test_an_export_imported_elsewhere_keeps_roles_programmes_and_every_animator(
    client, writer, db, fablab, tmp_path
):
    place, public, network = fablab["place"], fablab["public"], fablab["network"]
    programme = client.post("/api/v1/programmes", json={"name": "Place à l'Emploi"}, headers=writer).json()
    event = factories.event(
        place=place["uid"], programme=programme["uid"], animators=[public["uid"], network["uid"]]
    )
    client.post("/api/v1/events", json=event, headers=writer)
    hub = _harvesting_hub(client, db)
    paths = ("/api/v1/animators", "/api/v1/programmes", "/api/v1/events", "/api/v1/people")
    before = {path: client.get(path, headers=hub).json()["items"] for path in paths}
    with session_scope(db.engine) as session:
        exported = orjson.loads(b"".join(export_lines(session, db.settings())))
    for store in open_store(db.kind, tmp_path):
        with session_scope(store.engine) as session:
            counts = import_document(session, store.settings(), exported)
        assert counts == {"place": 1, "programme": 1, "person": 2, "event": 1, "need": 0, "offer": 0}
        with TestClient(create_app(store.settings(), engine=store.engine)) as fresh:
            with session_scope(store.engine) as session:
                token = {"Authorization": f"Bearer {create_token(session, 'a hub', ['harvest'])[1]}"}
            after = {path: fresh.get(path, headers=token).json()["items"] for path in paths}
            assert after == before
            # The network-only animator is still named, though the document does not show him.
            with session_scope(store.engine) as session:
                named = sorted(session.exec(select(EventAnimator.person_iri)).all())
            assert named == sorted([public["person"], network["person"]])


# At a hub, over real HTTP


def _harvest(engine, settings) -> list:
    return asyncio.run(harvest_many(engine, settings, all_sources(engine)))


@pytest.fixture
def node(tmp_path):
    with running_node(tmp_path, "grange") as running:
        with running.session() as session:
            place = create_place(
                session, running.settings.base_url, PlaceIn.model_validate(factories.place(name="La Grange"))
            )
            people = {}
            for name, places in (("Léa Publique", "public"), ("Noé Réseau", "network")):
                data = factories.person(
                    display_name=name, visibility={"places": places, "display_name": "public"}
                )
                person = save_person(session, running.settings.base_url, PersonIn.model_validate(data))
                declare_role(
                    session, place.id, person.id, RoleIn(role_name="animateur·rice", badges=["fab-manager"])
                )
                people[name] = person.id
            save_event(
                session,
                running.settings,
                EventIn(**factories.event(title="Fabrication", place=place.id)),
            )
        running.people = people
        yield running


def test_roles_reach_a_hub_by_visibility_and_leave_it_when_consent_is_withdrawn(db, node):
    hub_settings = db.settings(
        role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False, harvest_retries=0
    )
    with session_scope(db.engine) as session:
        add_source(session, SourceIn(url=node.base_url, token=node.harvest_token()), default_interval=3600)
    assert all(report.ok for report in _harvest(db.engine, hub_settings))
    with TestClient(create_app(hub_settings, engine=db.engine)) as hub:
        [shown] = hub.get("/api/v1/animators").json()["items"]
        assert (
            shown["holder"]["display_name"] == "Léa Publique"
            and shown["work_location"]["name"] == "La Grange"
        )
        assert shown["role_badges"][0]["id"] == "https://w3id.org/tiers-lieux/badges/fab-manager"
        page = hub.get("/coordination/animators")
        assert "Léa Publique" in page.text and "Noé Réseau" not in page.text
        with session_scope(db.engine) as session:
            token = create_token(session, "coordinator", ["admin"])[1]
        network = hub.get("/api/v1/animators", headers={"Authorization": f"Bearer {token}"}).json()["items"]
        assert sorted(a["holder"]["display_name"] for a in network) == ["Léa Publique", "Noé Réseau"]

        with node.session() as session:
            withdraw_consent(session, node.people["Léa Publique"])
        _harvest(db.engine, hub_settings)
        assert hub.get("/api/v1/animators").json()["items"] == []
        with session_scope(db.engine) as session:
            held = session.exec(
                select(PersonRole.role_name).join(Person).where(Person.display_name == "Léa Publique")
            )
            assert held.all() == []


# The pages, in a real Chromium: phone and desktop, French and English, no serious axe violation

SIZES = {"phone": 390, "desktop": 1280}


@pytest.fixture
def served_hub(db) -> Iterator[dict]:
    """A hub with a place, two animators (one seen by the network only), a programme and its events."""
    made: dict = {}

    def make(base_url: str):
        settings = db.settings(base_url=base_url, role="hub")
        with session_scope(db.engine) as session:
            place = create_place(
                session, base_url, PlaceIn.model_validate(factories.place(name="La Fabrique"))
            )
            people = []
            for name, seen_by, role in (
                (
                    "Léa Publique",
                    "public",
                    RoleIn(role_name="animatrice", badges=["accueil"], since="2025-09-01"),
                ),
                ("Noé Réseau", "network", RoleIn(role_name="concierge")),
            ):
                data = factories.person(
                    display_name=name, visibility={"places": seen_by, "display_name": seen_by}
                )
                person = save_person(session, base_url, PersonIn.model_validate(data))
                declare_role(session, place.id, person.id, role)
                people.append(person.id)
            programme = save_programme(
                session, base_url, ProgrammeIn(name="Place à l'Emploi", description="<p>Ateliers</p>")
            )
            for title in ("Atelier CV", "Simulation d'entretien"):
                data = EventIn(
                    **factories.event(title=title, place=place.id, programme=programme.id, animators=people)
                )
                save_event(session, settings, data, animators=name_animators(session, data))
            made["programme"] = programme.id
        return create_app(settings, engine=db.engine)

    with serve(make) as base:
        made["base"] = base
        yield made


@pytest.fixture
def chromium(chromium_browser):
    context = chromium_browser.new_context(locale="fr-FR")
    yield context
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_animators_and_programme_pages_read_well_on_a_phone_and_a_desktop(chromium, served_hub, size, db):
    base, year = served_hub["base"], factories.YEAR
    animators = f"{base}/coordination/animators?start={year}-01-01&end={year}-12-31"
    # The figures' SQL runs on each store; the markup, audited once, does not depend on it.
    audits = db.kind == "sqlite"
    with opened(chromium, animators, width=SIZES[size]) as page:
        if audits:
            assert serious_violations(page) == []
            screenshot(page, f"animators-{size}")
        text = page.inner_text("main")
        assert "Léa Publique" in text and "Noé Réseau" not in text and "Accueil" in text
        rows = page.locator("#caption-animators").locator("xpath=..").locator("tbody tr")
        assert rows.count() == 1 and "La Fabrique" in rows.first.inner_text()
        assert page.locator(".figure-programmes tbody a").first.get_attribute("href") == (
            f"/programmes/{served_hub['programme']}"
        )
        csv = page.locator(".figure-programmes a.download").first.get_attribute("href")
        assert "by=programmes" in csv and "format=csv" in csv
    with opened(chromium, f"{base}/programmes/{served_hub['programme']}?lang=en", width=SIZES[size]) as page:
        if audits:
            assert serious_violations(page) == []
            screenshot(page, f"programme-{size}")
        assert page.locator("h1").inner_text() == "Place à l'Emploi"
        assert page.locator(".series li").count() == 2 and "La Fabrique" in page.inner_text("main")
