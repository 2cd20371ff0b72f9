"""The shared vocabulary: the context's terms are defined, the shapes accept what we serve and refuse
what is wrong, nothing is fetched, and every spelling of a concept finds it."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import orjson
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from sqlmodel import Session, select

from hub.auth.tokens import create_token
from hub.demo.data import seed_fabrique
from hub.events.models import Event
from hub.people.models import Person
from hub.places.models import Place
from hub.store.db import session_scope
from hub.vocabulary.jsonld import (
    CONTEXT_IRI,
    JSONLD_TYPE,
    SCHEMA_ORG_SPELLINGS,
    SCHEMAS_DIR,
    UnknownContext,
    as_jsonld,
    bundled_contexts,
    to_graph,
    unname_nodes,
)
from hub.vocabulary.thesaurus import SCHEMES, resolve
from tests.namespaces import SCHEMA, TL

ONTOLOGY = URIRef("https://w3id.org/tiers-lieux/ns")
EXAMPLES = SCHEMAS_DIR / "examples"
INVALID = EXAMPLES / "invalid"
RECORD_CLASSES = (SCHEMA.Place, SCHEMA.Event, SCHEMA.Person, TL.Occurrence, TL.Tombstone, TL.NodeDescriptor)
LISTS = {
    "/api/v1/places": SCHEMA.Place,
    "/api/v1/events": SCHEMA.Event,
    "/api/v1/occurrences": TL.Occurrence,
    "/api/v1/people": SCHEMA.Person,
    "/api/v1/skills": SKOS.Concept,
    "/api/v1/themes": SKOS.Concept,
    "/api/v1/audiences": SKOS.Concept,
}
UNKNOWN_CONTEXT = "https://example.org/ctx.jsonld"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SCHEMAS_DIR / "shapes.ttl")


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return Graph().parse(SCHEMAS_DIR / "vocab.ttl")


def load(path: Path) -> Graph:
    return to_graph(orjson.loads(path.read_bytes()))


def validate(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    """pyshacl's verdict, results graph and text: SHACL core, no inference."""
    return pyshacl.validate(data, shacl_graph=shapes, inference="none")


def assert_conforms(data: Graph, shapes: Graph) -> None:
    conforms, _, text = validate(data, shapes)
    assert conforms, text


def records_under(base_url: str) -> Graph:
    """A shape requiring every record's IRI to start with `base_url`: a node publishes only its own."""
    graph = Graph()
    shape = BNode()
    graph.add((shape, RDF.type, SH.NodeShape))
    for record_class in RECORD_CLASSES:
        graph.add((shape, SH.targetClass, record_class))
    graph.add((shape, SH.nodeKind, SH.IRI))
    graph.add((shape, SH.pattern, Literal("^" + re.escape(base_url.rstrip("/") + "/"))))
    graph.add((shape, SH.message, Literal(f"a record of this node is named under {base_url}")))
    return graph


def tl_terms(context: object) -> set[URIRef]:
    """The `tl:` IRIs a context maps terms to, scoped contexts included."""
    if isinstance(context, dict):
        return set().union(*(tl_terms(value) for value in context.values()))
    if isinstance(context, str) and context.startswith("tl:"):
        return {TL[context.removeprefix("tl:")]}
    return set()


# The vocabulary


def test_vocabulary_defines_every_tl_term_of_the_context(vocab):
    terms = tl_terms(bundled_contexts()[CONTEXT_IRI])
    assert len(terms) > 30
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
    undefined = {
        t
        for t in terms
        if (t, RDFS.isDefinedBy, ONTOLOGY) not in vocab or not kinds & set(vocab.objects(t, RDF.type))
    }
    assert undefined == set()


def test_every_term_of_the_vocabulary_is_labelled_and_commented_in_english_and_french(vocab):
    terms = set(vocab.subjects(RDFS.isDefinedBy, ONTOLOGY))
    assert {TL.Public, TL.Network, TL.Private, TL.ConsentRecord, TL.consentedField} <= terms
    for term in terms:
        for predicate in (RDFS.label, RDFS.comment):
            assert {o.language for o in vocab.objects(term, predicate)} == {"en", "fr"}, (term, predicate)


