"""The coordinators' view of a hub's animators: who animates where, and the events each animator
and each programme brought together over a period, place by place, with the same downloads as the
network's figures. The page is public: it shows the animators the public may see at their places
(the API answers a coordinator's token with those the network may see)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub.errors import HubError
from hub.filters import PeriodQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.people.roles import animator_documents, list_animators
from hub.web.i18n import translator
from hub.web.named_figures import Figures, asked_period, typed_period
from hub.web.page_problems import in_words
from hub.web.site import Ask, not_found, render_page
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

PATH = "/coordination/animators"
# The roles listed at most: a region has a few dozen animators, a country a few thousand.
MOST_ROLES = 2000


@router.get(PATH)
def animators_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PeriodQuery)
    if settings.role != "hub":
        return not_found(ask)
    t = translator(ask.lang)
    error, figures, status = None, [], 200
    period = typed_period(ask)
    try:
        period = asked_period(ask)
        made = Figures(session, ask, period.start, period.end, period.query)
        figures = [made.animators(), made.programmes()]
    except HubError as exc:
        error, status = in_words(exc, ask.lang), 422
    roles = animator_documents(session, list_animators(session, "public", limit=MOST_ROLES).items)
    words = Words(ask.lang, ask.zone)
    rows = [
        [
            role["holder"]["display_name"],
            role["work_location"].get("name") or role["work_location"]["id"],
            role["role_name"],
            ", ".join(words.label(b) for b in role.get("role_badges", [])),
            words.date(date.fromisoformat(role["since"])) if "since" in role else "",
        ]
        for role in roles
    ]
    columns = [
        t(k)
        for k in (
            "animators.animator",
            "stats.place",
            "animators.role",
            "animators.badges",
            "animators.since",
        )
    ]
    return render_page(
        ask,
        "animators.html",
        t("animators.title"),
        status=status,
        values=ask.values,
        period=period,
        choices=period.choices(ask, PATH),
        error=error,
        roles={"key": "roles", "title": t("animators.roles"), "columns": columns, "rows": rows},
        figures=figures,
    )
