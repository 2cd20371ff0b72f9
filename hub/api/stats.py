"""`/api/v1/stats`: figures for coordinators and funders, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from hub import stats
from hub.api.deps import DATE_PATTERN, AudienceDep, SessionDep, SettingsDep, parse_date_param
from hub.api.problems import problem_responses
from hub.api.responses import read_response
from hub.errors import InvalidInput, QueryTooCostly

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], responses=problem_responses(422))
CSV_TYPE = "text/csv; charset=utf-8"
LONGEST_PERIOD = timedelta(days=5 * 366)


class StatsTable(BaseModel):
    by: str
    start: str
    end: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


def _csv(table: stats.Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    # A byte-order mark, so that spreadsheet software reads the accents right.
    return ("\ufeff" + out.getvalue()).encode()


@router.get(
    "",
    response_model=StatsTable,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="Figures over a period, by month, place, department, region, theme, audience; "
    "shared events; people and skills per place; skills; sources",
)
def figures(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    audience: AudienceDep,
    by: stats.Dimension = "month",
    start: Annotated[
        str | None,
        Query(max_length=40, pattern=DATE_PATTERN, description="Start of the period (default: 1 January)"),
    ] = None,
    end: Annotated[
        str | None,
        Query(max_length=40, pattern=DATE_PATTERN, description="End of the period (default: 31 December)"),
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="`csv` for a spreadsheet")] = None,
) -> Response:
    year = date.today().year
    begin = parse_date_param(start or f"{year}-01-01", "start", settings)
    finish = parse_date_param(end or f"{year}-12-31", "end", settings, end=True)
    if finish <= begin:
        raise InvalidInput("end", "must be after start", location="query")
    if finish - begin > LONGEST_PERIOD:
        raise QueryTooCostly("the period is longer than five years: ask for a shorter one")
    if by in ("month", "place", "department", "region", "theme", "audience"):
        table = stats.event_figures(session, by, begin, finish, settings.zone)
    elif by == "shared":
        table = stats.shared_events(session, begin, finish)
    elif by == "people":
        table = stats.people_figures(session, audience)
    elif by in ("skills", "free_skills"):
        table = stats.skill_figures(session, audience, free_text_only=by == "free_skills")
    else:
        table = stats.source_figures(session)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return read_response(
            request,
            _csv(table),
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="stats-{by}.csv"'},
        )
    body = orjson.dumps(
        {
            "by": by,
            "start": begin.isoformat(),
            "end": finish.isoformat(),
            "columns": table.columns,
            "rows": table.rows,
        }
    )
    return read_response(request, body)
