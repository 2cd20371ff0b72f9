"""How a concept of a thesaurus is shown inside a record (an event's themes, a member's skills)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ConceptOut(BaseModel):
    id: str | None = None
    label: dict[str, str] = Field(description="Labels by language; `und` for free text")
