"""Statistics: SQL read models kept in step with the journal, and the questions asked of them.

Nothing is pre-aggregated except the frozen figures of a closed day; every other statistic is a
query over plain tables, each a direct picture of what happened (docs/statistics.md):

* `stat_tickets` — one row per ticket: when and where it was issued, when it was *first* called
  (the wait is arrival → first call; a transferred ticket keeps its original arrival), how it
  ended (done, no-show, cancelled, closed at day end).
* `stat_segments` — one row per call of a ticket at a cabin: who served it, service time, and
  how the segment ended (served, no-show, transferred, cancelled, closed). Served / no-show /
  transferred are counted here, at the cabin, officer, service and agency that did the work.
* `stat_cabin_time` — intervals of a cabin open or paused (with the reason), per officer;
  idle time = open time − time busy with a called ticket.
* `stat_ratings` — one row per answered criterion of a rating.
* `stat_dossiers` — one row per dossier: agency, procedure, limit and due date recorded at
  receipt, status, return day and outcome. No personal data: names and phones are kept only in
  the personal_data table beside the journal, until their retention ends (hall/personal.py).
* `stat_day_summary` and `stat_day_ratings` — the public board's figures per agency (and the
  hall, agency "") and their answers per rating level, written when `day_closed` arrives and
  never changed afterwards.

The package, by concern:

* `tables.py` — the table definitions (and `reset`);
* `projection.py` — `StatsProjection`, run inside the journal's append transaction;
* `figures.py` — the arithmetic, no SQL: percentages, nearest-rank p90, wait summaries,
  satisfaction, scores and competition ranks;
* `queries.py` — figures by group, the day board (live or frozen), hourly figures, freezing a
  closed day, the public dossier lookup;
* `exports.py` — CSV of every table;
* `rebuild.py` — `hall rebuild-stats`: the tables projected again from the journal.

The names below are what the rest of the server imports from `hall.stats`.
"""

from __future__ import annotations

from .exports import export_csv, table_rows
from .figures import Tally, level_counts, nearest_rank, pct, rank, satisfaction_pct, score, wait_summary
from .projection import StatsProjection
from .queries import BOARD_FIELDS, GROUPS, day_board, dossier_public, figures, freeze_day, hourly
from .tables import (
    HALL_KEY,
    TABLES,
    StatCabinTime,
    StatDayRating,
    StatDaySummary,
    StatDossier,
    StatRating,
    StatSegment,
    StatTicket,
    reset,
)

__all__ = [
    "BOARD_FIELDS", "GROUPS", "HALL_KEY", "TABLES",
    "StatCabinTime", "StatDayRating", "StatDaySummary", "StatDossier", "StatRating", "StatSegment", "StatTicket",
    "StatsProjection", "Tally",
    "day_board", "dossier_public", "export_csv", "figures", "freeze_day", "hourly", "level_counts",
    "nearest_rank", "pct", "rank", "reset", "satisfaction_pct", "score", "table_rows", "wait_summary",
]
