"""The needs page: the open needs and offers the public may see, in French or English, each with
who can help as far as the public may know (no contact details but those made public).

The page of a need this instance publishes itself carries a form to be put in touch with its
author: the request is kept for them (hub/needs/service.py `relay`), who see it on their
publishing pages; no address is shown either way. A need harvested from elsewhere links to its
origin's page, where that form is. The form takes no cookie: a POST from another origin is
refused, and one that fills the field people do not see (a robot) is answered as if sent and
kept nowhere, so that robots do not use up the requests a need takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.filters import NeedQuery, PageQuery
from hub.http.common_deps import SessionDep, SettingsDep, in_read_session, in_write_session
from hub.needs.matching import Match, match_documents
from hub.needs.schemas import ContactIn
from hub.needs.service import list_needs, matches_of, relay, visible_need
from hub.web.field_errors import Speaker, by_field
from hub.web.i18n import translator
from hub.web.named_figures import number
from hub.web.page_problems import in_words as problem_in_words
from hub.web.signin import FormRefused, read_form, refused, same_origin
from hub.web.site import Ask, all_places, not_found, render_page
from hub.web.words import Words

router = APIRouter(include_in_schema=False)
# Who can help, shown under each need of the list; its own page shows more.
MATCHES_LISTED = 3
MATCHES_SHOWN = 20
CONTACT_FIELDS = ("name", "message", "reply_to")
# The field of the form people do not see: only a robot fills it.
TRAP = "website"


@dataclass
class Shown:
    """A need as the page shows it: its document, its skills and place in words, who can help."""

    doc: dict
    skills: list[str]
    place: str | None
    until: str
    matches: list[dict]
    own: bool


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
    until = words.date(need.valid_through.astimezone(ask.zone).date())
    return Shown(doc, skills, place, until, matches, own=need.source_id is None)


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
    return _need_page(session, Ask.of(request, settings), uid, Contact())


@dataclass
class Contact:
    """The form to be put in touch, as the page shows it: what was typed, what was refused."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    sent: bool = False


def _need_page(session: Session, ask: Ask, uid: str, contact: Contact, *, status: int = 200) -> Response:
    try:
        need = visible_need(session, uid, "public")
    except HubError:
        return not_found(ask)
    t = translator(ask.lang)
    names = {p.iri: p.name for p in all_places(ask, session)}
    shown = _shown(session, need, ask, names, MATCHES_SHOWN)
    return render_page(
        ask,
        "need.html",
        shown.doc["title"],
        status=status,
        need=shown,
        contact=contact,
        labels={name: t(f"needs.contact.{name}") for name in CONTACT_FIELDS},
        action=ask.url(f"/needs/{uid}/contact"),
    )


@router.post("/needs/{uid}/contact")
async def contact_form(request: Request, settings: SettingsDep, uid: str) -> Response:
    ask = Ask.of(request, settings)
    try:
        form = await read_form(request)
    except FormRefused:
        return refused(ask)
    if not same_origin(request, settings):
        return refused(ask)
    contact, status = Contact(values={name: form.get(name) for name in CONTACT_FIELDS}), 200
    if form.get(TRAP):
        contact.sent = True
    else:
        status = await _relayed(ask, uid, contact)
    response = await in_read_session(
        request, lambda session: _need_page(session, ask, uid, contact, status=status)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def _relayed(ask: Ask, uid: str, contact: Contact) -> int:
    """Keep the request of the form for the need's author; the page's status: 200 once kept, 422
    with the refusals by field, 409 when the need takes no more (closed, too many waiting), 404
    when the public sees no such need."""
    speaker = Speaker(ask.lang, Words(ask.lang, ask.zone))
    values = contact.values

    def keep(session: Session) -> None:
        data = ContactIn(name=values["name"], message=values["message"], reply_to=values["reply_to"] or None)
        relay(session, visible_need(session, uid, "public"), data, "public")

    try:
        await in_write_session(ask.request, keep)
    except ValidationError as exc:
        refusals, status = speaker.of_validation(exc), 422
    except InvalidInput as exc:
        refusals, status = speaker.of_domain(exc), 422
    except Conflict as exc:
        refusals, status = [("", problem_in_words(exc, ask.lang))], 409
    except NotFound:
        return 404
    else:
        contact.sent = True
        return 200
    contact.errors, contact.general = by_field(refusals, CONTACT_FIELDS)
    return status
