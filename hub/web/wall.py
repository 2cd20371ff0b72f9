"""The live wall: a kiosk page for the screen of a tiers-lieu, read from across the room.

What is on now and next in the network or a territory, the day of the place the screen hangs in,
the members who arrived lately and the skills they offer (public profiles only: what each member
chose to show anyone), and the figures of the week. The page asks nothing of another server. It
follows the data: a stream (hub.web.live) says when the data version moves, and its small script
then replaces the sections with `/wall/fragment`; without script, the page reloads every minute.
The script also reloads the sections every minute, as "now" moves with the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import HTMLResponse, Response

from hub import stats
from hub.errors import HubError, InvalidInput
from hub.events.queries import EventFilters, ending_after, list_occurrences
from hub.filters import WallQuery
from hub.http.cache import request_version
from hub.http.common_deps import SettingsDep, in_read_session
from hub.kit import geo
from hub.kit.bounded import BoundedMap
from hub.needs.service import needs_of_the_day
from hub.people.arrivals import Area, count_newcomers, newcomers, skill_offers
from hub.places.models import Place
from hub.places.service import find_place
from hub.web.agenda import Slot, slot
from hub.web.i18n import translator
from hub.web.live import VersionStream, version_tag
from hub.web.page_problems import in_words
from hub.web.site import CSP, Ask, all_places, render_page, wants_data
from hub.web.templating import render_text
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

# The page runs its own script (a static file), which reads the stream and the fragment.
WALL_CSP = CSP.replace("script-src 'none'", "script-src 'self'")
NO_STORE = {"Cache-Control": "no-store"}
# Seconds between two reloads without a change of the data: "now" moves with the clock.
REFRESH_SECONDS = 60
# How long ago an event still under way may have started, what "next" looks ahead, who is new.
UNDER_WAY_SINCE = timedelta(days=2)
NEXT_WITHIN = timedelta(days=7)
NEW_WITHIN = timedelta(days=30)
OFFERED_WITHIN = timedelta(days=7)
# Lines a section shows at most: a screen is read from afar, not scrolled.
MOST = {"now": 4, "next": 6, "here": 3, "newcomers": 3, "offers": 3, "needs": 3}
AREA_NAMES = {**geo.REGIONS, **{code: name for code, (name, _) in geo.DEPARTMENTS.items()}}
# Places, badges and skills a newcomer's line names at most.
ABOUT_SHOWN = 5


@dataclass
class Wall:
    """What the sections of one wall read: its reader, the moment, its territory and its place."""

    ask: Ask
    words: Words
    now: datetime
    territory: EventFilters
    area: Area
    place: Place | None
    by_iri: dict[str, Place]
    sections: list[tuple[str, object]] = field(default_factory=list)

    def slots(self, rows) -> list[Slot]:
        return [slot(row, self.words, self.ask, self.by_iri) for row in rows]

    def day_start(self, days: int = 0) -> datetime:
        """The start of the day `days` after today, in the instance's zone (a day of a change of
        daylight saving time lasts 23 or 25 hours)."""
        return self.ask.midnight(self.now.date() + timedelta(days=days))


def _now(session: Session, wall: Wall) -> list[Slot]:
    started = replace(wall.territory, start=wall.now - UNDER_WAY_SINCE, end=wall.now)
    return wall.slots(ending_after(session, started, wall.now, limit=MOST["now"]))


def _next(session: Session, wall: Wall) -> list[Slot]:
    coming = replace(wall.territory, start=wall.now, end=wall.now + NEXT_WITHIN)
    return wall.slots(list_occurrences(session, coming, limit=MOST["next"], cursor=None).items)


def _here(session: Session, wall: Wall) -> list[Slot] | None:
    """What is left of the day at the wall's place; None (no section) for a wall of no place."""
    if wall.place is None:
        return None
    day = EventFilters(place=wall.place.id, start=wall.day_start(), end=wall.day_start(1))
    return wall.slots(ending_after(session, day, wall.now, limit=MOST["here"]))


@dataclass
class Newcomer:
    """A member greeted, from their public document (nothing they did not show anyone): their
    name, and their places, badges and skills, the first few."""

    name: str
    about: list[str]


def _newcomers(session: Session, wall: Wall) -> list[Newcomer]:
    found = newcomers(session, wall.now - NEW_WITHIN, wall.area, limit=MOST["newcomers"])
    greeted = []
    for document in found:
        places = [wall.by_iri[iri].name for iri in document.get("places") or [] if iri in wall.by_iri]
        skills = [wall.words.label(skill) for skill in document.get("skills") or []]
        about = [*places, *(document.get("badges") or []), *skills]
        greeted.append(Newcomer(document["display_name"], about[:ABOUT_SHOWN]))
    return greeted


def _offers(session: Session, wall: Wall) -> list[tuple[str, str]]:
    """Each skill offered lately, and who offers it."""
    found = skill_offers(session, wall.now - OFFERED_WITHIN, wall.area, limit=MOST["offers"])
    return [(wall.words.label(offer.skill), offer.person) for offer in found]


