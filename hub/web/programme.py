"""The page of a programme (a series of events run across several places), which is also what its
IRI dereferences to: its events in every place, the first first."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from hub.events.queries import EventFilters, list_events
from hub.http.common_deps import SessionDep, SettingsDep
from hub.http.responses import read_response
from hub.places.models import Place
from hub.programmes.service import get_programme
from hub.web.site import Ask, find, not_found, render_page, wants_data
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

# The events a programme page lists at most (a year of a regional programme is a few dozen).
MOST_EVENTS = 500


def _place_names(session: Session, iris: set[str]) -> dict[str, str]:
    if not iris:
        return {}
    return dict(session.exec(select(Place.iri, Place.name).where(col(Place.iri).in_(sorted(iris)))).all())


@router.get("/programmes/{uid}")
def programme_page(request: Request, uid: str, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    programme = find(ask, lambda: get_programme(session, uid))
    if programme is None:
        return not_found(ask)
    if wants_data(request):
        return read_response(request, programme.doc.encode())
    words = Words(ask.lang, ask.zone)
    doc = orjson.loads(programme.doc)
    events = list_events(session, EventFilters(programme=programme.iri), limit=MOST_EVENTS, cursor=None).items
    names = _place_names(
        session, {e.place_iri for e in events if e.place_iri} | set(doc.get("organizers", []))
    )
    zone = ask.zone
    listed = [
        {
            "uid": e.id,
            "title": e.title or words.t("event.untitled"),
            "start": e.start_utc.astimezone(zone),
            "when": words.when(
                e.start_utc.astimezone(zone), (e.end_utc or e.start_utc).astimezone(zone), e.all_day
            ),
            "place": names.get(e.place_iri or "", ""),
            "recurring": e.recurring,
        }
        for e in events
    ]
    return render_page(
        ask,
        "programme.html",
        programme.name,
        doc=doc,
        events=listed,
        organizers=[names.get(iri, iri) for iri in doc.get("organizers", [])],
        themes=[words.label(c) for c in doc.get("themes", [])],
    )