def test_visibility_has_exactly_three_levels(vocab):
    assert set(vocab.subjects(RDF.type, TL.Visibility)) == {TL.Public, TL.Network, TL.Private}


# Examples


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.jsonld")), ids=lambda p: p.name)
def test_every_valid_example_conforms(path, shapes, network_attempts):
    assert_conforms(load(path), shapes)
    assert network_attempts == []


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.jsonld")), ids=lambda p: p.name)
def test_every_invalid_example_is_rejected_for_its_reason(path, shapes, network_attempts):
    reason = URIRef(json.loads((INVALID / "expected.json").read_text())[path.name])
    conforms, report, text = validate(load(path), shapes)
    assert not conforms
    found = {
        term
        for result in report.subjects(RDF.type, SH.ValidationResult)
        for term in (report.value(result, SH.resultPath), report.value(result, SH.sourceConstraintComponent))
    }
    assert reason in found, text
    assert network_attempts == []


def test_every_invalid_example_states_its_reason():
    expected = json.loads((INVALID / "expected.json").read_text())
    assert set(expected) == {p.name for p in INVALID.glob("*.jsonld")}


def test_records_outside_the_node_base_are_rejected(shapes):
    place = load(EXAMPLES / "place.jsonld")
    assert_conforms(place, shapes + records_under("https://grange-numerique.example"))
    conforms, report, _ = validate(place, shapes + records_under("http://testserver"))
    assert not conforms
    assert set(report.objects(None, SH.sourceConstraintComponent)) == {SH.PatternConstraintComponent}


# What the demo node serves


@pytest.fixture
def demo_node(db, settings) -> dict[str, str]:
    with session_scope(db.engine) as session:
        return seed_fabrique(session, settings, datetime.now(settings.zone).date())


@pytest.fixture
def hub_token(db) -> dict[str, str]:
    """Headers of a hub harvesting this node: it reads the fields members opened to the network."""
    with session_scope(db.engine) as session:
        _, clear = create_token(session, "hub", ["harvest"])
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def node_shapes(shapes, settings) -> Graph:
    return shapes + records_under(settings.base_url)


def fetch(client, path: str, headers: dict | None = None, **params) -> tuple[dict, Graph]:
    """A JSON-LD answer of the API, and its graph."""
    response = client.get(path, params=params, headers={"Accept": JSONLD_TYPE, **(headers or {})})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSONLD_TYPE)
    document = response.json()
    assert document["@context"] == CONTEXT_IRI
    return document, to_graph(document)


@pytest.mark.parametrize("path", LISTS)
def test_every_list_of_the_demo_node_conforms(path, client, demo_node, node_shapes):
    _, graph = fetch(client, path, limit=500)
    assert set(graph.subjects(RDF.type, LISTS[path]))
    assert_conforms(graph, node_shapes)


@pytest.mark.parametrize("resource", ["places", "events", "people", "skills", "themes", "audiences"])
def test_every_detail_answer_of_the_demo_node_conforms(resource, client, demo_node, hub_token, node_shapes):
    for headers in ({}, hub_token):
        listing, _ = fetch(client, f"/api/v1/{resource}", headers, limit=5)
        assert listing["items"]
        for item in listing["items"]:
            key = item.get("uid") or item["id"].rsplit("/", 1)[-1]
            _, graph = fetch(client, f"/api/v1/{resource}/{key}", headers)
            assert (URIRef(item["id"]), RDF.type, None) in graph
            assert_conforms(graph, node_shapes)


def test_people_as_a_harvesting_hub_reads_them_conform(client, demo_node, hub_token, node_shapes):
    public, _ = fetch(client, "/api/v1/people")
    network, graph = fetch(client, "/api/v1/people", hub_token)
    assert len(network["items"]) > len(public["items"])  # network-only profiles are served to the hub
    assert_conforms(graph, node_shapes)


