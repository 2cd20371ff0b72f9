"""Pages for a hub's coordinators: correct a field of a harvested event or place, hide one, undo
either, read the log. Plain forms, no script.

Each form carries the coordinator token in a password field, checked like the API's bearer token
(admin scope) on every submission: no cookie is set, so another site cannot submit a form in a
coordinator's name (there is nothing to forge a request with), and there is no session to steal.
A request is answered with a 303 to the record's coordination page, or the page again with the
error in its language.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from hub.auth.tokens import name_of, require, scopes_of
from hub.errors import Conflict, Forbidden, HubError, InvalidInput, NotFound, Unauthorized
from hub.federation import corrections
from hub.federation.corrections import TABLES
from hub.federation.overrides import FIELDS, HIDDEN
from hub.http.common_deps import SessionDep, SettingsDep, WriteSessionDep
from hub.settings import Settings
from hub.web.i18n import translator
from hub.web.signin import Form, FormRefused, read_form
from hub.web.site import Ask, not_found, render_page

router = APIRouter(include_in_schema=False)

KINDS = {"events": "event", "places": "place"}
KINDS_BACK = {kind: plural for plural, kind in KINDS.items()}
ACTIONS = ("correct", "undo", "hide", "unhide")
LOG_LINES = 200
LIST_FIELDS = ("themes", "audience")


async def form_values(request: Request) -> Form:
    """The fields of the submitted form (none of a body that is not one)."""
    try:
        return await read_form(request)
    except FormRefused:
        return Form({})


FormDep = Annotated[Form, Depends(form_values)]


def _coordinator(session: Session, settings: Settings, token: str) -> str:
    require(scopes_of(session, token, settings.admin_token), "admin")
    return name_of(session, token, settings.admin_token)


def _value(field: str, text: str) -> object:
    """A value typed in the form, as the API takes it: empty clears the field, lists are
    comma-separated."""
    if field in LIST_FIELDS:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text or None


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _record(session: Session, kind: str, uid: str) -> tuple[object | None, dict, bool]:
    """The record held (None when hidden), its document, and whether it is hidden."""
    row = session.get(TABLES[kind], uid)
    if row is not None:
        return row, orjson.loads(row.doc), False
    hidden = corrections.corrections(session, kind, uid)
    if not any(c.field == HIDDEN for c in hidden):
        raise NotFound(f"no {kind} with id {uid!r}")
    return None, {}, True


def _page(
    ask: Ask, session: Session, kind: str, uid: str, *, error: str | None = None, status: int = 200
) -> Response:
    t = translator(ask.lang)
    try:
        row, doc, hidden = _record(session, kind, uid)
    except NotFound:
        return not_found(ask)
    name = (doc.get("title") or doc.get("name") or uid) if row is not None else uid
    in_force = [c for c in corrections.corrections(session, kind, uid) if c.field != HIDDEN]
    return render_page(
        ask,
        "coordination.html",
        t("coordination.title", name=name),
        status=status,
        kind=kind,
        plural=KINDS_BACK[kind],
        uid=uid,
        name=name,
        row=row,
        harvested=row is None or row.source_id is not None,
        hidden=hidden,
        fields=FIELDS[kind],
        in_force=[(c.field, _shown(c.value), _shown(c.source_value), c.by, c.reason) for c in in_force],
        done=ask.values.get("done") if ask.values.get("done") in ACTIONS else None,
        error=error,
    )


@router.get("/coordination/{plural}/{uid}")
def coordination_page(
    request: Request, plural: str, uid: str, session: SessionDep, settings: SettingsDep
) -> Response:
    ask = Ask.of(request, settings, also=("done",))
    if plural not in KINDS:
        return not_found(ask)
    return _page(ask, session, KINDS[plural], uid)


def _error(t, exc: HubError) -> tuple[str, int]:
    """What went wrong, in the page's words (the API's problem documents say it in English)."""
    if isinstance(exc, (Unauthorized, Forbidden)):
        return t("coordination.error.token"), exc.status
    if isinstance(exc, Conflict):
        return t("coordination.error.local"), exc.status
    if isinstance(exc, InvalidInput):
        if exc.field == "field":
            return t("coordination.error.field"), exc.status
        label = t(f"field.{exc.field}") if exc.field in FIELDS["event"] + FIELDS["place"] else exc.field
        return t("coordination.error.value", field=label, hint=t(_hint(exc.field))), exc.status
    return t("coordination.error.gone"), exc.status


def _hint(field: str) -> str:
    if field in ("start", "end"):
        return "coordination.hint.moment"
    if field in ("registration_url", "url", "website"):
        return "coordination.hint.url"
    if field in ("status", "address.postal_code", "contact.email", "title", "name"):
        return f"coordination.hint.{field}"
    return "coordination.hint.other"


@router.post("/coordination/{plural}/{uid}")
def coordinate(
    request: Request, plural: str, uid: str, form: FormDep, session: WriteSessionDep, settings: SettingsDep
) -> Response:
    ask = Ask.of(request, settings)
    if plural not in KINDS:
        return not_found(ask)
    kind, action, field = KINDS[plural], form.get("action"), form.get("field")
    reason = form.get("reason")[:500]
    try:
        by = _coordinator(session, settings, form.get("token"))
        if action == "correct":
            corrections.correct(
                session,
                settings,
                kind,
                uid,
                field,
                _value(field, form.get("value")),
                reason=reason,
                by=by,
            )
        elif action == "undo":
            corrections.undo(session, settings, kind, uid, field, reason=reason, by=by)
        elif action == "hide":
            corrections.hide(session, kind, uid, reason=reason, by=by)
        elif action == "unhide":
            corrections.unhide(session, settings, kind, uid, reason=reason, by=by)
        else:
            raise InvalidInput("action", f"choose among {', '.join(ACTIONS)}")
    except HubError as exc:
        session.rollback()
        message, status = _error(translator(ask.lang), exc)
        return _page(ask, session, kind, uid, error=message, status=status)
    session.commit()
    return RedirectResponse(ask.url(f"/coordination/{plural}/{uid}", done=action), status_code=303)


@router.get("/coordination/log")
def log_form(request: Request, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    return render_page(ask, "coordination_log.html", translator(ask.lang)("coordination.log"), lines=None)


@router.post("/coordination/log")
def log_page(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    t = translator(ask.lang)
    try:
        _coordinator(session, settings, form.get("token"))
    except HubError as exc:
        message, status = _error(t, exc)
        return render_page(
            ask, "coordination_log.html", t("coordination.log"), status=status, lines=None, error=message
        )
    lines = [
        (line, _shown(line.old), _shown(line.new), KINDS_BACK[line.kind])
        for line in corrections.log(session, limit=LOG_LINES)
    ]
    hidden = [c for c in corrections.corrections(session) if c.field == HIDDEN]
    return render_page(
        ask, "coordination_log.html", t("coordination.log"), lines=lines, hidden=hidden, plurals=KINDS_BACK
    )
