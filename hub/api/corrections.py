"""`/api/v1/corrections` (hub only, coordinators): correct a field of a harvested event or place,
hide one, undo either, and read the log of all of it.

A correction survives the source's next updates; the record's document lists it under
`corrections` (the field, the source's value, when), in the API, the pages and the change feed.
A hidden record leaves every list, feed and figure, and the change feed (as a tombstone).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from hub.api.deps import Admin, Coordinator, RecordId
from hub.api.problems import JSON_ONLY, problem_responses
from hub.federation import corrections
from hub.federation.models import Correction, CorrectionLog
from hub.federation.overrides import FIELDS, HIDDEN, iso
from hub.http.common_deps import KnownParameters, LimitDep, SessionDep, SettingsDep, WriteSessionDep
from hub.kit.paging import decode_cursor, encode_cursor

router = APIRouter(
    prefix="/api/v1/corrections",
    tags=["consolidation"],
    responses=problem_responses(401, 403, 422),
    dependencies=[KnownParameters],
)

KINDS = {"events": "event", "places": "place"}
Kind = Annotated[Literal["events", "places"], Path(description="What the record is")]
# Every field of every kind: the document lists them, the domain checks them by kind.
CORRECTABLE = tuple(dict.fromkeys(FIELDS["event"] + FIELDS["place"]))
FieldName = Annotated[
    Literal[CORRECTABLE],  # type: ignore[valid-type]
    Path(
        description="The field, as the API's input names it: for events "
        + ", ".join(FIELDS["event"])
        + "; for places "
        + ", ".join(FIELDS["place"]),
    ),
]
Reason = Annotated[str, Query(max_length=500, description="Why, for the log")]


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: JsonValue = Field(description="The corrected value, as the API's input takes it (null clears it)")
    reason: str = Field("", max_length=500, description="Why, for the log")


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500, description="Why, for the log")


class CorrectionOut(BaseModel):
    kind: Literal["event", "place"]
    record: str = Field(description="IRI of the record")
    uid: str = Field(description="Local id of the record")
    field: str = Field(description="The corrected field, or `hidden` for a hidden record")
    value: JsonValue = Field(None, description="The corrected value (null for a hidden record)")
    source_value: JsonValue = Field(None, description="The field's value as the source last sent it")
    reason: str
    by: str = Field(description="Name of the coordinator's token")
    created: str


class CorrectionList(BaseModel):
    items: list[CorrectionOut]


class LogLine(BaseModel):
    id: int
    at: str
    by: str = Field(description="Name of the coordinator's token")
    action: Literal["correct", "undo", "hide", "unhide"]
    kind: Literal["event", "place"]
    record: str = Field(description="IRI of the record")
    uid: str
    field: str = Field(description="The field, or `hidden`")
    old: JsonValue = None
    new: JsonValue = None
    reason: str


class LogPage(BaseModel):
    items: list[LogLine]
    next_cursor: str | None


def _out(correction: Correction) -> CorrectionOut:
    hidden = correction.field == HIDDEN
    return CorrectionOut(
        kind=correction.kind,
        record=correction.iri,
        uid=correction.uid,
        field=correction.field,
        value=None if hidden else correction.value,
        source_value=None if hidden else correction.source_value,
        reason=correction.reason,
        by=correction.by,
        created=iso(correction.created_at),
    )


def _line(line: CorrectionLog) -> LogLine:
    return LogLine(
        id=line.id,
        at=iso(line.at),
        by=line.by,
        action=line.action,
        kind=line.kind,
        record=line.iri,
        uid=line.uid,
        field=line.field,
        old=line.old,
        new=line.new,
        reason=line.reason,
    )


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


@router.get(
    "",
    response_model=CorrectionList,
    summary="Corrections and hidings in force",
    openapi_extra={JSON_ONLY: True},
)
def list_corrections(session: SessionDep, _: Admin) -> Response:
    return _json(CorrectionList(items=[_out(c) for c in corrections.corrections(session)]))


@router.get(
    "/log",
    response_model=LogPage,
    summary="Every correction, undo, hiding and unhiding, newest first",
    openapi_extra={JSON_ONLY: True},
)
def read_log(
    session: SessionDep,
    _: Admin,
    limit: LimitDep,
    cursor: Annotated[
        str | None, Query(max_length=100, description="`next_cursor` of the page before")
    ] = None,
) -> Response:
    before = decode_cursor(cursor, (int,))[0] if cursor else None
    lines = corrections.log(session, limit=limit + 1, before=before)
    more = len(lines) > limit
    lines = lines[:limit]
    return _json(
        LogPage(items=[_line(x) for x in lines], next_cursor=encode_cursor(lines[-1].id) if more else None)
    )


@router.put(
    "/{kind}/{uid}/hidden",
    response_model=CorrectionOut,
    responses=problem_responses(404, 409),
    summary="Hide a harvested record: out of every list, feed and figure, even after its source's updates",
)
def hide(
    session: WriteSessionDep,
    by: Coordinator,
    kind: Kind,
    uid: RecordId,
    data: Annotated[HideIn, Body()] = HideIn(),
) -> Response:
    hidden = corrections.hide(session, KINDS[kind], uid, reason=data.reason, by=by)
    session.commit()
    return _json(_out(hidden))


@router.delete(
    "/{kind}/{uid}/hidden",
    status_code=204,
    responses=problem_responses(404),
    summary="Show a hidden record again, as its source last sent it",
)
def unhide(
    session: WriteSessionDep,
    settings: SettingsDep,
    by: Coordinator,
    kind: Kind,
    uid: RecordId,
    reason: Reason = "",
) -> Response:
    corrections.unhide(session, settings, KINDS[kind], uid, reason=reason, by=by)
    session.commit()
    return Response(status_code=204)


@router.put(
    "/{kind}/{uid}/{field}",
    response_model=CorrectionOut,
    responses=problem_responses(404, 409),
    summary="Correct a field of a harvested record: kept over its source's next updates",
)
def correct(
    session: WriteSessionDep,
    settings: SettingsDep,
    by: Coordinator,
    kind: Kind,
    uid: RecordId,
    field: FieldName,
    data: CorrectionIn,
) -> Response:
    correction = corrections.correct(
        session, settings, KINDS[kind], uid, field, data.value, reason=data.reason, by=by
    )
    session.commit()
    return _json(_out(correction))


@router.delete(
    "/{kind}/{uid}/{field}",
    status_code=204,
    responses=problem_responses(404),
    summary="Undo a correction: the source's value shows again",
)
def undo(
    session: WriteSessionDep,
    settings: SettingsDep,
    by: Coordinator,
    kind: Kind,
    uid: RecordId,
    field: FieldName,
    reason: Reason = "",
) -> Response:
    corrections.undo(session, settings, KINDS[kind], uid, field, reason=reason, by=by)
    session.commit()
    return Response(status_code=204)
