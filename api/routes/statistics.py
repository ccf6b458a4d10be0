"""Statistics over HTTP: the public board's day figures, breakdowns, the evaluation report, CSV.

Public (the board in the hall shows them): `/api/v1/stats/today`, `/api/v1/stats/hourly` and the
list of tables. The floor only (officers' results are evaluation data; api/access.py):
breakdowns, reports and exports (CSV and .xlsx). Every read runs off the trio thread that runs the engine
(`HallRuntime.read`), against the SQL read models of `hall.stats`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

import msgspec
from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from displays import documents, spreadsheets
from hall import reports, stats

from ..access import FLOOR, current_user
from ..answers import DayBoard, Evaluation, ExportTables, Hourly, Summary
from ..context import current_hall
from ..errors import ApiError, json_response
from ..openapi import document_file

bp = Blueprint("statistics", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DayQuery(msgspec.Struct, frozen=True):
    day: str | None = None  # like 2027-03-01; the business day today when absent


class PeriodQuery(msgspec.Struct, frozen=True):
    start: str | None = msgspec.field(default=None, name="from")  # like 2027-03-01
    end: str | None = msgspec.field(default=None, name="to")


class SummaryQuery(PeriodQuery, frozen=True):
    by: str = "agency"  # a group of hall.stats.GROUPS, or hall


class ReportQuery(msgspec.Struct, frozen=True):
    period: str = ""  # a month (2027-03), a quarter (2027-Q1) or a year (2027)
    format: Literal["json", "html", "xlsx"] = "json"


def day_arg(value: str | None, name: str = "day", default: str | None = None) -> str:
    """The query argument `name` (its `value`) as an ISO date; `default`, else the hall's business day today."""
    hall = current_hall()
    value = value or default or hall.config.business_day(hall.runtime.clock.now()).isoformat()
    if not DAY.fullmatch(value):
        raise ApiError("invalid", f"{name}={value!r}: expected a date like 2027-03-01")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError("invalid", f"{name}={value!r} is not a real date") from None
    return value


@bp.get("/api/v1/stats/today")
@validate_querystring(DayQuery)
@document_response(DayBoard)
async def today(query_args: DayQuery) -> Response:
    """The board's figures of a day."""
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    return json_response(await runtime.read(stats.day_board, config.id, config, day_arg(query_args.day), runtime.clock.now()))


@bp.get("/api/v1/stats/hourly")
@validate_querystring(DayQuery)
@document_response(Hourly)
async def hourly(query_args: DayQuery) -> Response:
    """A day's tickets and waits by hour."""
    hall = current_hall()
    return json_response(await hall.runtime.read(stats.hourly, hall.config.id, day_arg(query_args.day)))


@bp.get("/api/v1/stats/summary")
@validate_querystring(SummaryQuery)
@document_response(Summary)
async def summary(query_args: SummaryQuery) -> Response:
    """Figures of a period by agency, service, officer or cabin (the hall's managers)."""
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    start = day_arg(query_args.start, "from")
    end = day_arg(query_args.end, "to", start)
    by = query_args.by
    if by not in (*stats.GROUPS, "hall"):
        raise ApiError("invalid", f"by={by!r}: one of {', '.join(stats.GROUPS)}, hall")
    found = await runtime.read(stats.figures, config.id, config, start, end, None if by == "hall" else by, runtime.clock.now())
    rows = [{"key": key, **f} for key, f in sorted(found.items(), key=lambda kv: str(kv[0]))]
    return json_response({"from": start, "to": end, "by": by, "rows": rows})


@bp.get("/api/v1/stats/report")
@validate_querystring(ReportQuery)
@document_response(Evaluation)
@document_file("text/html", "format=html: the report as a page; format=xlsx: a workbook")
async def report(query_args: ReportQuery) -> Response:
    """The evaluation report of a month, quarter or year: JSON, a page or a workbook."""
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    try:
        period = reports.parse_period(query_args.period)
    except ValueError as exc:
        raise ApiError("invalid", str(exc)) from None
    data = await runtime.read(reports.evaluation, config.id, config, period, runtime.clock.now())
    if query_args.format == "html":
        page = await runtime.offload(documents.evaluation_report, data)
        return Response(page, content_type="text/html; charset=utf-8")
    if query_args.format == "xlsx":
        book = await runtime.offload(spreadsheets.report_xlsx, data)
        return workbook_response(book, f"{config.id}-bao-cao-{period.label}")
    return json_response(data)


@bp.get("/api/v1/stats/tables")
@document_response(ExportTables)
async def tables() -> Response:
    """The tables that can be exported."""
    return json_response({"tables": [{"name": name, "csv": f"/api/v1/stats/export/{name}.csv",
                                      "xlsx": f"/api/v1/stats/export/{name}.xlsx"} for name in stats.TABLES]})


@bp.get("/api/v1/stats/export/<name>.csv")
@validate_querystring(PeriodQuery)
@document_file("text/csv", "the table as CSV (UTF-8 with a byte order mark)")
async def export(name: str, query_args: PeriodQuery) -> Response:
    """A table as CSV, optionally of some days only."""
    hall = current_hall()
    if name not in stats.TABLES:
        raise ApiError("not_found", f"no table {name!r}; one of {', '.join(stats.TABLES)}")
    start, end = period_args(query_args)
    text = await hall.runtime.read(stats.export_csv, hall.config.id, name, start, end, floor_reader())
    return Response(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{hall.config.id}-{name}.csv"'})


@bp.get("/api/v1/stats/export/<name>.xlsx")
@validate_querystring(PeriodQuery)
@document_file(XLSX, "the table as an Excel workbook")
async def export_xlsx(name: str, query_args: PeriodQuery) -> Response:
    """The same table as the CSV, as an Excel workbook: Vietnamese headers, typed cells."""
    hall = current_hall()
    config, runtime = hall.config, hall.runtime
    if name not in stats.TABLES:
        raise ApiError("not_found", f"no table {name!r}; one of {', '.join(stats.TABLES)}")
    start, end = period_args(query_args)
    columns, rows = await runtime.read(stats.table_rows, config.id, name, start, end, floor_reader())
    book = await runtime.offload(spreadsheets.table_xlsx, name, columns, rows, config.tz, dict(config.rating_names))
    return workbook_response(book, f"{config.id}-{name}")


def floor_reader() -> bool:
    """Exports hold ticket ids for the floor manager only (who cancels any ticket anyway)."""
    return current_user().role in FLOOR


def period_args(query: PeriodQuery) -> tuple[str | None, str | None]:
    """An export's days, each checked when given (the whole table when absent)."""
    return (day_arg(query.start, "from") if query.start else None, day_arg(query.end, "to") if query.end else None)


def workbook_response(book: bytes, stem: str) -> Response:
    return Response(book, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
