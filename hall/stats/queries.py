"""The questions asked of the statistics tables: figures by group, the day board (live or
frozen), hourly figures, freezing a closed day, and the public dossier lookup.

Every query gathers sums in SQL and leaves the arithmetic to hall/stats/figures.py. Days are the
hall's business days and hours its local hours (the projection wrote them with the hall file's
time zone); rating levels and which of them count as satisfied come from the hall file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select

from ..config import HallConfig
from .figures import Tally, level_counts, mean_minutes, rank, score
from .tables import HALL_KEY, LEGACY_LEVEL_COLUMNS, StatCabinTime, StatDayRating, StatDaySummary, StatDossier, StatRating, StatSegment, StatTicket

GROUPS = ("agency", "service", "cabin", "officer")

BOARD_FIELDS = (
    "tickets_issued", "served", "no_show", "cancelled", "transferred", "avg_wait_minutes", "within_target_pct",
    "dossiers_received", "returned_early", "returned_on_time", "returned_late", "overdue_pending",
)

_Tallies = defaultdict[Any, Tally]

# The channel of a stat_tickets row that stands for a booked appointment nobody came for
# (hall/appointments.py): a no-show, not a ticket issued.
MISSED_APPOINTMENT = "missed_appt"


# ---- figures by group -------------------------------------------------------------------------


def figures(conn: Connection, hall: str, config: HallConfig, start: str, end: str, by: str | None, now: float) -> dict[Any, dict[str, Any]]:
    """Every statistic for the days start..end (ISO, inclusive), grouped `by` agency, service,
    cabin, officer or — with None — the whole hall (key None). `now` closes intervals still open
    and decides which pending dossiers are overdue."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}, not {by!r}")
    tallies: _Tallies = defaultdict(Tally)
    _count_tickets(conn, hall, start, end, by, tallies)
    _count_segments(conn, hall, start, end, by, now, tallies)
    _count_ratings(conn, hall, start, end, by, tallies)
    if by != "service":  # cabin time and dossiers have no service
        _count_cabin_time(conn, hall, config, start, end, by, now, tallies)
        _count_dossiers(conn, hall, config, start, end, by, now, tallies)
    return {key: tally.finish(config.rating_levels, config.rating_satisfied) for key, tally in tallies.items()}


def _key_columns(by: str | None, table: Any, cabin_col: str = "cabin", officer_col: str = "officer") -> list[Any]:
    """The GROUP BY column of `table` for a grouping (none for the whole hall)."""
    names = {"agency": "department", "service": "service", "cabin": cabin_col, "officer": officer_col}
    return [] if by is None else [table.c[names[by]]]


def _key(row: Any, keys: list[Any]) -> Any:
    return row[0] if keys else None


def _case(condition: Any, value: Any = 1) -> Any:
    return case((condition, value), else_=0)


def _count_tickets(conn: Connection, hall: str, start: str, end: str, by: str | None, out: _Tallies) -> None:
    """Issued and cancelled where issued; waits where first called (cabin / officer)."""
    t = StatTicket.__table__
    keys = _key_columns(by, t, "first_cabin", "first_officer")
    in_days = and_(t.c.hall == hall, t.c.day >= start, t.c.day <= end)
    missed = t.c.channel == MISSED_APPOINTMENT
    query = select(*keys, func.count(), func.sum(_case(t.c.outcome == "cancelled")), func.sum(_case(missed)))
    for row in conn.execute(query.where(in_days).group_by(*keys)):
        tally = out[_key(row, keys)]
        tally.tickets_issued += row[-3] - (row[-1] or 0)
        tally.cancelled += row[-2] or 0
        tally.no_show += row[-1] or 0
    for row in conn.execute(select(*keys, t.c.wait_s, t.c.target_wait_s).where(in_days, t.c.wait_s.is_not(None))):
        tally = out[_key(row, keys)]
        tally.waits.append(row[-2])
        tally.within_target += row[-2] <= row[-1]


def _count_segments(conn: Connection, hall: str, start: str, end: str, by: str | None, now: float, out: _Tallies) -> None:
    """The work done at cabins: served, no-show, transferred, service and busy time."""
    s = StatSegment.__table__
    keys = _key_columns(by, s)
    served_time = s.c.ended_at - func.coalesce(s.c.started_at, s.c.called_at)
    query = select(
        *keys,
        func.sum(_case(s.c.outcome == "served")), func.sum(_case(s.c.outcome == "no_show")),
        func.sum(_case(s.c.outcome == "transferred")),
        func.sum(_case(s.c.outcome == "served", served_time)),
        func.sum(func.coalesce(s.c.ended_at, now) - s.c.called_at),
    ).where(s.c.hall == hall, s.c.day >= start, s.c.day <= end).group_by(*keys)
    for row in conn.execute(query):
        tally = out[_key(row, keys)]
        tally.served += row[-5] or 0
        tally.no_show += row[-4] or 0
        tally.transferred += row[-3] or 0
        tally.service_seconds += row[-2] or 0.0
        tally.busy_seconds += row[-1] or 0.0


