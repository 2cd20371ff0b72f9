"""The publishing pages: a local space, signed in with its token, creates, edits and cancels its
events (hub/web/publish_events.py) and lists its place's equipment (hub/web/publish_equipment.py),
in forms that work without JavaScript. Here: what every publishing page shares, and the list of
what the space publishes.

Every form is checked by the API's models and saved by the API's domain functions
(`save_event`, `replace_place`), so each change reaches the change feed and the hubs as a write
through the API does. Only what this instance publishes itself can be changed here: a harvested
record is its source's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from hub.errors import NotFound
from hub.events.service import own_events
from hub.http.common_deps import SettingsDep, in_read_session
from hub.places.service import own_places
from hub.settings import Settings
from hub.web.i18n import translator
from hub.web.signin import Form, FormRefused, Visit, can_publish, posted, refused, to_signin, visit_of
from hub.web.site import Ask, not_found, render_page
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

Page = Callable[[Ask, Visit, Form | None], Awaitable[Response]]


async def publishing(request: Request, settings: Settings, page: Page) -> Response:
    """A publishing page: its visitor signed in with a token that may write, else the sign-in
    page; a POST carrying its form's CSRF token, else refused."""
    ask = Ask.of(request, settings)
    form = None
    if request.method == "POST":
        try:
            visit, form = await posted(request, settings)
        except FormRefused:
            return refused(ask)
    else:
        visit = visit_of(request)
    if visit is None or not await can_publish(request, settings, visit):
        return to_signin(ask)
    try:
        response = await page(ask, visit, form)
    except NotFound:
        return not_found(ask)
    response.headers["Cache-Control"] = "no-store"
    return response


def form_page(ask: Ask, template: str, title: str, visit: Visit, *, status: int = 200, **context) -> Response:
    response = render_page(ask, template, title, status=status, csrf=visit.nonce, **context)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def done(ask: Ask, **params: str) -> Response:
    return RedirectResponse(ask.url("/publish", **params), status_code=303)


@router.get("/publish")
async def dashboard(request: Request, settings: SettingsDep) -> Response:
    return await publishing(request, settings, _dashboard)


async def _dashboard(ask: Ask, visit: Visit, form: Form | None) -> Response:
    settings = ask.settings

    def read(session: Session) -> tuple[list, list]:
        return own_events(session, settings.page_size_max), own_places(session, settings.page_size_max)

    events, places = await in_read_session(ask.request, read)
    words = Words(ask.lang, ask.zone)
    rows = [
        (
            event,
            words.moment(local_moment(event.start_utc, event.timezone, event.all_day)),
            words.rule(event.rrule),
        )
        for event in events
    ]
    saved = ask.values.get("saved")
    return form_page(
        ask,
        "publish.html",
        translator(ask.lang)("publish.title"),
        visit,
        events=rows,
        places=places,
        saved=next((e for e in events if e.id == saved), None),
        equipment_saved=next((p for p in places if p.id == ask.values.get("equipped")), None),
    )


def local_moment(moment: datetime, zone_name: str, all_day: bool) -> date | datetime:
    """A stored instant in its event's zone: its day alone for an all-day event."""
    local = moment.astimezone(ZoneInfo(zone_name))
    return local.date() if all_day else local
