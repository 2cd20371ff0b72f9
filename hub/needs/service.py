"""Domain functions for needs and offers: post, change, withdraw, list, match, relay.

A need is posted by a place or by a member who consented to publish a profile, and is never seen
wider than that profile: a member's need follows its author's consent (`follow_author`), and
leaves every output, here and at the hubs, when the member withdraws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select

from hub.errors import Conflict, InvalidInput, NotFound
from hub.kit.paging import decode_cursor
from hub.kit.text import fold
from hub.needs.documents import need_document, relay_url
from hub.needs.matching import Match, find_matches
from hub.needs.models import Need, NeedRelay, NeedSkill
from hub.needs.schemas import ContactIn, NeedIn, NeedPatch
from hub.people.models import Person, PersonPlace
from hub.people.visibility import Audience, audiences_reading
from hub.places.models import Place
from hub.places.service import IRI_PREFIXES, find_place
from hub.settings import Settings
from hub.store.changes import record_change
from hub.store.db import session_scope
from hub.store.query import Near, Page, after, near_condition, page_of, text_condition
from hub.store.records import Origin, get_record, new_id, own_record, save_row, utcnow
from hub.vocabulary.thesaurus import ConceptRef, concept_document, concepts_in_text, labels_of, resolve

# Requests waiting for one recipient of one need: past this, the need's author should answer first.
MOST_RELAYS = 100
# Matches kept when a need is posted, to date when it was first matched.
MATCHES_ASKED = 20
WIDTH = {"none": 0, "network": 1, "public": 2}
# Expired needs deleted a transaction, and transactions a pass (`purge_needs`).
PURGE_BATCH = 200
PURGE_BATCHES = 50


def need_iri(base_url: str, local_id: str) -> str:
    return f"{base_url}/needs/{local_id}"


def get_need(session: Session, need_id: str) -> Need:
    return get_record(session, Need, need_id, "need or offer")


def own_need(session: Session, need_id: str) -> Need:
    return own_record(session, Need, need_id, "need or offer")


def visible_need(session: Session, need_id: str, audience: Audience) -> Need:
    """A need `audience` may see; the same answer for "absent" and "not for you"."""
    need = session.get(Need, need_id)
    if need is None or need.audience not in audiences_reading(audience):
        raise NotFound(f"no need or offer with id {need_id!r}")
    return need


@dataclass(frozen=True)
class Author:
    iri: str
    kind: str
    # The widest audience the author lets see their needs: "public", "network" or "none".
    audience: str
    place: Place | None = None


def _author(session: Session, ref: str, *, harvested: bool) -> Author:
    """Who posts: a place, or a member who consented (for a harvested need, whoever its origin says).
    Only the node that publishes a place or a member posts in their name."""
    by_iri = ref.startswith(IRI_PREFIXES)
    place = find_place(session, ref)
    person = None
    if place is None:
        person = (
            session.exec(select(Person).where(Person.iri == ref)).first()
            if by_iri
            else session.get(Person, ref)
        )
    found = place or person
    if found is not None and found.source_id is not None and not harvested:
        raise InvalidInput("author", f"{found.iri} is published by another node", code="not_own")
    if place is not None:
        return Author(place.iri, "place", "public", place)
    if person is not None:
        return Author(person.iri, "person", person.profile_audience, _first_place(session, person))
    if harvested and by_iri:
        return Author(ref, "person" if "/people/" in ref else "place", "public")
    raise InvalidInput("author", f"no member nor place with id {ref!r}", code="unknown_author")


def _first_place(session: Session, person: Person) -> Place | None:
    """A member's first place, when they let it be seen at all."""
    if person.places_audience == "none":
        return None
    iri = session.exec(
        select(PersonPlace.place_iri).where(PersonPlace.person_id == person.id).order_by(col(PersonPlace.id))
    ).first()
    return find_place(session, iri) if iri else None


def _audience(asked: str, author: Author) -> str:
    """The narrower of what the need asks and what its author allows."""
    return min(asked, author.audience, key=WIDTH.__getitem__)


def _valid_through(settings: Settings, asked: datetime | None, *, kept: datetime | None) -> datetime:
    """The end asked, or the default one; a new end must lie ahead, within the most days allowed
    (`kept`: an end already held, which may have passed: an expired need is still closed)."""
    now = utcnow()
    latest = now + timedelta(days=settings.need_days_max)
    if asked is None:
        return now + timedelta(days=min(settings.need_days_default, settings.need_days_max))
    if asked > latest:
        raise InvalidInput(
            "valid_through",
            f"at most {settings.need_days_max} days ahead",
            code="too_late",
            n=settings.need_days_max,
        )
    if asked <= now and asked != kept:
        raise InvalidInput("valid_through", "must be in the future", code="past")
    return asked


