"""A year of hall history, generated straight into a store, and the time a monthly report takes.

Every event is produced by the real engine (tickets, cabins, dossiers and ratings components)
from commands at simulated times, and written through the real journal with its statistics
projection, one transaction per day — exactly what the server writes, only faster than real
time. The simulation is a small discrete-event loop: Poisson arrivals per service over the
opening sessions, exponential service times, cabins that call the next ticket when they are
free, some no-shows, cancellations and transfers, one pause per cabin per day, ratings for most
visits, dossiers for half the reception visits, and the return of each dossier at the
return-of-results service ("TKQ") — mostly before or on its due date, some late.

    hall simulate history --db sqlite:///var/history.db --year 2025 --visits 500000
    python -m simulators.history --db ... --days 20         # a short run

At the end it times `hall.reports.evaluation` for one month and `hall.stats.day_board`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import itertools
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hall import commands as c
from hall.config import HallConfig, load_hall
from hall.dossiers import ChangeDossierStatus, DossierBook, ReceiveDossier, ReturnDossier
from hall.components import build_engine
from hall.events import DossierReceived, Event
from hall.journal import Journal
from hall.lifecycle import CommandRefused
from hall.ratings import RecordRating
from hall.reports import evaluation, parse_period
from hall.stats import StatsProjection, day_board

RETURN_SERVICE = "TKQ"
NO_SHOW, CANCEL, TRANSFER, RATED, DOSSIER, LATE = 0.04, 0.02, 0.03, 0.6, 0.5, 0.06
PAUSE_REASONS = ("Họp giao ban", "Nghỉ giải lao", "Hỗ trợ nghiệp vụ", "Sự cố máy tính")


@dataclass(order=True)
class _Due:
    at: float
    order: int
    kind: str = field(compare=False)
    data: Any = field(compare=False, default=None)


class History:
    """One hall's simulated year; `run_day` writes one working day into the journal."""

    def __init__(self, config: HallConfig, journal: Journal, seed: int = 2025, visits_per_day: int = 2000) -> None:
        self.config, self.journal = config, journal
        self.random = random.Random(seed)
        self.engine = build_engine(config)
        self.dossiers = self.engine.component(DossierBook)
        for event in journal.load(config.id):
            self.engine.apply(event)
        self.visits_per_day = visits_per_day
        self.batch: list[Event] = []
        self.ids = itertools.count(1)
        self.order = itertools.count()
        self.returns: dict[str, list[str]] = {}  # ISO day -> dossier codes whose citizen comes back then
        self.procedures_by_department: dict[str, list[str]] = {}
        for code, versions in config.procedures.items():
            self.procedures_by_department.setdefault(versions[-1].department, []).append(code)
        weights: dict[str, float] = {}
        for cabin in config.cabins.values():
            for service, weight in cabin.profile.items():
                if service != RETURN_SERVICE and weight >= 1.0:
                    weights[service] = weights.get(service, 0.0) + 1.0
        total = sum(weights.values())
        self.share = {service: w / total for service, w in weights.items()}
        self.visits = 0
        self.events = 0

    def run(self, command: c.Command, at: float) -> list[Event]:
        self.batch.extend(self.engine.tick(at))
        try:
            events = self.engine.handle(command, at)
        except CommandRefused:
            return []
        self.batch.extend(events)
        return events

    def run_day(self, day: dt.date) -> None:
        def moment(hhmm: float) -> float:
            hours, minutes = divmod(hhmm, 60)
            return self.config.epoch(day, dt.time(int(hours), int(minutes))) + (minutes % 1) * 60

        rnd = self.random
        queue: list[_Due] = []

        def later(at: float, kind: str, data: Any = None) -> None:
            heapq.heappush(queue, _Due(at, next(self.order), kind, data))

        self.run(c.OpenDay(day, actor="quanly"), moment(7 * 60))
        sessions = [(7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60)]
        open_minutes = sum(end - start for start, end in sessions)
        for start, end in sessions:
            for number in self.config.cabins:
                later(moment(start) + rnd.uniform(0, 120), "open", number)
            later(moment(end), "close_all", None)
        for number in self.config.cabins:  # one pause per cabin, mid-morning or mid-afternoon
            later(moment(rnd.choice((9 * 60 + 30, 15 * 60))) + rnd.uniform(0, 1800), "pause", number)
        # arrivals: reception services by cabin share; citizens coming back for their results
        rate = self.visits_per_day / open_minutes
        for service, share in self.share.items():
            for start, end in sessions:
                t = float(start)
                while True:
                    t += rnd.expovariate(rate * share)
                    if t >= end - 10:
                        break
                    later(moment(t), "arrive", (service, None))
        for code in self.returns.pop(day.isoformat(), []):
            start, end = rnd.choice(sessions)
            later(moment(rnd.uniform(start, end - 15)), "arrive", (RETURN_SERVICE, code))
        idle: set[int] = set()
        closing = False
        waiting_codes: dict[str, str] = {}
        while queue:
            item = heapq.heappop(queue)
            at, kind, data = item.at, item.kind, item.data
            if kind == "open":
                cabin = self.engine.state.cabins[data]
                if cabin.state == "closed":
                    officer = self.config.officer_of(data)
                    if officer and self.run(c.OpenCabin(data, officer.username, actor=officer.username), at):
                        closing = False
                        idle.add(data)
                        later(at, "call", data)
            elif kind == "arrive":
                service, code = data
                ticket_id = f"h{next(self.ids)}"
                if self.run(c.IssueTicket(ticket_id, service, channel="kiosk"), at):
                    self.visits += 1
                    if code:
                        waiting_codes[ticket_id] = code
                    if rnd.random() < CANCEL:
                        later(at + rnd.uniform(60, 1800), "cancel", ticket_id)
                    for number in list(idle):
                        if service in self.config.cabins[number].profile:
                            later(at, "call", number)
                            break
            elif kind == "cancel":
                if self.engine.state.tickets.get(data) and self.engine.state.tickets[data].state == "waiting":
                    self.run(c.CancelTicket(data, actor="citizen"), at)
            elif kind == "call":
                cabin = self.engine.state.cabins[data]
                if cabin.state != "open" or cabin.ticket is not None:
                    continue
                called = self.run(c.CallNext(data, actor=cabin.officer), at)
                if not called:
                    idle.add(data)
                    continue
                idle.discard(data)
                ticket = self.engine.state.tickets[called[-1].payload.id]
                later(at + rnd.uniform(20, 90), "serve", (data, ticket.id))
            elif kind == "serve":
                number, ticket_id = data
                self._serve(number, ticket_id, at, waiting_codes, later)
            elif kind == "pause":
                cabin = self.engine.state.cabins[data]
                if cabin.state == "open" and cabin.ticket is None:
                    idle.discard(data)
                    self.run(c.Pause(data, rnd.choice(PAUSE_REASONS), actor=cabin.officer), at)
                    later(at + rnd.uniform(300, 1500), "resume", data)
                else:
                    later(at + 300, "pause", data)
            elif kind == "resume":
                if self.engine.state.cabins[data].state == "paused":
                    self.run(c.Resume(data, actor=self.engine.state.cabins[data].officer), at)
                    later(at, "call", data)
            elif kind == "close_all":
                closing = True
                for number, cabin in self.engine.state.cabins.items():
                    if cabin.state == "paused":
                        self.run(c.Resume(number, actor=cabin.officer), at)
                    if cabin.ticket is None and cabin.state != "closed":
                        self.run(c.CloseCabin(number, actor=cabin.officer), at)
                        idle.discard(number)
                    elif cabin.ticket is not None:
                        later(at + 600, "close_all", None)
            if closing and kind == "serve":
                number = data[0]
                cabin = self.engine.state.cabins[number]
                if cabin.ticket is None and cabin.state == "open":
                    self.run(c.CloseCabin(number, actor=cabin.officer), at)
        self.run(c.CloseDay(actor="quanly"), moment(17 * 60 + 30))
        self.events += len(self.batch)
        self.journal.append(self.config.id, self.batch)
        self.batch = []

    def _serve(self, number: int, ticket_id: str, at: float, waiting_codes: dict[str, str], later: Any) -> None:
        rnd = self.random
        ticket = self.engine.state.tickets[ticket_id]
        officer = self.engine.state.cabins[number].officer
        if rnd.random() < NO_SHOW:
            for _ in range(self.config.rules.recalls_before_no_show):
                at += 30
                self.run(c.Recall(number, actor=officer), at)
            self.run(c.NoShow(number, actor=officer), at + 30)
            later(at + 31, "call", number)
            return
        self.run(c.StartService(number, actor=officer), at)
        service = self.config.services[ticket.service]
        spent = rnd.expovariate(1 / (service.mean_service_minutes * 60))
        at += min(spent, 3600)
        if ticket.service != RETURN_SERVICE and rnd.random() < TRANSFER and ticket.transfers == 0:
            others = [s for s in self.share if s != ticket.service]
            self.run(c.Transfer(number, rnd.choice(others), actor=officer), at)
            later(at + 1, "call", number)
            return
        code = waiting_codes.pop(ticket_id, None)
        if code is not None:
            self.run(ReturnDossier(number, code, actor=officer), at)
        elif ticket.service != RETURN_SERVICE and rnd.random() < DOSSIER:
            department = service.department
            procedures = self.procedures_by_department.get(department)
            if procedures:
                received = self.run(ReceiveDossier(number, rnd.choice(procedures), actor=officer), at)
                if received:
                    self._plan_dossier(received[-1].payload, at)
        self.run(c.FinishService(number, actor=officer), at + 5)
        if rnd.random() < RATED:
            levels = {criterion: rnd.choices(("rat_hai_long", "hai_long", "khong_hai_long"), (55, 38, 7))[0] for criterion in self.config.rating_criteria}
            self.run(RecordRating(ticket_id, number, levels, actor=f"rating-{number:02d}"), at + 30)
        later(at + 35, "call", number)

    def _plan_dossier(self, received: DossierReceived, at: float) -> None:
        """Processing starts now; the result is ready (and collected) before, on or after the due day."""
        code, due = received.code, dt.date.fromisoformat(received.due)
        self.run(ChangeDossierStatus(code, "processing", actor=received.officer), at + 60)
        self.run(ChangeDossierStatus(code, "ready", actor=received.officer), at + 120)
        received = self.config.business_day(at)
        calendar = self.dossiers.calendar
        if self.random.random() < LATE:
            back = calendar.add_working_days(due, self.random.randint(1, 3))
        else:
            earliest = calendar.next_working_day(received)
            back = due if earliest >= due or self.random.random() < 0.5 else earliest
        self.returns.setdefault(back.isoformat(), []).append(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall simulate history", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///var/history.db", help="store URL (a fresh one; the year is appended)")
    parser.add_argument("--config", help="hall file; default: the shipped Quảng Nam hall")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--visits", type=int, default=500_000, help="visits in the year (about)")
    parser.add_argument("--days", type=int, help="simulate only the first N working days")
    parser.add_argument("--month", help="month to report on (default: the year's March, YYYY-MM)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    config = load_hall(args.config)
    journal = Journal(args.db, [StatsProjection(config)])
    calendar = config.calendar
    year = [d for d in (dt.date(args.year, 1, 1) + dt.timedelta(days=i) for i in range(366)) if d.year == args.year and calendar.is_working_day(d)]
    days = year[: args.days or None]
    history = History(config, journal, args.seed, visits_per_day=round(args.visits / len(year)))
    started = time.perf_counter()
    for i, day in enumerate(days, 1):
        history.run_day(day)
        if i % 10 == 0 or i == len(days):
            print(f"{day}: {i}/{len(days)} days, {history.visits:,} visits, {history.events:,} events, {time.perf_counter() - started:.0f} s", flush=True)
    month = parse_period(args.month or f"{args.year}-03")
    now = config.epoch(days[-1], dt.time(18))
    timings = []
    with journal.engine.connect() as conn:
        for _ in range(3):
            t0 = time.perf_counter()
            report = evaluation(conn, config.id, config, month, now)
            timings.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        day_board(conn, config.id, config, days[-1].isoformat(), now)
        board = time.perf_counter() - t0
    hall = report["hall"] or {}
    print(f"generated {history.visits:,} visits, {history.events:,} events over {len(days)} working days in {time.perf_counter() - started:.0f} s")
    print(f"monthly report {month.label}: {hall.get('tickets_issued', 0):,} tickets, {len(report['agencies'])} agencies, "
          f"{len(report['officers'])} officers; best of 3 {min(timings) * 1000:.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in timings)} ms)")
    print(f"day board of {days[-1]}: {board * 1000:.0f} ms")
    journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