@dataclass
class Asked:
    """A need or an offer posted in the day, public: its kind, its title, where."""

    kind: str
    title: str
    where: str | None


def _needs(session: Session, wall: Wall) -> list[Asked]:
    found = needs_of_the_day(
        session, wall.now, region=wall.area.region, department=wall.area.department, limit=MOST["needs"]
    )
    return [
        Asked(need.kind, need.title, place.name if (place := wall.by_iri.get(need.place_iri or "")) else None)
        for need in found
    ]


def _week(session: Session, wall: Wall) -> list[tuple[str, int]]:
    """The figures of the week (Monday to Sunday) in the territory."""
    monday = -wall.now.weekday()
    week = replace(wall.territory, start=wall.day_start(monday), end=wall.day_start(monday + 7))
    events, occurrences, places = stats.activity(session, week)
    return [
        ("events", events),
        ("dates", occurrences),
        ("places", places),
        ("newcomers", count_newcomers(session, week.start, wall.area)),
    ]


# The sections of the wall, in order: each reads its lines (None: not on this wall) and shows them
# with templates/wall/<name>.html, the words `wall.<name>` (and `wall.<name>.empty`), and its area
# of the landscape grid (`.wall-<name>` in style.css).
SECTIONS: tuple[tuple[str, Callable[[Session, Wall], object]], ...] = (
    ("now", _now),
    ("next", _next),
    ("here", _here),
    ("newcomers", _newcomers),
    ("offers", _offers),
    ("needs", _needs),
    ("week", _week),
)


def _read(ask: Ask) -> tuple[WallQuery, Area]:
    query = ask.read(WallQuery)
    return query, Area(region=query.region, department=query.department)


def _filters(ask: Ask) -> dict[str, str]:
    return {name: ask.values[name] for name in ("region", "department", "place") if name in ask.values}


async def _live(ask: Ask) -> Markup:
    """The wall's sections (`#live`) as `ask` asks them, at the data version they were read at
    (read first: a change during the reading is shown again, never missed). Walls asking the same
    at the same version within the same minute share one reading: a change that reaches a hundred
    open walls at once is read once."""
    query, area = _read(ask)
    version = version_tag(await request_version(ask.request))
    now = datetime.now(ask.zone)
    key = (tuple(sorted(_filters(ask).items())), ask.lang, version, now.strftime("%Y-%m-%dT%H:%M"))
    cache: BoundedMap[str] = ask.request.app.state.wall_cache
    if (kept := cache.get(key)) is not None:
        return Markup(kept)

    def work(session: Session) -> Wall:
        place = find_place(session, query.place) if query.place else None
        if query.place and place is None:
            unknown = "no place with this id or IRI"
            raise InvalidInput("place", unknown, location="query", code="unknown_place", value=query.place)
        by_iri = {p.iri: p for p in all_places(ask, session)}
        territory = EventFilters(region=query.region, department=query.department)
        wall = Wall(ask, Words(ask.lang, ask.zone), now, territory, area, place, by_iri)
        wall.sections = [
            (name, lines) for name, read in SECTIONS if (lines := read(session, wall)) is not None
        ]
        return wall

    wall = await in_read_session(ask.request, work)
    territory = ask.values.get("department") or ask.values.get("region")
    html = render_text(
        "wall_live.html",
        ask.lang,
        version=version,
        sections=wall.sections,
        place=wall.place,
        site_name=ask.settings.name,
        territory=AREA_NAMES.get(territory or ""),
        today=wall.words.day(now.date(), cap=True),
        clock=wall.words.time(now),
        now=now,
        words=wall.words,
    )
    cache.put(key, html)
    return Markup(html)


@router.get("/wall")
async def wall_page(request: Request, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, WallQuery)
    t = translator(ask.lang)
    try:
        live = await _live(ask)
    except HubError as exc:
        if wants_data(request):
            raise
        page = render_page(ask, "error.html", t("wall.title"), status=422, message=in_words(exc, ask.lang))
        page.headers.update(NO_STORE)
        return page
    asked = {**_filters(ask), "lang": ask.lang}
    page = render_page(
        ask,
        "wall.html",
        t("wall.title"),
        live=live,
        refresh=REFRESH_SECONDS,
        fragment_url=ask.url("/wall/fragment", **asked),
        stream_url=ask.url("/wall/stream", **asked),
    )
    page.headers.update({"Content-Security-Policy": WALL_CSP, **NO_STORE})
    return page


@router.get("/wall/fragment")
async def wall_fragment(request: Request, settings: SettingsDep) -> Response:
    """The sections of the wall alone, as its script puts them in place."""
    live = await _live(Ask.of(request, settings, WallQuery))
    return HTMLResponse(live, headers=NO_STORE)


@router.get("/wall/stream")
async def wall_stream(request: Request, settings: SettingsDep) -> Response:
    """Server-sent events: `version` with the data version, at once and whenever it changes."""
    _read(Ask.of(request, settings, WallQuery))
    return VersionStream(request.app.state.wall_watch)
