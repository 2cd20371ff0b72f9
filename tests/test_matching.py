"""Who can help whom, measured: a written set of fictional places, members and offers, twenty-three
needs in French and English, and the matches a coordinator would expect of each. Precision and
recall are computed over the (need, candidate) pairs and must stay above the thresholds below."""

from __future__ import annotations

import pytest

from hub.auth.tokens import create_token
from hub.store.db import session_scope
from tests import factories

PRECISION_AT_LEAST = 0.9
RECALL_AT_LEAST = 0.85

TOWNS = {
    "Guéret": (46.171, 1.871),
    "Aubusson": (45.957, 2.168),
    "La Souterraine": (46.237, 1.487),
    "Bourganeuf": (45.953, 1.755),
    "Limoges": (45.833, 1.262),
    "Tulle": (45.267, 1.772),
}
PLACES = {
    "Fablab de Guéret": ("Guéret", ["découpeuse laser", "imprimante 3D Prusa", "fraiseuse CNC"]),
    "Atelier bois de Bourganeuf": ("Bourganeuf", ["scie à ruban", "tour à bois", "raboteuse"]),
    "Makerspace de Tulle": ("Tulle", ["imprimante 3D résine", "station de soudage", "brodeuse numérique"]),
    "Coworking d'Aubusson": ("Aubusson", []),
    "Repair café de La Souterraine": ("La Souterraine", ["machine à coudre", "fer à souder"]),
    "Tiers-lieu de Limoges": ("Limoges", ["plotter de découpe", "four à pain"]),
}
# Name: (place, skills as typed, who may see the skills: public, network, private; or no consent).
MEMBERS = {
    "Karima": ("Coworking d'Aubusson", ["comptabilité", "paie"], "public"),
    "Jules": ("Fablab de Guéret", ["Accountant"], "public"),
    "Amina": ("Tiers-lieu de Limoges", ["tenue de comptes"], "public"),
    "Paul": ("Fablab de Guéret", ["soudure"], "public"),
    "Léa": ("Makerspace de Tulle", ["fer à souder", "Arduino"], "public"),
    "Hugo": ("Atelier bois de Bourganeuf", ["menuiserie", "tournage sur bois"], "public"),
    "Inès": ("Fablab de Guéret", ["impression 3D", "modélisation 3D"], "public"),
    "Tom": ("Tiers-lieu de Limoges", ["web developer", "Python"], "public"),
    "Sarah": ("Coworking d'Aubusson", ["création de site internet"], "public"),
    "Nadia": ("Repair café de La Souterraine", ["couture", "retouches"], "public"),
    "Marc": ("Makerspace de Tulle", ["photographe"], "public"),
    "Zoé": ("Fablab de Guéret", ["montage vidéo"], "public"),
    "Yanis": ("Coworking d'Aubusson", ["réseaux sociaux", "communication"], "public"),
    "Chloé": ("Tiers-lieu de Limoges", ["loi 1901"], "public"),
    "Bruno": ("Atelier bois de Bourganeuf", ["réparation de vélos"], "public"),
    "Élise": ("Fablab de Guéret", ["permaculture", "compost"], "public"),
    "Omar": ("Makerspace de Tulle", ["anglais", "traduction"], "public"),
    "Rémi": ("Fablab de Guéret", ["comptabilité"], "network"),
    "Julie": ("Coworking d'Aubusson", ["impression 3D"], "private"),
    "Victor": ("Repair café de La Souterraine", ["couture"], "no consent"),
}
OFFERS = {
    "Initiation à la soudure électronique": ("Makerspace de Tulle", ["soldering"]),
    "Je prête mon atelier le samedi": ("Hugo", ["travail du bois"]),
    "Coup de main pour un bilan comptable": ("Karima", []),
}
# Title (as posted, no skill named but by its words, unless given): (author, skills, expected).
NEEDS = {
    "Je cherche quelqu'un pour la compta d'une asso": (
        "Coworking d'Aubusson",
        [],
        {"Karima", "Jules", "Amina", "Rémi", "Coup de main pour un bilan comptable"},
    ),
    "Looking for an accountant for our cooperative": (
        "Tiers-lieu de Limoges",
        [],
        {"Karima", "Jules", "Amina", "Rémi", "Coup de main pour un bilan comptable"},
    ),
    "Besoin d'une découpe laser pour des lettres en bois": (
        "Repair café de La Souterraine",
        [],
        {"Fablab de Guéret"},
    ),
    "Quelqu'un pour réparer un cadre en acier ?": ("Coworking d'Aubusson", ["soudure"], {"Paul"}),
    "Besoin d'aide pour souder des composants": (
        "Coworking d'Aubusson",
        [],
        {
            "Léa",
            "Makerspace de Tulle",
            "Repair café de La Souterraine",
            "Initiation à la soudure électronique",
        },
    ),
    "Impression 3D d'une pièce de rechange": (
        "Atelier bois de Bourganeuf",
        [],
        {"Inès", "Fablab de Guéret", "Makerspace de Tulle"},
    ),
    "Cherche développeur web pour notre association": ("Coworking d'Aubusson", [], {"Tom", "Sarah"}),
    "Need someone to make a video of our open day": ("Tiers-lieu de Limoges", [], {"Zoé"}),
    "Des photos pour notre plaquette": ("Coworking d'Aubusson", ["photographie"], {"Marc"}),
    "Retouches de rideaux et couture": (
        "Fablab de Guéret",
        [],
        {"Nadia", "Repair café de La Souterraine"},
    ),
    "Besoin d'un tour à bois": ("Tiers-lieu de Limoges", [], {"Atelier bois de Bourganeuf", "Hugo"}),
    "Statuts de notre association loi 1901": ("Makerspace de Tulle", [], {"Chloé"}),
    "Qui peut animer nos réseaux sociaux ?": ("Fablab de Guéret", [], {"Yanis"}),
    "Traduction en anglais de notre site": ("Coworking d'Aubusson", [], {"Omar"}),
    "Réparer le vélo de la ferme": ("Makerspace de Tulle", ["réparation de vélos"], {"Bruno"}),
    "Atelier compost pour le jardin partagé": ("Coworking d'Aubusson", [], {"Élise"}),
    "Initiation Arduino pour des ados": ("Coworking d'Aubusson", [], {"Léa"}),
    "Besoin d'un plotter de découpe pour des stickers": ("Fablab de Guéret", [], {"Tiers-lieu de Limoges"}),
    "Les fiches de paie de notre salariée": ("Fablab de Guéret", [], {"Karima"}),
    "Quelqu'un pour tenir la buvette du festival": ("Fablab de Guéret", [], set()),
    # Hard cases, kept to keep the figures honest: a plural no label spells ("photos"), and a
    # workshop offered under a broader skill (woodworking) than the one asked (joinery).
    "Quelqu'un pour prendre des photos du marché": ("Tiers-lieu de Limoges", [], {"Marc"}),
    "Un coup de main en menuiserie": ("Fablab de Guéret", [], {"Hugo", "Je prête mon atelier le samedi"}),
    "Looking for a 3D printer": (
        "Tiers-lieu de Limoges",
        [],
        {"Inès", "Fablab de Guéret", "Makerspace de Tulle"},
    ),
}
EVERYTHING = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]


