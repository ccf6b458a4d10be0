"""Statistics over HTTP: the public board's day figures, breakdowns, the evaluation report, CSV.

Public (the board in the hall shows them): `/api/v1/stats/today`, `/api/v1/stats/hourly` and the
list of tables. The floor only (officers' results are evaluation data; api/access.py):
breakdowns, reports and exports (CSV and .xlsx). Every read runs off the trio thread that runs the engine
(`HallRuntime.read`), against the SQL read models of `hall.stats`.
"""

from __future__ import annotations

import datetime as dt
import re

from quart import Blueprint, Response, request

from displays import documents, spreadsheets
from hall import reports, stats

from ..context import current_hall
from ..errors import ApiError, json_response

bp = Blueprint("statistics", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_arg(name: str = "day", default: str | None = None) -> str:
    """The query argument `name` as an ISO date; `default`, else the hall's business day today."""
    hall = current_hall()
    value = request.args.get(name) or default or hall.config.business_day(hall.runtime.clock.now()).isoformat()
    if not DAY.fullmatch(value):
        raise ApiError("invalid", f"{name}={value!r}: expected a date like 2027-03-01")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError("invalid", f"{name}={value!r} is not a real date") from None
    return value


@bp.get("/api/v1/stats/today")
async def today() -> Response:
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    return json_response(await runtime.read(stats.day_board, config.id, config, day_arg(), runtime.clock.now()))


@bp.get("/api/v1/stats/hourly")
async def hourly() -> Response:
    hall = current_hall()
    return json_response(await hall.runtime.read(stats.hourly, hall.config.id, day_arg()))


@bp.get("/api/v1/stats/summary")
async def summary() -> Response:
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    start = day_arg("from")
    end = day_arg("to", start)
    by = request.args.get("by", "agency")
    if by not in (*stats.GROUPS, "hall"):
        raise ApiError("invalid", f"by={by!r}: one of {', '.join(stats.GROUPS)}, hall")
    found = await runtime.read(stats.figures, config.id, config, start, end, None if by == "hall" else by, runtime.clock.now())
    rows = [{"key": key, **f} for key, f in sorted(found.items(), key=lambda kv: str(kv[0]))]
    return json_response({"from": start, "to": end, "by": by, "rows": rows})


@bp.get("/api/v1/stats/report")
async def report() -> Response:
    hall = current_hall()
    runtime, config = hall.runtime, hall.config
    try:
        period = reports.parse_period(request.args.get("period", ""))
    except ValueError as exc:
        raise ApiError("invalid", str(exc)) from None
    data = await runtime.read(reports.evaluation, config.id, config, period, runtime.clock.now())
    if request.args.get("format") == "html":
        page = await runtime.offload(documents.evaluation_report, data)
        return Response(page, content_type="text/html; charset=utf-8")
    if request.args.get("format") == "xlsx":
        book = await runtime.offload(spreadsheets.report_xlsx, data)
        return workbook_response(book, f"{config.id}-bao-cao-{period.label}")
    return json_response(data)


@bp.get("/api/v1/stats/tables")
async def tables() -> Response:
    return json_response({"tables": [{"name": name, "csv": f"/api/v1/stats/export/{name}.csv",
                                      "xlsx": f"/api/v1/stats/export/{name}.xlsx"} for name in stats.TABLES]})


@bp.get("/api/v1/stats/export/<name>.csv")
async def export(name: str) -> Response:
    hall = current_hall()
    if name not in stats.TABLES:
        raise ApiError("not_found", f"no table {name!r}; one of {', '.join(stats.TABLES)}")
    start = day_arg("from") if request.args.get("from") else None
    end = day_arg("to") if request.args.get("to") else None
    text = await hall.runtime.read(stats.export_csv, hall.config.id, name, start, end)
    return Response(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{hall.config.id}-{name}.csv"'})


@bp.get("/api/v1/stats/export/<name>.xlsx")
async def export_xlsx(name: str) -> Response:
    """The same table as the CSV, as an Excel workbook: Vietnamese headers, typed cells."""
    hall = current_hall()
    config, runtime = hall.config, hall.runtime
    if name not in stats.TABLES:
        raise ApiError("not_found", f"no table {name!r}; one of {', '.join(stats.TABLES)}")
    start = day_arg("from") if request.args.get("from") else None
    end = day_arg("to") if request.args.get("to") else None
    columns, rows = await runtime.read(stats.table_rows, config.id, name, start, end)
    book = await runtime.offload(spreadsheets.table_xlsx, name, columns, rows, config.tz, dict(config.rating_names))
    return workbook_response(book, f"{config.id}-{name}")


def workbook_response(book: bytes, stem: str) -> Response:
    return Response(book, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
