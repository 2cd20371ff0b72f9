"""The equipment form of the publishing pages: the machines and tools of a place, edited,
added and removed in one table."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from hub.errors import InvalidInput
from hub.http.common_deps import SettingsDep, in_read_session, in_write_session
from hub.places.schemas import PlaceIn
from hub.places.service import own_place, place_input, replace_place
from hub.web.field_errors import Speaker
from hub.web.i18n import translator
from hub.web.publish import done, form_page, publishing
from hub.web.signin import Form, Visit
from hub.web.site import Ask
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

BLANK_ROWS = 3
# A place lists 500 items at most (PlaceIn); a form may show some blank rows past them.
MAX_ROWS = 600
BLANK = {"name": "", "category": "", "quantity": ""}


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
    return form_page(
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
    return done(ask, equipped=place_id)


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
