"""The publishing pages: a local space, signed in with its token, creates, edits and cancels its
events and lists its place's equipment, in forms that work without JavaScript.

Every form is checked by the API's models and saved by the API's domain functions
(`save_event`, `replace_place`), so each change reaches the change feed and the hubs as a write
through the API does. Only what this instance publishes itself can be changed here: a harvested
record is its source's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from hub.errors import InvalidInput, NotFound
from hub.events.schemas import AttendanceMode, EventIn, EventStatus
from hub.events.service import event_input, event_rows, own_event, own_events, save_event
from hub.http.deps import SettingsDep, in_read_session, in_write_session
from hub.places.schemas import PlaceIn
from hub.places.service import own_place, own_places, place_input, replace_place
from hub.settings import Settings
from hub.web.event_form import Filled, form_values, read_event_form
from hub.web.field_errors import Speaker
from hub.web.i18n import translator
from hub.web.signin import (
    Form,
    FormRefused,
    Visit,
    can_publish,
    posted,
    refused,
    to_signin,
    visit_of,
)
from hub.web.site import Ask, not_found, render_page, theme_tree
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

PREVIEW_DATES = 12
BLANK_ROWS = 3
# A place lists 500 items at most (PlaceIn); a form may show some blank rows past them.
MAX_ROWS = 600
BLANK = {"name": "", "category": "", "quantity": ""}
STATUSES: tuple[str, ...] = EventStatus.__args__
MODES: tuple[str, ...] = AttendanceMode.__args__

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


def _page(ask: Ask, template: str, title: str, visit: Visit, *, status: int = 200, **context) -> Response:
    response = render_page(ask, template, title, status=status, csrf=visit.nonce, **context)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _done(ask: Ask, **params: str) -> Response:
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
        (event, words.moment(_local(event.start_utc, event.timezone, event.all_day)), words.rule(event.rrule))
        for event in events
    ]
    saved = ask.values.get("saved")
    return _page(
        ask,
        "publish.html",
        translator(ask.lang)("publish.title"),
        visit,
        events=rows,
        places=places,
        saved=next((e for e in events if e.id == saved), None),
        equipment_saved=next((p for p in places if p.id == ask.values.get("equipped")), None),
    )


def _local(moment: datetime, zone_name: str, all_day: bool):
    local = moment.astimezone(ZoneInfo(zone_name))
    return local.date() if all_day else local


# Events.


def _event_page(
    ask: Ask,
    visit: Visit,
    session_data: dict,
    filled: Filled,
    *,
    event_id: str | None,
    preview: list[str] | None = None,
    count: int = 0,
    status: int = 200,
) -> Response:
    t = translator(ask.lang)
    words = Words(ask.lang, ask.zone)
    title = t("publish.edit_event") if event_id else t("publish.new_event")
    return _page(
        ask,
        "event_form.html",
        title,
        visit,
        status=status,
        event_id=event_id,
        values=filled.values,
        errors=filled.errors,
        general=filled.general,
        place_options=session_data["places"],
        themes=session_data["themes"],
        status_options=[(s, t(f"form.status.{s}")) for s in STATUSES],
        mode_options=[(m, t(f"form.mode.{m}")) for m in MODES],
        weekdays=[
            (code, t(f"weekday.{i}")) for i, code in enumerate(("MO", "TU", "WE", "TH", "FR", "SA", "SU"))
        ],
        kept_rule=words.rule(session_data["rule"]) if session_data["rule"] else None,
        preview=preview,
        preview_count=count,
        action=ask.url(f"/publish/events/{event_id}" if event_id else "/publish/events/new"),
    )


def _form_data(ask: Ask, event_id: str | None) -> Callable[[Session], dict]:
    """What an event form needs from the store: the event's input and document, the choices."""

    def read(session: Session) -> dict:
        doc = own_event(session, event_id).doc if event_id else None

        parsed = orjson.loads(doc) if doc else None
        return {
            "doc": parsed,
            "kept": event_input(parsed) if parsed else {},
            "rule": ((parsed or {}).get("recurrence") or {}).get("rrule"),
            "places": [(p.id, p.name) for p in own_places(session, ask.settings.page_size_max)],
            "themes": theme_tree(session, ask.lang),
        }

    return read


