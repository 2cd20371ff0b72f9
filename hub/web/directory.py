"""The directory pages: places, a place, and the people who chose to be listed in public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from hub.errors import HubError
from hub.events.queries import EventFilters, list_occurrences
from hub.events.service import get_event
from hub.filters import NearQuery, PageParams, PageQuery, PersonQuery, PlaceQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.http.responses import read_response
from hub.people.service import list_people, person_json
from hub.places.models import Place
from hub.places.schemas import PlaceKind
from hub.places.service import get_place, list_places
from hub.web.agenda import Slot, by_day, slot
from hub.web.i18n import translator
from hub.web.page_cache import CachedPage
from hub.web.page_problems import in_words
from hub.web.schema_org import place_markup
from hub.web.site import (
    RADII,
    Ask,
    all_places,
    find,
    geography,
    jsonld_script,
    near_options,
    not_found,
    render_page,
    wants_data,
)
from hub.web.words import Words

router = APIRouter(include_in_schema=False, route_class=CachedPage)

PLACE_KINDS: tuple[str, ...] = get_args(PlaceKind)
# A place's page reads this many upcoming occurrences, lists a series once with its next few dates,
# and the events happening once after them.
UPCOMING = 200
SERIES_DATES = 4
ONE_OFF = 20


@dataclass
class Series:
    """The upcoming dates of one recurring event at a place, named once."""

    event_id: str
    title: str
    rule: str
    dates: list[Slot]


def _series(session: Session, slots: list[Slot], words: Words) -> tuple[list[Series], list[Slot]]:
    """The events met more than once among `slots` as series (by their next date), and the others."""
    by_event: dict[str, list[Slot]] = {}
    for one in slots:
        by_event.setdefault(one.event_id, []).append(one)
    series = []
    for event_id, dates in by_event.items():
        if len(dates) < 2:
            continue
        first = dates[0]
        rule = words.every(get_event(session, event_id).rrule, first.start.date())
        times = {(d.start.time(), d.end.time(), d.all_day) for d in dates}
        if len(times) == 1:
            rule = f"{rule}, {words.hours(first.start, first.end, first.all_day)}"
        series.append(Series(event_id, first.title, rule, dates[:SERIES_DATES]))
    return series, [one for one in slots if len(by_event[one.event_id]) < 2]


def _hours(place: Place, words: Words) -> list[tuple[str, str]]:
    return [
        (words.weekdays(h.get("days", [])), f"{h.get('opens')} – {h.get('closes')}")
        for h in place.opening_hours
    ]


def _public_people(
    session: Session, words: Words, page: PageParams, **filters
) -> tuple[list[dict], str | None]:
    """Public profiles only, as their members chose to show them."""
    found = list_people(session, "public", limit=page.limit, cursor=page.cursor, **filters)
    people = []
    for person in found.items:
        doc = person_json(person, "public")
        if doc is None:
            continue
        profile = orjson.loads(doc)
        profile["skill_links"] = [
            (words.label(s), s["id"].rsplit("/", 1)[-1] if s.get("id") else words.label(s))
            for s in profile.get("skills") or []
        ]
        people.append(profile)
    return people, found.next_cursor


@router.get("/places/{uid}")
def place_page(request: Request, uid: str, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    place = find(ask, lambda: get_place(session, uid))
    if place is None:
        return not_found(ask)
    if wants_data(request):
        return read_response(request, place.doc.encode())
    words = Words(ask.lang, ask.zone)
    doc = orjson.loads(place.doc)
    upcoming = list_occurrences(
        session, EventFilters(start=ask.midnight(ask.today()), place=place.id), limit=UPCOMING, cursor=None
    )
    slots = [slot(row, words, ask, {place.iri: place}) for row in upcoming.items]
    series, single = _series(session, slots, words)
    people, _ = _public_people(session, words, PageParams(settings.page_size_default, None), place=place.id)
    return render_page(
        ask,
        "place.html",
        place.name,
        place=place,
        doc=doc,
        hours=_hours(place, words),
        series=series,
        days=by_day(single[:ONE_OFF]),
        people=people,
        by_iri={place.iri: place},
        jsonld=jsonld_script(place_markup(place, f"{settings.base_url}/places/{place.id}")),
    )


@router.get("/places")
def places_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PageQuery, NearQuery, PlaceQuery)
    t = translator(ask.lang)
    everything = all_places(ask, session)
    found, next_url, error, status = [], None, None, 200
    try:
        asked = ask.read(PageQuery).page(settings)
        page = list_places(
            session,
            limit=asked.limit,
            cursor=asked.cursor,
            near=ask.read(NearQuery).point(),
            **ask.read(PlaceQuery).model_dump(),
        )
        found = page.items
        next_url = ask.here(cursor=page.next_cursor) if page.next_cursor else None
    except HubError as exc:
        error, status = in_words(exc, ask.lang), 422
    regions, departments = geography(everything, ask)
    return render_page(
        ask,
        "places.html",
        t("places.title"),
        status=status,
        values=ask.values,
        found=[(p, orjson.loads(p.doc)) for p in found],
        next_url=next_url,
        error=error,
        kinds_options=[(k, t(f"kind.{k}")) for k in PLACE_KINDS],
        regions=regions,
        departments=departments,
        near_options=near_options(everything, ask),
        radii=RADII,
    )


@router.get("/people")
def people_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PageQuery, NearQuery, PersonQuery)
    t, words = translator(ask.lang), Words(ask.lang, ask.zone)
    places = all_places(ask, session)
    people, next_url, error, status = [], None, None, 200
    try:
        people, cursor = _public_people(
            session,
            words,
            page=ask.read(PageQuery).page(settings),
            near=ask.read(NearQuery).point(),
            **ask.read(PersonQuery).model_dump(),
        )
        next_url = ask.here(cursor=cursor) if cursor else None
    except HubError as exc:
        error, status = in_words(exc, ask.lang), 422
    return render_page(
        ask,
        "people.html",
        t("people.title"),
        status=status,
        values=ask.values,
        people=people,
        next_url=next_url,
        error=error,
        place_options=[(p.id, p.name) for p in places],
        by_iri={p.iri: p for p in places},
        near_options=near_options(places, ask),
        radii=RADII,
    )
