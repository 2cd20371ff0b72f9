"""HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures-12, `rsa-sha256`, with
a `Digest` of the body): how we sign what we send, and check what we are sent.

A signed POST covers `(request-target) host date digest`; the Date must be within the allowed skew
of now (a replayed request goes stale) and the Digest must be the body's. A signed GET covers
`(request-target) host date`: servers in "authorized fetch" mode (Mastodon's secure mode) answer
only those, so the actors and documents we fetch are asked for signed (`get_signer`). RSA is
`cryptography`'s.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hub.activitypub.errors import SignatureRefused
from hub.federation.fetch import Signer

SIGNED_HEADERS = ("(request-target)", "host", "date", "digest")
# Each `name="value"` of a Signature header.
_PARAMETER = re.compile(r'\s*([a-zA-Z]+)="([^"]*)"\s*(?:,|$)')
MAX_SIGNATURE_HEADER = 4096


def digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _signing_string(names: list[str], method: str, target: str, headers: Mapping[str, str]) -> str:
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            value = headers.get(name)
            if value is None:
                raise SignatureRefused(f"the signature covers the header `{name}`, which the request lacks")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def signed_headers(
    url: str,
    body: bytes | None,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers of a signed POST of `body` to `url` (Host, Date, Digest, Signature), or of a
    signed GET of `url` when `body` is None (Host, Date, Signature)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"host": parts.netloc, "date": http_date(now or datetime.now(UTC))}
    names = list(SIGNED_HEADERS[:3])
    if body is not None:
        headers["digest"] = digest(body)
        names.append("digest")
    text = _signing_string(names, "GET" if body is None else "POST", target or "/", headers)
    signature = private_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return {name.title(): value for name, value in headers.items()}


def get_signer(key_id: str, private_key: rsa.RSAPrivateKey) -> Signer:
    """What signs a GET of a URL with this key: the headers to add to it."""
    return lambda url: signed_headers(url, None, key_id=key_id, private_key=private_key)


def parse_signature(header: str | None) -> dict[str, str]:
    """The parameters of a Signature header; SignatureRefused when there is none or it is malformed."""
    if not header:
        raise SignatureRefused("the request is not signed (no Signature header)")
    if len(header) > MAX_SIGNATURE_HEADER:
        raise SignatureRefused("the Signature header is too long")
    found = dict(_PARAMETER.findall(header))
    for name in ("keyId", "signature"):
        if not found.get(name):
            raise SignatureRefused(f"the Signature header has no `{name}`")
    algorithm = found.get("algorithm", "rsa-sha256").lower()
    if algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureRefused(f"the signature algorithm {algorithm!r} is not supported (rsa-sha256 is)")
    return found


def check_request(
    signature: Mapping[str, str],
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    skew: timedelta,
    now: datetime | None = None,
) -> str:
    """Check what does not need the key: the covered headers, the Date and the Digest. Returns the
    string that was signed."""
    names = signature.get("headers", "date").lower().split()
    required = SIGNED_HEADERS if method.upper() == "POST" else SIGNED_HEADERS[:3]
    missing = [name for name in required if name not in names]
    if missing:
        raise SignatureRefused(f"the signature must cover {', '.join(missing)}")
    try:
        sent = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError) as exc:
        raise SignatureRefused("the Date header is missing or unreadable") from exc
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs((now or datetime.now(UTC)) - sent) > skew:
        raise SignatureRefused(f"the Date header is more than {skew.total_seconds():.0f} s away from now")
    if method.upper() == "POST":
        declared = headers.get("digest", "")
        expected = digest(body)
        if not any(part.strip() == expected for part in declared.split(",")):
            raise SignatureRefused("the Digest header does not match the body")
    return _signing_string(names, method, target, headers)


def verify(signature: Mapping[str, str], signed: str, public_pem: str) -> None:
    """Check the signature of `signed` with the sender's public key (PEM); SignatureRefused if wrong."""
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        raw = base64.b64decode(signature["signature"], validate=True)
    except (ValueError, TypeError) as exc:
        raise SignatureRefused("the sender's key or the signature is unreadable") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureRefused("the sender's key is not an RSA key")
    try:
        key.verify(raw, signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureRefused("the signature does not match the request") from exc
