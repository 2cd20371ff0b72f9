"""`/api/v1/needs`: needs and offers, who can help with them, and requests to be put in touch."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from hub.api.deps import AudienceDep, NearDep, PageDep, RecordId, Writer
from hub.api.problems import problem_responses
from hub.calendar.dates import iso_utc
from hub.filters import NeedQuery
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep, in_read_session
from hub.http.responses import JSON_TYPE, created, list_body, ok, read_response
from hub.needs import service
from hub.needs.matching import match_documents
from hub.needs.models import NeedRelay
from hub.needs.schemas import (
    ContactIn,
    MatchList,
    NeedIn,
    NeedList,
    NeedOut,
    NeedPatch,
    Relayed,
    RelayList,
)

router = APIRouter(
    prefix="/api/v1/needs", tags=["needs"], responses=problem_responses(422), dependencies=[KnownParameters]
)
MatchLimit = Annotated[int, Query(ge=1, le=100, description="Most matches answered, the best first")]


@router.get("", response_model=NeedList, summary="List open needs and offers, the soonest to expire first")
async def list_needs(
    request: Request,
    audience: AudienceDep,
    filters: Annotated[NeedQuery, Query()],
    page: PageDep,
    near: NearDep = None,
) -> Response:
    def read(session: Session) -> bytes:
        result = service.list_needs(
            session, audience, limit=page.limit, cursor=page.cursor, near=near, **filters.model_dump()
        )
        return list_body((service.need_json(n, audience) or "{}" for n in result.items), result.next_cursor)

    # Needs expire with time, not only when the data changes: read afresh, never from the cache.
    return read_response(request, await in_read_session(request, read), cache="no-cache")


@router.get(
    "/{need_id}", response_model=NeedOut, responses=problem_responses(404), summary="One need or offer"
)
def get_need(request: Request, session: SessionDep, audience: AudienceDep, need_id: RecordId) -> Response:
    need = service.visible_need(session, need_id, audience)
    return read_response(request, need.doc.encode(), cache="no-cache")


@router.post(
    "",
    status_code=201,
    response_model=NeedOut,
    responses=problem_responses(401, 403),
    summary="Post a need or an offer, for a place or a member who consented",
)
def create_need(session: WriteSessionDep, settings: SettingsDep, _: Writer, data: NeedIn) -> Response:
    need = service.create_need(session, settings, data)
    session.commit()
    return created(need.doc, f"/api/v1/needs/{need.id}")


@router.patch(
    "/{need_id}",
    response_model=NeedOut,
    responses=problem_responses(401, 403, 404),
    summary="Change a need or an offer: answered, closed, extended...",
)
def patch_need(
    session: WriteSessionDep, settings: SettingsDep, _: Writer, need_id: RecordId, patch: NeedPatch
) -> Response:
    need = service.patch_need(session, settings, need_id, patch)
    session.commit()
    return ok(need.doc)


@router.delete(
    "/{need_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Withdraw a need or an offer",
)
def delete_need(session: WriteSessionDep, _: Writer, need_id: RecordId) -> Response:
    service.delete_need(session, service.own_need(session, need_id))
    session.commit()
    return Response(status_code=204)


@router.get(
    "/{need_id}/matches",
    response_model=MatchList,
    responses=problem_responses(404),
    summary="Who can help: members by their skills, places by their machines, open offers; the best first",
)
def matches(
    request: Request, session: SessionDep, audience: AudienceDep, need_id: RecordId, limit: MatchLimit = 20
) -> Response:
    need = service.visible_need(session, need_id, audience)
    found = service.matches_of(session, need, audience, limit=limit)
    body = orjson.dumps({"need": need.iri, "items": match_documents(session, found)})
    return read_response(request, body, cache="no-cache")


@router.post(
    "/{need_id}/contact",
    status_code=202,
    response_model=Relayed,
    responses=problem_responses(404, 409),
    summary="Ask to be put in touch: the request is kept for its recipient, no contact details are given",
)
def contact(session: WriteSessionDep, audience: AudienceDep, need_id: RecordId, data: ContactIn) -> Response:
    need = service.visible_need(session, need_id, audience)
    request = service.relay(session, need, data, audience)
    session.commit()
    body = Relayed(need=need.iri, to=request.to_iri, status="relayed").model_dump_json()
    return Response(body, status_code=202, media_type=JSON_TYPE)


@router.get(
    "/{need_id}/contacts",
    response_model=RelayList,
    responses=problem_responses(401, 403, 404),
    summary="The requests to be put in touch a need received (its author's node only)",
)
def relays(session: WriteSessionDep, _: Writer, need_id: RecordId) -> Response:
    need = service.own_need(session, need_id)
    items = [_relay_out(need.iri, r) for r in service.relays_of(session, need)]
    return ok(orjson.dumps({"items": items}))


def _relay_out(need_iri: str, relay: NeedRelay) -> dict:
    return {
        "id": relay.id,
        "need": need_iri,
        "to": relay.to_iri,
        "name": relay.name,
        "message": relay.message,
        "reply_to": relay.reply_to,
        "created_at": iso_utc(relay.created_at),
    }
