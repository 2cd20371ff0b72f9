"""Who can help whom: what a need asks for, widened by the skills thesaurus (synonyms in French and
English, narrower skills), against the skills of members (only as far as each lets them be seen),
the equipment of places, and the open offers; ranked by how close the skills are, then distance.

An offer is matched the other way round, against the open needs. Every query reads a bounded
number of rows, and the answer keeps the best `limit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from sqlalchemy import ColumnElement, false, func, or_
from sqlmodel import Session, col, select

from hub.kit.geo import distance_km
from hub.kit.text import fold
from hub.needs.models import Need, NeedSkill
from hub.people.models import Person, PersonPlace, PersonSkill
from hub.people.visibility import Audience, audiences_reading
from hub.places.models import Equipment, Place
from hub.store.records import utcnow
from hub.vocabulary.thesaurus import concepts_in_text, labels_of, spellings_of, with_narrower

# How close a skill found is to one asked: the very concept, one below it, free text alike.
ASKED, NARROWER, SAME_WORDS = 1.0, 0.9, 0.7
# Each further skill found adds a little: who has two of the skills asked comes first.
EACH_MORE = 0.05
# Distance lowers a score by half at this many km; a candidate not located counts as this far.
HALF_AT_KM = 50.0
UNLOCATED_KM = 100.0
# Candidate rows read per kind of candidate, and IRIs per IN (...) list.
MOST_ROWS = 2000
CHUNK = 500
COUNTERPART = {"need": "offer", "offer": "need"}


@dataclass(frozen=True)
class Wanted:
    """What a need asks for, widened: concept IRI -> closeness, folded label -> concept IRI (None
    for free text asked), and the free text asked."""

    closeness: dict[str, float]
    spellings: dict[str, str | None]

    def of_text(self, session: Session, text: str) -> tuple[str | None, float] | None:
        """The concept asked (and how close) a machine's name stands for, or the free text asked
        it holds; None when it is neither."""
        named = [
            (iri, self.closeness[iri])
            for iri in concepts_in_text(session, "skill", text, top=True)
            if iri in self.closeness
        ]
        words = f" {fold(text)} "
        named += [
            (None, SAME_WORDS)
            for spelling, iri in self.spellings.items()
            if iri is None and f" {spelling} " in words
        ]
        return max(named, key=lambda pair: pair[1]) if named else None


@dataclass
class Match:
    kind: str
    iri: str
    name: str
    skills: dict[str, float] = field(default_factory=dict)  # concept IRI or "text:<label>" -> closeness
    equipment: list[str] = field(default_factory=list)
    distance_km: float | None = None
    score: float = 0.0
    contact: dict | None = None

    def found(self, key: str, closeness: float) -> None:
        self.skills[key] = max(closeness, self.skills.get(key, 0.0))

    def found_skill(self, want: Wanted, concept: str | None, label: str) -> None:
        """A skill row of the candidate's that the query selected: a concept asked, or free text."""
        if concept:
            self.found(concept, want.closeness.get(concept, SAME_WORDS))
        else:
            self.found(f"text:{label}", SAME_WORDS)

    def document(self, labels: dict[str, dict[str, str]]) -> dict:
        skills = [
            {"id": key, "label": labels[key]}
            if key in labels
            else {"label": {"und": key.removeprefix("text:")}}
            for key in self.skills
        ]
        doc = {
            "type": "Match",
            "match_kind": self.kind,
            "candidate": self.iri,
            "name": self.name,
            "skills": skills,
            "score": round(self.score, 3),
        }
        if self.distance_km is not None:
            doc["distance_km"] = round(self.distance_km, 1)
        if self.equipment:
            doc["machines"] = self.equipment
        if self.contact:
            doc["contact"] = self.contact
        return doc


def wanted(session: Session, need: Need) -> Wanted:
    """The skills a need names (as posted, and as its text names them), with every skill below them."""
    rows = session.exec(
        select(NeedSkill.concept_iri, NeedSkill.label).where(NeedSkill.need_id == need.id)
    ).all()
    asked = {iri for iri, _ in rows if iri}
    closeness = dict.fromkeys(with_narrower(session, asked) if asked else set(), NARROWER)
    closeness.update(dict.fromkeys(asked, ASKED))
    spellings: dict[str, str | None] = {fold(label): None for iri, label in rows if not iri and fold(label)}
    for iri, labels in spellings_of(session, set(closeness)).items():
        for label in labels:
            spellings[label] = iri
    return Wanted(closeness, spellings)


def find_matches(session: Session, need: Need, audience: Audience, *, limit: int) -> list[Match]:
    """The best `limit` candidates `audience` may see for a need (or an offer), the best first."""
    want = wanted(session, need)
    if not want.spellings:
        return []
    readable = audiences_reading(audience)
    found: list[Match] = []
    if need.kind == "need":
        found += _people(session, need, want, readable)
        found += _places(session, need, want)
    found += _counterparts(session, need, want, readable)
    for match in found:
        closeness = max(match.skills.values()) + EACH_MORE * (len(match.skills) - 1)
        away = UNLOCATED_KM if match.distance_km is None else match.distance_km
        match.score = closeness / (1 + away / HALF_AT_KM)
    found.sort(key=lambda m: (-m.score, m.name, m.iri))
    best = found[:limit]
    _public_contacts(session, [m for m in best if m.kind == "person"])
    return best


