"""The page of an event, which is also what its IRI dereferences to: a linked-data client asking
for `application/ld+json` gets the document instead. The page itself carries schema.org JSON-LD
(`hub.web.schema_org`), what search engines read."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from hub.activitypub.documents import ACTIVITY_JSON, asks_for_activity, event_document
from hub.events.links import merged_documents
from hub.events.models import Event, Occurrence
from hub.events.service import get_event
from hub.federation.registry import list_sources
from hub.http.common_deps import SessionDep, SettingsDep
from hub.http.responses import read_response
from hub.kit import geo
from hub.kit.sanitize import text_with_paragraphs
from hub.people.animators import shown_names
from hub.places.models import Place
from hub.programmes.service import find_programme
from hub.settings import Settings
from hub.web.locator import Locator, locator
from hub.web.page_cache import CachedPage
from hub.web.schema_org import event_markup
from hub.web.site import (
    Ask,
    all_places,
    find,
    jsonld_script,
    not_found,
    origin_of,
    render_page,
    wants_data,
)
from hub.web.words import Words

router = APIRouter(include_in_schema=False, route_class=CachedPage)

NEXT_DATES = 8
SUMMARY_MAX = 200  # characters of the meta description, as search engines show them
# Plain links to share an event: no third-party script, no tracking parameter. Mastodon has no one
# address: Share₂Fedi asks the reader for their instance.
SHARE = (
    ("mastodon", "https://s2f.kytta.dev/?text={text}"),
    ("bluesky", "https://bsky.app/intent/compose?text={text}"),
    ("linkedin", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
)


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


def _summary(description: str | None, fallback: str) -> str:
    """The meta description: the event's text, cut at a word, or when and where it happens."""
    text = " ".join(text_with_paragraphs(description).split())
    if not text:
        return fallback
    if len(text) <= SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def _share_links(title: str, when: str, page_url: str) -> list[tuple[str, str]]:
    """(network, link) pairs, email first."""
    text = quote(f"{title} ({when}) {page_url}", safe="")
    url = quote(page_url, safe="")
    email = f"mailto:?subject={quote(title, safe='')}&body={text}"
    return [("email", email)] + [(name, link.format(text=text, url=url)) for name, link in SHARE]


def _contacts(organizers: list[tuple[str, Place | None]], place: Place | None) -> list[Place]:
    """The organizers' public contact (a place's address, phone and website are public), or the
    place's when it names no organizer."""
    hosts = [local for _, local in organizers if local is not None] or ([place] if place else [])
    return [host for host in hosts if host.email or host.phone]


def _locator(session: Session, settings: Settings, event: Event, place: Place | None) -> Locator | None:
    """The small map of where it happens (the off-site location, else the place)."""
    if event.lat is None or event.lon is None:
        return None
    offsite = event.location or {}
    code = (offsite.get("address") or {}).get("postal_code")
    department = geo.department_of_postal_code(code) if offsite and code else None
    name = offsite.get("name") or (place.name if place else event.title)
    return locator(
        session,
        lat=event.lat,
        lon=event.lon,
        name=name,
        department=department or (place.department if place else None),
        tile_url=settings.map_tile_url,
    )


@router.get("/events/{uid}")
def event_page(request: Request, uid: str, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    event = find(ask, lambda: get_event(session, uid))
    if event is None:
        return not_found(ask)
    if settings.activitypub_enabled and asks_for_activity(request.headers.get("accept", "")):
        place = session.get(Place, event.place_id) if event.place_id else None
        document = orjson.dumps(event_document(settings, event, place))
        return read_response(request, document, media_type=ACTIVITY_JSON)
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
    place_local = by_iri.get(place.get("id", "")) or (
        session.get(Place, event.place_id) if event.place_id else None
    )
    upcoming = _upcoming(session, event)
    organizers = [(iri, by_iri.get(iri)) for iri in doc.get("organizers") or []]
    page_url = f"{settings.base_url}/events/{event.id}"
    markup = event_markup(
        event,
        doc,
        next_occurrence=upcoming[0] if upcoming else None,
        place=place_local,
        organizers=[local or iri for iri, local in organizers],
        page_url=page_url,
    )
    title = event.title or words.t("event.untitled")
    when = (
        f"{words.rule(event.rrule)}, {words.hours(start, end, event.all_day)}"
        if event.recurring
        else words.when(start, end, event.all_day)
    )
    where = (event.location or {}).get("name") or (place_local.name if place_local else place.get("name"))
    image = event.image_url if origin_of(event.image_url) else None
    map_ = _locator(session, settings, event, place_local)
    tiles = origin_of(settings.map_tile_url) if map_ and map_.tiles else None
    return render_page(
        ask,
        "event.html",
        title,
        images=[origin for origin in (origin_of(image), tiles) if origin],
        event=event,
        doc=doc,
        when=when,
        summary=_summary(event.description, ", ".join(filter(None, [when, where]))),
        page_url=page_url,
        image=image,
        share=_share_links(title, when, page_url),
        contacts=_contacts(organizers, place_local),
        locator=map_,
        tile_attribution=settings.map_tile_attribution if tiles else "",
        since=words.t("event.since", day=words.date(start.date())) if event.recurring else None,
        next_dates=[
            (o.start_utc.astimezone(zone), o.end_utc.astimezone(zone), o.status == "cancelled")
            for o in upcoming
        ],
        place=place,
        place_local=place_local,
        organizers=organizers,
        programme=find_programme(session, doc["programme"]) if doc.get("programme") else None,
        animators=shown_names(session, doc.get("animators") or []),
        themes=[words.label(c) for c in doc.get("themes") or []],
        audience=[words.label(c) for c in doc.get("audience") or []],
        sources=[(url, names.get(url, url)) for url in sources] if settings.role == "hub" else [],
        cancelled=event.status == "cancelled",
        online=event.attendance_mode in ("online", "mixed") or event.status == "moved_online",
        jsonld=jsonld_script(markup),
    )