def _count_cabin_time(conn: Connection, hall: str, config: HallConfig, start: str, end: str, by: str | None, now: float, out: _Tallies) -> None:
    """Open and paused time (by reason) per cabin / officer; an agency gets its cabins' time."""
    c = StatCabinTime.__table__
    length = func.coalesce(c.c.ended_at, now) - c.c.started_at
    query = select(c.c.cabin, c.c.officer, c.c.state, c.c.reason, func.sum(length)).where(
        c.c.hall == hall, c.c.day >= start, c.c.day <= end
    ).group_by(c.c.cabin, c.c.officer, c.c.state, c.c.reason)
    for cabin, officer, state, reason, seconds in conn.execute(query):
        if by == "agency":
            key = config.cabins[cabin].department if cabin in config.cabins else None
        else:
            key = {"cabin": cabin, "officer": officer}.get(by) if by else None
        tally = out[key]
        if state == "open":
            tally.open_seconds += seconds or 0.0
        else:
            tally.paused_seconds += seconds or 0.0
            tally.paused_by_reason[reason or ""] += seconds or 0.0


def _count_ratings(conn: Connection, hall: str, start: str, end: str, by: str | None, out: _Tallies) -> None:
    r = StatRating.__table__
    keys = _key_columns(by, r)
    query = select(*keys, r.c.level, func.count()).where(r.c.hall == hall, r.c.day >= start, r.c.day <= end).group_by(*keys, r.c.level)
    for row in conn.execute(query):
        out[_key(row, keys)].ratings[row[-2]] += row[-1]


def _count_dossiers(conn: Connection, hall: str, config: HallConfig, start: str, end: str, by: str | None, now: float, out: _Tallies) -> None:
    """Received in the period, returned in the period, overdue and still pending at its end."""
    d = StatDossier.__table__
    keys = _key_columns(by, d)
    for row in conn.execute(select(*keys, func.count()).where(d.c.hall == hall, d.c.day >= start, d.c.day <= end).group_by(*keys)):
        out[_key(row, keys)].dossiers_received += row[-1]
    rkeys = _key_columns(by, d, "return_cabin", "return_officer")
    for row in conn.execute(select(*rkeys, d.c.outcome, func.count()).where(
        d.c.hall == hall, d.c.returned_on >= start, d.c.returned_on <= end
    ).group_by(*rkeys, d.c.outcome)):
        out[_key(row, rkeys)].returned[row[-2]] += row[-1]
    asof = min(end, config.business_day(now).isoformat())
    # overdue at the end of the period: due before `asof`, and not returned (or refused) by then
    # (a dossier waiting for the citizen's supplement is not the agency's delay)
    pending = and_(
        d.c.hall == hall, d.c.due < asof, d.c.day <= asof,
        d.c.status.notin_(("refused", "supplement_requested")),
        (d.c.returned_on.is_(None)) | (d.c.returned_on > asof),
    )
    for row in conn.execute(select(*keys, func.count()).where(pending).group_by(*keys)):
        out[_key(row, keys)].overdue_pending += row[-1]


# ---- the day board ----------------------------------------------------------------------------


def _board_entry(f: dict[str, Any], levels: tuple[str, ...]) -> dict[str, Any]:
    entry = {name: f[name] for name in BOARD_FIELDS}
    entry["ratings"] = level_counts(f["ratings"], levels)
    entry["satisfaction_pct"] = f["satisfaction_pct"]
    return entry


