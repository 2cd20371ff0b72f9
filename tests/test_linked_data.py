"""Everything a hub answers in JSON-LD, merged as a linked-data client merges it: one graph that
the shapes accept, where a record is one node whatever answer it came in (an event embedded in
each of its occurrences keeps one location, not one per occurrence), and that jsonld.js expands
without dropping anything. Contexts are the bundled ones; nothing is fetched."""

from __future__ import annotations

from collections.abc import Iterator

import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import RDF

from hub.api.app import create_app
from hub.stats import DIMENSIONS
from hub.vocabulary.jsonld import CONTEXT_IRI, JSONLD_TYPE, SCHEMAS_DIR, bundled_contexts, to_graph
from tests.namespaces import SCHEMA, TL
from tests.reference_clients import jsonld_js_expand

# One worker reads the hub once, for all the tests of this module.
pytestmark = pytest.mark.xdist_group("linked-data")
# Enough pages to read every list of the demo network, and a bound if a cursor never ends.
MOST_PAGES = 50
# Path parameters, filled from the list that names them.
DETAILS = {
    "/api/v1/events/{event_id}": ("/api/v1/events", "uid"),
    "/api/v1/places/{place_id}": ("/api/v1/places", "uid"),
    "/api/v1/people/{person_id}": ("/api/v1/people", "uid"),
    "/api/v1/needs/{need_id}": ("/api/v1/needs", "uid"),
    "/api/v1/needs/{need_id}/matches": ("/api/v1/needs", "uid"),
    "/api/v1/skills/{slug}": ("/api/v1/skills", "id"),
    "/api/v1/themes/{slug}": ("/api/v1/themes", "id"),
    "/api/v1/audiences/{slug}": ("/api/v1/audiences", "id"),
    "/api/v1/badges/{slug}": ("/api/v1/badges", "id"),
    "/api/v1/programmes/{programme_id}": ("/api/v1/programmes", "uid"),
    "/api/v1/sources/{source_id}": ("/api/v1/sources", "id"),
    "/events/{uid}": ("/api/v1/events", "uid"),
    "/places/{uid}": ("/api/v1/places", "uid"),
}
# Answers that are not for everyone: the consent record of a member, and the requests to be put in
# touch a need received, are read with a write token.
PRIVATE = {"/api/v1/people/{person_id}/consent", "/api/v1/needs/{need_id}/contacts"}


@pytest.fixture(scope="module")
def hub(store, network) -> Iterator[TestClient]:
    """A hub that harvested the demo network over HTTP: four nodes and a calendar-only place."""
    settings = store.settings(
        role="hub",
        allowed_private_networks=["127.0.0.1/32"],
        harvest_in_process=False,
        horizon_days_ahead=365,
    )
    network.harvested_by(store.engine, settings)
    with TestClient(create_app(settings, engine=store.engine)) as client:
        yield client
    store.empty()


def _get(client: TestClient, path: str, **params) -> dict:
    response = client.get(path, params=params, headers={"Accept": JSONLD_TYPE})
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"].startswith(JSONLD_TYPE), path
    return response.json()


def _pages(client: TestClient, path: str, **params) -> Iterator[dict]:
    cursor = None
    for _ in range(MOST_PAGES):
        page = _get(client, path, **params, **({"cursor": cursor} if cursor else {}))
        yield page
        cursor = page.get("next_cursor")
        if not cursor or page.get("has_more") is False:  # a change page always names the next cursor
            return
    pytest.fail(f"{path} has more than {MOST_PAGES} pages")


@pytest.fixture(scope="module")
def answers(hub) -> dict[str, list[dict]]:
    """Every JSON-LD answer of the hub, by the path of the OpenAPI document (and of the pages that
    records' IRIs dereference to) it answers."""
    schema = hub.app.openapi()["paths"]
    paths = [
        path
        for path, operations in schema.items()
        if JSONLD_TYPE in operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
    ]

    def longest_page(path: str) -> dict:
        """`limit` for the lists that take one: a parameter a route does not take is refused."""
        taken = {parameter["name"] for parameter in schema[path]["get"].get("parameters", [])}
        return {"limit": 500} if "limit" in taken else {}

    found: dict[str, list[dict]] = {}
    for path in [*paths, "/events/{uid}", "/places/{uid}"]:
        if path in PRIVATE:
            continue
        if path in DETAILS:
            listing, key = DETAILS[path]
            name = path[path.index("{") : path.index("}") + 1]
            found[path] = [
                _get(hub, path.replace(name, str(item[key]).rsplit("/", 1)[-1]))
                for item in hub.get(listing, params=longest_page(listing)).json()["items"]
            ]
        elif path == "/api/v1/stats":
            found[path] = [_get(hub, path, by=by) for by in DIMENSIONS]
        elif path == "/api/v1/changes":
            found[path] = list(_pages(hub, path, limit=100))
        elif path == "/api/v1/links":
            found[path] = [_get(hub, path, include_undone="true")]
        else:
            found[path] = list(_pages(hub, path, **longest_page(path)))
    assert all(found.values()), [path for path, documents in found.items() if not documents]
    return found


def test_every_jsonld_answer_of_a_hub_merged_into_one_graph_conforms_to_the_shapes(answers, network_attempts):
    assert {"/api/v1/occurrences", "/api/v1/sources", "/api/v1/links", "/api/v1/stats"} <= set(answers)
    graph = Graph()
    for documents in answers.values():
        for document in documents:
            assert document["@context"] == CONTEXT_IRI
            graph += to_graph(document)
    conforms, _, text = pyshacl.validate(
        graph, shacl_graph=Graph().parse(SCHEMAS_DIR / "shapes.ttl"), inference="none"
    )
    assert conforms, text
    assert network_attempts == []
    # What was JSON with a context in front and not JSON-LD: sources, links, figures.
    [sources] = answers["/api/v1/sources"]
    assert len(set(graph.subjects(RDF.type, TL.Source))) == len(sources["items"]) == 5
    assert len(set(graph.subjects(RDF.type, TL.Link))) == 1
    assert len(set(graph.subjects(TL.dimension))) == len(DIMENSIONS)


def test_an_event_embedded_in_each_of_its_occurrences_stays_one_event_with_one_location(answers):
    graph = Graph()
    for document in answers["/api/v1/occurrences"]:
        graph += to_graph(document)
    events = set(graph.objects(None, SCHEMA.superEvent))
    places = {event: set(graph.objects(event, SCHEMA.location)) for event in events}
    offsite = {event: set(graph.objects(event, TL.offsiteLocation)) for event in events}
    assert len(set(graph.subjects(RDF.type, TL.Occurrence))) > 31
    assert any(places.values()) and any(offsite.values())
    assert {event: len(nodes) for event, nodes in places.items() if len(nodes) > 1} == {}
    assert {event: len(nodes) for event, nodes in offsite.items() if len(nodes) > 1} == {}
    geo = {place: set(graph.objects(place, SCHEMA.geo)) for nodes in places.values() for place in nodes}
    assert {place: len(nodes) for place, nodes in geo.items() if len(nodes) > 1} == {}


def test_jsonld_js_expands_every_answer_without_dropping_anything(answers):
    """jsonld.js in safe mode fails on what a processor would drop: a member no term maps, an `@id`
    that is not an IRI, a relative reference."""
    paths = [path for path, documents in answers.items() for _ in documents]
    documents = [document for documents in answers.values() for document in documents]
    results = jsonld_js_expand(documents, bundled_contexts())
    failures = {
        (path, result["error"]) for path, result in zip(paths, results, strict=True) if result["error"]
    }
    assert failures == set()
    assert all(result["nodes"] for result in results)
