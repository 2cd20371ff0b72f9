"""Pages for coordinators of a hub: figures of the network, and the health of its sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import Response

from hub import stats
from hub.errors import HubError
from hub.federation.registry import describe, list_sources
from hub.filters import PeriodQuery
from hub.http.deps import SessionDep, SettingsDep
from hub.vocabulary.thesaurus import labels_of
from hub.web import charts
from hub.web.i18n import translator
from hub.web.site import Ask, all_places, not_found, render_page

router = APIRouter(include_in_schema=False)

TOP_SKILLS = 15


@dataclass
class Figure:
    """One figure of the stats page: its chart, its table and its CSV."""

    key: str
    title: str
    chart: Markup
    columns: list[str]
    rows: list[list]
    csv_url: str


def _figures(session: Session, ask: Ask, start: datetime, end: datetime, period: dict) -> list[Figure]:
    t, lang = translator(ask.lang), ask.lang
    zone = ask.zone
    csv = {**period, "format": "csv"}

    def named(table: stats.Table) -> list[list]:
        labels = labels_of(session, {str(r[0]) for r in table.rows if r[0]})
        return [[(labels.get(r[0]) or {}).get(lang) or r[1] or t("stats.none"), *r[2:]] for r in table.rows]

    months = stats.event_figures(session, "month", start, end, zone)
    years = {r[0][:4] for r in months.rows}
    month_labels = [
        t(f"month.short.{int(r[0][5:])}") if len(years) == 1 else f"{r[0][5:]}/{r[0][2:4]}"
        for r in months.rows
    ]
    places = stats.event_figures(session, "place", start, end, zone)
    place_rows = [[r[1] or t("stats.no_place"), r[2], r[3]] for r in places.rows]
    themes = named(stats.event_figures(session, "theme", start, end, zone))
    skills = named(stats.skill_figures(session, "public"))[:TOP_SKILLS]
    series = [
        (t("stats.events"), [r[1] for r in months.rows]),
        (t("stats.occurrences"), [r[2] for r in months.rows]),
    ]
    counts = [t("stats.events"), t("stats.occurrences")]
    return [
        Figure(
            "month",
            t("stats.by_month"),
            charts.bar_chart("chart-month", t("stats.by_month"), month_labels, series),
            [t("stats.month"), *counts],
            [[label, *r[1:]] for label, r in zip(month_labels, months.rows, strict=True)],
            ask.url("/api/v1/stats", by="month", **csv, lang=None),
        ),
        Figure(
            "place",
            t("stats.by_place"),
            charts.hbar_chart("chart-place", t("stats.by_place"), [(r[0], r[2]) for r in place_rows]),
            [t("stats.place"), *counts],
            place_rows,
            ask.url("/api/v1/stats", by="place", **csv, lang=None),
        ),
        Figure(
            "theme",
            t("stats.by_theme"),
            charts.hbar_chart("chart-theme", t("stats.by_theme"), [(r[0], r[2]) for r in themes]),
            [t("stats.theme"), *counts],
            themes,
            ask.url("/api/v1/stats", by="theme", **csv, lang=None),
        ),
        Figure(
            "skills",
            t("stats.skills", n=TOP_SKILLS),
            charts.hbar_chart(
                "chart-skills", t("stats.skills", n=TOP_SKILLS), [(r[0], r[1]) for r in skills]
            ),
            [t("stats.skill"), t("stats.people")],
            skills,
            ask.url("/api/v1/stats", by="skills", format="csv", lang=None),
        ),
    ]


@router.get("/stats")
def stats_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, PeriodQuery)
    if settings.role != "hub":
        return not_found(ask)
    t = translator(ask.lang)
    year = ask.today().year
    error, figures, status = None, [], 200
    try:
        period = ask.read(PeriodQuery)
        first, last = period.start or f"{year}-01-01", period.end or f"{year}-12-31"
        start, end = period.period(settings)
        figures = _figures(session, ask, start, end, {"start": first, "end": last})
    except HubError as exc:
        error, status, first, last = exc.detail, 422, ask.values.get("start"), ask.values.get("end")
    return render_page(
        ask,
        "stats.html",
        t("stats.title"),
        status=status,
        values=ask.values,
        figures=figures,
        error=error,
        first=first,
        last=last,
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
    return render_page(ask, "sources.html", t("sources.title"), sources=sources, place_names=names)