def day_board(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> dict[str, Any]:
    """The public board's figures of one day: frozen ones for a closed day, live otherwise."""
    frozen = _frozen(conn, hall, day)
    if frozen is not None:
        return frozen
    return _live_board(conn, hall, config, day, now)


def _live_board(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> dict[str, Any]:
    levels = config.rating_levels
    nothing = Tally().finish(levels, config.rating_satisfied)
    per = figures(conn, hall, config, day, day, "agency", now)
    whole = figures(conn, hall, config, day, day, None, now).get(None) or nothing
    agencies = []
    for code, department in config.departments.items():
        f = per.get(code) or nothing
        agencies.append({"code": code, "name": department.name, **_board_entry(f, levels), "_score": score(f)})
    # Only agencies with work today are ranked (an agency without any figure of the score is not
    # "last": it has nothing to rank); equal scores share a rank (1, 2, 2, 4).
    scores = {a["code"]: a.pop("_score") for a in agencies}
    ranks = rank({code: s for code, s in scores.items() if s is not None})
    for a in agencies:
        a["rank"] = ranks.get(a["code"])
    return {"day": day, "frozen": False, "agencies": agencies, "hall": {"code": None, "name": config.name, **_board_entry(whole, levels)}}


def hourly(conn: Connection, hall: str, day: str) -> dict[str, Any]:
    """Arrivals and mean wait by the hour of arrival, served by the hour of finishing."""
    frozen = conn.execute(
        select(StatDaySummary.hourly).where(StatDaySummary.hall == hall, StatDaySummary.day == day, StatDaySummary.agency == HALL_KEY)
    ).scalar_one_or_none()
    if frozen is not None:
        return {"day": day, "hours": json.loads(frozen)}
    return {"day": day, "hours": _live_hourly(conn, hall, day)}


def _live_hourly(conn: Connection, hall: str, day: str) -> list[dict[str, Any]]:
    t, s = StatTicket.__table__, StatSegment.__table__
    hours: dict[int, dict[str, Any]] = {}
    waits: dict[int, list[float]] = defaultdict(list)

    def slot(h: int) -> dict[str, Any]:
        return hours.setdefault(h, {"hour": h, "arrivals": 0, "served": 0})

    for h, wait in conn.execute(select(t.c.hour, t.c.wait_s).where(t.c.hall == hall, t.c.day == day)):
        slot(h)["arrivals"] += 1
        if wait is not None:
            waits[h].append(wait)
    for h, n in conn.execute(select(s.c.end_hour, func.count()).where(s.c.hall == hall, s.c.day == day, s.c.outcome == "served").group_by(s.c.end_hour)):
        slot(h)["served"] += n
    return [{**hours[h], "avg_wait_minutes": mean_minutes(waits[h])} for h in sorted(hours)]


# ---- the frozen day ---------------------------------------------------------------------------


def freeze_day(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> None:
    """Write the day's board figures into stat_day_summary and its answers per rating level into
    stat_day_ratings; the board shows them from then on, whatever the hall file says later."""
    if conn.execute(select(StatDaySummary.day).where(StatDaySummary.hall == hall, StatDaySummary.day == day).limit(1)).first():
        return  # a day closed twice (reopened by the manager): the first close is what was published
    board = _live_board(conn, hall, config, day, now)
    hours = json.dumps(_live_hourly(conn, hall, day))
    entries = [(a["code"], a) for a in board["agencies"]] + [(HALL_KEY, board["hall"])]
    summary = [{
        "hall": hall, "day": day, "agency": code, "name": entry["name"],
        **{name: entry[name] for name in BOARD_FIELDS},
        **{column: entry["ratings"].get(column, 0) for column in LEGACY_LEVEL_COLUMNS},
        "satisfaction_pct": entry["satisfaction_pct"], "rank": entry.get("rank"),
        "hourly": hours if code == HALL_KEY else "[]",
    } for code, entry in entries]
    ratings = [
        {"hall": hall, "day": day, "agency": code, "level": level, "position": position, "answers": entry["ratings"][level]}
        for code, entry in entries for position, level in enumerate(config.rating_levels)
    ]
    conn.execute(insert(StatDaySummary.__table__), summary)
    conn.execute(insert(StatDayRating.__table__), ratings)


def _frozen_ratings(conn: Connection, hall: str, day: str) -> dict[str, dict[str, int]]:
    """Answers per level by agency of a frozen day, in the order the hall file had when frozen."""
    r = StatDayRating.__table__
    out: dict[str, dict[str, int]] = defaultdict(dict)
    query = select(r.c.agency, r.c.level, r.c.answers).where(r.c.hall == hall, r.c.day == day).order_by(r.c.agency, r.c.position)
    for agency, level, answers in conn.execute(query):
        out[agency][level] = answers
    return out


def _frozen(conn: Connection, hall: str, day: str) -> dict[str, Any] | None:
    table = StatDaySummary.__table__
    rows = conn.execute(select(table).where(table.c.hall == hall, table.c.day == day)).mappings().all()
    if not rows:
        return None
    ratings = _frozen_ratings(conn, hall, day)
    agencies, whole = [], None
    for row in rows:
        entry = {"code": row["agency"] or None, "name": row["name"], **{name: row[name] for name in BOARD_FIELDS}}
        # a day frozen by the first release has no stat_day_ratings rows: its counts are columns
        entry["ratings"] = ratings.get(row["agency"]) or {level: row[level] for level in LEGACY_LEVEL_COLUMNS}
        entry["satisfaction_pct"] = row["satisfaction_pct"]
        if row["agency"] == HALL_KEY:
            whole = entry
        else:
            entry["rank"] = row["rank"]
            agencies.append(entry)
    agencies.sort(key=lambda a: a["code"])
    return {"day": day, "frozen": True, "agencies": agencies, "hall": whole}


# ---- dossiers ---------------------------------------------------------------------------------


def dossier_public(conn: Connection, hall: str, config: HallConfig, code: str) -> dict[str, Any] | None:
    """A dossier as anyone holding its code may see it: no name, no phone."""
    table = StatDossier.__table__
    row = conn.execute(select(table).where(table.c.hall == hall, table.c.code == code)).mappings().first()
    if row is None:
        return None
    return {
        "code": row["code"], "department": row["department"], "procedure": row["procedure"],
        "procedure_name": row["procedure_name"], "status": row["status"],
        "received_at": config.local(row["received_at"]).isoformat(timespec="minutes"),
        "due": row["due"], "new_due": row["new_due"], "returned_on": row["returned_on"], "outcome": row["outcome"],
        "limit_days": row["limit_days"], "limit_hours": row["limit_hours"],
    }
