"""What every published record (place, event, person) has in common."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, in UTC, as the store keeps every instant."""
    return datetime.now(UTC)


def new_id() -> str:
    """A short, URL-safe, unguessable local id."""
    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")


class Record(SQLModel):
    """Columns shared by places, events and people. `doc` is the published JSON document.

    Harvested records also keep where they came from: the source, when, and a hash of what the
    source sent, so an unchanged record costs no write.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    iri: str = Field(max_length=500, unique=True)
    doc: str = Field(default="{}", sa_type=Text)
    # Accent- and case-folded words for text search.
    search_text: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True, ondelete="SET NULL")
    content_hash: str | None = Field(default=None, max_length=80)
    harvested_at: datetime | None = None
