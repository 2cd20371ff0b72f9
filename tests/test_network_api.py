"""The network API of a hub, over the demo network harvested over HTTP: one calendar, one
skills directory, one directory of places, each answering over the whole network."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import orjson
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.api.app import create_app
from hub.events.occurrences import HORIZON_END, roll_horizon
from hub.federation.apply import content_hash
from hub.portability import export_lines, import_document
from hub.store.changes import FeedState
from hub.store.db import session_scope
from hub.store.records import utcnow
from tests.processes import wait_until
from tests.stores import open_store

FOURNIL = "46.0512,1.8251"  # the village third place


def _items(client, path, **params):
    response = client.get(path, params={"limit": 500, **params}, headers=params.pop("headers", {}))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_shared_event_appears_once_with_both_organizers_and_both_sources(hub, network):
    forum = [e for e in _items(hub, "/api/v1/events") if e["title"] == "Forum des tiers-lieux du bocage"]
    assert len(forum) == 1
    fabrique, escale = network.nodes[0].base_url, network.nodes[1].base_url
    assert {o.rsplit("/places/", 1)[0] for o in forum[0]["organizers"]} == {fabrique, escale}
    assert set(forum[0]["sources"]) == {fabrique + "/", escale + "/"}
    occurrences = [o for o in _items(hub, "/api/v1/occurrences") if o["title"].startswith("Forum")]
    assert len(occurrences) == 1


def test_coordinator_sees_and_undoes_a_link(hub):
    [link] = hub.get("/api/v1/links").json()["items"]
    assert link["reason"] == "likely-duplicate" and "organizer in common" in link["detail"]
    assert hub.delete(f"/api/v1/links/{link['id']}").status_code == 401
    assert hub.delete(f"/api/v1/links/{link['id']}", headers=hub.admin).status_code == 204
    titles = [e["title"] for e in _items(hub, "/api/v1/events", q="forum")]
    assert titles == ["Forum des tiers-lieux du bocage"] * 2
    assert hub.get("/api/v1/links").json()["items"] == []


def test_theme_filter_finds_events_of_narrower_themes(hub):
    titles = {e["title"] for e in _items(hub, "/api/v1/events", theme="digital")}
    assert {"Café numérique", "Install party logiciel libre"} <= titles  # digital inclusion, free software
    assert "Repair café du village" not in titles


def test_text_search_ignores_accents(hub):
    titles = {o["title"] for o in _items(hub, "/api/v1/occurrences", q="cafe")}
    assert "Café numérique" in titles


def test_skill_typed_as_impression_3d_finds_people_listed_under_3d_printing(hub):
    names = {p["display_name"] for p in _items(hub, "/api/v1/people", skill="impression 3d")}
    assert {"Lucie Mercadier", "Karim Vasseur"} <= names


def test_near_finds_the_village_place_and_not_one_a_hundred_km_away(hub):
    names = {p["name"] for p in _items(hub, "/api/v1/places", near=FOURNIL, radius_km=20)}
    assert "Le Fournil Partagé" in names and "L'Atelier des Possibles" not in names
    titles = {o["title"] for o in _items(hub, "/api/v1/occurrences", near=FOURNIL, radius_km=20)}
    assert "Repair café du village" in titles and "Soirée Arduino" not in titles


def test_who_has_a_laser_cutter_near_me(hub):
    names = {p["name"] for p in _items(hub, "/api/v1/places", equipment="decoupeuse laser")}
    assert names == {"La Fabrique du Bocage", "L'Atelier des Possibles"}
    nearby = {
        p["name"]
        for p in _items(hub, "/api/v1/places", equipment="découpeuse laser", near=FOURNIL, radius_km=30)
    }
    assert nearby == {"La Fabrique du Bocage"}


def test_figures_as_csv_open_in_a_spreadsheet_with_one_header_row(hub):
    for request in (
        {"params": {"by": "department", "format": "csv"}},
        {"params": {"by": "theme"}, "headers": {"Accept": "text/csv"}},
    ):
        response = hub.get("/api/v1/stats", **request)
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] in (
            ["department", "label", "events", "occurrences"],
            ["theme", "label", "events", "occurrences"],
        )
        assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
        assert not any(r == rows[0] for r in rows[1:])


def test_shared_events_people_and_skills_figures(hub):
    shared = hub.get("/api/v1/stats", params={"by": "shared"}).json()["rows"]
    assert [row[1] for row in shared] == ["Forum des tiers-lieux du bocage"]
    people = {row[1]: row[2] for row in hub.get("/api/v1/stats", params={"by": "people"}).json()["rows"]}
    assert people["La Fabrique du Bocage"] >= 2
    skills = hub.get("/api/v1/skills", params={"q": "impression 3d"}).json()["items"]
    assert any(s["people"] >= 2 for s in skills)
    free = hub.get("/api/v1/stats", params={"by": "free_skills"}).json()["rows"]
    assert all(row[0] is None for row in free)


def test_sources_and_their_health_as_figures(hub):
    rows = hub.get("/api/v1/stats", params={"by": "sources"}).json()["rows"]
    assert len(rows) == 5 and {row[2] for row in rows} == {"ok"}


def test_reads_are_open_to_any_site_and_writes_are_not(hub):
    read = hub.options(
        "/api/v1/occurrences",
        headers={"Origin": "https://mairie.example", "Access-Control-Request-Method": "GET"},
    )
    assert read.headers["access-control-allow-origin"] in ("*", "https://mairie.example")
    write = hub.options(
        "/api/v1/events",
        headers={"Origin": "https://mairie.example", "Access-Control-Request-Method": "POST"},
    )
    assert write.status_code == 400 or "POST" not in write.headers.get("access-control-allow-methods", "")


def test_too_wide_a_query_gets_a_problem_document(hub):
    response = hub.get("/api/v1/occurrences", params={"start": "2020-01-01", "end": "2030-01-01"})
    assert response.status_code == 422 and response.json()["type"].endswith("/query-too-costly")
    response = hub.get("/api/v1/stats", params={"start": "2000-01-01", "end": "2030-01-01"})
    assert response.status_code == 422 and response.json()["type"].endswith("/query-too-costly")


def test_a_total_is_given_when_asked(hub, settings):
    window = {
        "department": "23",
        "end": (datetime.now(settings.zone) + timedelta(days=90)).date().isoformat(),
    }
    everything = _items(hub, "/api/v1/occurrences", **window)
    page = hub.get("/api/v1/occurrences", params={**window, "limit": 5, "total": "true"}).json()
    assert page["total"] == len(everything) and len(page["items"]) == 5
    assert "total" not in hub.get("/api/v1/occurrences", params={"limit": 5}).json()


def _published(client, headers) -> set[tuple[str, str]]:
    found = set()
    for path in ("/api/v1/places", "/api/v1/events", "/api/v1/people"):
        cursor = None
        while True:
            params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
            page = client.get(path, params=params, headers=headers).json()
            found |= {(item["id"], content_hash(item)) for item in page["items"]}
            if not (cursor := page["next_cursor"]):
                break
    return found


def test_export_then_import_into_an_empty_hub_gives_the_same_records(hub, db, tmp_path):
    settings = db.settings(role="hub")
    with Session(db.engine) as session:
        exported = b"".join(export_lines(session, settings))
    before = _published(hub, {})
    for store in open_store(db.kind, tmp_path):
        fresh_settings = store.settings(role="hub")
        with session_scope(store.engine) as session:
            counts = import_document(session, fresh_settings, orjson.loads(exported))
        assert counts["event"] > 10 and counts["place"] == 5
        with TestClient(create_app(fresh_settings, engine=store.engine)) as fresh:
            assert _published(fresh, {}) == before
            sources = fresh.get("/api/v1/sources").json()["items"]
            assert len(sources) == 5 and all(s["records_held"] for s in sources)


def test_an_event_shared_by_two_places_is_listed_at_each(hub):
    for name in ("La Fabrique du Bocage", "L'Escale Coworking"):
        [place] = [p for p in _items(hub, "/api/v1/places") if p["name"] == name]
        titles = [e["title"] for e in _items(hub, "/api/v1/events", place=place["uid"])]
        assert titles.count("Forum des tiers-lieux du bocage") == 1, name


def test_a_cached_answer_is_not_reused_once_the_horizon_has_rolled(hub, db):
    settings = db.settings(role="hub")
    _started_roll_done(db)
    # As if the last roll were two weeks old: the horizon ends two weeks short.
    roll_horizon(db.engine, settings, now=utcnow() - timedelta(days=14))
    last = date.fromisoformat(hub.get("/api/v1/occurrences").json()["horizon"]["last_day"])
    inside = {"start": (last - timedelta(days=13)).isoformat(), "end": last.isoformat()}
    beyond = {"start": (last + timedelta(days=1)).isoformat(), "end": (last + timedelta(days=14)).isoformat()}
    before = hub.get("/api/v1/occurrences", params=inside).json()
    assert hub.get("/api/v1/occurrences", params=inside).json() == before  # from the cache
    assert hub.get("/api/v1/occurrences", params=beyond).status_code == 422  # past the horizon
    roll_horizon(db.engine, settings, now=utcnow())
    after = hub.get("/api/v1/occurrences", params=inside).json()
    assert after["horizon"]["last_day"] > before["horizon"]["last_day"]
    assert _items(hub, "/api/v1/occurrences", **beyond)


def _started_roll_done(db) -> None:
    """Wait (a minute at most) for the roll an app runs when it starts: it would overwrite ours."""

    def done() -> bool:
        with Session(db.engine) as session:
            return session.get(FeedState, HORIZON_END) is not None

    wait_until(done, 60, "the roll of the app's start to end")
