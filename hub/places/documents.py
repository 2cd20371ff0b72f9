"""The published JSON document of a place."""

from __future__ import annotations

from hub.calendar.dates import iso_utc
from hub.places.models import Equipment, Place


def place_document(place: Place, equipment: list[Equipment]) -> dict:
    """The place as served by the API and the change feed (absent values left out)."""
    doc: dict = {"id": place.iri, "type": "Place", "uid": place.id, "name": place.name}
    if place.description:
        doc["description"] = place.description
    if place.kinds:
        doc["kinds"] = place.kinds
    address = {
        k: v
        for k, v in (
            ("street", place.street),
            ("postal_code", place.postal_code),
            ("city", place.city),
            ("department", place.department),
            ("region", place.region),
        )
        if v
    }
    if address:
        doc["address"] = {**address, "country": place.country}
    if place.lat is not None and place.lon is not None:
        doc["geo"] = {"lat": place.lat, "lon": place.lon}
    if place.opening_hours:
        doc["opening_hours"] = place.opening_hours
    contact = {k: v for k, v in (("email", place.email), ("phone", place.phone)) if v}
    if contact:
        doc["contact"] = contact
    if place.website:
        doc["website"] = place.website
    if equipment:
        doc["equipment"] = [
            {
                "name": e.name,
                **({"category": e.category} if e.category else {}),
                "quantity": e.quantity,
            }
            for e in equipment
        ]
    doc["updated"] = iso_utc(place.updated_at)
    return doc