def test_node_descriptor_of_the_demo_node_conforms(client, settings, demo_node, node_shapes):
    _, graph = fetch(client, "/.well-known/tiers-lieux")
    node = URIRef(settings.base_url + "/")
    assert (node, RDF.type, TL.NodeDescriptor) in graph
    assert len(list(graph.objects(node, TL.speaksFor))) == 1
    assert_conforms(graph, node_shapes)


def test_change_feed_of_the_demo_node_conforms_with_records_then_tombstones(
    client, demo_node, hub_token, writer, node_shapes
):
    snapshot, graph = fetch(client, "/api/v1/changes", hub_token)
    page = graph.value(predicate=RDF.type, object=TL.ChangePage)
    kinds = {graph.value(item, RDF.type) for item in graph.objects(page, SCHEMA.itemListElement)}
    assert kinds == {SCHEMA.Place, SCHEMA.Event, SCHEMA.Person}
    assert_conforms(graph, node_shapes)

    person = next(item["uid"] for item in snapshot["items"] if item["type"] == "Person")
    assert client.delete(f"/api/v1/people/{person}/consent", headers=writer).status_code == 200
    assert client.delete(f"/api/v1/events/{demo_node['colunch']}", headers=writer).status_code == 204
    _, graph = fetch(client, "/api/v1/changes", hub_token, since=snapshot["next_cursor"])
    kinds = {
        str(graph.value(tombstone, TL.recordKind)) for tombstone in graph.subjects(RDF.type, TL.Tombstone)
    }
    assert kinds == {"person", "event"}
    assert_conforms(graph, node_shapes)


def test_nested_nodes_are_named_under_their_record_and_the_names_come_off_on_the_way_in(
    client, demo_node, hub_token
):
    as_json = client.get("/api/v1/changes", headers=hub_token).json()
    page, graph = fetch(client, "/api/v1/changes", hub_token)
    place = next(item for item in page["items"] if item["type"] == "Place")
    assert place["address"]["id"] == place["id"] + "#address"
    assert place["equipment"][1]["id"] == place["id"] + "#equipment-1"
    assert {node for node in graph.subjects() if isinstance(node, BNode)} == {
        graph.value(predicate=RDF.type, object=TL.ChangePage)
    }
    assert [unname_nodes(item) for item in page["items"]] == as_json["items"]


# One record of each kind, the richest of the demo: a recurring event with an override, a profile
# with every field.
STORED = {
    "places": (Place, Place.name == "La Fabrique du Bocage"),
    "events": (Event, Event.title == "Co-lunch du vendredi"),
    "people": (Person, Person.display_name == "Inès Laforge"),
}


@pytest.mark.parametrize("resource", STORED)
def test_api_serves_the_graph_of_the_stored_document(resource, client, db, demo_node, hub_token):
    model, condition = STORED[resource]
    with Session(db.engine) as session:
        row = session.exec(select(model).where(condition)).one()
    document, served = fetch(client, f"/api/v1/{resource}/{row.id}", hub_token)
    _, served_again = fetch(client, f"/api/v1/{resource}/{row.id}", hub_token)
    stored = to_graph(orjson.loads(as_jsonld(row.doc.encode())))
    assert isomorphic(served, served_again)
    assert isomorphic(served, stored)
    # Every member of the document became a property of the record ("@context" and "id" aside).
    assert len(set(stored.predicates(URIRef(row.iri)))) == len(document) - 2


def unmapped_members(node: object, context: dict, path: str = "") -> Iterator[str]:
    """Members of our JSON that the context does not map: JSON-LD processors drop them silently."""
    if isinstance(node, list):
        for item in node:
            yield from unmapped_members(item, context, path)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("@"):
                continue
            definition = context.get(key)
            if definition is None:
                yield path + key
            elif not isinstance(definition, dict):
                yield from unmapped_members(value, context, f"{path}{key}.")
            elif definition.get("@container") != "@language":
                scoped = {**context, **definition.get("@context", {})}
                yield from unmapped_members(value, scoped, f"{path}{key}.")


