"""The needs page: the open needs and offers the public may see, in French or English, each with
who can help as far as the public may know (no contact details but those made public)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from hub.errors import HubError
from hub.filters import NeedQuery, PageQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.needs.matching import Match, match_documents
from hub.needs.service import list_needs, matches_of, visible_need
from hub.web.i18n import translator
from hub.web.named_figures import number
from hub.web.page_problems import in_words as problem_in_words
from hub.web.site import Ask, all_places, not_found, render_page
from hub.web.words import Words

router = APIRouter(include_in_schema=False)
# Who can help, shown under each need of the list; its own page shows more.
MATCHES_LISTED = 3
MATCHES_SHOWN = 20


@dataclass
class Shown:
    """A need as the page shows it: its document, its skills and place in words, who can help."""

    doc: dict
    skills: list[str]
    place: str | None
    until: str
    matches: list[dict]


def _label(concept: dict, lang: str) -> str:
    return concept["label"].get(lang) or next(iter(concept["label"].values()))


def in_words(session: Session, matches: list[Match], lang: str) -> list[dict]:
    """The matches as a page shows them: their skills' names and their distance in `lang`."""
    documents = match_documents(session, matches)
    for match in documents:
        match["skill_names"] = [_label(s, lang) for s in match["skills"]]
        distance = match.get("distance_km")
        match["distance"] = None if distance is None else number(distance, lang)
    return documents


def _shown(session: Session, need, ask: Ask, names: dict[str, str], most: int) -> Shown:
    doc = orjson.loads(need.doc)
    words = Words(ask.lang, ask.zone)
    skills = [_label(s, ask.lang) for s in doc.get("item_offered", [])]
    matches = in_words(session, matches_of(session, need, "public", limit=most), ask.lang)
    place = names.get(doc.get("area_served", ""))
    return Shown(doc, skills, place, words.date(need.valid_through.astimezone(ask.zone).date()), matches)


@router.get("/needs")
def needs_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PageQuery, NeedQuery)
    t = translator(ask.lang)
    names = {p.iri: p.name for p in all_places(ask, session)}
    shown, next_url, error, status = [], None, None, 200
    try:
        page = ask.read(PageQuery).page(settings)
        found = list_needs(
            session, "public", limit=page.limit, cursor=page.cursor, **ask.read(NeedQuery).model_dump()
        )
        shown = [_shown(session, need, ask, names, MATCHES_LISTED) for need in found.items]
        next_url = ask.here(cursor=found.next_cursor) if found.next_cursor else None
    except HubError as exc:
        error, status = problem_in_words(exc, ask.lang), 422
    return render_page(
        ask,
        "needs.html",
        t("needs.title"),
        status=status,
        values=ask.values,
        needs=shown,
        next_url=next_url,
        error=error,
        kinds=[("need", t("needs.kind.need")), ("offer", t("needs.kind.offer"))],
    )


@router.get("/needs/{uid}")
def need_page(request: Request, session: SessionDep, settings: SettingsDep, uid: str) -> Response:
    ask = Ask.of(request, settings)
    try:
        need = visible_need(session, uid, "public")
    except HubError:
        return not_found(ask)
    names = {p.iri: p.name for p in all_places(ask, session)}
    shown = _shown(session, need, ask, names, MATCHES_SHOWN)
    return render_page(ask, "need.html", shown.doc["title"], need=shown)
