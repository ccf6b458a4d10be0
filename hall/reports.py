"""The evaluation report of a month or a quarter: every agency and officer, ranked, printable.

The province evaluates each agency's head on the hall's results, and an officer's results at the
hall count in their own evaluation. This module asks `hall.stats.figures` for the period, ranks
the agencies by `hall.stats.score` (competition ranking: equal scores share a rank) and renders
the result as JSON-ready data or as an A4 HTML page. It only reads the statistics tables; the
rating levels, their names and which count as satisfied are the hall file's `[ratings]`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
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


def _num(value: Any) -> str:
    return "–" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def render_html(report: dict[str, Any]) -> str:
    """A printable A4 page of the report (Vietnamese headings, one table per section)."""
    e = html.escape
    levels = list(report["rating_levels"])
    agency_rows = "".join(
        f"<tr><td>{a['rank']}</td><td>{e(a['name'])}</td><td>{a['tickets_issued']}</td><td>{a['served']}</td>"
        f"<td>{_num(a['avg_wait_minutes'])}</td><td>{_num(a['within_target_pct'])}</td><td>{a['dossiers_received']}</td>"
        f"<td>{a['returned_early']}</td><td>{a['returned_on_time']}</td><td>{a['returned_late']}</td><td>{a['overdue_pending']}</td>"
        + "".join(f"<td>{a['satisfaction'][lv]['count']} ({_num(a['satisfaction'][lv]['pct'])}%)</td>" for lv in levels)
        + f"<td>{_num(a['satisfaction_pct'])}</td><td>{_num(a['score'])}</td></tr>"
        for a in report["agencies"]
    )
    officer_rows = "".join(
        f"<tr><td>{e(o['name'])} ({e(o['username'])})</td><td>{e(o['agency'] or '')}</td><td>{o['served']}</td>"
        f"<td>{o['no_show']}</td><td>{_num(o['avg_service_minutes'])}</td><td>{_num(o['idle_minutes'])}</td>"
        f"<td>{_num(o['paused_minutes'])}</td><td>{o['dossiers_received']}</td>"
        + "".join(f"<td>{o['satisfaction'][lv]['count']}</td>" for lv in levels)
        + f"<td>{_num(o['satisfaction_pct'])}</td></tr>"
        for o in report["officers"]
    )
    level_heads = "".join(f"<th>{e(name)}</th>" for name in report["rating_levels"].values())
    h = report["hall"] or {}
    return f"""<!doctype html><html lang="vi"><meta charset="utf-8">
<title>Báo cáo đánh giá {e(report['period'])}</title>
<style>body{{font:10pt/1.35 "DejaVu Sans",sans-serif;margin:1cm}}table{{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}}
th,td{{border:1px solid #444;padding:2px 4px;text-align:right}}td:nth-child(2),th{{text-align:center}}
@page{{size:A4 landscape;margin:1cm}}@media print{{button{{display:none}}}}</style>
<h1>{e(report['hall_name'])}</h1>
<h2>Báo cáo đánh giá kết quả giải quyết thủ tục hành chính — kỳ {e(report['period'])} ({e(report['from'])} đến {e(report['to'])})</h2>
<p>Toàn trung tâm: {h.get('tickets_issued', 0)} lượt lấy số, {h.get('served', 0)} lượt phục vụ, thời gian chờ trung bình {_num(h.get('avg_wait_minutes'))} phút;
hồ sơ tiếp nhận {h.get('dossiers_received', 0)}, trả trước hạn {h.get('returned_early', 0)}, đúng hạn {h.get('returned_on_time', 0)}, trễ hạn {h.get('returned_late', 0)},
quá hạn chưa trả {h.get('overdue_pending', 0)}; mức độ hài lòng {_num(h.get('satisfaction_pct'))}%.</p>
<h3>Xếp hạng cơ quan</h3>
<table><tr><th>Hạng</th><th>Cơ quan</th><th>Lấy số</th><th>Phục vụ</th><th>Chờ TB (phút)</th><th>Đạt chờ mục tiêu %</th>
<th>Hồ sơ nhận</th><th>Trước hạn</th><th>Đúng hạn</th><th>Trễ hạn</th><th>Quá hạn chưa trả</th>{level_heads}<th>Hài lòng %</th><th>Điểm</th></tr>{agency_rows}</table>
<h3>Cán bộ</h3>
<table><tr><th>Cán bộ</th><th>Cơ quan</th><th>Phục vụ</th><th>Vắng mặt</th><th>Phục vụ TB (phút)</th><th>Rảnh (phút)</th><th>Tạm dừng (phút)</th>
<th>Hồ sơ nhận</th>{level_heads}<th>Hài lòng %</th></tr>{officer_rows}</table>
<p>Điểm = trung bình các tỉ lệ có số liệu: hồ sơ trả trước/đúng hạn, hài lòng, chờ trong thời gian mục tiêu.</p>
<button onclick="print()">In báo cáo</button></html>"""
