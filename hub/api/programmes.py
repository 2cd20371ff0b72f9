"""`/api/v1/programmes`: series of events run across several places (schema.org EventSeries).
Events join one by naming it (`programme`); `/api/v1/events?programme=` lists them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from hub.api.deps import PageDep, RecordId, Writer
from hub.api.problems import problem_responses
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep
from hub.http.responses import created, list_body, ok, read_response
from hub.programmes import service
from hub.programmes.schemas import ProgrammeIn, ProgrammeList, ProgrammeOut

router = APIRouter(
    prefix="/api/v1/programmes",
    tags=["programmes"],
    responses=problem_responses(422),
    dependencies=[KnownParameters],
)


@router.get("", response_model=ProgrammeList, summary="List programmes")
async def list_programmes(request: Request, page: PageDep) -> Response:
    def read(session: Session) -> bytes:
        result = service.list_programmes(session, limit=page.limit, cursor=page.cursor)
        return list_body((p.doc for p in result.items), result.next_cursor)

    return read_response(request, await cached_read(request, "public", read))


@router.get(
    "/{programme_id}", response_model=ProgrammeOut, responses=problem_responses(404), summary="One programme"
)
def get_programme(request: Request, session: SessionDep, programme_id: RecordId) -> Response:
    return read_response(request, service.get_programme(session, programme_id).doc.encode())


@router.post(
    "",
    status_code=201,
    response_model=ProgrammeOut,
    responses=problem_responses(401, 403),
    summary="Create a programme",
)
def create_programme(
    session: WriteSessionDep, settings: SettingsDep, _: Writer, data: ProgrammeIn
) -> Response:
    programme = service.save_programme(session, settings.base_url, data)
    session.commit()
    return created(programme.doc, f"/api/v1/programmes/{programme.id}")


@router.put(
    "/{programme_id}",
    response_model=ProgrammeOut,
    responses=problem_responses(401, 403, 404),
    summary="Replace a programme",
)
def replace_programme(
    session: WriteSessionDep, settings: SettingsDep, _: Writer, programme_id: RecordId, data: ProgrammeIn
) -> Response:
    programme = service.save_programme(
        session, settings.base_url, data, programme=service.own_programme(session, programme_id)
    )
    session.commit()
    return ok(programme.doc)


@router.delete(
    "/{programme_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Delete a programme (hubs get a tombstone)",
)
def delete_programme(session: WriteSessionDep, _: Writer, programme_id: RecordId) -> Response:
    service.delete_programme(session, programme_id)
    session.commit()
    return Response(status_code=204)
