"""HTML documents people print or read: the apology letter, the evaluation report, the index page.

Each is a Jinja2 template in `displays/templates/` rendered with autoescaping, so a name, a
reason or a procedure typed by someone can never become markup. Rendering is pure (data in,
text out); the routes run it through `HallRuntime.offload`, off the trio thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hall.config import HallConfig
from hall.dossiers import Dossier

def number(value: Any) -> str:
    """A figure as the reports print it: "–" when there is none, floats without trailing zeros."""
    return "–" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def day(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


_templates = Environment(
    loader=PackageLoader("displays", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing figure fails the test that renders it, never prints blank
)
_templates.filters.update(num=number, day=day)


def apology_letter(config: HallConfig, d: Dossier) -> str:
    """The printable "phiếu xin lỗi và hẹn lại ngày trả kết quả" (an A4 page)."""
    agency = config.departments.get(d.department)
    return _templates.get_template("apology_letter.html").render(
        d=d, centre=config.name, agency=agency.name if agency else d.department,
        received=config.local(d.received_at), issued=config.local(d.apologised_at or d.received_at),
    )


def evaluation_report(report: dict[str, Any]) -> str:
    """A printable A4 page of `hall.reports.evaluation`: one table per section, a column per
    rating level of the hall file (`report["rating_levels"]`, level → name, in order)."""
    return _templates.get_template("evaluation_report.html").render(report=report)


def index_page(name: str, paths: Sequence[str]) -> str:
    return _templates.get_template("index.html").render(name=name, paths=paths)