def _skills(session: Session, data: NeedIn) -> list[ConceptRef]:
    """The skills posted, then those its words name ("la compta d'une asso": accounting)."""
    refs = resolve(session, "skill", data.skills)
    named = {r.iri for r in refs if r.iri}
    in_text = concepts_in_text(session, "skill", f"{data.title} {data.description or ''}") - named
    labels = labels_of(session, in_text)
    refs += [ConceptRef(iri, labels[iri]["fr"]) for iri in sorted(in_text) if iri in labels]
    return [ConceptRef(r.iri, r.label[:200]) for r in refs]


def save_need(
    session: Session,
    settings: Settings,
    data: NeedIn,
    *,
    need: Need | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
    restored: bool = False,
) -> Need:
    """Create or replace a need or an offer and log the change; a harvested one (`origin`) keeps
    what its origin says of its author and its audience. A `restored` one (an export loaded,
    hub/portability.py) comes with the instants it had: no match is dated anew, its own or another's."""
    harvested = origin is not None
    author = _author(session, data.author, harvested=harvested)
    if author.audience == "none":
        raise InvalidInput("author", "this member has not consented to publish a profile", code="no_consent")
    place = author.place if data.place is None else find_place(session, data.place)
    if place is None and data.place is not None and not (harvested and data.place.startswith(IRI_PREFIXES)):
        raise InvalidInput("place", f"no place with id {data.place!r}", code="unknown_place")
    fresh = need is None
    if need is None:
        local_id = new_id()
        need = Need(
            id=local_id,
            iri=iri or need_iri(settings.base_url, local_id),
            kind=data.kind,
            title=data.title,
            author_iri=author.iri,
            author_kind=author.kind,
            valid_through=utcnow(),
        )
    elif need.author_iri != author.iri or need.kind != data.kind:
        raise InvalidInput("author", "the kind and author of a need never change", code="fixed")
    need.title = data.title
    need.description = data.description
    need.place_iri = place.iri if place else data.place
    need.lat, need.lon = (place.lat, place.lon) if place else (None, None)
    need.department, need.region = (place.department, place.region) if place else (None, None)
    need.audience = data.visibility if harvested else _audience(data.visibility, author)
    # A harvested need's end is its origin's to say, passed or not.
    kept = data.valid_through if harvested else None if fresh else need.valid_through
    need.valid_through = _valid_through(settings, data.valid_through, kept=kept)
    if data.state == "answered" and need.answered_at is None:
        need.answered_at = utcnow()
    need.state = data.state
    need.updated_at = utcnow()
    need.search_text = fold(f"{data.title} {data.description or ''}")
    need.mark_origin(origin)
    if origin and fresh:
        # Posted when its origin says, for the figures of every hub that holds it.
        need.created_at = origin.moment("created_at") or need.created_at
    save_row(session, need, fresh=fresh)
    if not fresh:
        session.exec(delete(NeedSkill).where(NeedSkill.need_id == need.id))
    refs = _skills(session, data)
    session.add_all(NeedSkill(need_id=need.id, concept_iri=r.iri, label=r.label) for r in refs)
    session.flush()
    _publish(session, need, refs, origin, dated=not restored)
    return need


def _publish(
    session: Session, need: Need, refs: list[ConceptRef], origin: Origin | None, *, dated: bool = True
) -> None:
    """Render the need's document, date its first match (unless `dated` is false), and log the
    change (a need nobody may see any more is, for the network, deleted)."""
    if dated and need.state == "open":
        _date_matches(session, need)
    if origin and origin.published:
        document = {**origin.published, "uid": need.id}
    else:
        labels = labels_of(session, {r.iri for r in refs if r.iri})
        document = need_document(need, [concept_document(r, labels) for r in refs])
    need.doc = orjson.dumps(need.with_provenance(document)).decode()
    session.add(need)
    session.flush()
    record_change(session, need.kind, need.iri, deleted=need.audience == "none")


def _date_matches(session: Session, need: Need) -> None:
    """Date the first match of a need posted with someone to help already; an offer posted dates
    that of the open needs it answers (the figures count the needs matched)."""
    if need.kind == "need":
        if need.matched_at is None and find_matches(session, need, "network", limit=1):
            need.matched_at = utcnow()
        return
    answered = [m.iri for m in find_matches(session, need, "network", limit=MATCHES_ASKED)]
    if answered:
        session.exec(
            update(Need)
            .where(col(Need.iri).in_(answered), col(Need.matched_at).is_(None))
            .values(matched_at=utcnow())
        )


def create_need(session: Session, settings: Settings, data: NeedIn) -> Need:
    return save_need(session, settings, data)


