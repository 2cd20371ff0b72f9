"""`/api/v1/stats`: figures for coordinators and funders, as JSON, CSV or an Excel workbook."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from hub import stats
from hub.api.deps import AudienceDep
from hub.api.problems import problem_responses
from hub.api.sheets import CSV_TYPE, XLSX_TYPE, Separator, csv_bytes, xlsx_bytes
from hub.filters import PeriodQuery
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, SettingsDep, in_read_session
from hub.http.responses import read_response
from hub.people.visibility import Audience
from hub.settings import Settings

router = APIRouter(
    prefix="/api/v1/stats", tags=["stats"], responses=problem_responses(422), dependencies=[KnownParameters]
)
Format = Literal["json", "csv", "xlsx"]
LabelLanguage = Annotated[Literal["fr", "en"], Query(description="Language of the labels")]


class StatsTable(BaseModel):
    by: str
    period: Literal["next-12-months", "past-12-months", "explicit"]
    start: str
    end: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


@router.get(
    "",
    response_model=StatsTable,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
    summary="Figures over a period: totals; by month, place, department, region, theme, audience; "
    "shared events; the events held; people and skills per place; events per animator and per "
    "programme, place by place; skills; needs and offers posted, matched and answered per month and "
    "place; sources",
)
async def figures(
    request: Request,
    settings: SettingsDep,
    audience: AudienceDep,
    *,
    by: stats.Dimension = "month",
    period: Annotated[PeriodQuery, Query()],
    format: Annotated[
        Format | None, Query(description="`csv` for a spreadsheet, `xlsx` for an Excel workbook")
    ] = None,
    sep: Annotated[
        Separator,
        Query(description="CSV separator: `semicolon` also writes decimal commas, for French spreadsheets"),
    ] = "comma",
    lang: LabelLanguage = "fr",
) -> Response:
    begin, finish = period.instants(settings)
    zone = settings.zone
    heading = {
        "by": by,
        "period": period.choice(),
        "start": begin.astimezone(zone).isoformat(),
        "end": finish.astimezone(zone).isoformat(),
    }
    if format is None:
        format = "csv" if "text/csv" in request.headers.get("accept", "") else "json"

    def read(session: Session) -> bytes:
        table = _table(session, by, begin, finish, settings, audience, lang)
        if format == "csv":
            return csv_bytes(table, sep)
        if format == "xlsx":
            return xlsx_bytes({by: table})
        return orjson.dumps({**heading, "columns": table.columns, "rows": table.rows})

    if by == "sources":  # the health of sources moves without any change to the data
        body = await in_read_session(request, read)
    else:
        body = await cached_read(request, f"{audience}:{format}", read)
    if format == "json":
        return read_response(request, body)
    return read_response(
        request,
        body,
        media_type=CSV_TYPE if format == "csv" else XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="stats-{by}.{format}"'},
    )


# The figures of a period a funder's report draws on, one worksheet each: all but the people per
# place, the skills to curate, and the sources.
WORKBOOK = tuple(by for by in stats.DIMENSIONS if by not in ("people", "free_skills", "sources"))


@router.get(
    "/workbook",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
    summary="Every figure of a period in one Excel workbook, a worksheet each: "
    + ", ".join(f"`{by}`" for by in WORKBOOK),
)
async def workbook(
    request: Request,
    settings: SettingsDep,
    audience: AudienceDep,
    *,
    period: Annotated[PeriodQuery, Query()],
    lang: LabelLanguage = "fr",
) -> Response:
    begin, finish = period.instants(settings)

    def read(session: Session) -> bytes:
        sheets = {}
        for by in WORKBOOK:
            sheets[by] = _table(session, by, begin, finish, settings, audience, lang)
        return xlsx_bytes(sheets)

    body = await cached_read(request, f"{audience}:xlsx", read)
    return read_response(
        request,
        body,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="stats.xlsx"'},
    )


def _table(
    session: Session,
    by: str,
    begin: datetime,
    finish: datetime,
    settings: Settings,
    audience: Audience,
    lang: str,
) -> stats.Table:
    if by == "totals":
        return stats.totals(session, begin, finish, audience)
    if by in ("month", "place", "department", "region", "theme", "audience"):
        return stats.event_figures(session, by, begin, finish, settings.zone, lang)
    if by == "shared":
        return stats.shared_events(session, begin, finish, settings.zone)
    if by == "events":
        return stats.events_held(session, begin, finish, settings.zone)
    if by == "people":
        return stats.people_figures(session, audience)
    if by == "needs":
        return stats.need_figures(session, begin, finish, settings.zone, audience)
    if by == "animators":
        return stats.animator_figures(session, begin, finish, audience)
    if by == "programmes":
        return stats.programme_figures(session, begin, finish)
    if by in ("skills", "free_skills"):
        return stats.skill_figures(session, audience, free_text_only=by == "free_skills", lang=lang)
    return stats.source_figures(session)
