"""Pages for coordinators of a hub: figures of the network (and its annual report), and the health
of its sources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub import stats
from hub.errors import HubError
from hub.federation.registry import describe, list_sources
from hub.filters import PeriodQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.web import report
from hub.web.i18n import translator
from hub.web.named_figures import Figures, asked_period, typed_period
from hub.web.page_problems import health_in_words, in_words
from hub.web.site import Ask, all_places, not_found, render_page

router = APIRouter(include_in_schema=False)
router.include_router(report.router)


@router.get("/stats")
def stats_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PeriodQuery)
    if settings.role != "hub":
        return not_found(ask)
    t = translator(ask.lang)
    error, figures, status, workbook = None, [], 200, None
    period = typed_period(ask)
    try:
        period = asked_period(ask)
        made = Figures(session, ask, period.start, period.end, period.query)
        totals = stats.totals(session, period.start, period.end, "public")
        workbook = made.workbook()
        figures = [
            made.totals(totals),
            made.months(),
            *made.breakdowns(),
            made.shared(),
            made.skills(),
            made.needs(),
        ]
    except HubError as exc:
        error, status = in_words(exc, ask.lang), 422
    year = ask.today().year
    return render_page(
        ask,
        "stats.html",
        t("stats.title"),
        status=status,
        values=ask.values,
        figures=figures,
        error=error,
        period=period,
        choices=period.choices(ask, "/stats"),
        workbook=workbook,
        report=(t("stats.report_link", year=year), ask.url("/stats/report", year=year)),
    )


@router.get("/sources")
def sources_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings)
    if settings.role != "hub":
        return not_found(ask)
    t = translator(ask.lang)
    names = {p.iri: p.name for p in all_places(ask, session)}
    sources = sorted(
        describe(session, list_sources(session)), key=lambda s: (s.healthy, s.failing_since or "", s.id)
    )
    health = {s.id: health_in_words(s, ask.lang) for s in sources}
    return render_page(
        ask, "sources.html", t("sources.title"), sources=sources, place_names=names, health=health
    )