def _member(name: str, place_uid: str, skills: list[str], level: str) -> dict:
    visibility = {f: "public" for f in EVERYTHING} | {"contact": "private"}
    if level in ("network", "private"):
        visibility["skills"] = level
    return factories.person(
        display_name=name,
        skills=skills,
        places=[place_uid],
        visibility=visibility,
        consent=None if level == "no consent" else {"fields": EVERYTHING},
    )


@pytest.fixture
def written_set(client, writer) -> dict[str, str]:
    """Every place, member, offer and need of the set, posted through the API; uid by name."""
    uids: dict[str, str] = {}
    for name, (town, machines) in PLACES.items():
        lat, lon = TOWNS[town]
        data = factories.place(
            name=name, geo={"lat": lat, "lon": lon}, equipment=[{"name": m} for m in machines]
        )
        uids[name] = client.post("/api/v1/places", json=data, headers=writer).json()["uid"]
    for name, (place, skills, level) in MEMBERS.items():
        response = client.post(
            "/api/v1/people", json=_member(name, uids[place], skills, level), headers=writer
        )
        uids[name] = response.json()["uid"]
    posts = [(t, "offer", a, s) for t, (a, s) in OFFERS.items()] + [
        (t, "need", a, s) for t, (a, s, _) in NEEDS.items()
    ]
    for title, kind, author, skills in posts:
        data = {"kind": kind, "title": title, "skills": skills, "author": uids[author]}
        response = client.post("/api/v1/needs", json=data, headers=writer)
        assert response.status_code == 201, response.text
        uids[title] = response.json()["uid"]
    return uids


def _found(client, uid: str, headers: dict) -> set[str]:
    return {m["name"] for m in client.get(f"/api/v1/needs/{uid}/matches", headers=headers).json()["items"]}


def test_matching_precision_and_recall_on_the_written_set(client, db, written_set):
    with session_scope(db.engine) as session:
        hub = {"Authorization": f"Bearer {create_token(session, 'regional hub', ['harvest'])[1]}"}
    right = found_count = expected_count = 0
    misses = {}
    for title, (_, _, expected) in NEEDS.items():
        found = _found(client, written_set[title], hub)
        right += len(found & expected)
        found_count += len(found)
        expected_count += len(expected)
        if found != expected:
            misses[title] = {"unexpected": found - expected, "missed": expected - found}
    precision, recall = right / found_count, right / expected_count
    print(
        f"\nmatching on {len(NEEDS)} needs: precision {precision:.3f}, recall {recall:.3f}; misses: {misses}"
    )
    assert precision >= PRECISION_AT_LEAST, misses
    assert recall >= RECALL_AT_LEAST, misses


def test_the_public_sees_only_public_skills_and_never_private_or_unconsented_ones(client, written_set):
    compta = _found(client, written_set["Je cherche quelqu'un pour la compta d'une asso"], {})
    assert "Rémi" not in compta and "Karima" in compta
    printing = _found(client, written_set["Impression 3D d'une pièce de rechange"], {})
    assert "Julie" not in printing
    sewing = _found(client, written_set["Retouches de rideaux et couture"], {})
    assert "Victor" not in sewing


def test_the_nearest_comes_first_among_equal_skills(client, written_set):
    items = client.get(f"/api/v1/needs/{written_set['Looking for a 3D printer']}/matches").json()["items"]
    places = [m for m in items if m["match_kind"] == "place"]
    assert [m["name"] for m in places] == ["Fablab de Guéret", "Makerspace de Tulle"]
    assert places[0]["distance_km"] < places[1]["distance_km"]


def test_an_offer_is_matched_with_the_open_needs(client, written_set):
    offer = written_set["Initiation à la soudure électronique"]
    assert _found(client, offer, {}) == {"Besoin d'aide pour souder des composants"}
