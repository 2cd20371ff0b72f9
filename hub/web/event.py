"""The page of an event, which is also what its IRI dereferences to: a linked-data client asking
for `application/ld+json` gets the document instead. The page itself carries schema.org JSON-LD
(`hub.web.schema_org`), what search engines read."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from hub.events.links import merged_documents
from hub.events.models import Event, Occurrence
from hub.events.service import get_event
from hub.federation.registry import list_sources
from hub.http.deps import SessionDep, SettingsDep
from hub.http.responses import read_response
from hub.settings import Settings
from hub.web.cache import CachedPage
from hub.web.schema_org import event_markup
from hub.web.site import Ask, all_places, find, jsonld_script, not_found, render_page, wants_data
from hub.web.words import Words

router = APIRouter(include_in_schema=False, route_class=CachedPage)

NEXT_DATES = 8


def _upcoming(session: Session, event: Event) -> list[Occurrence]:
    """The next occurrences of a recurring event, cancelled ones included."""
    if not event.recurring:
        return []
    return list(
        session.exec(
            select(Occurrence)
            .where(Occurrence.event_id == event.id, Occurrence.end_utc >= datetime.now(UTC))
            .order_by(col(Occurrence.start_utc))
            .limit(NEXT_DATES)
        )
    )


def _source_names(session: Session, settings: Settings) -> dict[str, str]:
    """Source names by the URLs provenance records (a node's base with `/`, a calendar's URL)."""
    if settings.role != "hub":
        return {}
    names = {}
    for source in list_sources(session):
        name = source.name or source.url
        names[source.url], names[source.base_url + "/"] = name, name
    return names


@router.get("/events/{uid}")
def event_page(request: Request, uid: str, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    event = find(ask, lambda: get_event(session, uid))
    if event is None:
        return not_found(ask)
    body = merged_documents(session, [event]).get(event.id) or event.doc.encode()
    if wants_data(request):
        return read_response(request, body)
    doc = orjson.loads(body)
    words = Words(ask.lang, ask.zone)
    by_iri = {p.iri: p for p in all_places(ask, session)}
    zone = ask.zone
    start, end = event.start_utc.astimezone(zone), (event.end_utc or event.start_utc).astimezone(zone)
    provenance = doc.get("provenance") or {}
    sources = doc.get("sources") or ([provenance["source"]] if provenance.get("source") else [])
    names = _source_names(session, settings)
    place = doc.get("place") or {}
    place_local = by_iri.get(place.get("id", ""))
    upcoming = _upcoming(session, event)
    organizers = [(iri, by_iri.get(iri)) for iri in doc.get("organizers") or []]
    markup = event_markup(
        event,
        doc,
        next_occurrence=upcoming[0] if upcoming else None,
        place=place_local,
        organizers=[local or iri for iri, local in organizers],
        page_url=f"{settings.base_url}/events/{event.id}",
    )
    return render_page(
        ask,
        "event.html",
        event.title or words.t("event.untitled"),
        event=event,
        doc=doc,
        when=(
            f"{words.rule(event.rrule)}, {words.hours(start, end, event.all_day)}"
            if event.recurring
            else words.when(start, end, event.all_day)
        ),
        since=words.t("event.since", day=words.date(start.date())) if event.recurring else None,
        next_dates=[
            (o.start_utc.astimezone(zone), o.end_utc.astimezone(zone), o.status == "cancelled")
            for o in upcoming
        ],
        place=place,
        place_local=place_local,
        organizers=organizers,
        themes=[words.label(c) for c in doc.get("themes") or []],
        audience=[words.label(c) for c in doc.get("audience") or []],
        sources=[(url, names.get(url, url)) for url in sources] if settings.role == "hub" else [],
        cancelled=event.status == "cancelled",
        online=event.attendance_mode in ("online", "mixed") or event.status == "moved_online",
        jsonld=jsonld_script(markup),
    )