def patch_need(session: Session, settings: Settings, need_id: str, patch: NeedPatch) -> Need:
    """Change the fields given; `skills` replaces the skills posted (those its words name follow
    its words)."""
    need = own_need(session, need_id)
    posted = session.exec(
        select(NeedSkill.concept_iri, NeedSkill.label)
        .where(NeedSkill.need_id == need.id)
        .order_by(col(NeedSkill.id))
    ).all()
    current = NeedIn(
        kind=need.kind,
        title=need.title,
        description=need.description,
        skills=[iri or label for iri, label in posted],
        author=need.author_iri,
        place=need.place_iri,
        visibility="public" if need.audience == "public" else "network",
        valid_through=need.valid_through,
        state=need.state,
    )
    changed = current.model_copy(update=patch.model_dump(exclude_unset=True))
    data = NeedIn.model_validate(changed.model_dump())
    return save_need(session, settings, data, need=need)


def delete_need(session: Session, need: Need) -> None:
    session.delete(need)
    record_change(session, need.kind, need.iri, deleted=True)


def purge_expired(session: Session, settings: Settings, now: datetime) -> int:
    """Delete up to `PURGE_BATCH` needs and offers expired more than `need_keep_days` before `now`,
    and with them the requests to be put in touch they got (names, messages, reply addresses):
    kept for what they were asked, not for ever. Tombstones tell the hubs. Returns how many."""
    expired = now - timedelta(days=settings.need_keep_days)
    needs = session.exec(
        select(Need)
        .where(col(Need.valid_through) < expired)
        .order_by(col(Need.valid_through))
        .limit(PURGE_BATCH)
    ).all()
    for need in needs:
        delete_need(session, need)
    return len(needs)


def purge_needs(engine: Engine, settings: Settings) -> int:
    """Purge what expired long enough ago, a batch a transaction, `PURGE_BATCHES` at most."""
    purged = 0
    for _ in range(PURGE_BATCHES):
        with session_scope(engine) as session:
            batch = purge_expired(session, settings, utcnow())
        purged += batch
        if batch < PURGE_BATCH:
            break
    return purged


def drop_needs_of(session: Session, author_iri: str) -> int:
    """Delete every need and offer of an author (tombstones for the hubs); how many."""
    needs = session.exec(select(Need).where(Need.author_iri == author_iri)).all()
    for need in needs:
        delete_need(session, need)
    return len(needs)


def follow_author(session: Session, person_iri: str) -> None:
    """After a member's profile changed: their needs go with their consent, and are seen no wider
    than their profile now is."""
    person = session.exec(select(Person).where(Person.iri == person_iri)).first()
    if person is None or person.profile_audience == "none":
        drop_needs_of(session, person_iri)
        return
    for need in session.exec(
        select(Need).where(Need.author_iri == person_iri, col(Need.source_id).is_(None))
    ).all():
        narrowed = min(need.audience, person.profile_audience, key=WIDTH.__getitem__)
        if narrowed != need.audience:
            need.audience = narrowed
            refs = [ConceptRef(s.concept_iri, s.label) for s in _skill_rows(session, need)]
            _publish(session, need, refs, None)


def _skill_rows(session: Session, need: Need) -> list[NeedSkill]:
    return list(
        session.exec(select(NeedSkill).where(NeedSkill.need_id == need.id).order_by(col(NeedSkill.id))).all()
    )


def need_json(need: Need, audience: Audience) -> str | None:
    """The stored document, or None if `audience` may not see this need."""
    return need.doc if need.audience in audiences_reading(audience) else None


def list_needs(
    session: Session,
    audience: Audience,
    *,
    limit: int,
    cursor: str | None = None,
    kind: str | None = None,
    state: str | None = "open",
    skill: str | None = None,
    place: str | None = None,
    region: str | None = None,
    department: str | None = None,
    author: str | None = None,
    q: str | None = None,
    near: Near | None = None,
) -> Page[Need]:
    """Needs and offers `audience` may see, not expired, the soonest to expire first."""
    query = select(Need).where(
        col(Need.audience).in_(audiences_reading(audience)), col(Need.valid_through) > utcnow()
    )
    if kind:
        query = query.where(Need.kind == kind)
    if state:
        query = query.where(Need.state == state)
    if skill:
        ref = resolve(session, "skill", [skill])[0]
        match = (
            col(NeedSkill.concept_iri) == ref.iri
            if ref.iri
            else col(NeedSkill.concept_iri).is_(None) & (func.lower(NeedSkill.label) == ref.label.lower())
        )
        query = query.where(select(NeedSkill.id).where(NeedSkill.need_id == Need.id, match).exists())
    if place:
        found = find_place(session, place)
        query = query.where(Need.place_iri == (found.iri if found else place))
    if region:
        query = query.where(Need.region == region)
    if department:
        query = query.where(Need.department == department)
    if author:
        query = query.where(Need.author_iri == author)
    if q:
        query = query.where(text_condition(Need.search_text, q))
    if near:
        query = query.where(near_condition(Need.lat, Need.lon, near))
    if cursor:
        query = query.where(after([Need.valid_through, Need.id], decode_cursor(cursor, (datetime, str))))
    rows = session.exec(query.order_by(col(Need.valid_through), col(Need.id)).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda n: (n.valid_through, n.id))


