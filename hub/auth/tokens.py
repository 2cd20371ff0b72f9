"""Issue, check and revoke bearer tokens. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from sqlmodel import Session, col, select

from hub.auth.models import ApiToken
from hub.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from hub.store.records import utcnow

Scope = Literal["write", "harvest", "admin"]
SCOPES: tuple[str, ...] = Scope.__args__
TOKEN_PREFIX = "tlh_"
ADMIN_HOLDER = "admin"
ADMIN_TOKEN_NAME = "HUB_ADMIN_TOKEN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token; the clear value is returned once and never stored."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput("scope", f"choose among {', '.join(SCOPES)}")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=_hash(clear), scopes=sorted(set(scopes)))
    session.add(token)
    session.flush()
    return token, clear


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())


def revoke_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    session.add(token)


def _is_admin(clear: str, admin_token: str | None) -> bool:
    return bool(admin_token) and hmac.compare_digest(clear.encode(), admin_token.encode())


def _valid(session: Session, clear: str) -> ApiToken:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(clear))).first()
    if token is None or token.revoked_at is not None:
        raise Unauthorized("unknown or revoked token")
    return token


def scopes_of(session: Session, clear: str | None, admin_token: str | None = None) -> set[str]:
    """The scopes a presented token grants (empty when none was presented)."""
    if not clear:
        return set()
    if _is_admin(clear, admin_token):
        return set(SCOPES)
    return set(_valid(session, clear).scopes)


def holder_of(session: Session, clear: str, admin_token: str | None = None) -> str:
    """Who a presented token is, as a sign-in remembers it: `admin` for the bootstrap token, else
    the token's id (never its value)."""
    return ADMIN_HOLDER if _is_admin(clear, admin_token) else str(_valid(session, clear).id)


def name_of(session: Session, clear: str, admin_token: str | None = None) -> str:
    """Who a valid token stands for, as logs name who acted: its name, or the setting's name for
    the admin token of the settings."""
    return ADMIN_TOKEN_NAME if _is_admin(clear, admin_token) else _valid(session, clear).name


def scopes_of_holder(session: Session, holder: str, admin_token: str | None = None) -> set[str]:
    """The scopes a sign-in still grants: none once its token is revoked, or the admin token unset."""
    if holder == ADMIN_HOLDER:
        return set(SCOPES) if admin_token else set()
    token = session.get(ApiToken, int(holder)) if holder.isdigit() else None
    return set(token.scopes) if token is not None and token.revoked_at is None else set()


def require(scopes: set[str], needed: str) -> None:
    if not scopes:
        raise Unauthorized(f"this operation needs a bearer token with the {needed!r} scope")
    if needed not in scopes and "admin" not in scopes:
        raise Forbidden(f"this token lacks the {needed!r} scope")
