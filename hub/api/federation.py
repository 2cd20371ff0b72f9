"""`/.well-known/tiers-lieux` and `/api/v1/changes`: what hubs harvest."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from hub.api.deps import AudienceDep
from hub.api.problems import problem_responses
from hub.federation.descriptor import node_descriptor
from hub.federation.feed import changes_page
from hub.http.common_deps import KnownParameters, LimitDep, SessionDep, SettingsDep
from hub.http.responses import read_response
from hub.vocabulary.jsonld import JSONLD_TYPE, as_jsonld

router = APIRouter(tags=["federation"], responses=problem_responses(422), dependencies=[KnownParameters])


class Feeds(BaseModel):
    changes: str
    events_ics: str
    events_rss: str
    openapi: str


class NodeDescriptor(BaseModel):
    id: str
    type: Literal["NodeDescriptor"]
    name: str
    role: Literal["node", "hub"]
    vocabulary_version: str
    software_version: str
    speaks_for: list[str]
    tombstone_retention_days: int
    feeds: Feeds


class ChangePage(BaseModel):
    type: Literal["ChangePage"]
    items: list[dict] = Field(
        description="Full Place, Event and Person documents, and Tombstones, in change order"
    )
    next_cursor: str
    has_more: bool


@router.get(
    "/.well-known/tiers-lieux",
    response_model=NodeDescriptor,
    summary="Node descriptor (JSON-LD)",
    responses={200: {"content": {JSONLD_TYPE: {}}}},
)
def descriptor(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    body = as_jsonld(orjson.dumps(node_descriptor(session, settings)))
    return read_response(request, body, media_type=JSONLD_TYPE, cache="public, max-age=300")


@router.get(
    "/api/v1/changes",
    response_model=ChangePage,
    responses=problem_responses(410),
    summary="Change feed: records and tombstones after `since` (absent: full snapshot)",
)
def changes(
    request: Request,
    session: SessionDep,
    audience: AudienceDep,
    limit: LimitDep,
    since: Annotated[
        str | None,
        Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="`next_cursor` of the last page"),
    ] = None,
) -> Response:
    body = changes_page(session, audience, since=since, limit=limit)
    return read_response(request, body, cache="no-cache")
