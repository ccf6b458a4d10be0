"""Province-wide figures: every hall and every agency of every hall, ranked on one scale.

The province compares its centre and its district departments the way a hall compares its
agencies (hall/reports.py): each hall's figures for the period come from `hall.stats.figures`
over that hall's own rows (every statistics table is keyed by hall), are scored with
`hall.stats.score` and ranked with competition ranks. An agency is ranked as (hall, agency):
the police desk of one district is not the police desk of another. Nothing is summed across
halls except the province's totals of counts, so a percentage is always one hall's or one
agency's own. It only reads the statistics tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from .config import HallConfig
from .reports import Period, evaluation
from .stats import Tally, figures, rank, score

COUNTS = ("tickets_issued", "served", "no_show", "cancelled", "transferred", "dossiers_received",
          "dossiers_returned", "overdue_pending")


def province_figures(conn: Connection, halls: Sequence[HallConfig], start: str, end: str, now: float) -> dict[str, Any]:
    """Halls ranked and agencies ranked across the province for the days start..end (inclusive)."""
    hall_rows: list[dict[str, Any]] = []
    agency_rows: list[dict[str, Any]] = []
    for config in halls:
        whole = figures(conn, config.id, config, start, end, None, now).get(None) or _nothing(config)
        hall_rows.append({"hall": config.id, "name": config.name, **whole, "score": score(whole)})
        for code, f in figures(conn, config.id, config, start, end, "agency", now).items():
            department = config.departments.get(code)
            agency_rows.append({"hall": config.id, "hall_name": config.name, "code": code,
                                "name": department.name if department else code,
                                "kind": department.kind if department else None, **f, "score": score(f)})
    _ranked(hall_rows, lambda row: row["hall"])
    _ranked(agency_rows, lambda row: f"{row['hall']}/{row['code']}")
    totals = {key: sum(row[key] for row in hall_rows) for key in COUNTS}
    return {"from": start, "to": end, "totals": totals, "halls": hall_rows, "agencies": agency_rows}


def province_evaluation(conn: Connection, halls: Sequence[HallConfig], period: Period, now: float) -> dict[str, Any]:
    """The evaluation report of a month or quarter for the whole province: the rankings of
    `province_figures`, and each hall's own report (agencies and officers) after them."""
    ranked = province_figures(conn, halls, period.start.isoformat(), period.end.isoformat(), now)
    reports = [evaluation(conn, config.id, config, period, now) | {"hall_id": config.id} for config in halls]
    return {"period": period.label, **ranked, "hall_reports": reports}


def _nothing(config: HallConfig) -> dict[str, Any]:
    return Tally().finish(config.rating_levels, config.rating_satisfied)


def _ranked(rows: list[dict[str, Any]], key: Any) -> None:
    """Give each row its competition rank by score and sort them by rank (then by key)."""
    ranks = rank({key(row): row["score"] for row in rows})
    for row in rows:
        row["rank"] = ranks[key(row)]
    rows.sort(key=lambda row: (row["rank"], key(row)))
