"""ActivityPub: WebFinger, NodeInfo, the instance actor, its outbox, followers and inbox."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hub.activitypub.documents import (
    ACTIVITY_JSON,
    NODEINFO_SCHEMA,
    actor,
    followers_collection,
    nodeinfo,
    nodeinfo_links,
    webfinger,
)
from hub.activitypub.errors import BodyTooLarge
from hub.activitypub.inbox import authenticate, followers_count, handle
from hub.activitypub.keys import actor_key, instance_signer, stored_key
from hub.activitypub.models import ActorKey
from hub.activitypub.outbox import outbox, outbox_page, published_count
from hub.activitypub.remote import ActorCache
from hub.api.problems import problem_responses
from hub.federation.fetch import Signer
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, in_read_session, in_write_session
from hub.http.responses import read_response
from hub.settings import Settings

router = APIRouter(tags=["activitypub"], dependencies=[KnownParameters])
JRD = "application/jrd+json"
NODEINFO = f'application/json; profile="{NODEINFO_SCHEMA}#"'
ACTOR_CACHE = "public, max-age=300"


# JSON responses of other media types, so that the documents name their schemas under those types.
class ActivityJSON(JSONResponse):
    media_type = ACTIVITY_JSON


class JRDResponse(JSONResponse):
    media_type = JRD


class NodeInfoResponse(JSONResponse):
    media_type = NODEINFO


class Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class JrdLink(Open):
    rel: str
    type: str | None = None
    href: str


class WebFinger(Open):
    subject: str
    aliases: list[str] = []
    links: list[JrdLink]


class NodeInfoLinks(Open):
    links: list[JrdLink]


class Software(Open):
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str


class NodeInfo(Open):
    version: str
    software: Software
    protocols: list[str]
    openRegistrations: bool
    usage: dict


class PublicKey(Open):
    id: str
    owner: str
    publicKeyPem: str


class Actor(Open):
    context: list = Field(alias="@context")
    id: str
    type: str
    preferredUsername: str
    inbox: str
    outbox: str
    followers: str
    publicKey: PublicKey


class ActivityCollection(Open):
    context: list = Field(alias="@context")
    id: str
    type: str
    totalItems: int | None = None
    orderedItems: list[dict] | None = None
    first: str | None = None
    next: str | None = None


def _activity_json(request: Request, document: dict, cache: str) -> Response:
    return read_response(request, orjson.dumps(document), media_type=ACTIVITY_JSON, cache=cache)


@router.get(
    "/.well-known/webfinger",
    response_model=WebFinger,
    response_class=JRDResponse,
    responses=problem_responses(404, 422),
    summary="WebFinger: the actor of `acct:name@host` (or of the actor's URL)",
)
def finger(
    request: Request,
    settings: SettingsDep,
    resource: Annotated[
        str, Query(min_length=1, max_length=500, description="`acct:name@host` or the actor URL")
    ],
) -> Response:
    document = webfinger(settings, resource)
    return read_response(request, orjson.dumps(document), media_type=JRD, cache=ACTOR_CACHE)


@router.get(
    "/.well-known/nodeinfo",
    response_model=NodeInfoLinks,
    response_class=JRDResponse,
    summary="NodeInfo discovery (a JRD linking the NodeInfo document)",
)
def nodeinfo_discovery(request: Request, settings: SettingsDep) -> Response:
    body = orjson.dumps(nodeinfo_links(settings))
    return read_response(request, body, media_type=JRD, cache=ACTOR_CACHE)


@router.get(
    "/nodeinfo/2.1",
    response_model=NodeInfo,
    response_class=NodeInfoResponse,
    summary="NodeInfo 2.1: software, protocols, usage",
)
def nodeinfo_document(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    document = nodeinfo(settings, events=published_count(session))
    return read_response(request, orjson.dumps(document), media_type=NODEINFO, cache=ACTOR_CACHE)


@router.get(
    "/ap/actor",
    response_model=Actor,
    response_class=ActivityJSON,
    summary="The instance actor (the place on a node, the network on a hub)",
)
async def actor_document(request: Request, settings: SettingsDep) -> Response:
    key = await _instance_key(request)
    return _activity_json(request, actor(settings, key.public_pem), ACTOR_CACHE)


async def _instance_key(request: Request) -> ActorKey:
    """The instance actor's key pair, made the first time it is asked for."""
    return await in_read_session(request, stored_key) or await in_write_session(request, actor_key)


@router.get(
    "/ap/outbox",
    response_model=ActivityCollection,
    response_class=ActivityJSON,
    responses=problem_responses(422),
    summary="Outbox: Create, Update and Delete of events, newest first, as the change feed has them",
)
def outbox_document(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[bool, Query(description="A page of activities rather than the collection")] = False,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="`next` of the last page: activities older than it")
    ] = None,
) -> Response:
    document = outbox_page(session, settings, before) if page or before else outbox(session, settings)
    return _activity_json(request, document, "no-cache")


@router.get(
    "/ap/followers",
    response_model=ActivityCollection,
    response_class=ActivityJSON,
    summary="How many follow the actor (who they are is not listed)",
)
async def followers(request: Request, settings: SettingsDep) -> Response:
    count = await in_read_session(request, followers_count)
    return _activity_json(request, followers_collection(settings, count), "no-cache")


@router.post(
    "/ap/inbox",
    status_code=202,
    response_class=Response,
    responses=problem_responses(400, 401, 413, 422),
    summary="Inbox: signed Follow and Undo(Follow), Accept, and the activities of followed actors",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {ACTIVITY_JSON: {"schema": {"type": "object", "required": ["type", "actor"]}}},
        }
    },
)
async def inbox(request: Request, settings: SettingsDep) -> Response:
    body = await _bounded_body(request, settings.activitypub_inbox_max_bytes)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    activity, sender = await authenticate(
        request.app.state.actor_cache,
        settings,
        method=request.method,
        target=target,
        headers=request.headers,
        body=body,
        sign=lambda: _signer(request, settings),
    )
    await in_write_session(request, lambda session: handle(session, settings, activity, sender))
    return Response(status_code=202)


async def _signer(request: Request, settings: Settings) -> Signer:
    """The signer of the instance actor's GETs, its key read once per app (it never changes)."""
    cache: ActorCache = request.app.state.actor_cache
    if cache.signer is None:
        cache.signer = instance_signer(settings, await _instance_key(request))
    return cache.signer


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body announces {declared} bytes; the inbox reads {limit} at most")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is longer than the {limit} bytes the inbox reads")
        chunks.append(chunk)
    return b"".join(chunks)
