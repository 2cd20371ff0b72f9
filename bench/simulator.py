"""A simulated network: N nodes served by one process over HTTP on 127.0.0.1.

    python -m bench.simulator --nodes 200 --port 9000 [--ics-share 0.1]

Node `i` lives under `http://127.0.0.1:PORT/n{i}`, with a descriptor, a change feed (a full
snapshot, then empty pages after its cursor) with ETags and `304`, and, for a share of the
nodes, only an iCalendar file instead. Documents come from the project's own document
builders, on data of realistic shape: about 50 events a node (a third of them recurring, some
co-organized with a neighbour), 20 consented profiles with skills from the thesaurus, places
taken from the 2019 national survey of tiers-lieux (ANCT, Licence Ouverte 2.0).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import uvicorn
from rdflib import Graph
from rdflib.namespace import RDF, SKOS
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.events.documents import event_document
from hub.events.ics_feed import FeedEvent, build_calendar
from hub.events.models import Event
from hub.kit import geo
from hub.places.documents import place_document
from hub.places.models import Equipment, Place
from hub.vocabulary.jsonld import as_jsonld
from hub.vocabulary.thesaurus import SCHEMAS_DIR

SURVEY = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tiers-lieux-2019.csv"
EVENTS_PER_NODE = 50
PEOPLE_PER_NODE = 20
ZONE = ZoneInfo("Europe/Paris")
TITLES = [
    "Café numérique",
    "Atelier réparation",
    "Co-lunch",
    "Soirée pitch",
    "Initiation impression 3D",
    "Permanence emploi",
    "Atelier couture",
    "Conférence transition",
    "Repair café",
    "Atelier code",
    "Petit-déjeuner des nouveaux",
    "Formation découpe laser",
    "Jardin partagé",
    "Apéro des makers",
]
RULES = ["FREQ=WEEKLY;BYDAY=FR", "FREQ=WEEKLY;BYDAY=TU", "FREQ=MONTHLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=3TH"]
FIRST_NAMES = ["Camille", "Dominique", "Alex", "Sacha", "Morgane", "Yanis", "Léa", "Hugo", "Inès", "Noé"]
LAST_NAMES = ["Fictif", "Exemple", "Démo", "Imaginaire", "Inventé", "Modèle"]


@lru_cache(maxsize=1)
def survey_places() -> list[dict]:
    """Rows of the national survey with usable coordinates and a known department."""
    rows = []
    with SURVEY.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            department = geo.normalize_department(row["INSEEDEP"] or "")
            try:
                lat, lon = float(row["LAT"]), float(row["LONG"])
            except ValueError:
                continue
            if department and -90 <= lat <= 90 and -180 <= lon <= 180:
                rows.append(row | {"department": department})
    return rows


@lru_cache(maxsize=1)
def concepts() -> dict[str, list[tuple[str, dict[str, str]]]]:
    found: dict[str, list] = {}
    for scheme in ("skills", "themes", "audiences"):
        graph = Graph().parse(SCHEMAS_DIR / f"{scheme}.ttl")
        found[scheme] = [
            (str(c), {lit.language: str(lit) for lit in graph.objects(c, SKOS.prefLabel)})
            for c in sorted(graph.subjects(RDF.type, SKOS.Concept))
        ]
    return found


class SimulatedNode:
    """The published documents of one simulated node, built once."""

    def __init__(self, base_url: str, index: int, today: date) -> None:
        rng = random.Random(index)
        self.base_url = base_url
        survey = survey_places()[index % len(survey_places())]
        place = Place(
            id=f"p{index}",
            iri=f"{base_url}/places/p{index}",
            name=survey["NOM_TL"][:200] or f"Tiers-lieu {index}",
            kinds=["coworking"] if "coworking" in survey["TYPO"].lower() else ["third-place"],
            street=survey["ADRESSE"][:300] or None,
            postal_code=survey["CP"] if len(survey["CP"]) == 5 else None,
            city=survey["NOMCOM"][:120] or None,
            department=survey["department"],
            region=geo.region_of(survey["department"]),
            lat=float(survey["LAT"]),
            lon=float(survey["LONG"]),
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        equipment = [Equipment(place_id=place.id, name="imprimante 3D", category="fabrication", quantity=2)]
        self.place_doc = place_document(place, equipment)
        themes, audiences, skills = concepts()["themes"], concepts()["audiences"], concepts()["skills"]
        neighbour = f"{base_url.rsplit('/n', 1)[0]}/n{index + 1}/places/p{index + 1}"
        self.events: list[tuple[Event, dict]] = []
        for n in range(EVENTS_PER_NODE):
            start = datetime.combine(today + timedelta(days=rng.randint(-60, 300)), datetime.min.time())
            start = start.replace(hour=rng.choice([9, 10, 14, 18, 19]), tzinfo=UTC) - timedelta(hours=1)
            event = Event(
                id=f"e{index}-{n}",
                iri=f"{base_url}/events/e{n}",
                title=f"{rng.choice(TITLES)} n°{n}",
                description="<p>Un événement simulé pour les mesures.</p>",
                start_utc=start,
                end_utc=start + timedelta(hours=2),
                timezone="Europe/Paris",
                rrule=RULES[n % len(RULES)] if n % 3 == 0 else None,
                place_iri=place.iri,
                status="cancelled" if n % 17 == 0 else "scheduled",
                is_free=n % 2 == 0,
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            organizers = [place.iri] + ([neighbour] if n % 10 == 0 else [])
            theme = rng.choice(themes)
            audience = rng.choice(audiences)
            doc = event_document(
                event,
                overrides=[],
                organizers=organizers,
                animators=[],
                themes=[{"id": theme[0], "label": theme[1]}],
                audience=[{"id": audience[0], "label": audience[1]}],
                place=place,
            )
            self.events.append((event, doc))
        self.people = []
        for n in range(PEOPLE_PER_NODE):
            picked = rng.sample(skills, 3)
            self.people.append(
                {
                    "id": f"{base_url}/people/u{n}",
                    "type": "Person",
                    "uid": f"u{n}",
                    "display_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {index}-{n}",
                    "skills": [{"id": iri, "label": labels} for iri, labels in picked],
                    "places": [place.iri],
                    "updated": "2026-01-01T00:00:00Z",
                }
            )
        self.version = 0
        self._calendar: bytes | None = None

    def records(self) -> list[dict]:
        docs = [self.place_doc, *(doc for _, doc in self.events), *self.people]
        if self.version:
            docs[1] = docs[1] | {
                "title": f"{docs[1]['title']} (v{self.version})",
                "updated": f"2026-02-0{self.version}T00:00:00Z",
            }
        return docs

    def calendar(self) -> bytes:
        """The node's calendar file, built once: a real one is a file its server sends as is."""
        if self._calendar is None:
            items = [FeedEvent(event, [], self.place_doc["name"], None, []) for event, _ in self.events]
            self._calendar = build_calendar(
                items, name=self.place_doc["name"], zone=ZONE, now=datetime(2026, 1, 1, tzinfo=UTC)
            )
        return self._calendar


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _respond(request: Request, body: bytes, media_type: str) -> Response:
    etag = _etag(body)
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=media_type, headers={"ETag": etag})


