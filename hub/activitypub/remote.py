"""Remote actors, fetched through the harvests' guarded fetcher (address guard, sizes, deadlines):
their inbox and their public key, kept a while so a busy follower is not fetched on every POST."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

import orjson

from hub.activitypub.documents import ACCEPT
from hub.activitypub.errors import SignatureRefused
from hub.federation.errors import FetchError
from hub.federation.fetch import Fetcher, Signer
from hub.kit.bounded import BoundedMap
from hub.settings import Settings

MAX_CACHED_KEYS = 1000
# A key fetched this recently is not fetched again when a signature fails with it: forged requests
# naming someone's key must not make us hammer their server.
REFETCH_AFTER_SECONDS = 60.0
# A sender waits for its key to be fetched: briefly, once, and only so many at a time, so that
# requests naming slow or endless key URLs cannot tie up the inbox.
KEY_FETCH_SECONDS = 10.0
KEY_FETCHES_AT_ONCE = 16


@dataclass(frozen=True)
class RemoteActor:
    id: str
    inbox: str
    shared_inbox: str | None
    key_id: str | None
    public_pem: str | None

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver what is addressed to followers: the shared inbox when there is one."""
        return self.shared_inbox or self.inbox


def _url(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value
    return None


def _key(document: dict, key_id: str | None) -> tuple[str | None, str | None]:
    """The actor's key (its id and PEM), the one named `key_id` when several are listed."""
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        readable = isinstance(key, dict) and isinstance(key.get("publicKeyPem"), str)
        if readable and (key_id is None or key.get("id") == key_id):
            return key.get("id"), key["publicKeyPem"]
    return None, None


def read_actor(body: bytes, url: str, key_id: str | None = None) -> RemoteActor:
    """An actor document as a RemoteActor; ValueError when it is not one we can deliver to."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{url} is not JSON") from exc
    if not isinstance(document, dict):
        raise ValueError(f"{url} is not a JSON object")
    actor_id, inbox = _url(document.get("id")), _url(document.get("inbox"))
    if actor_id is None or inbox is None:
        raise ValueError(f"{url} is not an actor with an id and an inbox")
    if urlsplit(actor_id).netloc != urlsplit(url).netloc:
        raise ValueError(f"{url} answers for an actor of another host ({actor_id})")
    endpoints = document.get("endpoints")
    shared = _url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    found_id, pem = _key(document, key_id)
    return RemoteActor(actor_id, inbox, shared, found_id, pem)


async def fetch_actor(fetcher: Fetcher, url: str, sign: Signer, key_id: str | None = None) -> RemoteActor:
    """Fetch the actor at `url` (a key id names its actor's document, fragment off), the request
    signed (servers in authorized fetch mode answer no other); FetchError when it cannot be
    fetched, ValueError when it is no actor."""
    result = await fetcher.get(urldefrag(url).url, accept=ACCEPT, sign=sign)
    return read_actor(result.body, result.url, key_id)


class ActorCache:
    """Remote actors by key id, each kept `ttl` seconds; the least recently used go first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.model_copy(
            update={
                "harvest_total_timeout": min(settings.harvest_total_timeout, KEY_FETCH_SECONDS),
                "harvest_retries": 0,
                "harvest_max_redirects": min(settings.harvest_max_redirects, 2),
            }
        )
        self._at_once = asyncio.Semaphore(KEY_FETCHES_AT_ONCE)
        # The instance's signer of GETs, set by the inbox once it has read the key.
        self.signer: Signer | None = None
        self.ttl = settings.activitypub_key_cache_seconds
        self._held: BoundedMap[RemoteActor] = BoundedMap(entries=MAX_CACHED_KEYS, seconds=self.ttl)
        self._fetched: BoundedMap[bool] = BoundedMap(entries=MAX_CACHED_KEYS, seconds=REFETCH_AFTER_SECONDS)

    def cached(self, key_id: str) -> RemoteActor | None:
        return self._held.get((key_id,))

    async def fetch(self, key_id: str, sign: Signer) -> RemoteActor:
        """The actor holding `key_id`, fetched now (and kept) with a request `sign` signs; refused
        when it was a moment ago."""
        if self._fetched.get((key_id,)):
            raise SignatureRefused("the signature does not match the sender's key, fetched a moment ago")
        self._fetched.put((key_id,), True)
        try:
            async with self._at_once, Fetcher(self.settings) as fetcher:
                actor = await fetch_actor(fetcher, key_id, sign, key_id)
        except FetchError as exc:
            raise SignatureRefused(f"the sender's actor could not be fetched: {exc.message}") from exc
        except ValueError as exc:
            raise SignatureRefused(f"the sender's actor is unusable: {exc}") from exc
        if actor.public_pem is None:
            raise SignatureRefused(f"the sender's actor does not list the key {key_id}")
        if self.ttl:
            self._held.put((key_id,), actor)
        return actor
