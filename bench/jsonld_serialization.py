"""What JSON-LD costs on the request path: 1,000 events as JSON, as our JSON-LD, and parsed by rdflib.

Our JSON-LD is our JSON behind a reference to the context, with its nested nodes named under
their record (`as_jsonld` parses the body, names addresses, coordinates, schedules... in place and
serializes it again): about 11 µs per event document, where JSON costs a copy of stored bytes.
rdflib is timed for reference only: it is what a consumer needs to turn the same bytes into
triples, and why it stays off the request path (it runs in tests and in the harvester's reading
of foreign JSON-LD, never to answer a request).

Run: .venv/bin/python -m bench.jsonld_serialization

Results (2026-12-04, 2 shared cores under load, Python 3.11, orjson, rdflib 7.6; best of 20,
rdflib best of 3):

    1000 event documents, 1045 KiB of JSON, 23011 triples
          0.91 ms  orjson.dumps of the plain list
          0.26 ms  list body from stored documents (what the API sends as JSON)
         11.64 ms  ... as JSON-LD: as_jsonld(list body)
         11.01 ms  as_jsonld alone, on a ready body
       1385.14 ms  rdflib: parse the JSON-LD into triples (reference)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

from hub.events.documents import event_document
from hub.events.models import Event, EventOverride
from hub.http.responses import list_body
from hub.places.models import Place
from hub.vocabulary.jsonld import as_jsonld, to_graph

COUNT = 1000
BASE = "https://fabrique-bocage.example"


def demo_events(count: int) -> list[dict]:
    """`count` documents of a weekly co-lunch, each its own unsaved event with its own id."""
    place = Place(id="bAh0ys1kyXFr", iri=f"{BASE}/places/bAh0ys1kyXFr", name="La Fabrique du Bocage")
    place.city, place.department, place.lat, place.lon = "Saint-Aurèle-du-Bocage", "23", 45.9581, 1.7602
    start = datetime(2026, 9, 18, 11, tzinfo=UTC)
    theme = {
        "id": "https://w3id.org/tiers-lieux/themes/shared-meal",
        "label": {"fr": "Repas partagé", "en": "Shared meal"},
    }
    audience = {
        "id": "https://w3id.org/tiers-lieux/audiences/everyone",
        "label": {"fr": "Tout public", "en": "Everyone"},
    }
    documents = []
    for n in range(count):
        event = Event(
            id=f"colunch{n:05d}",
            iri=f"{BASE}/events/colunch{n:05d}",
            title="Co-lunch du vendredi",
            description="<p>Chacun apporte un plat, on partage la table et les projets.</p>",
            start_utc=start,
            end_utc=start + timedelta(hours=1),
            timezone="Europe/Paris",
            rrule="FREQ=WEEKLY;BYDAY=FR",
            is_free=True,
            updated_at=start,
        )
        cancelled = EventOverride(
            event_id=event.id, recurrence_id=start + timedelta(weeks=13), status="cancelled"
        )
        documents.append(
            event_document(
                event,
                overrides=[cancelled],
                organizers=[place.iri],
                themes=[theme],
                audience=[audience],
                place=place,
            )
        )
    return documents


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times) * 1000


def main() -> None:
    run(COUNT)


def run(count: int) -> None:
    documents = demo_events(count)
    stored = [orjson.dumps(d) for d in documents]  # as the store keeps them, serialized once on write
    body = list_body(stored, None)
    jsonld = orjson.loads(as_jsonld(body))
    rows = [
        (
            "orjson.dumps of the plain list",
            best_of(20, lambda: orjson.dumps({"items": documents, "next_cursor": None})),
        ),
        (
            "list body from stored documents (what the API sends as JSON)",
            best_of(20, lambda: list_body(stored, None)),
        ),
        ("... as JSON-LD: as_jsonld(list body)", best_of(20, lambda: as_jsonld(list_body(stored, None)))),
        ("as_jsonld alone, on a ready body", best_of(20, lambda: as_jsonld(body))),
        ("rdflib: parse the JSON-LD into triples (reference)", best_of(3, lambda: to_graph(jsonld))),
    ]
    print(f"{count} event documents, {len(body) / 1024:.0f} KiB of JSON, {len(to_graph(jsonld))} triples")
    for label, ms in rows:
        print(f"{ms:10.2f} ms  {label}")


if __name__ == "__main__":
    main()
