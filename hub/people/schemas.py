"""What a client sends about a member, and what each audience gets back."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, HttpUrl

from hub.places.schemas import Contact, Strict
from hub.vocabulary.schemas import ConceptOut

PersonField = Literal["display_name", "bio", "skills", "badges", "places", "links", "contact"]
Visibility = Literal["public", "network", "private"]
PERSON_FIELDS: tuple[str, ...] = PersonField.__args__

# Privacy by design: nothing is public unless the member says so; contact stays home.
DEFAULT_VISIBILITY: dict[str, str] = {
    "display_name": "network",
    "bio": "network",
    "skills": "network",
    "badges": "network",
    "places": "network",
    "links": "network",
    "contact": "private",
}


class ConsentIn(Strict):
    fields: list[PersonField] = Field(
        min_length=1,
        description="The fields the member agrees to publish (within their visibility)",
    )


class PersonIn(Strict):
    display_name: str = Field(min_length=1, max_length=120)
    bio: str | None = Field(None, max_length=5000, description="Plain text")
    skills: list[str] = Field(
        default_factory=list, max_length=50, description="Concept IRIs, slugs or labels"
    )
    badges: list[str] = Field(default_factory=list, max_length=20, examples=[["Staff", "animateur"]])
    places: list[str] = Field(default_factory=list, max_length=20, description="Local ids or IRIs of places")
    links: list[HttpUrl] = Field(default_factory=list, max_length=10)
    contact: Contact | None = None
    visibility: dict[PersonField, Visibility] = Field(
        default_factory=dict, description="Per-field visibility; unlisted fields take the defaults"
    )
    consent: ConsentIn | None = Field(
        None, description="Consent given now for these fields; absent keeps the current consent"
    )


class RoleIn(Strict):
    """A place counts a consented member among its animators."""

    role_name: str = Field(min_length=1, max_length=80, examples=["animateur·rice", "concierge"])
    badges: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Concepts of the badges thesaurus (`/api/v1/badges`): IRIs, slugs or labels",
    )
    since: date | None = Field(None, description="Since when the member has this role here")


class HarvestedRoleIn(RoleIn):
    work_location: str = Field(max_length=500, pattern=r"^https?://", description="IRI of the place")


class HarvestedPersonIn(PersonIn):
    """A profile as a node publishes it, with the roles its places gave the member (a write
    through the API leaves them to the places, `/api/v1/places/{id}/animators`)."""

    roles: list[HarvestedRoleIn] = Field(default_factory=list, max_length=50)


class FieldVisibility(BaseModel):
    field: PersonField
    level: Visibility


class RoleOut(BaseModel):
    type: Literal["Role"]
    work_location: str = Field(description="IRI of the place")
    role_name: str
    role_badges: list[ConceptOut] = []
    since: str | None = None


class PersonOut(BaseModel):
    id: str
    type: Literal["Person"]
    uid: str
    display_name: str
    bio: str | None = None
    skills: list[ConceptOut] = []
    badges: list[str] = []
    places: list[str] = []
    links: list[str] = []
    roles: list[RoleOut] = Field(
        default_factory=list, description="Roles at places; shown to whoever may see the member's places"
    )
    contact: Contact | None = None
    visibility: list[FieldVisibility] = Field(
        default_factory=list, description="Who may see each field (only in the copy served to hubs)"
    )
    updated: str


class PersonList(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None


class ConsentOut(BaseModel):
    """The consent record, shown only to the node's writers."""

    person: str
    uid: str
    given_at: str | None
    fields: list[PersonField]
    withdrawn_at: str | None
    visibility: dict[PersonField, Visibility]
