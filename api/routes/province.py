"""The province's own routes (served at the root only): its halls, and figures across them.

`GET /api/v1/province` lists the halls one server serves (public: names and addresses).
`GET /api/v1/province/stats?from=…&to=…` ranks halls and agencies across the province, and
`GET /api/v1/province/report?period=2027-03` is the province's evaluation report; both are
evaluation data, for the managers of the first hall (the provincial centre; api/access.py).
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app
from quart_schema import document_response, validate_querystring

from hall import reports
from hall.config import HallConfig
from hall.province_report import province_evaluation, province_figures

from ..answers import ProvinceEvaluation, ProvinceFigures, ProvinceHalls
from ..context import HallContext, current_hall
from ..errors import ApiError, json_response
from .statistics import PeriodQuery, ReportQuery, day_arg

bp = Blueprint("province", __name__)


def _halls() -> list[HallContext]:
    return list(current_app.extensions["halls"].values())


def _configs() -> list[HallConfig]:
    return [hall.config for hall in _halls()]


@bp.get("/api/v1/province")
@document_response(ProvinceHalls)
async def halls() -> Response:
    """The halls this server serves, with their addresses."""
    listed = [{"id": hall.config.id, "name": hall.config.name, "path": f"/h/{hall.config.id}/",
               "public_url": hall.config.public_url} for hall in _halls()]
    return json_response({"name": current_app.extensions.get("province_name", ""), "halls": listed})


@bp.get("/api/v1/province/stats")
@validate_querystring(PeriodQuery)
@document_response(ProvinceFigures)
async def stats(query_args: PeriodQuery) -> Response:
    """Figures across the province's halls and agencies (managers, inspectors, leaders)."""
    runtime = current_hall().runtime
    start = day_arg(query_args.start, "from")
    end = day_arg(query_args.end, "to", start)
    if end < start:
        raise ApiError("invalid", f"to={end} is before from={start}")
    return json_response(await runtime.read(province_figures, _configs(), start, end, runtime.clock.now()))


@bp.get("/api/v1/province/report")
@validate_querystring(ReportQuery)
@document_response(ProvinceEvaluation)
async def report(query_args: ReportQuery) -> Response:
    """The province's evaluation report of a period."""
    runtime = current_hall().runtime
    try:
        period = reports.parse_period(query_args.period)
    except ValueError as exc:
        raise ApiError("invalid", str(exc)) from None
    return json_response(await runtime.read(province_evaluation, _configs(), period, runtime.clock.now()))
