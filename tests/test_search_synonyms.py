"""Equipment and skills are found in French and in English, by their synonyms in the thesaurus."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from hub.vocabulary.thesaurus import SCHEMAS_DIR, SCHEMES
from tests import factories


def _names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item.get("name") or item["display_name"] for item in response.json()["items"])


@pytest.fixture
def fablabs(client, writer) -> None:
    for name, machine in (
        ("Le Fablab du Bocage", "Découpeuse laser Trotec 60 W"),
        ("The Makers' Barn", "Laser cutter (Epilog)"),
        ("L'Atelier d'impression", "Imprimante 3D Prusa MK4"),
        ("Le Garage", "Machine à coudre"),
        ("Le Repair Café", "Soldering station Weller"),
    ):
        data = factories.place(name=name, equipment=[{"name": machine, "quantity": 1}])
        assert client.post("/api/v1/places", json=data, headers=writer).status_code == 201


@pytest.mark.parametrize("asked", ["laser cutter", "découpeuse laser", "Découpe laser", "laser-cutting"])
def test_a_laser_cutter_is_found_whatever_language_it_is_named_in(client, fablabs, asked):
    found = _names(client.get("/api/v1/places", params={"equipment": asked}))
    assert found == ["Le Fablab du Bocage", "The Makers' Barn"]


@pytest.mark.parametrize("asked", ["3D printer", "imprimante 3D", "impression 3D"])
def test_a_3d_printer_is_found_in_french_or_english(client, fablabs, asked):
    assert _names(client.get("/api/v1/places", params={"equipment": asked})) == ["L'Atelier d'impression"]


def test_soldering_irons_are_found_in_french(client, fablabs):
    assert _names(client.get("/api/v1/places", params={"equipment": "fer à souder"})) == ["Le Repair Café"]


def test_equipment_is_found_by_its_own_words_and_by_synonyms_of_its_kind_only(client, fablabs):
    assert _names(client.get("/api/v1/places", params={"equipment": "Trotec"})) == ["Le Fablab du Bocage"]
    assert _names(client.get("/api/v1/places", params={"equipment": "sewing machine"})) == ["Le Garage"]
    assert _names(client.get("/api/v1/places", params={"equipment": "scie à ruban"})) == []


def test_the_places_page_finds_equipment_named_in_the_other_language(client, fablabs):
    page = client.get("/places", params={"equipment": "laser cutter", "lang": "en"})
    assert page.status_code == 200
    results = page.text.split('class="results"', 1)[1]
    assert "Le Fablab du Bocage" in results and "The Makers&#39; Barn" in results
    assert "L&#39;Atelier d&#39;impression" not in results


@pytest.fixture
def members(client, writer) -> None:
    for name, skills in (
        ("Camille Chiffres", ["Comptabilité"]),
        ("Alex Ledger", ["accounting"]),
        ("Sam Laser", ["découpe laser"]),
        ("Lou Couture", ["couture"]),
    ):
        data = factories.person(display_name=name, skills=skills)
        assert client.post("/api/v1/people", json=data, headers=writer).status_code == 201


@pytest.mark.parametrize("param", ["skill", "q"])
def test_compta_finds_accounting_skills_in_both_languages(client, members, param):
    for asked in ("compta", "comptabilité", "Accounting"):
        found = _names(client.get("/api/v1/people", params={param: asked}))
        assert found == ["Alex Ledger", "Camille Chiffres"], (param, asked)


@pytest.mark.parametrize("param", ["skill", "q"])
def test_a_skill_named_by_its_machine_finds_the_people_who_have_it(client, members, param):
    assert _names(client.get("/api/v1/people", params={param: "laser cutter"})) == ["Sam Laser"]


def test_the_people_page_finds_a_skill_by_its_synonym(client, members):
    page = client.get("/people", params={"skill": "compta"})
    assert page.status_code == 200
    results = page.text.split('class="results"', 1)[1]
    assert "Camille Chiffres" in results and "Alex Ledger" in results and "Lou Couture" not in results


def test_every_concept_has_synonyms_in_french_and_in_english():
    missing = []
    for name in SCHEMES.values():
        thesaurus = Graph().parse(SCHEMAS_DIR / f"{name}.ttl")
        for concept in thesaurus.subjects(RDF.type, SKOS.Concept):
            for predicate in (SKOS.prefLabel, SKOS.altLabel):
                languages = {label.language for label in thesaurus.objects(concept, predicate)}
                if not {"fr", "en"} <= languages:
                    missing.append((str(concept), predicate.fragment, sorted(languages)))
    assert missing == []
