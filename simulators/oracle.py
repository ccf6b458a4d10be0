"""`hall simulate oracle`: the best wait estimate a day allows, against the hall's.

The wait printed on a ticket is judged by its squared error; under that loss the best any
estimate can do is the *conditional mean*: the mean wait over every way the rest of the day may
go, given what is known when the ticket is issued. This module computes it for a simulated day
by brute force. It reads the day's journal (`hall simulate day --db URL`) into a fresh engine
and, at each sampled ticket's issue, plays the rest of the day forward `samples` times under the
simulator's own laws (simulators/day.py and citizens.py): lognormal visits at the configured
mean and the scenario's CV after the walk to the cabin, no-shows recalled before they are
marked, priority citizens, Poisson arrivals on the scenario's profile, each officer's breaks
(those not yet taken, drawn as the simulator draws them, given that they have not begun), lunch
after the visit in progress, the weighted dispatch (hall/dispatch.py `WeightedWait`) and idle
officers woken by a new ticket, lowest cabin first.

It knows more than the hall can: the simulator's true arrival rates, visit law and break plans,
where the hall learns its pace from the day. So its relative RMSE bounds what any estimate can
expect on that day, and where the hall's estimate is worse, the difference is what a better
model could still win (docs/simulation.md, "The best estimate a day allows").

    hall simulate oracle --db sqlite:///day-2.db --every 2 --samples 64 --out oracle-2.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import math
import random
import statistics
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hall import events as ev
from hall.components import build_engine
from hall.config import HallConfig, load_hall
from hall.day_capacity import closing_at, working_windows
from hall.engine import Engine
from hall.journal import Journal
from hall.state import CabinStatus

from .citizens import Break, lognormal_seconds, poisson_arrivals
from .day import DayOptions, arrival_rates, at, day_hall_file, naive_minutes, scenario_path
from .virtual import demo_kiosk

Waiting = tuple[list[tuple[float, str]], list[tuple[float, str]]]  # one queue's (without priority, with priority): (arrival, id), oldest first


@dataclass(frozen=True)
class PlannedBreak:
    """One of the scenario's `[[breaks]]`: each officer takes it with chance `share`, beginning
    at a time drawn uniformly in [start, end], after the visit in progress."""

    reason: str
    start: float
    end: float
    minutes: float
    share: float
    back: float | None  # lunch: everyone back then


@dataclass(frozen=True)
class Laws:
    """What the simulator does, read from the hall file and the scenario."""

    profiles: dict[int, dict[str, float]]  # cabin -> its queues and weights (cabins with an officer)
    service_seconds: dict[str, float]  # configured mean visit per service
    arrivals: dict[str, float]  # per service: citizens per second at profile weight 1
    profile: list[tuple[float, float]]  # (half hour's start, weight)
    breaks: list[PlannedBreak]
    walk: float
    recall_every: float
    recalls: int
    cv: float
    priority_share: float
    no_show_share: float
    max_priority_in_row: int
    deadline: float = math.inf  # officers leave then, whoever still waits (simulators/day.py `hall.deadline`)

    @property
    def arrivals_end(self) -> float:
        return self.profile[-1][0] + 1800 if self.profile else -math.inf

    def weight_at(self, t: float) -> float:
        for start, weight in self.profile:
            if start <= t < start + 1800:
                return weight
        return 0.0

    def no_show_seconds(self) -> float:
        return (self.recalls + 1) * self.recall_every


def laws_of(config: HallConfig, scenario: dict[str, Any], scale: float = 1.0) -> Laws:
    """The laws of a day run with `hall simulate day` on this hall file and scenario, at `scale`
    (the weighted dispatch; a day run with another `--policy` is not one the oracle can judge)."""
    if config.rules.dispatch_policy != "weighted":
        raise ValueError(f"the oracle plays the weighted dispatch; this hall file dispatches {config.rules.dispatch_policy!r}")
    params = scenario["day"]
    day = dt.date.fromisoformat(str(params["date"]))
    profile = sorted((at(day, k), float(v)) for k, v in scenario["profile"].items())
    unit = sum(w for _, w in profile) * 1800
    breaks = [PlannedBreak(b["reason"], at(day, b["from"]), at(day, b["to"]), float(b["minutes"]), b.get("share", 1.0),
                           at(day, b["back"]) if "back" in b else None) for b in scenario.get("breaks", [])]
    return Laws(
        profiles={n: dict(c.profile) for n, c in config.cabins.items() if config.officer_of(n) is not None},
        service_seconds={code: s.mean_service_minutes * 60 for code, s in config.services.items()},
        arrivals={code: per_day / unit for code, per_day in arrival_rates(config, scenario, scale).items()},
        profile=profile, breaks=breaks, walk=params.get("walk_seconds", 0.0),
        recall_every=params.get("recall_every_seconds", 40.0), recalls=config.rules.recalls_before_no_show,
        cv=params.get("service_cv", 0.6),
        # without a kiosk the day's citizens take web tickets, which claim no priority (citizens.py)
        priority_share=params.get("priority_share", 0.0) if demo_kiosk(config) else 0.0,
        no_show_share=params.get("no_show_share", 0.0), max_priority_in_row=config.rules.max_priority_in_row,
        deadline=closing_at(config, at(day, "07:00")) + config.rules.serve_after_close_minutes * 60,
    )


@dataclass
class CabinNow:
    """A cabin as the hall knew it when a ticket was issued."""

    kind: str  # closed, idle, busy, paused
    streak: int = 0  # priority calls in a row
    taken: frozenset[str] = frozenset()  # reasons of the breaks its officer has had today
    last_call: float = -math.inf  # when the officer last looked for a break (their last call)
    free_at: float = 0.0  # paused: when the pause ends
    elapsed: float = 0.0  # busy: seconds since the call
    mean: float = 0.0  # busy: the configured mean of the visit in progress
    started: bool = False  # busy: the citizen came to the cabin


@dataclass
class HallNow:
    now: float
    queues: dict[str, Waiting]
    cabins: dict[int, CabinNow]


def hall_now(engine: Engine, laws: Laws, now: float, pauses: dict[int, set[str]], last_calls: dict[int, float]) -> HallNow:
    """The state the forward runs start from: queues, cabins, breaks already taken."""
    s = engine.state
    queues: dict[str, Waiting] = {}
    for code, ids in s.waiting.items():
        normal, priority = [], []
        for ticket_id in ids:
            ticket = s.tickets[ticket_id]
            (priority if ticket.priority else normal).append((ticket.arrival, ticket_id))
        queues[code] = (sorted(normal), sorted(priority))
    plans = {b.reason: b for b in laws.breaks}
    cabins = {}
    for number in laws.profiles:
        cabin = s.cabins[number]
        taken = frozenset(pauses.get(number, set()))
        here = CabinNow("closed", cabin.priority_streak, taken, last_calls.get(number, -math.inf))
        if cabin.state == CabinStatus.PAUSED:
            plan = plans.get(cabin.pause_reason or "")
            ends = (plan.back if plan and plan.back is not None else cabin.since + (plan.minutes if plan else 10.0) * 60)
            here.kind, here.free_at = "paused", max(ends, now)
        elif cabin.state == CabinStatus.OPEN and cabin.ticket is None:
            here.kind = "idle"
            here.last_call = now  # an idle officer pauses the moment a break begins: none has begun
        elif cabin.state == CabinStatus.OPEN:
            ticket = s.tickets[cabin.ticket]
            here.kind, here.elapsed = "busy", now - (ticket.called_at or now)
            here.mean, here.started = laws.service_seconds.get(ticket.service, 600.0), ticket.started_at is not None
        cabins[number] = here
    return HallNow(now, queues, cabins)


@dataclass
class _Run:
    """One forward run: the queues and cabins as they go on."""

    laws: Laws
    rng: random.Random
    queues: dict[str, Waiting]
    streak: dict[int, int]
    breaks: dict[int, list[tuple[float, PlannedBreak]]]
    idle: set[int] = field(default_factory=set)
    wakes: list[tuple[float, int, int]] = field(default_factory=list)  # (when, cabin, its turn): a cabin comes free or wakes for a break
    turns: dict[int, int] = field(default_factory=dict)  # cabin -> its latest wake's turn: an earlier one is stale
    made: int = 0

    def wake(self, at: float, number: int) -> None:
        turn = self.turns[number] = self.turns.get(number, 0) + 1
        heapq.heappush(self.wakes, (at, number, turn))


def choose(laws: Laws, queues: dict[str, Waiting], cabin: int, streak: int, now: float) -> tuple[str, int] | None:
    """Which queue's head a cabin calls: hall/dispatch.py `WeightedWait` on the queues' heads
    (within a queue every ticket has one weight, so its oldest has the largest weighted wait)."""
    best: list[tuple[tuple[float, float], str] | None] = [None, None]
    for code, weight in laws.profiles[cabin].items():
        queue = queues.get(code)
        if queue is None or weight <= 0:
            continue
        for kind in (0, 1):
            if queue[kind]:
                arrival = queue[kind][0][0]
                key = (-(now - arrival) * weight, arrival)
                if best[kind] is None or key < best[kind][0]:  # type: ignore[index]
                    best[kind] = (key, code)
    normal, priority = best
    if priority is not None and (normal is None or streak < laws.max_priority_in_row):
        return priority[1], 1
    return (normal[1], 0) if normal is not None else None


def _draw_breaks(laws: Laws, cabin: CabinNow, now: float, rng: random.Random) -> list[tuple[float, PlannedBreak]]:
    """The breaks an officer has still to take: drawn as the simulator draws them, given that
    they have not begun by the officer's last call (a break is taken at the first call after
    its time)."""
    out = []
    for plan in laws.breaks:
        if plan.reason in cabin.taken:
            continue
        lo = max(plan.start, cabin.last_call)
        if plan.end <= plan.start:  # a fixed time (lunch)
            if plan.start < cabin.last_call or rng.random() >= plan.share:
                continue
            out.append((plan.start, plan))
            continue
        left = max(plan.end - lo, 0.0) / (plan.end - plan.start)  # chance it has not begun yet, had it been planned
        planned = plan.share * left / (plan.share * left + 1 - plan.share) if left > 0 else 0.0
        if rng.random() < planned:
            out.append((lo + rng.random() * (plan.end - lo), plan))
    return sorted(out, key=lambda item: item[0])


def _remaining(laws: Laws, cabin: CabinNow, rng: random.Random) -> float:
    """Seconds until a busy cabin is free: the visit's law given that it has lasted `elapsed`."""
    if not cabin.started and cabin.elapsed > laws.walk:  # called and not come: a no-show being recalled
        return max(laws.no_show_seconds() - cabin.elapsed, 1.0)
    if not cabin.started and rng.random() < laws.no_show_share:
        return max(laws.no_show_seconds() - cabin.elapsed, 1.0)
    done = max(cabin.elapsed - laws.walk, 0.0)
    if laws.cv <= 0:
        return max(laws.walk + cabin.mean - cabin.elapsed, 1.0)
    sigma2 = math.log(1 + laws.cv * laws.cv)
    law = statistics.NormalDist(math.log(cabin.mean) - sigma2 / 2, math.sqrt(sigma2))
    floor = law.cdf(math.log(done)) if done > 0 else 0.0
    u = floor + (1 - floor) * rng.random()
    visit = math.exp(law.inv_cdf(min(max(u, 1e-12), 1 - 1e-12)))
    return max(laws.walk + visit - cabin.elapsed, 1.0)


