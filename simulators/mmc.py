"""`hall simulate mmc`: an M/M/c queue run through the real server, against Erlang C.

One service, c identical cabins (each serves only that queue), Poisson arrivals at λ per hour,
exponential service with mean S minutes. Citizens take tickets over HTTP, officers press
call-next / start / finish; the hall's own dispatch picks who is called. The measured mean wait
and share of citizens who waited are printed beside the Erlang C values
(`hall.queueing.mmc_mean_wait`, `erlang_c`), with 95 % confidence intervals by batch means
(the waits of successive citizens are correlated, so the plain standard error would be too
narrow). The first `warmup` hours are left out: the hall opens empty, Erlang C describes the
steady state.

The wait estimate printed on each ticket is checked too: relative RMSE over citizens who waited,
against √(1−ρ), the best any predictor can do in M/M/c (DOMAIN.md).

    hall simulate mmc --cabins 3 --arrivals-per-hour 30 --service-minutes 5 --hours 8 --seed 1 --json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import trio

from hall.credentials import hash_password
from hall.queueing import erlang_c, fcfs_waits, mmc_mean_wait, mmc_stationary_count, predictor_relative_rmse
from hall.workcalendar import HALL_TZ

from . import virtual
from .citizens import Hall, Officer, OfficerPlan, SimTime, poisson_arrivals

START = dt.datetime(2027, 3, 2, 0, 5, tzinfo=HALL_TZ)  # a Tuesday, just after midnight: one business day
BATCHES = 10
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 19: 2.093}  # Student t quantiles for 95 % intervals with k−1 degrees of freedom
SERVICE = "MMC"
MEMORY_DB = "sqlite://"  # virtual runs: one in-memory store on the trio thread (inline commits)


@dataclass(frozen=True)
class MmcParams:
    cabins: int
    arrivals_per_hour: float
    service_minutes: float
    hours: float
    seed: int = 1
    warmup_hours: float | None = None
    stationary: bool = False  # start the day in the steady state (no warm-up needed)

    @property
    def warmup(self) -> float:
        if self.stationary:
            return 0.0
        return self.warmup_hours if self.warmup_hours is not None else min(1.0, self.hours / 10)


def hall_file(cabins: int, service_minutes: float) -> str:
    """A one-service hall with `cabins` identical cabins, as TOML (demo password "demo")."""
    password = hash_password("demo")
    lines = [
        "[hall]", 'id = "mmc"', 'name = "M/M/c validation hall"', 'timezone = "Asia/Ho_Chi_Minh"',
        "accept_tickets_any_hour = true", "demo_credentials = true", "",
        "[rules]", "number_width = 4", "",
        "[[departments]]", 'code = "D"', 'name = "One department"', 'kind = "provincial"', "",
        "[[services]]", f'code = "{SERVICE}"', 'department = "D"', 'name = "The only queue"', 'prefix = "M"',
        "target_wait_minutes = 15", f"mean_service_minutes = {float(service_minutes)}", "",
    ]
    for n in range(1, cabins + 1):
        lines += ["[[cabins]]", f"number = {n}", 'department = "D"', f'profile = {{ "{SERVICE}" = 1.0 }}', ""]
        lines += ["[[users]]", f'username = "canbo{n:02d}"', f'name = "Cán bộ {n}"', 'role = "officer"',
                  'agency = "D"', f"cabin = {n}", f'password_hash = "{password}"', ""]
    return "\n".join(lines)


def batch_interval(values: list[tuple[float, float]], start: float, end: float) -> tuple[float, float]:
    """Mean of `value` and the 95 % half-width by batch means over arrival time (t, value)."""
    width = (end - start) / BATCHES
    batches: list[list[float]] = [[] for _ in range(BATCHES)]
    for t, value in values:
        batches[min(BATCHES - 1, int((t - start) / width))].append(value)
    means = [statistics.fmean(b) for b in batches if b]
    overall = statistics.fmean(v for _, v in values) if values else math.nan
    if len(means) < 2:
        return overall, math.inf
    return overall, T_975.get(len(means) - 1, 2.3) * statistics.stdev(means) / math.sqrt(len(means))


def draw_day(params: MmcParams) -> tuple[list[float], list[float], int]:
    """The day's citizens, drawn up front: ticket instants, visit lengths (seconds) and how many
    of them were already in the hall at the start (issued at the start instant, first)."""
    rng = random.Random(params.seed)
    start = START.timestamp()
    arrivals = poisson_arrivals(rng, lambda _t: params.arrivals_per_hour, start, start + params.hours * 3600, params.arrivals_per_hour)
    demands = [rng.expovariate(1 / (params.service_minutes * 60)) for _ in arrivals]
    # A stationary start: the citizens already in the hall when the day's record begins, as many as
    # M/M/c's steady state draws; exponential service forgets how long a visit has lasted, so the
    # ones at the cabins start a fresh visit. They are served, and left out of the figures.
    load = params.arrivals_per_hour * params.service_minutes / 60
    present = mmc_stationary_count(params.cabins, load, rng.random()) if params.stationary else 0
    arrivals = [start] * present + arrivals
    demands = [rng.expovariate(1 / (params.service_minutes * 60)) for _ in range(present)] + demands
    return arrivals, demands, present


def recursion_days(params: MmcParams, first_seed: int, days: int) -> dict[str, Any]:
    """Days drawn exactly as the server's (`draw_day`) but queued by the FCFS recursion alone:
    the server reproduces the recursion to the second (`exact_fcfs_max_difference_seconds` = 0),
    so these days extend its record cheaply where high load needs thousands of days."""
    means, waits_sum, waited, counted = [], 0.0, 0, 0
    for i in range(days):
        arrivals, demands, present = draw_day(replace(params, seed=first_seed + i, stationary=True))
        waits = fcfs_waits(arrivals, demands, params.cabins)[present:]
        if not waits:
            continue
        means.append(statistics.fmean(waits) / 60)
        waits_sum += sum(waits) / 60
        waited += sum(1 for w in waits if w > 1e-9)
        counted += len(waits)
    lam, mu = params.arrivals_per_hour, 60 / params.service_minutes
    erlang_wait = mmc_mean_wait(params.cabins, lam, mu) * 60
    return {
        "days": days, "counted": counted,
        "mean_wait_minutes": round(waits_sum / counted, 3), "mean_wait_ci95_minutes": round(_days_interval(means), 3),
        "mean_wait_ratio": round(waits_sum / counted / erlang_wait, 4),
        "p_wait": round(waited / counted, 4), "erlang_p_wait": round(erlang_c(params.cabins, lam / mu), 4),
    }


async def _simulate(params: MmcParams, workdir: Path, virtual_time: bool, speed: float) -> dict[str, Any]:
    config = workdir / "mmc_hall.toml"
    config.write_text(hall_file(params.cabins, params.service_minutes), "utf-8")
    start = START.timestamp()
    end = start + params.hours * 3600
    arrivals, demands, present = draw_day(params)
    time = SimTime(start, 1.0 if virtual_time else speed)
    async with virtual.served_hall(str(config), MEMORY_DB if virtual_time else f"sqlite:///{workdir / 'mmc.db'}", time, virtual=virtual_time) as (hall, _server):
        officers = [Officer(hall, OfficerPlan(n, f"canbo{n:02d}", frozenset({SERVICE}), start - 60 + n)) for n in range(1, params.cabins + 1)]
        async with trio.open_nursery() as nursery:
            for officer in officers:
                nursery.start_soon(officer.run)
            http = hall.client()
            for at, demand in zip(arrivals, demands):
                await time.sleep_until(at)
                await hall.take_ticket(http, SERVICE, demand)
            await http.aclose()
            await time.sleep_until(end)
            hall.close()
    return summarise(params, hall, present, fcfs_waits(arrivals, demands, params.cabins))


def summarise(params: MmcParams, hall: Hall, present: int = 0, exact: list[float] | None = None) -> dict[str, Any]:
    """The day's figures; `exact` is each citizen's wait in the exact FCFS queue of the same
    arrivals and service times (hall.queueing.fcfs_waits), in the order they took tickets."""
    start = START.timestamp() + params.warmup * 3600
    end = START.timestamp() + params.hours * 3600
    in_order = sorted(hall.visits.values(), key=lambda v: (v.issued_at, v.number))
    record = in_order[present:]  # the citizens present at the start are not counted
    counted = [v for v in record if v.issued_at >= start and v.called_at is not None]
    waits = [(v.issued_at, v.wait_minutes or 0.0) for v in counted]
    waited = [(v.issued_at, 1.0 if (v.wait_minutes or 0.0) > 1e-9 else 0.0) for v in counted]
    mean_wait, mean_ci = batch_interval(waits, start, end)
    p_wait, p_ci = batch_interval(waited, start, end)
    lam, mu = params.arrivals_per_hour, 60 / params.service_minutes
    a = lam / mu
    rho = a / params.cabins
    exact = exact or []
    waits_in_order = [(v.wait_minutes or 0.0) * 60 if v.called_at is not None else math.inf for v in in_order]
    difference = max((abs(a - b) for a, b in zip(waits_in_order, exact)), default=0.0) if len(exact) == len(in_order) else math.inf
    exact_counted = [w for v, w in zip(in_order[present:], exact[present:]) if v.issued_at >= start]
    errors = [(v.estimate_minutes - (v.wait_minutes or 0.0)) for v in counted if (v.wait_minutes or 0.0) > 1e-9]
    actual = [(v.wait_minutes or 0.0) for v in counted if (v.wait_minutes or 0.0) > 1e-9]
    rrmse = math.sqrt(statistics.fmean(e * e for e in errors)) / statistics.fmean(actual) if actual else math.nan
    return {
        "params": asdict(params),
        "rho": round(rho, 4),
        "issued": len(hall.visits),
        "served": sum(1 for v in hall.visits.values() if v.outcome == "served"),
        "counted": len(counted),
        "mean_wait_minutes": round(mean_wait, 3),
        "mean_wait_ci95_minutes": round(mean_ci, 3),
        "erlang_mean_wait_minutes": round(mmc_mean_wait(params.cabins, lam, mu) * 60, 3),
        "p_wait": round(p_wait, 4),
        "p_wait_ci95": round(p_ci, 4),
        "erlang_p_wait": round(erlang_c(params.cabins, a), 4),
        "estimate_mean_error_minutes": round(statistics.fmean(errors), 3) if errors else None,
        "estimate_relative_rmse": round(rrmse, 3),
        "best_relative_rmse": round(predictor_relative_rmse(rho), 3),
        "refusals": hall.refusals[:5],
        "present_at_start": present,
        "exact_fcfs_mean_wait_minutes": round(statistics.fmean(exact_counted) / 60, 3) if exact_counted else None,
        "exact_fcfs_max_difference_seconds": round(difference, 3),
        "wait_sum_minutes": sum(v.wait_minutes or 0.0 for v in counted),
        "waited_count": sum(1 for v in counted if (v.wait_minutes or 0.0) > 1e-9),
        "squared_error_sum": sum(e * e for e in errors),
        "waiting_wait_sum_minutes": sum(actual),
    }


def simulate(params: MmcParams, *, virtual_time: bool = True, speed: float = 60.0, workdir: Path | None = None) -> dict[str, Any]:
    """Run one M/M/c experiment through a real in-process server; returns the summary."""
    with tempfile.TemporaryDirectory(prefix="hall-mmc-") as folder:
        return virtual.run(_simulate, params, workdir or Path(folder), virtual_time, speed, virtual=virtual_time)


def simulate_days(params: MmcParams, days: int, *, virtual_time: bool = True, speed: float = 60.0, recursion: int = 0) -> dict[str, Any]:
    """N independent business days (seeds seed … seed+N−1), each starting in the steady state, pooled:
    the mean wait and P(wait) over every counted citizen, with 95 % intervals from the spread of
    the days' means (independent days need no batching)."""
    runs = [simulate(replace(params, seed=params.seed + i, stationary=True), virtual_time=virtual_time, speed=speed) for i in range(days)]
    result = pool(params, runs)
    if recursion:
        result["recursion"] = recursion_days(params, params.seed + days, recursion)
    return result


