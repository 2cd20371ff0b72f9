"""Listing thesaurus concepts for `/api/v1/skills`, `/themes` and `/audiences`."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlmodel import Session, col, exists, select

from hub.errors import NotFound
from hub.kit.paging import decode_cursor
from hub.kit.text import search_terms
from hub.store.query import Page, after, page_of
from hub.vocabulary.models import Concept, ConceptLabel


class ThesaurusConcept(BaseModel):
    id: str
    type: str = "Concept"
    scheme: str
    label: dict[str, str]
    alt_labels: dict[str, list[str]] = {}
    broader: str | None = None
    definition: dict[str, str] | None = None
    people: int | None = None


class ConceptPage(BaseModel):
    items: list[ThesaurusConcept]
    next_cursor: str | None


def list_concepts(
    session: Session,
    scheme: str,
    *,
    limit: int,
    cursor: str | None,
    q: str | None,
    broader: str | None,
) -> Page[Concept]:
    query = select(Concept).where(Concept.scheme == scheme)
    if q:
        for term in search_terms(q):
            query = query.where(
                exists().where(
                    ConceptLabel.concept_iri == Concept.iri,
                    col(ConceptLabel.normalized).contains(term, autoescape=True),
                )
            )
    if broader:
        query = query.where(Concept.broader_iri == broader)
    if cursor:
        query = query.where(after([Concept.iri], decode_cursor(cursor, (str,))))
    rows = session.exec(query.order_by(Concept.iri).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda c: (c.iri,))


def get_concept(session: Session, scheme: str, slug: str) -> Concept:
    concept = session.exec(
        select(Concept).where(Concept.scheme == scheme, col(Concept.iri).endswith("/" + slug))
    ).first()
    if concept is None:
        raise NotFound(f"no {scheme} {slug!r}")
    return concept


def describe(
    session: Session, concepts: list[Concept], scheme_iri: str, people: dict[str, int] | None = None
) -> list[ThesaurusConcept]:
    """Concepts with all their alternative labels, for the thesaurus endpoints."""
    alts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if concepts:
        rows = session.exec(
            select(ConceptLabel)
            .where(
                col(ConceptLabel.concept_iri).in_([c.iri for c in concepts]),
                col(ConceptLabel.preferred).is_(False),
                ConceptLabel.lang != "zxx",
            )
            .order_by(col(ConceptLabel.id))
        ).all()
        for row in rows:
            alts[row.concept_iri][row.lang].append(row.label)
    described = []
    for c in concepts:
        definition = {k: v for k, v in (("fr", c.definition_fr), ("en", c.definition_en)) if v}
        described.append(
            ThesaurusConcept(
                id=c.iri,
                scheme=scheme_iri,
                label={"fr": c.pref_label_fr, "en": c.pref_label_en},
                alt_labels={lang: labels for lang, labels in alts[c.iri].items()},
                broader=c.broader_iri,
                definition=definition or None,
                people=people.get(c.iri, 0) if people is not None else None,
            )
        )
    return described
