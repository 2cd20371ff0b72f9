"""`/api/v1/links` (hub only): events shown once because they are one, and undoing a link."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from hub.api.deps import Admin
from hub.api.problems import problem_responses
from hub.events.links import list_links, undo_link
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep
from hub.http.responses import jsonld_response, read_response, wants_jsonld

router = APIRouter(
    prefix="/api/v1/links",
    tags=["consolidation"],
    responses=problem_responses(422),
    dependencies=[KnownParameters],
)


class LinkedEvent(BaseModel):
    id: str
    uid: str
    title: str
    source: str | None


class LinkOut(BaseModel):
    id: int
    reason: Literal["same-as", "likely-duplicate"]
    detail: str
    created_at: str
    undone_at: str | None
    event: LinkedEvent
    shown_as: LinkedEvent


class LinkList(BaseModel):
    items: list[LinkOut]


def _event(event) -> LinkedEvent:
    return LinkedEvent(
        id=event.iri, uid=event.id, title=event.title, source=(event.provenance or {}).get("source")
    )


def _iso(moment) -> str | None:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z") if moment else None


@router.get(
    "", response_model=LinkList, summary="Records of one event shown once (for coordinators to check)"
)
def links(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    include_undone: Annotated[bool, Query(description="Also list links a coordinator undid")] = False,
) -> Response:
    items = [
        LinkOut(
            id=link.id,
            reason=link.reason,
            detail=link.detail,
            created_at=_iso(link.created_at),
            undone_at=_iso(link.undone_at),
            event=_event(event),
            shown_as=_event(canonical),
        )
        for link, event, canonical in list_links(session, include_undone=include_undone)
    ]
    if wants_jsonld(request):
        document = {"items": [_jsonld(item, settings.base_url) for item in items]}
        return jsonld_response(request, document, cache="no-cache")
    return read_response(request, LinkList(items=items).model_dump_json().encode(), cache="no-cache")


def _jsonld(link: LinkOut, base_url: str) -> dict:
    """A link as JSON-LD: named by the URL that undoes it, the event under `linked` (`event` means
    the series an occurrence belongs to)."""
    data = link.model_dump(exclude_none=True, exclude={"id", "event"})
    return {
        "id": f"{base_url}/api/v1/links/{link.id}",
        "type": "Link",
        "uid": str(link.id),
        "linked": link.event.model_dump(exclude_none=True),
        **data,
    }


@router.delete(
    "/{link_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Undo a link: both records are listed again, and never linked again",
)
def undo(session: WriteSessionDep, _: Admin, link_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    undo_link(session, link_id)
    session.commit()
    return Response(status_code=204)