def matches_of(session: Session, need: Need, audience: Audience, *, limit: int) -> list[Match]:
    """Who can help: nothing for a need that is no longer open."""
    if need.state != "open" or need.valid_through <= utcnow():
        return []
    return find_matches(session, need, audience, limit=limit)


def relay(session: Session, need: Need, data: ContactIn, audience: Audience) -> NeedRelay:
    """Keep a request to be put in touch for its recipient: the need's author, or one of its
    matches. Only the instance that speaks for the recipient relays; elsewhere the problem names
    where to ask."""
    if need.state != "open" or need.valid_through <= utcnow():
        raise Conflict(f"this {need.kind} is no longer open", code="closed")
    to = data.to or need.author_iri
    if data.to and data.to not in {m.iri for m in matches_of(session, need, audience, limit=MATCHES_ASKED)}:
        raise InvalidInput("to", "not one of this need's matches", code="not_a_match")
    if not _speaks_for(session, to) or (data.to is None and need.source_id is not None):
        problem = Conflict(f"ask the instance that speaks for {to}", code="elsewhere")
        problem.extensions = {"contact_url": relay_url(need.iri)}
        raise problem
    waiting = session.exec(
        select(func.count())
        .select_from(NeedRelay)
        .where(NeedRelay.need_id == need.id, NeedRelay.to_iri == to)
    ).one()
    if waiting >= MOST_RELAYS:
        raise Conflict(f"{MOST_RELAYS} requests already wait for an answer", code="too_many_relays")
    request = NeedRelay(
        need_id=need.id, to_iri=to, name=data.name, message=data.message, reply_to=data.reply_to
    )
    session.add(request)
    session.flush()
    return request


def _speaks_for(session: Session, iri: str) -> bool:
    """Whether this instance publishes this member, place or need itself (not harvested)."""
    for table in (Person, Place, Need):
        source = session.exec(select(table.source_id, table.id).where(table.iri == iri)).first()
        if source is not None:
            return source[0] is None
    return False


def relays_of(session: Session, need: Need) -> list[NeedRelay]:
    """The requests a need received, the latest first."""
    return list(
        session.exec(
            select(NeedRelay).where(NeedRelay.need_id == need.id).order_by(col(NeedRelay.created_at).desc())
        ).all()
    )


def own_needs(session: Session, limit: int) -> list[Need]:
    """The needs and offers this instance publishes itself, the latest first."""
    query = select(Need).where(col(Need.source_id).is_(None))
    return list(session.exec(query.order_by(col(Need.created_at).desc(), col(Need.id)).limit(limit)).all())


# A wall shows this many at most.
MOST_OF_THE_DAY = 50


def needs_of_the_day(
    session: Session,
    now: datetime,
    *,
    region: str | None = None,
    department: str | None = None,
    limit: int = 10,
) -> list[Need]:
    """The public needs and offers posted in the day before `now`, still open, in an area, the
    latest first: for the live wall."""
    query = select(Need).where(
        Need.audience == "public",
        Need.state == "open",
        col(Need.valid_through) > now,
        col(Need.created_at) > now - timedelta(days=1),
        col(Need.created_at) <= now,
    )
    if region:
        query = query.where(Need.region == region)
    if department:
        query = query.where(Need.department == department)
    query = query.order_by(col(Need.created_at).desc(), col(Need.id)).limit(min(limit, MOST_OF_THE_DAY))
    return list(session.exec(query).all())


def possible_authors(session: Session, limit: int) -> list[tuple[str, str]]:
    """Who may post here, as (local id, name): this instance's places, then its members who
    consented to publish a profile, by name."""
    places = session.exec(
        select(Place.id, Place.name)
        .where(col(Place.source_id).is_(None))
        .order_by(col(Place.name))
        .limit(limit)
    ).all()
    people = session.exec(
        select(Person.id, Person.display_name)
        .where(col(Person.source_id).is_(None), Person.profile_audience != "none")
        .order_by(col(Person.display_name))
        .limit(limit)
    ).all()
    return [(uid, name) for uid, name in [*places, *people]]