async def _event_get(ask: Ask, visit: Visit, event_id: str | None) -> Response:
    data = await in_read_session(ask.request, _form_data(ask, event_id))
    values = form_values(data["doc"]) if data["doc"] else {"freq": "none", "ends": "never"}
    return _event_page(ask, visit, data, Filled(values), event_id=event_id)


async def _event_post(ask: Ask, visit: Visit, form: Form, event_id: str | None) -> Response:
    data = await in_read_session(ask.request, _form_data(ask, event_id))
    speaker = Speaker(ask.lang, Words(ask.lang, ask.zone))
    filled = read_event_form(form, data["kept"], speaker)
    settings = ask.settings
    if filled.data is not None and form.get("action") == "preview":
        try:
            dates = await in_read_session(ask.request, _preview(settings, filled, event_id))
        except InvalidInput as exc:
            _refuse_all(filled, speaker, exc)
        else:
            words = Words(ask.lang, ask.zone)
            shown = [words.moment(moment) for moment in dates[:PREVIEW_DATES]]
            return _event_page(ask, visit, data, filled, event_id=event_id, preview=shown, count=len(dates))
    elif filled.data is not None:
        payload = filled.data

        def save(session: Session) -> str:
            event = own_event(session, event_id, for_update=True) if event_id else None
            return save_event(session, settings, payload, event=event).id

        try:
            saved = await in_write_session(ask.request, save)
        except InvalidInput as exc:
            _refuse_all(filled, speaker, exc)
        else:
            return _done(ask, saved=saved)
    return _event_page(ask, visit, data, filled, event_id=event_id, status=422)


def _refuse_all(filled: Filled, speaker: Speaker, exc: InvalidInput) -> None:
    for api_field, message in speaker.of_domain(exc):
        filled.refuse(api_field, message)


def _preview(settings: Settings, filled: Filled, event_id: str | None) -> Callable[[Session], list]:
    """The dates the event would have, computed as saving it would, without writing."""
    payload = filled.data

    def read(session: Session) -> list:
        event = own_event(session, event_id) if event_id else None
        rows = event_rows(session, settings, payload, event=event)
        zone_name, all_day = rows.event.timezone, rows.event.all_day
        return [_local(o["start_utc"], zone_name, all_day) for o in rows.occurrences]

    return read


@router.get("/publish/events/new")
async def new_event(request: Request, settings: SettingsDep) -> Response:
    return await publishing(request, settings, lambda ask, visit, form: _event_get(ask, visit, None))


@router.post("/publish/events/new")
async def create_event(request: Request, settings: SettingsDep) -> Response:
    return await publishing(request, settings, lambda ask, visit, form: _event_post(ask, visit, form, None))


@router.get("/publish/events/{event_id}")
async def edit_event(request: Request, settings: SettingsDep, event_id: str) -> Response:
    return await publishing(request, settings, lambda ask, visit, form: _event_get(ask, visit, event_id))


@router.post("/publish/events/{event_id}")
async def update_event(request: Request, settings: SettingsDep, event_id: str) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _event_post(ask, visit, form, event_id)
    )


@router.get("/publish/events/{event_id}/cancel")
async def cancel_form(request: Request, settings: SettingsDep, event_id: str) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _cancel_form(ask, visit, form, event_id)
    )


async def _cancel_form(ask: Ask, visit: Visit, form: Form | None, event_id: str) -> Response:
    event = await in_read_session(ask.request, lambda session: own_event(session, event_id))
    t = translator(ask.lang)
    return _page(
        ask,
        "cancel.html",
        t("publish.cancel_title", title=event.title),
        visit,
        event=event,
        action=ask.url(f"/publish/events/{event_id}/cancel"),
    )


@router.post("/publish/events/{event_id}/cancel")
async def cancel_event(request: Request, settings: SettingsDep, event_id: str) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _cancel_event(ask, visit, form, event_id)
    )


async def _cancel_event(ask: Ask, visit: Visit, form: Form | None, event_id: str) -> Response:
    settings = ask.settings

    def cancel(session: Session) -> None:
        event = own_event(session, event_id, for_update=True)
        data = {**event_input(orjson.loads(event.doc)), "status": "cancelled"}
        save_event(session, settings, EventIn.model_validate(data), event=event)

    await in_write_session(ask.request, cancel)
    return _done(ask, saved=event_id)