def pool(params: MmcParams, runs: list[dict[str, Any]]) -> dict[str, Any]:
    counted = sum(r["counted"] for r in runs)
    lam, mu = params.arrivals_per_hour, 60 / params.service_minutes
    a = lam / mu
    erlang_wait = mmc_mean_wait(params.cabins, lam, mu) * 60
    mean_wait = sum(r["wait_sum_minutes"] for r in runs) / counted
    p_wait = sum(r["waited_count"] for r in runs) / counted
    waited = sum(r["waited_count"] for r in runs)
    rrmse = math.sqrt(sum(r["squared_error_sum"] for r in runs) / waited) / (sum(r["waiting_wait_sum_minutes"] for r in runs) / waited)
    return {
        "params": asdict(params),
        "days": len(runs),
        "rho": runs[0]["rho"],
        "counted": counted,
        "mean_wait_minutes": round(mean_wait, 3),
        "mean_wait_ci95_minutes": round(_days_interval([r["mean_wait_minutes"] for r in runs]), 3),
        "erlang_mean_wait_minutes": round(erlang_wait, 3),
        "mean_wait_ratio": round(mean_wait / erlang_wait, 4),
        "p_wait": round(p_wait, 4),
        "p_wait_ci95": round(_days_interval([r["p_wait"] for r in runs]), 4),
        "erlang_p_wait": round(erlang_c(params.cabins, a), 4),
        "estimate_relative_rmse": round(rrmse, 3),
        "best_relative_rmse": runs[0]["best_relative_rmse"],
        "exact_fcfs_max_difference_seconds": max(r["exact_fcfs_max_difference_seconds"] for r in runs),
        "per_day_mean_wait_minutes": [r["mean_wait_minutes"] for r in runs],
    }


