"""SKOS-shaped thesaurus tables."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel


class Concept(SQLModel, table=True):
    iri: str = Field(primary_key=True, max_length=500)
    scheme: str = Field(max_length=16, index=True)
    pref_label_fr: str = Field(max_length=200)
    pref_label_en: str = Field(max_length=200)
    broader_iri: str | None = Field(default=None, max_length=500, index=True)
    definition_fr: str | None = None
    definition_en: str | None = None


class ConceptLabel(SQLModel, table=True):
    """Every label of a concept, normalized for lookup (case, accents and punctuation folded)."""

    id: int | None = Field(default=None, primary_key=True)
    concept_iri: str = Field(
        sa_column=Column(
            String(500), ForeignKey("concept.iri", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    label: str = Field(max_length=200)
    lang: str = Field(max_length=8)
    preferred: bool = False
    normalized: str = Field(max_length=200, index=True)