# Equipment.


def _equipment_rows(form: Form) -> list[dict[str, str]]:
    """The rows of the posted equipment table, in order, as typed, without the blank rows after
    the last one filled in."""
    count = min(int(form.get("rows")), MAX_ROWS) if form.get("rows").isdigit() else 0
    rows = [
        {key: form.get(f"eq-{index}-{key}") for key in ("name", "category", "quantity", "remove")}
        for index in range(count)
    ]
    while rows and not any(rows[-1].values()):
        rows.pop()
    return rows


def _equipment_page(
    ask: Ask, visit: Visit, place, rows: list[dict], errors: dict, general: list[str], *, status: int = 200
) -> Response:
    t = translator(ask.lang)
    return _page(
        ask,
        "equipment_form.html",
        t("publish.equipment_title", place=place.name),
        visit,
        status=status,
        place=place,
        rows=rows + [BLANK] * BLANK_ROWS,
        filled_rows=len(rows),
        errors=errors,
        general=general,
        action=ask.url(f"/publish/places/{place.id}/equipment"),
    )


@router.get("/publish/places/{place_id}/equipment")
async def equipment_form(request: Request, settings: SettingsDep, place_id: str) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _equipment_form(ask, visit, form, place_id)
    )


async def _equipment_form(ask: Ask, visit: Visit, form: Form | None, place_id: str) -> Response:
    place = await in_read_session(ask.request, lambda session: own_place(session, place_id))
    rows = [
        {"name": e["name"], "category": e.get("category", ""), "quantity": str(e.get("quantity", 1))}
        for e in orjson.loads(place.doc).get("equipment", [])
    ]
    return _equipment_page(ask, visit, place, rows, {}, [])


@router.post("/publish/places/{place_id}/equipment")
async def save_equipment(request: Request, settings: SettingsDep, place_id: str) -> Response:
    return await publishing(
        request, settings, lambda ask, visit, form: _save_equipment(ask, visit, form, place_id)
    )


async def _save_equipment(ask: Ask, visit: Visit, form: Form | None, place_id: str) -> Response:

    place = await in_read_session(ask.request, lambda session: own_place(session, place_id))
    rows = _equipment_rows(form)
    if form.get("action") == "more":
        return _equipment_page(ask, visit, place, rows + [BLANK] * BLANK_ROWS, {}, [])
    kept = [(index, row) for index, row in enumerate(rows) if row["name"] and not row["remove"]]
    equipment = [
        {
            "name": row["name"],
            **({"category": row["category"]} if row["category"] else {}),
            "quantity": _whole(row["quantity"]),
        }
        for _, row in kept
    ]
    speaker = Speaker(ask.lang, Words(ask.lang, ask.zone))
    errors: dict[str, str] = {}
    general: list[str] = []
    try:
        data = PlaceIn.model_validate({**place_input(orjson.loads(place.doc)), "equipment": equipment})
    except ValidationError as exc:
        for api_field, message in speaker.of_validation(exc):
            _equipment_error(api_field, message, kept, errors, general)
        return _equipment_page(ask, visit, place, rows, errors, general, status=422)
    try:
        await in_write_session(ask.request, lambda session: replace_place(session, place_id, data))
    except InvalidInput as exc:
        for api_field, message in speaker.of_domain(exc):
            _equipment_error(api_field, message, kept, errors, general)
        return _equipment_page(ask, visit, place, rows, errors, general, status=422)
    return _done(ask, equipped=place_id)


def _whole(text: str) -> int | str:
    """A quantity as typed: a whole number when it reads as one (EquipmentIn takes integers only,
    and says so of anything else); 1 when left blank."""
    try:
        return int(text) if text else 1
    except ValueError:
        return text


def _equipment_error(
    api_field: str, message: str, kept: list[tuple[int, dict]], errors: dict, general: list[str]
) -> None:
    """A refusal of `equipment[i].name` shown next to the row it came from."""
    head, _, rest = api_field.partition("].")
    if head.startswith("equipment[") and head[10:].isdigit() and int(head[10:]) < len(kept):
        errors.setdefault(f"eq-{kept[int(head[10:])][0]}-{rest}", message)
    else:
        general.append(message)
