"""Thesauri in the store: load them from the bundled SKOS files, resolve what people type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from sqlmodel import Session, col, delete, select

from hub.errors import InvalidInput
from hub.kit.text import fold
from hub.store.changes import FeedState
from hub.vocabulary.models import Concept, ConceptLabel

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
VOCAB_BASE = "https://w3id.org/tiers-lieux/"
SCHEMES = {"skill": "skills", "theme": "themes", "audience": "audiences", "badge": "badges"}
IRI_PREFIXES = ("http://", "https://")
MEMO = "hub.thesaurus"  # the session's snapshot, in Session.info


@dataclass(frozen=True, slots=True)
class ConceptRef:
    """A resolved value: a concept of the thesaurus, or free text kept as typed."""

    iri: str | None
    label: str


def scheme_base(scheme: str) -> str:
    return f"{VOCAB_BASE}{SCHEMES[scheme]}/"


def _thesaurus_files() -> dict[str, Path]:
    return {scheme: SCHEMAS_DIR / f"{name}.ttl" for scheme, name in SCHEMES.items()}


def _files_digest(files: dict[str, Path]) -> int:
    digest = hashlib.sha256()
    for path in files.values():
        if path.exists():
            digest.update(path.read_bytes())
    return int.from_bytes(digest.digest()[:7], "big")


def _lang_literal(graph: Graph, subject: URIRef, predicate: URIRef, lang: str) -> str | None:
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return None


def load_thesauri(session: Session, *, force: bool = False) -> int:
    """Replace the thesaurus tables with the bundled SKOS files, if they changed. Returns concepts loaded."""
    files = _thesaurus_files()
    digest = _files_digest(files)
    state = session.get(FeedState, "thesauri_digest") or FeedState(key="thesauri_digest")
    if state.value == digest and not force:
        return 0
    session.info.pop(MEMO, None)
    session.exec(delete(ConceptLabel))
    session.exec(delete(Concept))
    session.flush()
    loaded = 0
    for scheme, path in files.items():
        if not path.exists():
            continue
        graph = Graph()
        graph.parse(path, format="turtle")
        concepts = []
        labels = []
        for subject in sorted(graph.subjects(RDF.type, SKOS.Concept)):
            iri = str(subject)
            broader = next(iter(graph.objects(subject, SKOS.broader)), None)
            concepts.append(
                Concept(
                    iri=iri,
                    scheme=scheme,
                    pref_label_fr=_lang_literal(graph, subject, SKOS.prefLabel, "fr") or iri,
                    pref_label_en=_lang_literal(graph, subject, SKOS.prefLabel, "en") or iri,
                    broader_iri=str(broader) if broader is not None else None,
                    definition_fr=_lang_literal(graph, subject, SKOS.definition, "fr"),
                    definition_en=_lang_literal(graph, subject, SKOS.definition, "en"),
                )
            )
            seen = set()
            for predicate, preferred in ((SKOS.prefLabel, True), (SKOS.altLabel, False)):
                for value in graph.objects(subject, predicate):
                    key = (str(value), value.language or "und")
                    if key in seen:
                        continue
                    seen.add(key)
                    labels.append(
                        ConceptLabel(
                            concept_iri=iri,
                            label=str(value),
                            lang=key[1],
                            preferred=preferred,
                            normalized=fold(str(value)),
                        )
                    )
            # The slug is a label too: "3d-printing" resolves as typed in an API call.
            labels.append(
                ConceptLabel(
                    concept_iri=iri,
                    label=iri.rsplit("/", 1)[-1],
                    lang="zxx",
                    normalized=fold(iri.rsplit("/", 1)[-1]),
                )
            )
        session.add_all(concepts)
        session.flush()
        session.add_all(labels)
        loaded += len(concepts)
    state.value = digest
    session.add(state)
    session.flush()
    return loaded


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The whole thesaurus in memory: a few thousand labels, read once per version of the files."""

    by_label: dict[tuple[str, str], str]  # (scheme, folded label) -> concept IRI
    schemes: dict[str, str]  # concept IRI -> scheme
    labels: dict[str, dict[str, str]]  # concept IRI -> preferred labels
    spellings: dict[str, list[str]]  # concept IRI -> its folded labels, in both languages


_SNAPSHOTS: dict[int, _Snapshot] = {}


def _snapshot(session: Session) -> _Snapshot:
    """The thesaurus as stored; it only changes when `load_thesauri` loads other files, which
    changes the digest it keeps, so one small read per session tells whether ours is current."""
    snapshot = session.info.get(MEMO)
    if snapshot is not None:
        return snapshot
    state = session.get(FeedState, "thesauri_digest")
    digest = state.value if state else 0
    snapshot = _SNAPSHOTS.get(digest)
    if snapshot is None:
        concepts = session.exec(select(Concept)).all()
        rows = session.exec(
            select(Concept.scheme, ConceptLabel.normalized, ConceptLabel.concept_iri)
            .join(Concept, col(Concept.iri) == col(ConceptLabel.concept_iri))
            .order_by(col(ConceptLabel.id))
        ).all()
        spellings: dict[str, list[str]] = {}
        for _, normalized, iri in rows:
            spellings.setdefault(iri, []).append(normalized)
        snapshot = _Snapshot(
            by_label={(scheme, normalized): iri for scheme, normalized, iri in rows},
            spellings={iri: list(dict.fromkeys(found)) for iri, found in spellings.items()},
            schemes={c.iri: c.scheme for c in concepts},
            labels={c.iri: {"fr": c.pref_label_fr, "en": c.pref_label_en} for c in concepts},
        )
        _SNAPSHOTS.clear()
        _SNAPSHOTS[digest] = snapshot
    session.info[MEMO] = snapshot
    return snapshot


