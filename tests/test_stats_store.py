"""The statistics read models on SQLite and PostgreSQL alike, written in the journal's transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from hall import commands as c
from hall.components import build_engine
from hall.dossiers import ChangeDossierStatus, DossierBook, ReceiveDossier, ReturnDossier
from hall.journal import Journal
from hall.stats import StatDaySummary, StatsProjection, StatTicket, day_board, dossier_public, figures
from support.clock import local


def test_a_day_in_the_store_gives_the_same_figures_on_both_backends(store_url, default_hall):
    engine = build_engine(default_hall)
    journal = Journal(store_url, [StatsProjection(default_hall)])
    batch: list = []

    def run(command, when):
        batch.extend(engine.handle(command, local(f"2027-03-01 {when}")))

    run(c.OpenCabin(33, "canbo33"), "07:30")
    run(c.IssueTicket("a", "CA-TN"), "07:40")
    run(c.IssueTicket("b", "CA-TN"), "07:50")
    journal.append(default_hall.id, batch)  # the tickets exist before the rest arrives
    batch = []
    run(c.CallNext(33), "08:00")
    run(ReceiveDossier(33, "TP-CTBS", citizen_name="Lê Văn C"), "08:01")
    run(c.FinishService(33), "08:05")
    run(c.CallTicket(33, "b"), "08:06")
    run(c.FinishService(33), "08:16")
    journal.append(default_hall.id, batch)
    (code,) = engine.component(DossierBook).open
    batch = []
    run(ChangeDossierStatus(code, "processing"), "09:00")
    run(ChangeDossierStatus(code, "ready"), "09:30")
    run(c.IssueTicket("z", "TKQ"), "10:00")
    run(c.CallTicket(33, "z"), "10:01")
    run(ReturnDossier(33, code), "10:02")
    run(c.FinishService(33), "10:03")
    run(c.CloseCabin(33), "11:00")
    run(c.CloseDay(), "17:30")
    journal.append(default_hall.id, batch)

    with journal.engine.connect() as conn:
        f = figures(conn, default_hall.id, default_hall, "2027-03-01", "2027-03-01", None, local("2027-03-01 18:00"))[None]
        assert (f["tickets_issued"], f["served"], f["waits"], f["avg_wait_minutes"], f["max_wait_minutes"]) == (3, 3, 3, 12.3, 20.0)  # waits 20, 16 and 1 minutes
        assert (f["dossiers_received"], f["returned_on_time"], f["returned_in_time_pct"]) == (1, 1, 100.0)
        assert conn.execute(select(func.count()).select_from(StatTicket)).scalar_one() == 3
        board = day_board(conn, default_hall.id, default_hall, "2027-03-01", local("2027-03-02 08:00"))
        assert board["frozen"] is True and board["hall"]["tickets_issued"] == 3
        assert conn.execute(select(func.count()).select_from(StatDaySummary)).scalar_one() == len(default_hall.departments) + 1
        public = dossier_public(conn, default_hall.id, default_hall, code)
        assert public["status"] == "returned" and public["outcome"] == "on_time" and "Lê Văn C" not in str(public)
    journal.close()
