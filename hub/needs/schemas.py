"""What a client sends about a need or an offer, and what it gets back: the record, its matches,
and the put-in-touch requests it received."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, EmailStr, Field

from hub.events.schemas import ConceptOut
from hub.places.schemas import Contact, Strict

NeedKind = Literal["need", "offer"]
NeedState = Literal["open", "answered", "closed"]
ShownTo = Literal["public", "network"]
Ref = str
# Skills a published need may list: the 20 posted, and far more than the skills thesaurus holds.
PUBLISHED_SKILLS_MAX = 500
SKILLS_HELP = "Skill concept IRIs, slugs or labels in French or English; free text is kept as typed"


class NeedIn(Strict):
    kind: NeedKind = Field("need", description="`need` (someone is looked for) or `offer` (help offered)")
    title: str = Field(min_length=1, max_length=200, examples=["Besoin d'une découpe laser"])
    description: str | None = Field(None, max_length=5000, description="Plain text")
    skills: list[str] = Field(default_factory=list, max_length=20, description=SKILLS_HELP)
    author: Ref = Field(
        min_length=1,
        max_length=500,
        description="Local id or IRI of who posts it: a member who consented to publish a profile, "
        "or a place",
    )
    place: Ref | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Local id or IRI of the place it is at (for distances); by default the place "
        "posting it, or the member's first place",
    )
    visibility: ShownTo = Field(
        "public",
        description="Who may see it; never wider than its author's profile (a need of a member "
        "seen by the network only is seen by the network only)",
    )
    valid_through: AwareDatetime | None = Field(
        None,
        description="When it expires: `HUB_NEED_DAYS_DEFAULT` days ahead by default, "
        "`HUB_NEED_DAYS_MAX` at most",
    )
    state: NeedState = "open"


class HarvestedNeedIn(NeedIn):
    """A need or an offer as a node publishes it: its skills are those posted (20 at most), then
    those its words name (hub/needs/service.py), which the skills thesaurus bounds."""

    skills: list[str] = Field(default_factory=list, max_length=PUBLISHED_SKILLS_MAX, description=SKILLS_HELP)


class NeedPatch(Strict):
    """The fields to change; the others stay as they are (its kind and author never change)."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    skills: list[str] | None = Field(None, max_length=20, description=SKILLS_HELP)
    place: Ref | None = Field(None, min_length=1, max_length=500)
    visibility: ShownTo | None = None
    valid_through: AwareDatetime | None = None
    state: NeedState | None = None


class NeedOut(BaseModel):
    id: str = Field(description="Global IRI of the need or offer")
    type: Literal["Demand", "Offer"]
    uid: str = Field(description="Local id on this instance")
    title: str
    description: str | None = None
    item_offered: list[ConceptOut] = Field(default_factory=list, description="The skills asked or offered")
    author: str = Field(description="IRI of the member or the place that posted it")
    area_served: str | None = Field(None, description="IRI of the place it is at")
    shown_to: ShownTo
    state: NeedState
    valid_through: str
    created_at: str
    contact_url: str = Field(description="Where to ask to be put in touch (at its origin)")
    updated: str


class NeedList(BaseModel):
    items: list[NeedOut]
    next_cursor: str | None


MatchKind = Literal["person", "place", "offer", "need"]


class MatchOut(BaseModel):
    type: Literal["Match"]
    match_kind: MatchKind = Field(
        description="A member's skills, a place's equipment, an open offer (or need)"
    )
    candidate: str = Field(description="IRI of the member, place, offer or need")
    name: str
    skills: list[ConceptOut] = Field(description="What it has of what is asked")
    machines: list[str] = Field(default_factory=list, description="The machines that match, for a place")
    distance_km: float | None = Field(None, description="From the need's place, when both are located")
    score: float = Field(description="Closeness of the skills, lowered by distance; the best first")
    contact: Contact | None = Field(None, description="Only what its owner made public")


class MatchList(BaseModel):
    need: str
    items: list[MatchOut]


class ContactIn(Strict):
    name: str = Field(min_length=1, max_length=120, description="Who asks (as they wish to be called)")
    message: str = Field(min_length=1, max_length=2000)
    reply_to: EmailStr | None = Field(
        None, description="Where the recipient may answer; shown to the recipient only"
    )
    to: Ref | None = Field(
        None,
        max_length=500,
        description="IRI of one of the need's matches to reach; the need's author when absent",
    )


class RelayOut(BaseModel):
    id: int
    need: str
    to: str
    name: str
    message: str
    reply_to: str | None
    created_at: str


class RelayList(BaseModel):
    items: list[RelayOut]


class Relayed(BaseModel):
    """A request relayed: stored for its recipient, who alone sees it."""

    need: str
    to: str
    status: Literal["relayed"]
