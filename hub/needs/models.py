"""Need (and offer) tables: the record, the skills it names, the put-in-touch requests it got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.store.records import Record, utcnow


def _need_fk() -> Column:
    return Column(String(64), ForeignKey("need.id", ondelete="CASCADE"), nullable=False, index=True)


class Need(Record, table=True):
    """A need ("besoin d'une découpe laser") or an offer, posted by a member or a place."""

    # "need" or "offer": also the kind of its changes in the change feed.
    kind: str = Field(max_length=8, index=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    # Who posted it: a person (consented) or a place; "person" or "place".
    author_iri: str = Field(max_length=500, index=True)
    author_kind: str = Field(max_length=8)
    # Where it is: the place's IRI, and its coordinates and codes when this instance holds it.
    place_iri: str | None = Field(default=None, max_length=500, index=True)
    lat: float | None = None
    lon: float | None = None
    department: str | None = Field(default=None, max_length=3, index=True)
    region: str | None = Field(default=None, max_length=3, index=True)
    # Who may see it: "public", "network" (hubs holding a token) or "none" (nobody: withdrawn).
    audience: str = Field(default="public", max_length=8, index=True)
    # "open", "answered" (its author says it found help) or "closed".
    state: str = Field(default="open", max_length=10, index=True)
    valid_through: datetime = Field(index=True)
    # When matching first found someone, and when its author said it was answered: the figures.
    matched_at: datetime | None = None
    answered_at: datetime | None = None


class NeedSkill(SQLModel, table=True):
    """A skill a need asks for (or an offer gives): a concept of the thesaurus, or free text."""

    __table_args__ = (UniqueConstraint("need_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: str = Field(sa_column=_need_fk())
    concept_iri: str | None = Field(default=None, max_length=500, index=True)
    label: str = Field(max_length=200)


class NeedRelay(SQLModel, table=True):
    """A request to be put in touch, kept for its recipient to read: nobody's contact details are
    handed to anyone; the recipient answers, if they wish, to the address the requester left."""

    id: int | None = Field(default=None, primary_key=True)
    need_id: str = Field(sa_column=_need_fk())
    # The author of the need, or one of its matches this instance speaks for.
    to_iri: str = Field(max_length=500, index=True)
    name: str = Field(max_length=120)
    message: str = Field(sa_type=Text)
    reply_to: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)
