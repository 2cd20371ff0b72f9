"""`/api/v1/animators` (who animates where) and `/api/v1/places/{id}/animators/{person}` (a
place declares its animators: consented members of this instance, with a role, badges and a
start date). A role is shown only to whoever may see the member's places."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from hub.api.deps import AudienceDep, PageDep, RecordId, Writer
from hub.api.problems import problem_responses
from hub.filters import AnimatorQuery
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, WriteSessionDep
from hub.http.responses import list_body, read_response
from hub.people import roles
from hub.people.schemas import RoleIn
from hub.vocabulary.schemas import ConceptOut

router = APIRouter(tags=["animators"], responses=problem_responses(422), dependencies=[KnownParameters])


class AnimatorPerson(BaseModel):
    id: str
    uid: str
    display_name: str


class AnimatorPlace(BaseModel):
    id: str
    uid: str | None = None
    name: str | None = None


class AnimatorOut(BaseModel):
    type: Literal["Role"]
    holder: AnimatorPerson
    work_location: AnimatorPlace
    role_name: str
    role_badges: list[ConceptOut] = []
    since: str | None = None


class AnimatorList(BaseModel):
    items: list[AnimatorOut]
    next_cursor: str | None


@router.get("/api/v1/animators", response_model=AnimatorList, summary="Who animates where")
async def list_animators(
    request: Request, audience: AudienceDep, page: PageDep, filters: Annotated[AnimatorQuery, Query()]
) -> Response:
    def read(session: Session) -> bytes:
        result = roles.list_animators(
            session, audience, limit=page.limit, cursor=page.cursor, place=filters.place
        )
        docs = roles.animator_documents(session, result.items)
        return list_body((orjson.dumps(d) for d in docs), result.next_cursor)

    return read_response(request, await cached_read(request, audience, read))


@router.put(
    "/api/v1/places/{place_id}/animators/{person_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Count a consented member among the place's animators, or change their role",
)
def declare_animator(
    session: WriteSessionDep, _: Writer, place_id: RecordId, person_id: RecordId, data: RoleIn
) -> Response:
    roles.declare_role(session, place_id, person_id, data)
    session.commit()
    return Response(status_code=204)


@router.delete(
    "/api/v1/places/{place_id}/animators/{person_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="The member no longer animates the place",
)
def remove_animator(session: WriteSessionDep, _: Writer, place_id: RecordId, person_id: RecordId) -> Response:
    roles.remove_role(session, place_id, person_id)
    session.commit()
    return Response(status_code=204)