def _arrivals(laws: Laws, now: float, rng: random.Random) -> list[tuple[float, str]]:
    """The citizens still to come (simulators/day.py `plan_arrivals`, from `now`)."""
    peak = max((w for _, w in laws.profile), default=0.0)
    out = [(t, code) for code, rate in sorted(laws.arrivals.items())
           for t in poisson_arrivals(rng, lambda t, r=rate: r * 3600 * laws.weight_at(t), now, laws.arrivals_end, rate * 3600 * peak)]
    return sorted(out)


def play(laws: Laws, start: HallNow, target: str, rng: random.Random) -> float | None:
    """One way the rest of the day may go: when `target` is called (None: not by the end)."""
    run = _Run(laws, rng, {code: (list(q[0]), list(q[1])) for code, q in start.queues.items()},
               {n: c.streak for n, c in start.cabins.items()}, {})
    for number, cabin in start.cabins.items():
        run.breaks[number] = _draw_breaks(laws, cabin, start.now, rng)
        if cabin.kind == "busy":
            run.wake(start.now + _remaining(laws, cabin, rng), number)
        elif cabin.kind == "paused":
            run.wake(cabin.free_at, number)
        elif cabin.kind == "idle":
            _idle(run, number)
    arrivals = _arrivals(laws, start.now, rng)
    k = 0
    while True:
        at_arrival = arrivals[k][0] if k < len(arrivals) else math.inf
        at_wake = run.wakes[0][0] if run.wakes else math.inf
        if at_arrival == at_wake == math.inf:
            return None
        if at_arrival < at_wake:
            t, code = arrivals[k]
            k += 1
            if t >= laws.deadline:
                return None
            run.made += 1
            kind = 1 if rng.random() < laws.priority_share else 0
            run.queues.setdefault(code, ([], []))[kind].append((t, f"~{run.made}"))
            for number in sorted(run.idle):  # the simulator wakes idle officers lowest cabin first until one calls
                if laws.profiles[number].get(code, 0.0) > 0:
                    called = _free(run, number, t)
                    if called == target:
                        return t
                    if called is not None:
                        break
            continue
        t, number, turn = heapq.heappop(run.wakes)
        if t >= laws.deadline:
            return None  # the officers have gone home: whoever waits is unserved
        if turn != run.turns[number]:
            continue  # an idle cabin's wake for a break, since called by an arrival
        if _free(run, number, t) == target:
            return t


