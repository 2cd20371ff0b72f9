"""Signing in to the publishing pages: an API token exchanged for a signed, expiring cookie.

The cookie (`hub_session`, path `/publish`, HttpOnly, SameSite=Lax, Secure over https) holds who
signed in (the token's id, never its value) and a random nonce, signed by itsdangerous with
`HUB_SESSION_SECRET` and refused past `HUB_SESSION_HOURS`. Every request checks the token again,
so revoking it ends its sign-ins. Every form carries the nonce as its CSRF token: a POST whose
token differs from its cookie's, or that comes from another origin, is refused. Signing in
issues a new nonce, so a nonce seen before signing in is worth nothing after.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import RedirectResponse, Response

from hub.auth.tokens import holder_of, scopes_of_holder
from hub.errors import Unauthorized
from hub.http.common_deps import SettingsDep, in_read_session
from hub.settings import Settings
from hub.web.i18n import translator
from hub.web.site import Ask, render_page

router = APIRouter(include_in_schema=False)

COOKIE = "hub_session"
COOKIE_PATH = "/publish"
SALT = "hub.web.signin"
# A form of the publishing pages is small: an event, or a place's equipment (500 items at most).
MAX_FORM_BYTES = 512_000
MAX_FORM_FIELDS = 3000
FORM_TYPE = "application/x-www-form-urlencoded"


def signer(settings: Settings) -> URLSafeTimedSerializer:
    """What signs the cookies of an app: with the configured secret, else a random one."""
    return URLSafeTimedSerializer(settings.session_secret or secrets.token_urlsafe(32), salt=SALT)


@dataclass(frozen=True)
class Visit:
    """The signed content of the cookie: the CSRF nonce, and who signed in (None before)."""

    nonce: str
    holder: str | None = None


class Form:
    """The fields of a posted form (application/x-www-form-urlencoded), bounded."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0].strip()

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]


class FormRefused(Exception):
    """A POST refused before it is read: no valid CSRF token, another origin, or too large."""


async def read_form(request: Request) -> Form:
    """The posted fields; FormRefused when the body is not a form or is too large."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise FormRefused("not a form")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused("form too large")
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormRefused("unreadable form") from exc
    return Form(fields)


def visit_of(request: Request) -> Visit | None:
    """The visit the request's cookie carries, if it is ours and not expired."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    settings: Settings = request.app.state.settings
    try:
        data = request.app.state.session_signer.loads(raw, max_age=settings.session_hours * 3600)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    holder = data.get("h")
    return Visit(data["n"], holder if isinstance(holder, str) else None)


def keep_visit(request: Request, response: Response, visit: Visit) -> Response:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        request.app.state.session_signer.dumps({"n": visit.nonce, "h": visit.holder}),
        max_age=settings.session_hours * 3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://") or request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def new_visit(holder: str | None = None) -> Visit:
    return Visit(secrets.token_urlsafe(32), holder)


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether a POST comes from our own pages: browsers name its origin; a client that names
    none (a test, a script) is judged by its CSRF token alone."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.url.netloc}"}
    base = urlsplit(settings.base_url)
    own.add(f"{base.scheme}://{base.netloc}")
    return origin in own


async def posted(request: Request, settings: Settings) -> tuple[Visit, Form]:
    """The visit and form of a POST whose CSRF token matches its cookie; FormRefused otherwise."""
    visit = visit_of(request)
    form = await read_form(request)
    if visit is None or not same_origin(request, settings):
        raise FormRefused("no session or another origin")
    if not hmac.compare_digest(form.get("csrf").encode(), visit.nonce.encode()):
        raise FormRefused("CSRF token does not match")
    return visit, form


async def can_publish(request: Request, settings: Settings, visit: Visit | None) -> bool:
    """Whether the visit signed in with a token that may still write."""
    if visit is None or visit.holder is None:
        return False
    holder = visit.holder
    scopes = await in_read_session(
        request, lambda session: scopes_of_holder(session, holder, settings.admin_token)
    )
    return bool(scopes & {"write", "admin"})


def refused(ask: Ask) -> Response:
    """The page of a refused form: expired, or sent from elsewhere."""
    t = translator(ask.lang)
    response = render_page(
        ask, "error.html", t("signin.refused"), status=403, message=t("signin.refused.text")
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def to_signin(ask: Ask) -> Response:
    return RedirectResponse(ask.url("/publish/signin"), status_code=303)


def signin_page(ask: Ask, visit: Visit, *, error: str | None = None, status: int = 200) -> Response:
    response = render_page(
        ask,
        "signin.html",
        translator(ask.lang)("signin.title"),
        status=status,
        csrf=visit.nonce,
        error=error,
        signed_out=ask.values.get("out") == "1",
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return keep_visit(ask.request, response, visit)


@router.get("/publish/signin")
async def signin_form(request: Request, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    visit = visit_of(request)
    if await can_publish(request, settings, visit):
        return RedirectResponse(ask.url("/publish"), status_code=303)
    return signin_page(ask, visit or new_visit())


@router.post("/publish/signin")
async def signin(request: Request, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    try:
        visit, form = await posted(request, settings)
    except FormRefused:
        return refused(ask)
    token = form.get("token")
    t = translator(ask.lang)
    if not token:
        return signin_page(ask, visit, error=t("signin.missing"), status=422)
    try:
        holder = await in_read_session(
            request, lambda session: holder_of(session, token, settings.admin_token)
        )
    except Unauthorized:
        return signin_page(ask, visit, error=t("signin.unknown"), status=401)
    signed_in = new_visit(holder)
    if not await can_publish(request, settings, signed_in):
        return signin_page(ask, visit, error=t("signin.no_write"), status=403)
    return keep_visit(request, RedirectResponse(ask.url("/publish"), status_code=303), signed_in)


@router.post("/publish/signout")
async def signout(request: Request, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    try:
        await posted(request, settings)
    except FormRefused:
        return refused(ask)
    response = RedirectResponse(ask.url("/publish/signin", out="1"), status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
