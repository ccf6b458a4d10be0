"""Statistics follow the hall file: its rating scale, which levels count as satisfied, its time zone.

A hall in Tokyo (UTC+9, two hours ahead of the default hall) rates on four levels, two of them
satisfied. One day, hall time:

  07:30  cabin 33 opens          07:40 ticket a, 07:50 ticket b (CA-TN)
  08:00  a is called, a dossier is received at 08:01, a finishes 08:05, rated tot / trung_binh
  08:10  b is called, finishes 08:20, rated kha / kem
  11:00  cabin 33 closes         17:30 the day is closed

By hand: four answers, one per level; satisfied (tot, kha) 2 of 4 = 50.0 % (the default rule,
every level but the last, would say 75 %; the first release's constant levels, 0 %). Arrivals
fall in hour 7 and both services end in hour 8 of Tokyo time.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from importlib import resources

from sqlalchemy import select

from displays.documents import evaluation_report
from hall import commands as c
from hall.components import build_engine
from hall.config import HallConfig, parse_hall
from hall.dossiers import DossierBook, ReceiveDossier
from hall.journal import Journal
from hall.ratings import RecordRating
from hall.reports import evaluation, parse_period
from hall.stats import StatDayRating, StatDaySummary, StatsProjection, day_board, dossier_public, figures, hourly

LEVELS = ["tot", "kha", "trung_binh", "kem"]
DAY = dt.date(2027, 3, 1)


def tokyo_hall() -> HallConfig:
    data = copy.deepcopy(tomllib.loads(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")))
    data["hall"]["timezone"] = "Asia/Tokyo"
    data["ratings"] = {"levels": LEVELS, "satisfied": ["tot", "kha"], "criteria": ["result", "attitude"],
                       "names": {"tot": "Tốt", "kha": "Khá", "trung_binh": "Trung bình", "kem": "Kém"}}
    return parse_hall(data)


def test_a_hall_with_four_levels_two_satisfied_counts_and_freezes_them(store_url):
    config = tokyo_hall()
    engine = build_engine(config)
    journal = Journal(store_url, [StatsProjection(config)])

    def at(hhmm: str) -> float:
        return config.epoch(DAY, dt.time.fromisoformat(hhmm))

    def run(command, hhmm: str) -> None:
        journal.append(config.id, engine.handle(command, at(hhmm)))

    run(c.OpenCabin(33, "canbo33"), "07:30")
    run(c.IssueTicket("a", "CA-TN"), "07:40")
    run(c.IssueTicket("b", "CA-TN"), "07:50")
    run(c.CallNext(33), "08:00")
    run(ReceiveDossier(33, "TP-CTBS", citizen_name="Lê Văn C"), "08:01")
    run(c.FinishService(33), "08:05")
    run(RecordRating("a", 33, {"result": "tot", "attitude": "trung_binh"}), "08:06")
    run(c.CallNext(33), "08:10")
    run(c.FinishService(33), "08:20")
    run(RecordRating("b", 33, {"result": "kha", "attitude": "kem"}), "08:21")
    (code,) = engine.component(DossierBook).open
    with journal.engine.connect() as conn:
        live = figures(conn, config.id, config, "2027-03-01", "2027-03-01", None, at("09:00"))[None]
        live_board = day_board(conn, config.id, config, "2027-03-01", at("09:00"))
    assert live["ratings"] == {"tot": 1, "kha": 1, "trung_binh": 1, "kem": 1} and live["satisfaction_pct"] == 50.0
    assert live_board["frozen"] is False and live_board["hall"]["satisfaction_pct"] == 50.0

    run(c.CloseCabin(33), "11:00")
    run(c.CloseDay(), "17:30")
    with journal.engine.connect() as conn:
        board = day_board(conn, config.id, config, "2027-03-01", at("18:00"))
        r = StatDayRating.__table__
        frozen = conn.execute(select(r.c.level, r.c.position, r.c.answers).where(r.c.agency == "").order_by(r.c.position)).all()
        rows = conn.execute(select(r.c.agency).where(r.c.day == "2027-03-01")).all()
        legacy = conn.execute(select(StatDaySummary.rat_hai_long, StatDaySummary.hai_long, StatDaySummary.khong_hai_long)
                              .where(StatDaySummary.agency == "")).one()
        hours = hourly(conn, config.id, "2027-03-01")["hours"]
        public = dossier_public(conn, config.id, config, code)
        report = evaluation(conn, config.id, config, parse_period("2027-03"), at("18:00"))
        # a later hall file with the default scale does not rewrite a frozen day
        later = day_board(conn, config.id, parse_hall(tomllib.loads(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8"))),
                          "2027-03-01", at("18:00"))
    journal.close()

    assert board["frozen"] is True
    assert board["hall"]["ratings"] == {"tot": 1, "kha": 1, "trung_binh": 1, "kem": 1} and board["hall"]["satisfaction_pct"] == 50.0
    police = next(a for a in board["agencies"] if a["code"] == "CA")
    assert list(police["ratings"].items()) == [("tot", 1), ("kha", 1), ("trung_binh", 1), ("kem", 1)]
    assert frozen == [("tot", 0, 1), ("kha", 1, 1), ("trung_binh", 2, 1), ("kem", 3, 1)]
    assert len(rows) == len(LEVELS) * (len(config.departments) + 1)
    assert tuple(legacy) == (0, 0, 0)  # the first release's columns: this hall has none of those levels
    assert later["hall"]["ratings"] == board["hall"]["ratings"]

    assert [(h["hour"], h["arrivals"], h["served"]) for h in hours] == [(7, 2, 0), (8, 0, 2)]
    assert public["received_at"] == "2027-03-01T08:01+09:00"

    police_report = next(a for a in report["agencies"] if a["code"] == "CA")
    assert {level: v["pct"] for level, v in police_report["satisfaction"].items()} == {level: 25.0 for level in LEVELS}
    assert police_report["satisfaction_pct"] == 50.0
    page = evaluation_report(report)
    assert all(f"<th>{name}</th>" in page for name in ("Tốt", "Khá", "Trung bình", "Kém")) and "Rất hài lòng" not in page