def _idle(run: _Run, number: int) -> None:
    run.idle.add(number)
    if run.breaks[number]:
        run.wake(run.breaks[number][0][0], number)


def _free(run: _Run, number: int, t: float) -> str | None:
    """A cabin is free at `t`: its officer takes a break that is due, or calls, or waits idle."""
    laws, pending = run.laws, run.breaks[number]
    run.idle.discard(number)
    if pending and t >= pending[0][0]:
        begun, plan = pending.pop(0)
        run.wake(Break(begun, plan.minutes, plan.reason, plan.back).ends(t), number)
        return None
    picked = choose(laws, run.queues, number, run.streak[number], t)
    if picked is None:
        _idle(run, number)
        return None
    code, kind = picked
    _, ticket = run.queues[code][kind].pop(0)
    run.streak[number] = run.streak[number] + 1 if kind else 0
    if run.rng.random() < laws.no_show_share:
        busy = laws.no_show_seconds()
    else:
        busy = laws.walk + lognormal_seconds(run.rng, laws.service_seconds.get(code, 600.0) / 60, laws.cv)
    run.wake(t + busy, number)
    return ticket


@dataclass
class Judged:
    """One sampled ticket: what the hall told, what the oracle says, what it waited (minutes)."""

    id: str
    service: str
    issued_at: float
    ahead: int
    told: float
    naive: float
    oracle: float
    oracle_sd: float
    after_lunch: float  # share of the runs that called it after a gap in the day (lunch)
    waited: float


