"""The embeddable agenda: the web component, its iframe version, and the snippet generator."""

from __future__ import annotations

import gzip
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Query, Request, Response

from hub.events import queries
from hub.events.occurrences import covered
from hub.filters import CalendarQuery
from hub.http.common_deps import KnownParameters, LimitDep, SessionDep, SettingsDep
from hub.http.compression import accepts_gzip
from hub.http.responses import read_response
from hub.kit import geo
from hub.store.query import Page
from hub.store.records import utcnow
from hub.web.i18n import LANGUAGES, MESSAGES, Lang, language
from hub.web.site import theme_tree
from hub.web.templating import STATIC, render
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

FILTERS = ("region", "department", "theme", "place")
VIEWS = ("list", "week", "month")
SCRIPT_TYPE = "text/javascript; charset=utf-8"
SCRIPT_CACHE = "public, max-age=3600"
# The snippet generator runs its own script (nonce) and the component's; the component styles its
# shadow DOM with a <style> element, and the form colours the preview with `style` attributes.
GENERATOR_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
# The iframe page runs no script at all, and any site may frame it.
FRAME_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
}
# The words the component shows, from the translations so they live in one place; the script
# knows each by its name after the prefix.
SCRIPT_WORDS = (
    "agenda.list",
    "agenda.week",
    "agenda.month",
    "agenda.empty",
    "agenda.subscribe",
    "agenda.unreachable",
    "agenda.horizon",
    "event.cancelled",
    "event.online",
    "event.themes",
    "event.untitled",
    "embed.agenda",
    "embed.loading",
    "embed.views",
    "embed.upcoming",
    "embed.previous_week",
    "embed.next_week",
    "embed.previous_month",
    "embed.next_month",
    "embed.nothing",
    "embed.empty_week",
    "embed.empty_month",
    "embed.all_day",
    "embed.postponed",
    "embed.mixed",
    "embed.more_on",
)
WORDS_SLOT = "const WORDS = {};"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_ACCENT, DEFAULT_TEXT = "#0b57a4", "#1f2328"

LangQuery = Annotated[str | None, Query(max_length=8, description="`fr` (default) or `en`")]


def _script() -> bytes:
    """agenda.js with its words filled in, without its comment lines and indentation (a third lighter)."""
    source = (STATIC / "agenda.js").read_text(encoding="utf-8")
    assert WORDS_SLOT in source, "agenda.js lost the slot its words go in"
    words = {lang: {key.split(".", 1)[1]: MESSAGES[lang][key] for key in SCRIPT_WORDS} for lang in LANGUAGES}
    source = source.replace(WORDS_SLOT, f"const WORDS = {orjson.dumps(words).decode()};", 1)
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")).encode()


SCRIPT = _script()
# Compressed once: partner sites load it on every visit, with or without a proxy that compresses.
SCRIPT_GZIP = gzip.compress(SCRIPT, compresslevel=9, mtime=0)


@router.get("/embed/agenda.js")
def agenda_script(request: Request) -> Response:
    """The `<tiers-lieux-agenda>` web component, loadable by any site."""
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    return read_response(
        request,
        SCRIPT_GZIP if gzipped else SCRIPT,
        media_type=SCRIPT_TYPE,
        cache=SCRIPT_CACHE,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Vary": "Accept-Encoding",
            **({"Content-Encoding": "gzip"} if gzipped else {}),
        },
    )


@dataclass
class Day:
    heading: str
    items: list[dict] = field(default_factory=list)


def _moment(value: str, zone: ZoneInfo) -> datetime | date:
    return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).astimezone(zone)


def _when(item: dict, words: Words) -> str:
    """The hours of an occurrence in the hub's zone (its day is the heading above it)."""
    start, end = _moment(item["start"], words.zone), _moment(item["end"], words.zone)
    if item["all_day"]:
        if end == start:
            return words.t("embed.all_day")
        return words.t("embed.until", day=words.day(end, year=False))
    return words.hours(start, end, all_day=False)


def _where(event: dict) -> str:
    """The place (name, city), or the off-site location with the place organizing it."""
    place = event.get("place") or {}
    location = event.get("location")
    if location is None:
        return ", ".join(part for part in (place.get("name"), place.get("city")) if part)
    where = ", ".join(
        part for part in (location["name"], (location.get("address") or {}).get("city")) if part
    )
    if place.get("name") and place["name"] not in location["name"]:
        where += f" ({place['name']})"
    return where


def agenda_days(items: list[dict], zone: ZoneInfo, lang: Lang) -> list[Day]:
    """Occurrences (as the API shows them) grouped by their day in the hub's zone, ready to show."""
    words = Words(lang, zone)
    days: dict[date, Day] = {}
    for item in items:
        start = _moment(item["start"], zone)
        day = start.date() if isinstance(start, datetime) else start
        event = item["event"]
        days.setdefault(day, Day(words.day(day, year=False))).items.append(
            {
                "title": item["title"] or words.t("event.untitled"),
                "start": item["start"],
                "when": _when(item, words),
                "status": item["status"],
                "online": item["status"] == "moved_online" or event.get("attendance_mode") == "online",
                "mixed": event.get("attendance_mode") == "mixed",
                "uid": event.get("uid", ""),
                "where": _where(event),
                "themes": [text for text in map(words.label, event.get("themes", [])) if text],
            }
        )
    return list(days.values())


