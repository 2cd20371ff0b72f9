"""The annual activity report for funders: one page of a year's figures that prints well (A4, no
navigation, sections kept whole), in French by default and in English.

Skills are counted from the profiles the network may see, never from private fields, and only
as numbers; the skills named are those of public profiles, as on the stats page. No PDF is
made here: the browser's print command saves the page as one (no light library renders this
HTML to PDF without a browser).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from hub import stats
from hub.errors import HubError
from hub.filters import PeriodQuery, YearQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.kit import geo
from hub.web.i18n import translator
from hub.web.named_figures import Figure, Figures
from hub.web.page_problems import in_words
from hub.web.site import Ask, not_found, render_page
from hub.web.words import Words

router = APIRouter(include_in_schema=False)

EARLIER = 3  # years offered before this one


def _programme(made: Figures, table: stats.Table) -> Figure:
    """The events of the year: title, first and last date, number of dates, place."""
    t = made.t

    def day(iso: str) -> str:  # short, so that the table fits a phone
        d = date.fromisoformat(iso[:10])
        return f"{d.day}\u00a0{t(f'month.short.{d.month}')}\u00a0{d.year}"

    def where(place: str | None, department: str | None) -> str:
        name = geo.DEPARTMENTS.get(department or "", ("",))[0]
        return ", ".join(part for part in (place, name) if part) or t("stats.no_place")

    return Figure(
        "events",
        t("report.programme"),
        None,
        [t("stats.event"), t("report.first"), t("report.last"), t("report.dates"), t("stats.place")],
        [[r[1], day(r[2]), day(r[3]), r[4], where(r[5], r[6])] for r in table.rows],
    )


@router.get("/stats/report")
def report_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, YearQuery)
    if settings.role != "hub":
        return not_found(ask)
    t, words = translator(ask.lang), Words(ask.lang, ask.zone)
    today = ask.today()
    try:
        year = ask.read(YearQuery).year or today.year
        start, end = PeriodQuery(start=f"{year}-01-01", end=f"{year}-12-31").instants(settings)
    except HubError as exc:
        return render_page(ask, "error.html", t("error.invalid"), status=422, message=in_words(exc, ask.lang))
    made = Figures(session, ask, start, end, {"start": f"{year}-01-01", "end": f"{year}-12-31"})
    events = stats.events_held(session, start, end, ask.zone)
    totals = stats.totals(session, start, end, "network")
    network = dict(totals.rows)
    sections = [
        made.months(),
        _programme(made, events),
        made.shared(),
        *made.breakdowns(),
    ]
    return render_page(
        ask,
        "report.html",
        t("report.title", year=year),
        year=year,
        intro=t("report.intro", name=settings.name, year=year, today=words.date(today)),
        totals=made.totals(totals),
        sections=sections,
        truncated=len(events.rows) == stats.MOST_EVENTS,
        shown=len(events.rows),
        events_total=network["events"],
        skills_text=t(
            "report.skills_text", people=network["people_offering_skills"], skills=network["skills"]
        ),
        skills=made.skills("public", t("report.top_skills")),
        workbook=made.workbook(),
        years=[(y, ask.url(request.url.path, year=y)) for y in range(today.year - EARLIER, today.year + 1)],
    )