def resolve(session: Session, scheme: str, values: list[str]) -> list[ConceptRef]:
    """Map what people typed (IRI, slug, or any label in any case or accent) to concepts.

    Unknown values are kept as free text. Duplicates (two spellings of one concept) collapse.
    """
    snapshot = _snapshot(session)
    refs: dict[str, ConceptRef] = {}
    for value in values:
        if value.startswith(IRI_PREFIXES):
            ref = ConceptRef(value if snapshot.schemes.get(value) == scheme else None, value)
        else:
            ref = ConceptRef(snapshot.by_label.get((scheme, fold(value))), value)
        refs.setdefault(ref.iri or f"text:{fold(value)}", ref)
    return list(refs.values())


def synonyms(session: Session, scheme: str, value: str) -> list[str]:
    """Every label, folded, of the concept of `scheme` that `value` names (any of its labels in
    French or English, or its slug); none when it names no concept."""
    snapshot = _snapshot(session)
    iri = snapshot.by_label.get((scheme, fold(value)))
    return snapshot.spellings.get(iri, []) if iri else []


# Labels shorter than this are not looked for in running text: too many words contain them.
SHORTEST_LABEL_IN_TEXT = 3


def concepts_in_text(session: Session, scheme: str, text: str, *, top: bool = False) -> set[str]:
    """The concepts of `scheme` one of whose labels (French, English, synonyms) `text` holds as
    whole words, in any case or accent: "la compta d'une asso" names accounting. The longest
    label read wins: "soudure électronique" is soldering, not welding ("soudure"). Top concepts
    ("réparer", "informatique") are too wide to be read in running text: left out unless `top`."""
    words = f" {fold(text)} "
    labels = {
        label: iri
        for (of, label), iri in _snapshot(session).by_label.items()
        if of == scheme and len(label) >= SHORTEST_LABEL_IN_TEXT and f" {label} " in words
    }
    found = {
        iri
        for label, iri in labels.items()
        if not any(label != longer and f" {label} " in f" {longer} " for longer in labels)
    }
    if top or not found:
        return found
    return set(
        session.exec(
            select(Concept.iri).where(col(Concept.iri).in_(found), col(Concept.broader_iri).is_not(None))
        )
    )


def spellings_of(session: Session, iris: set[str]) -> dict[str, list[str]]:
    """Every folded label of each of these concepts, in both languages, and its slug."""
    spellings = _snapshot(session).spellings
    return {iri: spellings[iri] for iri in iris if iri in spellings}


def unknown(session: Session, scheme: str, value: str) -> InvalidInput:
    """The refusal of a `scheme` filter naming no concept nor any free-text label in use,
    with the concepts whose labels are closest to it."""
    snapshot = _snapshot(session)
    by_label = {label: iri for (of, label), iri in snapshot.by_label.items() if of == scheme}
    close = [by_label[label] for label in get_close_matches(fold(value), list(by_label), n=6)]
    iris = list(dict.fromkeys(close))[:3]
    slugs = [iri.rsplit("/", 1)[-1] for iri in iris]
    hint = f"; did you mean {', '.join(f'`{slug}`' for slug in slugs)}?" if slugs else ""
    return InvalidInput(
        scheme,
        f"not in the {SCHEMES[scheme]} thesaurus (see /api/v1/{SCHEMES[scheme]}) "
        f"nor a label any record carries{hint}",
        location="query",
        code="unknown_concept",
        value=value,
        close=[snapshot.labels[iri] for iri in iris if iri in snapshot.labels],
    )


def labels_of(session: Session, iris: set[str]) -> dict[str, dict[str, str]]:
    """Preferred labels ({"fr": ..., "en": ...}) of the given concepts."""
    if not iris:
        return {}
    labels = _snapshot(session).labels
    return {iri: labels[iri] for iri in iris if iri in labels}


def concept_document(ref: ConceptRef, labels: dict[str, dict[str, str]]) -> dict:
    """How a concept reference appears inside a record: IRI and labels, or free text."""
    if ref.iri is not None and ref.iri in labels:
        return {"id": ref.iri, "label": labels[ref.iri]}
    return {"label": {"und": ref.label}}


def with_narrower(session: Session, iris: set[str]) -> set[str]:
    """The given concepts and all concepts below them."""
    found = set(iris)
    frontier = set(iris)
    while frontier:
        children = set(session.exec(select(Concept.iri).where(col(Concept.broader_iri).in_(frontier))).all())
        frontier = children - found
        found |= frontier
    return found