def test_every_member_of_what_the_demo_node_serves_is_mapped_by_the_context(client, demo_node):
    context = bundled_contexts()[CONTEXT_IRI]
    lost = {
        path: sorted(set(unmapped_members(fetch(client, path)[0], context)))
        for path in [*LISTS, "/.well-known/tiers-lieux", "/api/v1/changes"]
    }
    assert lost == {path: [] for path in lost}


# No network: contexts are bundled, unknown ones refused


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"@context": UNKNOWN_CONTEXT, "name": "Fête"}, id="top-level"),
        pytest.param({"@context": [CONTEXT_IRI, UNKNOWN_CONTEXT], "name": "Fête"}, id="in-a-list"),
        pytest.param(
            {"@context": CONTEXT_IRI, "place": {"@context": UNKNOWN_CONTEXT, "name": "Grange"}},
            id="nested-in-a-node",
        ),
        pytest.param({"@context": {"@import": UNKNOWN_CONTEXT}, "name": "Fête"}, id="import"),
    ],
)
def test_unknown_remote_context_is_refused_not_fetched(document, network_attempts):
    with pytest.raises(UnknownContext, match="remote context"):
        to_graph(document)
    assert network_attempts == []


@pytest.mark.parametrize(
    "definition",
    [
        pytest.param({"@id": "http://schema.org/location", "@context": UNKNOWN_CONTEXT}, id="iri"),
        pytest.param(
            {"@id": "http://schema.org/location", "@context": {"@import": UNKNOWN_CONTEXT}}, id="import"
        ),
    ],
)
def test_unknown_scoped_context_is_refused_not_fetched(definition, network_attempts):
    with pytest.raises(UnknownContext, match="remote context"):
        to_graph({"@context": {"place": definition}, "place": {"name": "Grange"}})
    assert network_attempts == []


@pytest.mark.parametrize("spelling", [*SCHEMA_ORG_SPELLINGS, "https://schema.org/docs/jsonldcontext.json/"])
def test_schema_org_context_resolves_to_the_bundled_copy_in_every_spelling(spelling, network_attempts):
    graph = to_graph(
        {"@context": spelling, "@type": "Event", "name": "Fête du fablab", "eventStatus": "EventCancelled"}
    )
    event = graph.value(predicate=RDF.type, object=SCHEMA.Event)
    assert graph.value(event, SCHEMA.eventStatus) == SCHEMA.EventCancelled  # the bundled @vocab coercion
    assert network_attempts == []


def test_bare_schema_org_is_a_relative_iri_and_is_refused(network_attempts):
    with pytest.raises(UnknownContext, match=r"'schema\.org'"):
        to_graph({"@context": "schema.org", "@type": "Event", "name": "Fête du fablab"})
    assert network_attempts == []


# The thesauri: every spelling of a label finds its concept


def spellings(label: str) -> set[str]:
    bare = "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))
    return {label, label.upper(), label.lower(), bare}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_label_of_every_concept_resolves_to_it_in_any_case_or_accent(scheme, db):
    thesaurus = Graph().parse(SCHEMAS_DIR / f"{SCHEMES[scheme]}.ttl")
    concepts = set(thesaurus.subjects(RDF.type, SKOS.Concept))
    assert concepts
    with Session(db.engine) as session:
        # One call per concept: spellings of one concept collapse into one reference, so a spelling
        # that finds nothing, or another concept, shows up as a second reference.
        for concept in concepts:
            labels = [*thesaurus.objects(concept, SKOS.prefLabel), *thesaurus.objects(concept, SKOS.altLabel)]
            typed = sorted({variant for label in labels for variant in spellings(str(label))})
            resolved = resolve(session, scheme, typed)
            assert [ref.iri for ref in resolved] == [str(concept)], [
                r for r in resolved if r.iri != str(concept)
            ]
