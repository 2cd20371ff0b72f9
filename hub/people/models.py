"""Person, skill, membership and role tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.store.records import Record


def _person_fk() -> Column:
    return Column(String(64), ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)


class Person(Record, table=True):
    display_name: str = Field(max_length=120)
    bio: str | None = Field(default=None, sa_type=Text)
    badges: list[str] = Field(default_factory=list, sa_type=JSON)
    links: list[str] = Field(default_factory=list, sa_type=JSON)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    visibility: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    consent_given_at: datetime | None = None
    consent_fields: list[str] = Field(default_factory=list, sa_type=JSON)
    consent_withdrawn_at: datetime | None = None
    # Published documents, one per audience; NULL when the audience may not see the profile.
    doc_public: str | None = Field(default=None, sa_type=Text)
    doc_network: str | None = Field(default=None, sa_type=Text)
    # Who may see the profile at all, its skills and its places: "public", "network" or "none".
    profile_audience: str = Field(default="none", max_length=8, index=True)
    skills_audience: str = Field(default="none", max_length=8)
    places_audience: str = Field(default="none", max_length=8)
    search_network: str = Field(default="", sa_type=Text)


class PersonSkill(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(sa_column=_person_fk())
    concept_iri: str | None = Field(default=None, max_length=500, index=True)
    label: str = Field(max_length=200)


class PersonPlace(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "place_iri"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(sa_column=_person_fk())
    place_iri: str = Field(max_length=500, index=True)


class PersonRole(SQLModel, table=True):
    """A place counts the member among its animators: their role there, badges (concept IRIs of
    the badges thesaurus) and since when. Published in the profile, under the visibility of the
    member's places (hub/people/documents.py)."""

    __table_args__ = (UniqueConstraint("person_id", "place_iri"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(sa_column=_person_fk())
    place_iri: str = Field(max_length=500, index=True)
    role_name: str = Field(max_length=80)
    badges: list[str] = Field(default_factory=list, sa_type=JSON)
    since: date | None = None
