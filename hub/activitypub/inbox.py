"""The inbox: signed activities from other servers, checked before anything is read from them.

What it acts on: Follow of this actor (the follower is kept and an Accept queued to it),
Undo(Follow) (the follower is removed), an actor deleting itself (likewise), Accept(Follow) of an
actor this instance asked to follow, and the Create, Update and Delete of actors it follows (kept,
a bounded number per actor, for a hub to read later). Anything else is acknowledged and ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import orjson
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, func, select

from hub.activitypub.delivery import queue
from hub.activitypub.documents import Names, accept_activity, follow_activity
from hub.activitypub.errors import SignatureRefused, UnreadableActivity
from hub.activitypub.keys import actor_key, instance_signer
from hub.activitypub.models import Follower, Following, Received
from hub.activitypub.remote import ActorCache, RemoteActor, fetch_actor
from hub.activitypub.signatures import check_request, parse_signature, verify
from hub.errors import InvalidInput
from hub.federation.fetch import Fetcher, Signer
from hub.settings import Settings
from hub.store.db import session_scope

KEPT_PER_ACTOR = 1000  # activities of one followed actor kept; the oldest go first
WRITES = frozenset({"Create", "Update", "Delete"})


def _id(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def read_activity(body: bytes) -> dict:
    try:
        activity = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnreadableActivity("the body is not JSON") from exc
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        raise UnreadableActivity("the body is not an ActivityStreams activity (an object with a type)")
    if _id(activity.get("actor")) is None:
        raise InvalidInput("actor", "an activity names its actor")
    return activity


async def authenticate(
    cache: ActorCache,
    settings: Settings,
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    sign: Callable[[], Awaitable[Signer]],
) -> tuple[dict, RemoteActor]:
    """The activity and who sent it, once its signature is checked against the sender's key (a key
    held in the cache is fetched again once if it fails: the sender may have a new one), fetched
    with a request `sign` gives the signer of."""
    signature = parse_signature(headers.get("signature"))
    skew = timedelta(seconds=settings.activitypub_signature_skew_seconds)
    signed = check_request(signature, method=method, target=target, headers=headers, body=body, skew=skew)
    activity = read_activity(body)
    key_id = signature["keyId"]
    sender = cache.cached(key_id)
    if sender is None or not _holds(signature, signed, sender):
        sender = await cache.fetch(key_id, await sign())
        verify(signature, signed, sender.public_pem or "")
    if _id(activity.get("actor")) != sender.id:
        raise SignatureRefused("the activity's actor is not the owner of the key that signed it")
    return activity, sender


def _holds(signature: Mapping[str, str], signed: str, sender: RemoteActor) -> bool:
    try:
        verify(signature, signed, sender.public_pem or "")
    except SignatureRefused:
        return False
    return True


def handle(session: Session, settings: Settings, activity: dict, sender: RemoteActor) -> str:
    """Act on an authenticated activity; returns what was done, in a word."""
    names = Names(settings)
    kind = activity["type"]
    target = activity.get("object")
    if kind == "Follow" and _id(target) == names.actor:
        follower = session.exec(select(Follower).where(Follower.actor == sender.id)).first()
        follower = follower or Follower(actor=sender.id, inbox=sender.inbox)
        follower.inbox, follower.shared_inbox = sender.inbox, sender.shared_inbox
        session.add(follower)
        queue(session, {sender.inbox}, accept_activity(settings, activity))
        return "followed"
    if kind == "Undo" and isinstance(target, dict) and target.get("type") == "Follow":
        session.execute(delete(Follower).where(col(Follower.actor) == sender.id))
        return "unfollowed"
    if kind == "Delete" and _id(target) == sender.id:
        session.execute(delete(Follower).where(col(Follower.actor) == sender.id))
        session.execute(delete(Following).where(col(Following.actor) == sender.id))
        return "actor-deleted"
    followed = session.exec(select(Following).where(Following.actor == sender.id)).first()
    if followed is None:
        return "ignored"
    if kind == "Accept" and _id(target) == followed.follow_id:
        followed.accepted = True
        session.add(followed)
        return "accepted"
    if kind in WRITES and followed.accepted:
        _keep(session, sender.id, kind, _id(target), activity)
        return "received"
    return "ignored"


def followers_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Follower)).one()


def _keep(session: Session, actor: str, kind: str, object_id: str | None, activity: dict) -> None:
    session.add(
        Received(actor=actor, type=kind, object_id=object_id, activity=orjson.dumps(activity).decode())
    )
    session.flush()
    oldest_kept = session.exec(
        select(Received.id)
        .where(Received.actor == actor)
        .order_by(col(Received.id).desc())
        .offset(KEPT_PER_ACTOR - 1)
        .limit(1)
    ).first()
    if oldest_kept is not None:
        session.execute(delete(Received).where(col(Received.actor) == actor, col(Received.id) < oldest_kept))


async def follow(engine: Engine, settings: Settings, actor_url: str) -> str:
    """Ask the actor at `actor_url` to be followed by this instance: its Follow is queued (sent by
    the next delivery pass). Returns the actor's id."""
    with session_scope(engine) as session:
        sign = instance_signer(settings, actor_key(session))
    async with Fetcher(settings) as fetcher:
        remote = await fetch_actor(fetcher, actor_url, sign)
    activity = follow_activity(settings, remote.id)
    with session_scope(engine) as session:
        followed = session.exec(select(Following).where(Following.actor == remote.id)).first()
        followed = followed or Following(actor=remote.id, follow_id=activity["id"])
        followed.follow_id, followed.accepted = activity["id"], False
        session.add(followed)
        queue(session, {remote.inbox}, activity)
    return remote.id
