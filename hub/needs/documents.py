"""The published JSON document of a need (schema.org Demand) or an offer (schema.org Offer)."""

from __future__ import annotations

from hub.calendar.dates import iso_utc
from hub.needs.models import Need

TYPES = {"need": "Demand", "offer": "Offer"}
KINDS = {kind_type: kind for kind, kind_type in TYPES.items()}


def relay_url(need_iri: str) -> str:
    """Where to ask to be put in touch: the API of the node that minted the need."""
    base, _, uid = need_iri.rpartition("/needs/")
    return f"{base}/api/v1/needs/{uid}/contact"


def need_document(need: Need, skills: list[dict]) -> dict:
    """The need as served by the API and the change feed. Nobody's contact details are in it:
    who wants to help asks through `contact_url`."""
    doc: dict = {"id": need.iri, "type": TYPES[need.kind], "uid": need.id, "title": need.title}
    if need.description:
        doc["description"] = need.description
    if skills:
        doc["item_offered"] = skills
    doc["author"] = need.author_iri
    if need.place_iri:
        doc["area_served"] = need.place_iri
    doc["shown_to"] = "public" if need.audience == "public" else "network"
    doc["state"] = need.state
    doc["valid_through"] = iso_utc(need.valid_through)
    doc["created_at"] = iso_utc(need.created_at)
    doc["contact_url"] = relay_url(need.iri)
    doc["updated"] = iso_utc(need.updated_at)
    return doc
