"""A Mastodon-shaped server on 127.0.0.1, for ActivityPub tests: one account (`alice`) with its own
RSA key, an actor document, a personal and a shared inbox that check signatures as Mastodon does,
and a signer of its own requests. In `secure` mode (Mastodon's "authorized fetch"), the actor
document is served only to a GET signed over `(request-target) host date` by a key its actor
document lists.

Written apart from hub/activitypub on purpose (only `cryptography` and the drafts' text in common),
so that what our code signs is checked by another implementation, and what it checks is signed
by one: the key named by `keyId` is fetched from the signer's actor document, the signature must
cover `(request-target) host date digest`, the Digest must be the body's SHA-256, and the Date
within twelve hours of now (Mastodon's window).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

AS = "application/activity+json"
WINDOW = timedelta(hours=12)
REQUIRED = ["(request-target)", "host", "date", "digest"]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(
    key: rsa.RSAPrivateKey, key_id: str, url: str, body: bytes, *, date: datetime | None = None
) -> dict[str, str]:
    """The headers of a POST signed as Mastodon signs it."""
    parts = urlsplit(url)
    headers = {
        "Host": parts.netloc,
        "Date": format_datetime(date or datetime.now(UTC), usegmt=True),
        "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "Content-Type": AS,
    }
    text = (
        f"(request-target): post {parts.path}\nhost: {headers['Host']}\n"
        f"date: {headers['Date']}\ndigest: {headers['Digest']}"
    )
    signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
        f'signature="{signature}"'
    )
    return headers


class Mastodon:
    """The server; `received` holds the activities whose signatures held, `refused` why others did not."""

    def __init__(self) -> None:
        self.key = new_key()
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.actor_fetches = 0
        self.secure = False

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url
        self.actor = f"{base_url}/users/alice"
        self.key_id = f"{self.actor}#main-key"
        return Starlette(
            routes=[
                Route("/users/alice", self.actor_document),
                Route("/users/alice/inbox", self.inbox, methods=["POST"]),
                Route("/inbox", self.inbox, methods=["POST"]),
            ]
        )

    async def actor_document(self, request: Request) -> Response:
        self.actor_fetches += 1
        if self.secure and (why := await self._refusal(request, None)) is not None:
            self.refused.append(f"GET: {why}")
            return JSONResponse({"error": why}, status_code=401)
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor,
            "type": "Person",
            "preferredUsername": "alice",
            "inbox": f"{self.actor}/inbox",
            "outbox": f"{self.actor}/outbox",
            "followers": f"{self.actor}/followers",
            "endpoints": {"sharedInbox": f"{self.base_url}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.actor, "publicKeyPem": public_pem(self.key)},
        }
        return JSONResponse(document, media_type=AS)

    async def inbox(self, request: Request) -> Response:
        body = await request.body()
        why = await self._refusal(request, body)
        if why is not None:
            self.refused.append(why)
            return JSONResponse({"error": why}, status_code=401)
        self.received.append(json.loads(body))
        return Response(status_code=202)

    async def _refusal(self, request: Request, body: bytes | None) -> str | None:
        """Why a signed POST of `body` (or a signed GET, without one) is refused; None if it holds."""
        header = request.headers.get("signature")
        if not header:
            return "unsigned"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        covered = fields.get("headers", "date").split()
        if any(name not in covered for name in (REQUIRED if body is not None else REQUIRED[:3])):
            return f"signature covers {covered}"
        expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode() if body else None
        if body is not None and request.headers.get("digest") != expected:
            return "digest mismatch"
        if abs(datetime.now(UTC) - parsedate_to_datetime(request.headers["date"])) > WINDOW:
            return "stale date"
        async with httpx.AsyncClient() as client:
            answer = await client.get(fields["keyId"], headers={"Accept": AS})
        actor = answer.json()
        key = actor["publicKey"]
        if key["id"] != fields["keyId"] or key["owner"] != actor["id"]:
            return "the key is not the actor's"
        lines = []
        for name in covered:
            if name == "(request-target)":
                lines.append(f"(request-target): {request.method.lower()} {request.url.path}")
            else:
                lines.append(f"{name}: {request.headers[name]}")
        public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
        try:
            public.verify(
                base64.b64decode(fields["signature"]),
                "\n".join(lines).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return "bad signature"
        if body is not None and json.loads(body).get("actor") != actor["id"]:
            return "actor is not the signer"
        return None

    def post(
        self, url: str, activity: dict, *, key: rsa.RSAPrivateKey | None = None, **changes
    ) -> httpx.Response:
        """POST an activity of alice's to `url`, signed with her key (or `key`); `changes` alter the
        request after signing: `body`, `date` (signed as such)."""
        body = json.dumps(
            {"@context": "https://www.w3.org/ns/activitystreams", "actor": self.actor, **activity}
        )
        raw = body.encode()
        headers = sign(key or self.key, self.key_id, url, raw, date=changes.get("date"))
        return httpx.post(url, content=changes.get("body", raw), headers=headers)

    def follow(self, actor: str) -> dict:
        return {"id": f"{self.actor}#follows/1", "type": "Follow", "object": actor}
