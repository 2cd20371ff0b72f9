"""The event form of the publishing pages: create, preview, edit and cancel an event."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from hub.calendar.rules import WEEKDAYS
from hub.errors import InvalidInput
from hub.events.schemas import AttendanceMode, EventIn, EventStatus
from hub.events.service import event_input, event_rows, own_event, save_event
from hub.http.common_deps import SettingsDep, in_read_session, in_write_session
from hub.places.service import own_places
from hub.settings import Settings
from hub.web.event_form import Filled, form_values, read_event_form
from hub.web.field_errors import Speaker
from hub.web.i18n import translator
from hub.web.publish import done, form_page, local_moment, publishing
from hub.web.signin import Form, Visit
from hub.web.site import Ask, theme_tree
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

PREVIEW_DATES = 12
STATUSES: tuple[str, ...] = EventStatus.__args__
MODES: tuple[str, ...] = AttendanceMode.__args__


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
    return form_page(
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
        weekdays=[(code, t(f"weekday.{i}")) for i, code in enumerate(WEEKDAYS)],
        kept_rule=_inline(words.rule(session_data["rule"])) if session_data["rule"] else None,
        kept_dates=_single_dates(session_data["kept"]),
        preview=preview,
        preview_count=count,
        action=ask.url(f"/publish/events/{event_id}" if event_id else "/publish/events/new"),
    )


def _single_dates(kept: dict) -> int:
    """The dates of a series changed one by one (through the API): the form keeps them."""
    recurrence = kept.get("recurrence") or {}
    return (
        len(kept.get("overrides", []))
        + len(recurrence.get("rdates", []))
        + len(recurrence.get("exdates", []))
    )


def _inline(sentence: str) -> str:
    """A sentence of `Words` (capitalized) inside another one."""
    return sentence[:1].lower() + sentence[1:]


def _form_data(ask: Ask, event_id: str | None) -> Callable[[Session], dict]:
    """What an event form needs from the store: the event's input and document, the choices."""

    def read(session: Session) -> dict:
        doc = orjson.loads(own_event(session, event_id).doc) if event_id else None
        places = [(p.id, p.name) for p in own_places(session, ask.settings.page_size_max)]
        # An event held at a place of another node keeps it: the choices name it too.
        held = (doc or {}).get("place") or {}
        if held and held.get("uid", held["id"]) not in dict(places):
            places.append((held.get("uid", held["id"]), held.get("name", held["id"])))
        return {
            "doc": doc,
            "kept": event_input(doc) if doc else {},
            "rule": ((doc or {}).get("recurrence") or {}).get("rrule"),
            "places": places,
            "themes": theme_tree(ask.request, session, ask.lang),
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
            return done(ask, saved=saved)
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
        return [local_moment(o["start_utc"], zone_name, all_day) for o in rows.occurrences]

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
    return form_page(
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
    return done(ask, saved=event_id)
