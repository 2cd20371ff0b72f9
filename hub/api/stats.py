"""`/api/v1/stats`: figures for coordinators and funders, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from hub import stats
from hub.api.deps import AudienceDep
from hub.api.problems import problem_responses
from hub.filters import PeriodQuery
from hub.http.cache import cached_read
from hub.http.deps import KnownParameters, SettingsDep, in_read_session
from hub.http.responses import read_response
from hub.people.visibility import Audience
from hub.settings import Settings

router = APIRouter(
    prefix="/api/v1/stats", tags=["stats"], responses=problem_responses(422), dependencies=[KnownParameters]
)
CSV_TYPE = "text/csv; charset=utf-8"


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
async def figures(
    request: Request,
    settings: SettingsDep,
    audience: AudienceDep,
    *,
    by: stats.Dimension = "month",
    period: Annotated[PeriodQuery, Query()],
    format: Annotated[Literal["json", "csv"] | None, Query(description="`csv` for a spreadsheet")] = None,
) -> Response:
    begin, finish = period.period(settings)
    as_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))

    def read(session: Session) -> bytes:
        table = _table(session, by, begin, finish, settings, audience)
        if as_csv:
            return _csv(table)
        document = {"by": by, "start": begin.isoformat(), "end": finish.isoformat()}
        return orjson.dumps({**document, "columns": table.columns, "rows": table.rows})

    if by == "sources":  # the health of sources moves without any change to the data
        body = await in_read_session(request, read)
    else:
        body = await cached_read(request, f"{audience}:{'csv' if as_csv else 'json'}", read)
    if as_csv:
        return read_response(
            request,
            body,
            media_type=CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="stats-{by}.csv"'},
        )
    return read_response(request, body)


def _table(
    session: Session, by: str, begin: datetime, finish: datetime, settings: Settings, audience: Audience
) -> stats.Table:
    if by in ("month", "place", "department", "region", "theme", "audience"):
        return stats.event_figures(session, by, begin, finish, settings.zone)
    if by == "shared":
        return stats.shared_events(session, begin, finish)
    if by == "people":
        return stats.people_figures(session, audience)
    if by in ("skills", "free_skills"):
        return stats.skill_figures(session, audience, free_text_only=by == "free_skills")
    return stats.source_figures(session)
