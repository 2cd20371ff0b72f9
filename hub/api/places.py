"""`/api/v1/places`: the places this instance knows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from hub.api.deps import NearDep, PageDep, RecordId, Writer
from hub.api.problems import problem_responses
from hub.events import service as events
from hub.filters import PlaceQuery
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep
from hub.http.responses import created, list_body, ok, read_response
from hub.places import service
from hub.places.schemas import PlaceIn, PlaceList, PlaceOut

router = APIRouter(
    prefix="/api/v1/places", tags=["places"], responses=problem_responses(422), dependencies=[KnownParameters]
)


@router.get("", response_model=PlaceList, summary="List places")
def list_places(
    request: Request,
    session: SessionDep,
    filters: Annotated[PlaceQuery, Query()],
    page: PageDep,
    near: NearDep = None,
) -> Response:
    result = service.list_places(
        session,
        limit=page.limit,
        cursor=page.cursor,
        near=near,
        **filters.model_dump(),
    )
    return read_response(request, list_body((p.doc for p in result.items), result.next_cursor))


@router.get("/{place_id}", response_model=PlaceOut, responses=problem_responses(404), summary="One place")
def get_place(request: Request, session: SessionDep, place_id: RecordId) -> Response:
    return read_response(request, service.get_place(session, place_id).doc.encode())


@router.post(
    "",
    status_code=201,
    response_model=PlaceOut,
    responses=problem_responses(401, 403),
    summary="Create a place",
)
def create_place(session: WriteSessionDep, settings: SettingsDep, _: Writer, data: PlaceIn) -> Response:
    place = service.create_place(session, settings.base_url, data)
    session.commit()
    return created(place.doc, f"/api/v1/places/{place.id}")


@router.put(
    "/{place_id}",
    response_model=PlaceOut,
    responses=problem_responses(401, 403, 404),
    summary="Replace a place",
)
def replace_place(session: WriteSessionDep, _: Writer, place_id: RecordId, data: PlaceIn) -> Response:
    place = service.replace_place(session, place_id, data)
    session.commit()
    return ok(place.doc)


@router.delete(
    "/{place_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409),
    summary="Delete a place",
)
def delete_place(session: WriteSessionDep, _: Writer, place_id: RecordId) -> Response:
    events.delete_place(session, place_id)
    session.commit()
    return Response(status_code=204)
