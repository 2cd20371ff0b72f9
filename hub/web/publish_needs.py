"""The needs form of the publishing pages: a local space posts a need or an offer for itself or
for one of its members who consented, sees who can help with each (as the network sees them),
reads the requests to be put in touch it received, and marks a need answered or closed."""

from __future__ import annotations

from datetime import datetime, time

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from hub.errors import InvalidInput
from hub.http.common_deps import SettingsDep, in_read_session, in_write_session
from hub.needs.schemas import NeedIn, NeedPatch
from hub.needs.service import create_need, matches_of, own_needs, patch_need, possible_authors, relays_of
from hub.web.field_errors import Speaker, by_field
from hub.web.i18n import translator
from hub.web.needs_pages import in_words
from hub.web.publish import form_page, publishing
from hub.web.signin import Form, Visit
from hub.web.site import Ask
from hub.web.words import Words

router = APIRouter(include_in_schema=False)
FIELDS = ("kind", "title", "description", "skills", "author", "visibility", "valid_through")
MATCHES_SHOWN = 10
STATES = ("answered", "closed", "open")


def _read(session: Session, settings, lang: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """Each need of this instance with who can help (as the network sees them) and its requests."""
    shown = []
    for need in own_needs(session, settings.page_size_max):
        shown.append(
            {
                "need": need,
                "matches": in_words(session, matches_of(session, need, "network", limit=MATCHES_SHOWN), lang),
                "relays": relays_of(session, need),
            }
        )
    return shown, possible_authors(session, settings.page_size_max)


async def _page(
    ask: Ask, visit: Visit, values: dict, errors: dict, general: list, *, status: int = 200
) -> Response:
    needs, authors = await in_read_session(
        ask.request, lambda session: _read(session, ask.settings, ask.lang)
    )
    t = translator(ask.lang)
    return form_page(
        ask,
        "publish_needs.html",
        t("publish.needs_title"),
        visit,
        status=status,
        needs=needs,
        authors=authors,
        values=values,
        errors=errors,
        general=general,
        posted=ask.values.get("posted"),
        labels={name: t(f"publish.need.{name}") for name in FIELDS},
        action=ask.url("/publish/needs"),
    )


@router.get("/publish/needs")
async def needs_form(request: Request, settings: SettingsDep) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _page(ask, visit, {"kind": "need"}, {}, [])
    )


@router.post("/publish/needs")
async def post_need(request: Request, settings: SettingsDep) -> Response:
    return await publishing(request, settings, _post)


def _input(form: Form, ask: Ask) -> dict:
    """The form's fields as the API takes them: skills separated by commas, a last day as its end."""
    data: dict = {
        "kind": form.get("kind") or "need",
        "title": form.get("title"),
        "description": form.get("description") or None,
        "skills": [s.strip() for s in form.get("skills").split(",") if s.strip()],
        "author": form.get("author"),
        "visibility": form.get("visibility") or "public",
    }
    day = form.get("valid_through")
    if day:
        try:
            data["valid_through"] = datetime.combine(
                datetime.fromisoformat(day).date(), time(23, 59), ask.zone
            )
        except ValueError:
            data["valid_through"] = day
    return data


async def _post(ask: Ask, visit: Visit, form: Form | None) -> Response:
    values = {name: form.get(name) for name in FIELDS}
    speaker = Speaker(ask.lang, Words(ask.lang, ask.zone))
    try:
        data = NeedIn.model_validate(_input(form, ask))
        need = await in_write_session(ask.request, lambda session: create_need(session, ask.settings, data))
    except ValidationError as exc:
        refusals = speaker.of_validation(exc)
    except InvalidInput as exc:
        refusals = speaker.of_domain(exc)
    else:
        return RedirectResponse(ask.url("/publish/needs", posted=need.id), status_code=303)
    errors, general = by_field(refusals, FIELDS)
    return await _page(ask, visit, values, errors, general, status=422)


@router.post("/publish/needs/{uid}/state")
async def change_state(request: Request, settings: SettingsDep, uid: str) -> Response:
    return await publishing(request, settings, lambda ask, visit, form: _state(ask, form, uid))


async def _state(ask: Ask, form: Form | None, uid: str) -> Response:
    state = form.get("state")
    if state in STATES:
        patch = NeedPatch(state=state)
        await in_write_session(ask.request, lambda session: patch_need(session, ask.settings, uid, patch))
    return RedirectResponse(ask.url("/publish/needs"), status_code=303)