def judge_day(config: HallConfig, laws: Laws, events: Sequence[ev.Event], every: int, samples: int, seed: int) -> list[Judged]:
    """Every `every`-th ticket of the day that was called (not a no-show) after a wait."""
    engine = build_engine(config)
    pauses: dict[int, set[str]] = {}
    last_calls: dict[int, float] = {}
    first_call: dict[str, float] = {}
    no_shows: set[str] = set()
    starts: list[tuple[ev.Event, HallNow]] = []
    issued = 0
    for event in events:
        p = event.payload
        if isinstance(p, ev.CabinPaused):
            pauses.setdefault(p.cabin, set()).add(p.reason)
        elif isinstance(p, ev.TicketCalled):
            last_calls[p.cabin] = event.at
            first_call.setdefault(p.id, event.at)
        elif isinstance(p, ev.TicketNoShow):
            no_shows.add(p.id)
        engine.apply(event)
        if isinstance(p, ev.TicketIssued):
            issued += 1
        if isinstance(p, ev.TicketIssued) and issued % every == 0:
            starts.append((event, hall_now(engine, laws, event.at, pauses, last_calls)))
    rng = random.Random(seed)
    out = []
    for event, start in starts:
        p = event.payload
        called = first_call.get(p.id)
        if called is None or p.id in no_shows or called <= event.at:
            continue
        windows = working_windows(config, event.at)
        gaps = [(a[1], b[0]) for a, b in zip(windows, windows[1:])]  # lunch
        waits, after = [], 0
        for _ in range(samples):
            at = play(laws, start, p.id, rng)
            if at is not None:
                waits.append((at - event.at) / 60)
                after += any(event.at < begin and at >= end for begin, end in gaps)
        if waits:
            out.append(Judged(p.id, p.service, event.at, p.ahead, p.estimate.minutes, naive_minutes(config, p.service, p.ahead),
                              statistics.fmean(waits), statistics.pstdev(waits), after / len(waits), (called - event.at) / 60))
    return out