def _days_interval(values: list[float]) -> float:
    """95 % half-width of the mean of independent days (Student t below 30 days, normal above)."""
    if len(values) < 2:
        return math.inf
    t = T_975.get(len(values) - 1, 2.045 if len(values) <= 30 else 1.96)
    return t * statistics.stdev(values) / math.sqrt(len(values))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall simulate mmc", description="M/M/c through the real server, against Erlang C.")
    parser.add_argument("--cabins", type=int, required=True, help="identical cabins serving the one queue (c)")
    parser.add_argument("--arrivals-per-hour", type=float, required=True, help="Poisson arrival rate (λ per hour)")
    parser.add_argument("--service-minutes", type=float, required=True, help="mean exponential service time (1/μ, minutes)")
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours of arrivals (at most 23: one business day)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same run)")
    parser.add_argument("--warmup-hours", type=float, default=None, help="arrivals left out at the start (default: a tenth, at most 1 h)")
    parser.add_argument("--speed", type=float, default=None, help="run in real time × SPEED instead of virtual time")
    parser.add_argument("--days", type=int, default=None,
                        help="run N independent business days, each starting in the steady state, and pool them")
    parser.add_argument("--recursion-days", type=int, default=0,
                        help="with --days: K more days drawn the same way and queued by the exact FCFS recursion alone")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not 0 < args.hours <= 23:
        parser.error("--hours must be within one business day (0 < H <= 23)")
    if args.arrivals_per_hour * args.service_minutes / 60 >= args.cabins:
        parser.error("the load is ρ >= 1: the queue grows without bound and Erlang C has no steady state")
    params = MmcParams(args.cabins, args.arrivals_per_hour, args.service_minutes, args.hours, args.seed, args.warmup_hours)
    if args.days is not None and args.days < 1:
        parser.error("--days must be at least 1")
    if args.days is not None:
        result = simulate_days(params, args.days, virtual_time=args.speed is None, speed=args.speed or 1.0, recursion=args.recursion_days)
    else:
        result = simulate(params, virtual_time=args.speed is None, speed=args.speed or 1.0)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        served = f"{result['days']} days, {result['counted']} citizens counted" if args.days else f"{result['served']} served, {result['counted']} counted after warm-up"
        print(f"M/M/{args.cabins}, λ = {args.arrivals_per_hour}/h, S = {args.service_minutes} min, ρ = {result['rho']}: {served}")
        print(f"  mean wait   {result['mean_wait_minutes']:.2f} ± {result['mean_wait_ci95_minutes']:.2f} min   Erlang C {result['erlang_mean_wait_minutes']:.2f}")
        print(f"  P(wait)     {result['p_wait']:.3f} ± {result['p_wait_ci95']:.3f}       Erlang C {result['erlang_p_wait']:.3f}")
        if "recursion" in result:
            r = result["recursion"]
            print(f"  FCFS recursion, {r['days']} more days: mean wait {r['mean_wait_minutes']:.2f} ± {r['mean_wait_ci95_minutes']:.2f} min "
                  f"({r['mean_wait_ratio']:.3f} × Erlang C), P(wait) {r['p_wait']:.3f}")
        print(f"  estimate    relative RMSE {result['estimate_relative_rmse']}   best possible √(1−ρ) {result['best_relative_rmse']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