def _filter_query(request: Request) -> str:
    return urlencode({name: request.query_params[name] for name in FILTERS if request.query_params.get(name)})


@router.get("/embed/agenda", dependencies=[KnownParameters])
def agenda_frame(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[CalendarQuery, Query()],
    limit: LimitDep,
    lang: LangQuery = None,
) -> Response:
    """The agenda as a page with no script, for an `<iframe>` on sites that cannot run scripts."""
    page_lang = language(request, lang)
    filters = query.filters(settings, upcoming=True)
    window = covered(session, settings, utcnow())
    narrowed = queries.narrow_to(filters, window)
    rows = (
        queries.list_occurrences(session, filters, limit=limit, cursor=None)
        if filters.start < filters.end
        else Page([], None)
    )
    items = [orjson.loads(row.to_json()) for row in rows.items]
    query = _filter_query(request)
    note = Words(page_lang, settings.zone).horizon(window.first_day, window.last_day)
    return render(
        "embed_agenda.html",
        page_lang,
        days=agenda_days(items, settings.zone, page_lang),
        horizon=note if narrowed and not rows.next_cursor else None,
        subscribe="/feeds/events.ics" + (f"?{query}" if query else ""),
        headers=FRAME_HEADERS,
    )


def _snippets(base_url: str, chosen: dict[str, str]) -> tuple[str, str]:
    """The code a partner pastes: the web component, and the iframe for sites without scripts."""
    attributes = {name: chosen[name] for name in (*FILTERS, "lang", "view", "limit") if chosen.get(name)}
    attribute_text = "".join(f' {name}="{value}"' for name, value in attributes.items())
    style = f' style="--tl-accent: {chosen["accent"]}; --tl-text: {chosen["text"]};"'
    component = (
        f'<script src="{base_url}/embed/agenda.js" type="module"></script>\n'
        f"<tiers-lieux-agenda{attribute_text}{style}></tiers-lieux-agenda>"
    )
    frame_query = urlencode({k: v for k, v in attributes.items() if k != "view"})
    frame = (
        f'<iframe src="{base_url}/embed/agenda?{frame_query}" title="{chosen["title"]}" '
        'width="100%" height="600" style="border: 0; max-width: 100%;" loading="lazy"></iframe>'
    )
    return component, frame


@router.get("/embed")
def generator(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: LangQuery = None,
    region: str = "",
    department: str = "",
    theme: str = "",
    agenda_lang: str = "",
    view: str = "list",
    limit: str = "",
    accent: str = DEFAULT_ACCENT,
    text: str = DEFAULT_TEXT,
) -> Response:
    """The snippet generator for partners: pick filters and colours, see the preview, copy the code.

    A form, so unknown values fall back to the defaults instead of answering an error."""
    page_lang = language(request, lang)
    themes = theme_tree(request, session, page_lang)
    chosen = {
        "region": region if region in geo.REGIONS else "",
        "department": department if department in geo.DEPARTMENTS else "",
        "theme": theme if theme in {t.id for t in themes} else "",
        "lang": agenda_lang if agenda_lang in LANGUAGES else page_lang,
        "view": view if view in VIEWS else "list",
        "limit": str(min(max(int(limit), 1), settings.page_size_max))
        if limit.isdigit()
        else str(settings.page_size_default),
        "accent": accent if COLOUR.match(accent) else DEFAULT_ACCENT,
        "text": text if COLOUR.match(text) else DEFAULT_TEXT,
        "title": MESSAGES[agenda_lang if agenda_lang in LANGUAGES else page_lang]["embed.frame_title"],
    }
    component, frame = _snippets(settings.base_url.rstrip("/"), chosen)
    nonce = secrets.token_urlsafe(16)
    return render(
        "embed_generator.html",
        page_lang,
        headers={"Content-Security-Policy": GENERATOR_CSP.format(nonce=nonce)},
        nonce=nonce,
        chosen=chosen,
        regions=sorted(geo.REGIONS.items(), key=lambda item: item[1]),
        departments=[(code, name) for code, (name, _) in sorted(geo.DEPARTMENTS.items())],
        themes=themes,
        views=VIEWS,
        languages=LANGUAGES,
        component=component,
        frame=frame,
        base_url=settings.base_url.rstrip("/"),
        frame_titles={lang: MESSAGES[lang]["embed.frame_title"] for lang in LANGUAGES},
        default_limit=settings.page_size_default,
        most=settings.page_size_max,
        other_lang="en" if page_lang == "fr" else "fr",
        switch_query=urlencode({**request.query_params, "lang": "en" if page_lang == "fr" else "fr"}),
    )