def relative_rmse(predicted: Sequence[float], actual: Sequence[float]) -> float:
    """As the day's JSON measures it (simulators/day.py `summarise`): RMSE ÷ the mean wait."""
    errors = [p - a for p, a in zip(predicted, actual, strict=True)]
    return math.sqrt(statistics.fmean(e * e for e in errors)) / statistics.fmean(actual)


def summary(judged: Sequence[Judged]) -> dict[str, Any]:
    waited = [j.waited for j in judged]
    hall, naive, oracle = (relative_rmse([getattr(j, name) for j in judged], waited) for name in ("told", "naive", "oracle"))
    return {
        "tickets": len(judged),
        "hall": {"relative_rmse": round(hall, 3), "mean_error_minutes": round(statistics.fmean(j.told - j.waited for j in judged), 2)},
        "naive": {"relative_rmse": round(naive, 3)},
        "oracle": {"relative_rmse": round(oracle, 3), "mean_error_minutes": round(statistics.fmean(j.oracle - j.waited for j in judged), 2)},
        "hall_vs_naive": round(hall / naive, 3),
        "oracle_vs_naive": round(oracle / naive, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall simulate oracle", description="The best wait estimate a simulated day allows, against the hall's.")
    parser.add_argument("--db", required=True, help="store URL of a day kept with `hall simulate day --db URL`")
    parser.add_argument("--config", help="the hall file the day ran with (default: the shipped hall)")
    parser.add_argument("--scenario", help="the scenario the day ran with (default: default_day)")
    parser.add_argument("--scale", type=float, default=1.0, help="the share of the scenario's visits the day ran with (default 1)")
    parser.add_argument("--every", type=int, default=2, help="judge every N-th ticket issued (default 2)")
    parser.add_argument("--samples", type=int, default=64, help="forward runs per ticket (default 64)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the forward runs")
    parser.add_argument("--out", help="where the JSON goes (every judged ticket and the summary)")
    args = parser.parse_args(argv)
    if args.every < 1 or args.samples < 1:
        parser.error("--every and --samples must be at least 1")
    with tempfile.TemporaryDirectory(prefix="hall-oracle-") as folder:
        config = load_hall(day_hall_file(DayOptions(config=args.config, scenario=args.scenario), Path(folder), 1.0))
    scenario = tomllib.loads(scenario_path(args.scenario).read_text("utf-8"))
    journal = Journal(args.db)
    try:
        events = list(journal.load(config.id))
    finally:
        journal.close()
    try:
        laws = laws_of(config, scenario, args.scale)
    except ValueError as problem:
        parser.error(str(problem))
    judged = judge_day(config, laws, events, args.every, args.samples, args.seed)
    if not judged:
        print("no ticket in that journal waited to be called", file=sys.stderr)
        return 1
    result = summary(judged)
    print(f"{result['tickets']} tickets judged: hall ÷ naive {result['hall_vs_naive']}, oracle ÷ naive {result['oracle_vs_naive']} "
          f"(relative RMSE hall {result['hall']['relative_rmse']}, oracle {result['oracle']['relative_rmse']}, naive {result['naive']['relative_rmse']})")
    if args.out:
        result["judged"] = [asdict(j) for j in judged]
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
