"""The evaluation report of a month or a quarter: every agency and officer, ranked, printable.

The province evaluates each agency's head on the hall's results, and an officer's results at the
hall count in their own evaluation. This module asks `hall.stats.figures` for the period, ranks
the agencies by `hall.stats.score` (competition ranking: equal scores share a rank) and renders
the result as JSON-ready data (`displays.documents.evaluation_report` prints it as an A4 page).
It only reads the statistics tables; the rating levels, their names and which count as
satisfied are the hall file's `[ratings]`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from .config import HallConfig
from .stats import figures, level_counts, pct, rank, score


@dataclass(frozen=True)
class Period:
    label: str  # "2027-03" or "2027-Q1"
    start: dt.date
    end: dt.date


def parse_period(spec: str) -> Period:
    """"2027-03" is a month, "2027-Q1" a quarter; anything else is refused with the forms."""
    month = re.fullmatch(r"(\d{4})-(\d{2})", spec.strip())
    quarter = re.fullmatch(r"(\d{4})-[Qq]([1-4])", spec.strip())
    if month and 1 <= int(month.group(2)) <= 12:
        year, m = int(month.group(1)), int(month.group(2))
        return Period(f"{year}-{m:02d}", dt.date(year, m, 1), dt.date(year, m, calendar.monthrange(year, m)[1]))
    if quarter:
        year, q = int(quarter.group(1)), int(quarter.group(2))
        first, last = 3 * q - 2, 3 * q
        return Period(f"{year}-Q{q}", dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))
    raise ValueError(f"period {spec!r}: give a month like 2027-03 or a quarter like 2027-Q1")


def _breakdown(f: dict[str, Any], levels: tuple[str, ...]) -> dict[str, Any]:
    counts = level_counts(f["ratings"], levels)
    total = sum(counts.values())
    return {level: {"count": n, "pct": pct(n, total)} for level, n in counts.items()}


def evaluation(conn: Connection, hall: str, config: HallConfig, period: Period, now: float) -> dict[str, Any]:
    """The report's data: hall totals, agencies ranked, officers by agency."""
    start, end = period.start.isoformat(), period.end.isoformat()
    per_agency = figures(conn, hall, config, start, end, "agency", now)
    per_officer = figures(conn, hall, config, start, end, "officer", now)
    whole = figures(conn, hall, config, start, end, None, now).get(None)
    agencies = []
    for code, department in config.departments.items():
        f = per_agency.get(code)
        if f is None:
            continue
        agencies.append({"code": code, "name": department.name, "kind": department.kind, **f,
                         "satisfaction": _breakdown(f, config.rating_levels), "score": score(f)})
    ranks = rank({a["code"]: a["score"] for a in agencies})
    for a in agencies:
        a["rank"] = ranks[a["code"]]
    agencies.sort(key=lambda a: (a["rank"], a["code"]))
    officers = []
    for username, f in per_officer.items():
        if username is None:
            continue
        user = config.users.get(username)
        officers.append({"username": username, "name": user.name if user else username,
                         "agency": user.agency if user else None, "cabin": user.cabin if user else None,
                         **f, "satisfaction": _breakdown(f, config.rating_levels), "score": score(f)})
    officers.sort(key=lambda o: (o["agency"] or "", o["username"]))
    return {
        "period": period.label, "from": start, "to": end, "hall_name": config.name,
        "rating_levels": {level: config.rating_names[level] for level in config.rating_levels},
        "hall": {**whole, "satisfaction": _breakdown(whole, config.rating_levels)} if whole else None,
        "agencies": agencies, "officers": officers,
    }
