"""The node descriptor served at `/.well-known/tiers-lieux`."""

from __future__ import annotations

from sqlmodel import Session, col, select

from hub import __version__
from hub.places.models import Place
from hub.settings import Settings

VOCABULARY_VERSION = "1"


def node_descriptor(session: Session, settings: Settings) -> dict:
    """Who this instance is, the places it speaks for, where its feeds are."""
    places = session.exec(select(Place.iri).where(col(Place.source_id).is_(None)).order_by(Place.iri)).all()
    base = settings.base_url
    return {
        "id": f"{base}/",
        "type": "NodeDescriptor",
        "name": settings.name,
        "role": settings.role,
        "vocabulary_version": VOCABULARY_VERSION,
        "software_version": __version__,
        "speaks_for": list(places),
        "tombstone_retention_days": settings.tombstone_retention_days,
        "feeds": {
            "changes": f"{base}/api/v1/changes",
            "events_ics": f"{base}/feeds/events.ics",
            "events_rss": f"{base}/feeds/events.rss",
            "openapi": f"{base}/openapi.json",
        },
    }