def make_app(base_url: str, nodes: int, today: date) -> Starlette:
    built: dict[int, SimulatedNode] = {}

    def node(request: Request) -> SimulatedNode:
        index = int(request.path_params["node"][1:])
        if not 0 <= index < nodes:
            raise ValueError(index)
        if index not in built:
            built[index] = SimulatedNode(f"{base_url}/n{index}", index, today)
        return built[index]

    async def descriptor(request: Request) -> Response:
        n = node(request)
        body = as_jsonld(
            orjson.dumps(
                {
                    "id": n.base_url + "/",
                    "type": "NodeDescriptor",
                    "name": n.place_doc["name"],
                    "role": "node",
                    "feeds": {"changes": f"{n.base_url}/api/v1/changes"},
                }
            )
        )
        return _respond(request, body, "application/ld+json")

    async def changes(request: Request) -> Response:
        n = node(request)
        since = request.query_params.get("since")
        current = f"v{n.version}"
        items = n.records() if since != current else []
        body = as_jsonld(
            orjson.dumps({"type": "ChangePage", "items": items, "next_cursor": current, "has_more": False})
        )
        return _respond(request, body, "application/ld+json")

    async def calendar(request: Request) -> Response:
        return _respond(request, node(request).calendar(), "text/calendar; charset=utf-8")

    async def touch(request: Request) -> Response:
        """Change one event of a node (for the '1 % of nodes changed' benchmark)."""
        node(request).version += 1
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/{node}/.well-known/tiers-lieux", descriptor),
            Route("/{node}/api/v1/changes", changes),
            Route("/{node}/agenda.ics", calendar),
            Route("/{node}/touch", touch, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=3500)
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    uvicorn.run(
        make_app(base_url, args.nodes, date.today()), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
