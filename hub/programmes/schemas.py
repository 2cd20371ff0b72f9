"""What a client sends about a programme, and what it gets back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hub.places.schemas import Strict, WebUrl
from hub.vocabulary.schemas import ConceptOut


class ProgrammeIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Place à l'Emploi"])
    description: str | None = Field(None, max_length=20000, description="HTML; sanitized on the way in")
    url: WebUrl | None = None
    organizers: list[str] = Field(
        default_factory=list, max_length=50, description="Local ids or IRIs of the places running it"
    )
    themes: list[str] = Field(
        default_factory=list, max_length=30, description="Concept IRIs, slugs or labels"
    )


class ProgrammeOut(BaseModel):
    id: str
    type: Literal["EventSeries"]
    uid: str
    name: str
    description: str | None = None
    url: str | None = None
    organizers: list[str] = []
    themes: list[ConceptOut] = []
    updated: str


class ProgrammeList(BaseModel):
    items: list[ProgrammeOut]
    next_cursor: str | None
