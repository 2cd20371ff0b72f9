"""`/api/v1/sources` (hub only): the registry and the health of every source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import Session

from hub.api.deps import Admin
from hub.api.problems import problem_responses
from hub.federation import registry
from hub.federation.registry import SourceIn, SourceList, SourceOut
from hub.http.common_deps import (
    KnownParameters,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    in_read_session,
    in_write_session,
)
from hub.http.responses import created, jsonld_response, read_response, wants_jsonld

SourceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Id of the source")]

router = APIRouter(
    prefix="/api/v1/sources",
    tags=["sources"],
    responses=problem_responses(422),
    dependencies=[KnownParameters],
)


def _jsonld(item: SourceOut, base_url: str) -> dict:
    """A source as JSON-LD: named by its URL here, its kind and place under terms of their own
    (`kind` and `place` mean a tombstone's record kind and an event's place)."""
    data = item.model_dump(exclude_none=True, exclude={"id", "kind", "place"})
    place = {"place": {"id": item.place}} if item.place else {}
    return {
        "id": f"{base_url}/api/v1/sources/{item.id}",
        "type": "Source",
        "uid": str(item.id),
        "source_kind": item.kind,
        **place,
        **data,
    }


@router.get("", response_model=SourceList, summary="Sources and their health")
def list_sources(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    items = registry.describe(session, registry.list_sources(session))
    if wants_jsonld(request):
        document = {"items": [_jsonld(item, settings.base_url) for item in items]}
        return jsonld_response(request, document, cache="no-cache")
    body = SourceList(items=items).model_dump_json().encode()
    return read_response(request, body, cache="no-cache")


@router.get("/{source_id}", response_model=SourceOut, responses=problem_responses(404), summary="One source")
def get_source(request: Request, session: SessionDep, settings: SettingsDep, source_id: SourceId) -> Response:
    [item] = registry.describe(session, [registry.find_source(session, source_id)])
    if wants_jsonld(request):
        return jsonld_response(request, _jsonld(item, settings.base_url), cache="no-cache")
    return read_response(request, item.model_dump_json().encode(), cache="no-cache")


@router.post(
    "",
    status_code=201,
    response_model=SourceOut,
    responses=problem_responses(401, 403, 409),
    summary="Add a source",
)
async def add_source(request: Request, settings: SettingsDep, _: Admin, data: SourceIn) -> Response:
    """Read the URL first as a harvest would, as `hub sources add` does (unless `check` is false):
    a URL that cannot be harvested is refused with a problem document naming `url`."""
    await in_read_session(request, lambda session: registry.unregistered(session, data.url))
    data, _checked = await registry.checked_source(settings, data)

    def add(session: Session) -> SourceOut:
        source = registry.add_source(session, data, default_interval=settings.harvest_interval_seconds)
        return registry.describe(session, [source])[0]

    item = await in_write_session(request, add)
    return created(item.model_dump_json(), f"/api/v1/sources/{item.id}")


@router.delete(
    "/{source_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Remove a source and the records it brought",
)
def remove_source(session: WriteSessionDep, _: Admin, source_id: SourceId) -> Response:
    registry.remove_source(session, source_id)
    session.commit()
    return Response(status_code=204)
