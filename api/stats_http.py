"""Statistics over HTTP: the public board's day figures, breakdowns, the evaluation report, CSV.

Public (the board in the hall shows them): `/api/v1/stats/today` and `/api/v1/stats/hourly`.
Staff only (officers' results are evaluation data): breakdowns, reports and CSV exports.
Every read runs on a worker thread against the SQL read models (hall/stats.py), never on the
trio thread that runs the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio

from hall import reports, stats

from .context import current_user
from .errors import ApiError, json_response

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def register_stats(app: QuartTrio, hall: Any) -> None:
    runtime, config = hall.runtime, hall.config

    def day_arg(name: str = "day", default: str | None = None) -> str:
        value = request.args.get(name) or default or config.business_day(runtime.clock.now()).isoformat()
        if not DAY.fullmatch(value):
            raise ApiError("invalid", f"{name}={value!r}: expected a date like 2027-03-01")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ApiError("invalid", f"{name}={value!r} is not a real date") from None
        return value

    def require_staff() -> None:
        user = current_user(hall)
        if user.role not in ("manager", "admin"):
            raise ApiError("forbidden", "statistics by officer and exports are for the hall's managers")

    @app.get("/api/v1/stats/today")
    async def stats_today() -> Response:
        day = day_arg()
        return json_response(await runtime.read(stats.day_board, config.id, config, day, runtime.clock.now()))

    @app.get("/api/v1/stats/hourly")
    async def stats_hourly() -> Response:
        return json_response(await runtime.read(stats.hourly, config.id, day_arg()))

    @app.get("/api/v1/stats/summary")
    async def stats_summary() -> Response:
        require_staff()
        start = day_arg("from")
        end = day_arg("to", start)
        by = request.args.get("by", "agency")
        if by not in (*stats.GROUPS, "hall"):
            raise ApiError("invalid", f"by={by!r}: one of {', '.join(stats.GROUPS)}, hall")
        found = await runtime.read(stats.figures, config.id, config, start, end, None if by == "hall" else by, runtime.clock.now())
        rows = [{"key": key, **f} for key, f in sorted(found.items(), key=lambda kv: str(kv[0]))]
        return json_response({"from": start, "to": end, "by": by, "rows": rows})

    @app.get("/api/v1/stats/report")
    async def stats_report() -> Response:
        require_staff()
        try:
            period = reports.parse_period(request.args.get("period", ""))
        except ValueError as exc:
            raise ApiError("invalid", str(exc)) from None
        data = await runtime.read(reports.evaluation, config.id, config, period, runtime.clock.now())
        if request.args.get("format") == "html":
            return Response(reports.render_html(data), content_type="text/html; charset=utf-8")
        return json_response(data)

    @app.get("/api/v1/stats/tables")
    async def stats_tables() -> Response:
        return json_response({"tables": [{"name": name, "csv": f"/api/v1/stats/export/{name}.csv"} for name in stats.TABLES]})

    @app.get("/api/v1/stats/export/<name>.csv")
    async def stats_export(name: str) -> Response:
        require_staff()
        if name not in stats.TABLES:
            raise ApiError("not_found", f"no table {name!r}; one of {', '.join(stats.TABLES)}")
        start = day_arg("from") if request.args.get("from") else None
        end = day_arg("to") if request.args.get("to") else None
        text = await runtime.read(stats.export_csv, config.id, name, start, end)
        return Response(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{config.id}-{name}.csv"'})
