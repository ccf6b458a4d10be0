"""The history generator writes realistic days whose statistics agree with the journal."""

from __future__ import annotations

import datetime as dt

import pytest

from hall.journal import Journal
from hall.reports import evaluation, parse_period
from hall.stats import StatsProjection, day_board
from simulators.history import History
from support.clock import local


@pytest.mark.slow
def test_two_generated_days_agree_with_their_journal(tmp_path, default_hall):
    journal = Journal(f"sqlite:///{tmp_path / 'year.db'}", [StatsProjection(default_hall)])
    history = History(default_hall, journal, seed=7, visits_per_day=600)
    for day in (dt.date(2025, 3, 3), dt.date(2025, 3, 4)):
        history.run_day(day)
    events = list(journal.load(default_hall.id))
    issued = sum(1 for e in events if e.type == "ticket_issued")
    finished = sum(1 for e in events if e.type == "ticket_finished")
    received = sum(1 for e in events if e.type == "dossier_received")
    with journal.engine.connect() as conn:
        report = evaluation(conn, default_hall.id, default_hall, parse_period("2025-03"), local("2025-03-05 08:00"))
        board = day_board(conn, default_hall.id, default_hall, "2025-03-03", local("2025-03-05 08:00"))
    assert report["hall"]["tickets_issued"] == issued == history.visits
    assert report["hall"]["served"] == finished
    assert report["hall"]["dossiers_received"] == received > 0
    assert board["frozen"] is True and 0 < board["hall"]["tickets_issued"] < issued
    assert sorted(a["rank"] for a in report["agencies"])[0] == 1
    journal.close()