def _skill_condition(want: Wanted, iri_column, label_column) -> ColumnElement[bool]:
    """Rows naming a concept asked (or below one), or free text spelled as one asked."""
    condition = col(iri_column).in_(list(want.closeness)) if want.closeness else false()
    free = [spelling for spelling in want.spellings if spelling]
    return or_(condition, col(iri_column).is_(None) & func.lower(label_column).in_(free))


def _away(need: Need, lat: float | None, lon: float | None) -> float | None:
    if None in (need.lat, need.lon, lat, lon):
        return None
    return distance_km(need.lat, need.lon, lat, lon)


def _people(session: Session, need: Need, want: Wanted, readable: list[str]) -> list[Match]:
    """Members who show the reader a skill asked; located by the places they show it."""
    rows = session.exec(
        select(
            Person.id,
            Person.iri,
            Person.display_name,
            Person.places_audience,
            PersonSkill.concept_iri,
            PersonSkill.label,
        )
        .join(PersonSkill, col(PersonSkill.person_id) == col(Person.id))
        .where(
            col(Person.profile_audience).in_(readable),
            col(Person.skills_audience).in_(readable),
            col(Person.iri) != need.author_iri,
            _skill_condition(want, PersonSkill.concept_iri, PersonSkill.label),
        )
        .order_by(col(Person.id))
        .limit(MOST_ROWS)
    ).all()
    people: dict[str, Match] = {}
    located: list[str] = []
    for person_id, iri, name, places_audience, concept, label in rows:
        if person_id not in people:
            people[person_id] = Match("person", iri, name)
            if places_audience in readable:
                located.append(person_id)
        people[person_id].found_skill(want, concept, label)
    for person_id, lat, lon in _places_of(session, located):
        away = _away(need, lat, lon)
        match = people[person_id]
        if away is not None and (match.distance_km is None or away < match.distance_km):
            match.distance_km = away
    return list(people.values())


def _places_of(session: Session, person_ids: list[str]) -> Iterable[tuple[str, float, float]]:
    for start in range(0, len(person_ids), CHUNK):
        yield from session.exec(
            select(PersonPlace.person_id, Place.lat, Place.lon)
            .join(Place, col(Place.iri) == col(PersonPlace.place_iri))
            .where(
                col(PersonPlace.person_id).in_(person_ids[start : start + CHUNK]), col(Place.lat).is_not(None)
            )
        ).all()


def _places(session: Session, need: Need, want: Wanted) -> list[Match]:
    """Places with a machine whose name or category holds a spelling of a skill asked."""
    words = " " + Equipment.search_text + " "
    named = [words.contains(f" {spelling} ", autoescape=True) for spelling in want.spellings]
    rows = session.exec(
        select(Place.iri, Place.name, Place.lat, Place.lon, Equipment.name, Equipment.search_text)
        .join(Equipment, col(Equipment.place_id) == col(Place.id))
        .where(or_(*named), col(Place.iri) != need.author_iri, Equipment.quantity > 0)
        .order_by(col(Place.iri), col(Equipment.id))
        .limit(MOST_ROWS)
    ).all()
    places: dict[str, Match] = {}
    read: dict[str, tuple[str | None, float] | None] = {}
    for iri, name, lat, lon, machine, text in rows:
        if text not in read:
            read[text] = want.of_text(session, text)
        found = read[text]
        if found is None:
            continue
        match = places.setdefault(iri, Match("place", iri, name, distance_km=_away(need, lat, lon)))
        concept, closeness = found
        match.found(concept or f"text:{machine}", closeness)
        if machine not in match.equipment:
            match.equipment.append(machine)
    return list(places.values())


def _counterparts(session: Session, need: Need, want: Wanted, readable: list[str]) -> list[Match]:
    """Open offers for a need (open needs for an offer), still valid, that the reader may see."""
    rows = session.exec(
        select(Need.iri, Need.title, Need.lat, Need.lon, NeedSkill.concept_iri, NeedSkill.label)
        .join(NeedSkill, col(NeedSkill.need_id) == col(Need.id))
        .where(
            Need.kind == COUNTERPART[need.kind],
            Need.state == "open",
            col(Need.valid_through) > utcnow(),
            col(Need.audience).in_(readable),
            col(Need.author_iri) != need.author_iri,
            _skill_condition(want, NeedSkill.concept_iri, NeedSkill.label),
        )
        .order_by(col(Need.iri))
        .limit(MOST_ROWS)
    ).all()
    found: dict[str, Match] = {}
    for iri, title, lat, lon, concept, label in rows:
        match = found.setdefault(
            iri, Match(COUNTERPART[need.kind], iri, title, distance_km=_away(need, lat, lon))
        )
        match.found_skill(want, concept, label)
    return list(found.values())


def _public_contacts(session: Session, people: list[Match]) -> None:
    """The contact details a member made public, and nothing else: whatever the reader."""
    if not people:
        return
    documents = session.exec(
        select(Person.iri, Person.doc_public).where(col(Person.iri).in_([m.iri for m in people]))
    ).all()
    public = {iri: orjson.loads(doc).get("contact") for iri, doc in documents if doc}
    for match in people:
        match.contact = public.get(match.iri)


def match_documents(session: Session, matches: list[Match]) -> list[dict]:
    """The matches as the API serves them, skills with their labels in both languages."""
    labels = labels_of(session, {key for m in matches for key in m.skills if not key.startswith("text:")})
    return [m.document(labels) for m in matches]
