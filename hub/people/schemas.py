"""What a client sends about a member, and what each audience gets back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, HttpUrl

from hub.events.schemas import ConceptOut
from hub.places.schemas import Contact, Strict

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


class FieldVisibility(BaseModel):
    field: PersonField
    level: Visibility


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
