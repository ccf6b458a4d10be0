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
import bisect
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
QUARTERS = 4  # the day's arrived work is a control variate per quarter of the day (controlled_mean_wait)
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


@dataclass(frozen=True)
class DayRecord:
    """One independent day's sums, what pooling needs (and what `--days-log` keeps per line)."""

    seed: int
    counted: int
    wait_sum_minutes: float
    waited_count: int
    work_seconds: tuple[float, ...]  # the counted citizens' visit lengths per quarter of the day (control variates: mean λ·H·S/4)
    present: int  # citizens in the hall at the start (a control variate: its mean is M/M/c's L)
    present_work_seconds: float  # their visit lengths (a control variate: mean L·S)
    squared_error_sum: float = 0.0  # the printed estimate's errors (server days only)
    waiting_wait_sum_minutes: float = 0.0
    exact_fcfs_max_difference_seconds: float = 0.0
    ideal_squared_error_sum: float | None = None  # the exact M/M/c predictor (ahead + 1)·S/c on the same citizens (None: not kept)


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


def ideal_errors(params: MmcParams, arrivals: list[float], waits: list[float]) -> list[float]:
    """Minutes by which the M/M/c predictor (ahead + 1)·S/c misses each FCFS citizen who waited
    (0 for those who did not: it says 0 to them too). Ahead are the earlier citizens who had
    not started at one's arrival; FCFS starts never go back in time, so a bisection finds them."""
    starts = [a + w for a, w in zip(arrivals, waits)]
    out = []
    for i, (at, wait) in enumerate(zip(arrivals, waits)):
        if wait <= 1e-9:
            out.append(0.0)
            continue
        ahead = i - bisect.bisect_right(starts, at, 0, i)
        out.append(((ahead + 1) * params.service_minutes / params.cabins) - wait / 60)
    return out


def recursion_days(params: MmcParams, first_seed: int, days: int) -> dict[str, Any]:
    """Days drawn exactly as the server's (`draw_day`) but queued by the FCFS recursion alone:
    the server reproduces the recursion to the second (`exact_fcfs_max_difference_seconds` = 0),
    so these days extend its record cheaply where high load needs thousands of days."""
    records = []
    for i in range(days):
        arrivals, demands, present = draw_day(replace(params, seed=first_seed + i, stationary=True))
        every = fcfs_waits(arrivals, demands, params.cabins)
        waits = every[present:]
        ideal = [e * e for e in ideal_errors(params, arrivals, every)[present:]]
        records.append(DayRecord(first_seed + i, len(waits), sum(waits) / 60, sum(1 for w in waits if w > 1e-9),
                                 quarters(params, arrivals[present:], demands[present:]), present, sum(demands[:present]),
                                 waiting_wait_sum_minutes=sum(waits) / 60, ideal_squared_error_sum=sum(ideal)))
    return {key: value for key, value in pool(params, records).items()
            if key not in ("estimate_relative_rmse", "exact_fcfs_max_difference_seconds", "per_day_mean_wait_minutes")}



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
    # The best predictor of M/M/c, on the same citizens: everyone who waited found every cabin busy.
    ideal = [((v.ahead + 1) * params.service_minutes / params.cabins - (v.wait_minutes or 0.0)) for v in counted if (v.wait_minutes or 0.0) > 1e-9]
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
        "ideal_relative_rmse": round(math.sqrt(statistics.fmean(e * e for e in ideal)) / statistics.fmean(actual), 3) if actual else None,
        "refusals": hall.refusals[:5],
        "present_at_start": present,
        "exact_fcfs_mean_wait_minutes": round(statistics.fmean(exact_counted) / 60, 3) if exact_counted else None,
        "exact_fcfs_max_difference_seconds": round(difference, 3),
        "day": asdict(DayRecord(
            params.seed, len(counted), sum(v.wait_minutes or 0.0 for v in counted),
            sum(1 for v in counted if (v.wait_minutes or 0.0) > 1e-9),
            quarters(params, [v.issued_at for v in counted], [v.demand_seconds for v in counted]), present,
            sum(v.demand_seconds for v in in_order[:present]),
            sum(e * e for e in errors), sum(actual), round(difference, 3), sum(e * e for e in ideal))),
    }


def simulate(params: MmcParams, *, virtual_time: bool = True, speed: float = 60.0, workdir: Path | None = None) -> dict[str, Any]:
    """Run one M/M/c experiment through a real in-process server; returns the summary."""
    with tempfile.TemporaryDirectory(prefix="hall-mmc-") as folder:
        return virtual.run(_simulate, params, workdir or Path(folder), virtual_time, speed, virtual=virtual_time)


def simulate_days(params: MmcParams, days: int, *, virtual_time: bool = True, speed: float = 60.0, recursion: int = 0,
                  log: Path | None = None) -> dict[str, Any]:
    """N independent business days (seeds seed … seed+N−1), each starting in the steady state, pooled:
    the mean wait and P(wait) over every counted citizen, with 95 % intervals from the spread of
    the days' means (independent days need no batching). With `log`, each day is appended to
    it as one JSON line as soon as it ends, and days already there (same parameters) are not
    run again: a long run can be stopped and resumed."""
    done = _read_log(params, log)
    records = []
    for seed in range(params.seed, params.seed + days):
        if seed not in done:
            run = simulate(replace(params, seed=seed, stationary=True), virtual_time=virtual_time, speed=speed)
            done[seed] = _record(run["day"])
            if log is not None:
                with log.open("a", encoding="utf-8") as out:
                    out.write(json.dumps({"params": _log_key(params), **run["day"]}) + "\n")
        records.append(done[seed])
    result = pool(params, records)
    if recursion:
        result["recursion"] = recursion_days(params, params.seed + days, recursion)
    return result


def _log_key(params: MmcParams) -> dict[str, Any]:
    return {k: v for k, v in asdict(params).items() if k not in ("seed", "stationary", "warmup_hours")}


def _read_log(params: MmcParams, log: Path | None) -> dict[int, DayRecord]:
    if log is None or not log.exists():
        return {}
    out = {}
    for line in log.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row.pop("params") == _log_key(params):
            out[row["seed"]] = _record(row)
    return out


def _record(row: dict[str, Any]) -> DayRecord:
    return DayRecord(**{**row, "work_seconds": tuple(row["work_seconds"])})


def pool(params: MmcParams, records: list[DayRecord]) -> dict[str, Any]:
    """The days pooled: the mean wait over every counted citizen with its 95 % interval from the
    spread between days, and beside it the control-variate estimate (`controlled`)."""
    counted = sum(r.counted for r in records)
    lam, mu = params.arrivals_per_hour, 60 / params.service_minutes
    a = lam / mu
    erlang_wait = mmc_mean_wait(params.cabins, lam, mu) * 60
    mean_wait = sum(r.wait_sum_minutes for r in records) / counted
    waited = sum(r.waited_count for r in records)
    interval = _days_interval([r.wait_sum_minutes / r.counted for r in records if r.counted])
    controlled, controlled_ci = controlled_mean_wait(params, records)
    squared = sum(r.squared_error_sum for r in records)
    ideal = sum(r.ideal_squared_error_sum or 0.0 for r in records)
    return {
        "params": asdict(params),
        "days": len(records),
        "rho": round(a / params.cabins, 4),
        "counted": counted,
        "mean_wait_minutes": round(mean_wait, 3),
        "mean_wait_ci95_minutes": round(interval, 3),
        "erlang_mean_wait_minutes": round(erlang_wait, 3),
        "mean_wait_ratio": round(mean_wait / erlang_wait, 4),
        "controlled": {"mean_wait_minutes": round(controlled, 3), "mean_wait_ci95_minutes": round(controlled_ci, 3),
                       "mean_wait_ratio": round(controlled / erlang_wait, 4),
                       "ci95_relative": round(controlled_ci / controlled, 4) if controlled > 0 else None},
        "p_wait": round(waited / counted, 4),
        "p_wait_ci95": round(_days_interval([r.waited_count / r.counted for r in records if r.counted]), 4),
        "erlang_p_wait": round(erlang_c(params.cabins, a), 4),
        "estimate_relative_rmse": round(math.sqrt(squared / waited) / (sum(r.waiting_wait_sum_minutes for r in records) / waited), 3) if waited and squared else None,
        "best_relative_rmse": round(predictor_relative_rmse(a / params.cabins), 3),
        "ideal_relative_rmse": (round(math.sqrt(ideal / waited) / (sum(r.waiting_wait_sum_minutes for r in records) / waited), 3)
                                if waited and all(r.ideal_squared_error_sum is not None for r in records) else None),
        "exact_fcfs_max_difference_seconds": max(r.exact_fcfs_max_difference_seconds for r in records),
        "per_day_mean_wait_minutes": [round(r.wait_sum_minutes / r.counted, 3) if r.counted else None for r in records],
    }


def quarters(params: MmcParams, issued: list[float], demands: list[float]) -> tuple[float, ...]:
    """The work (visit seconds) that arrived in each quarter of the day."""
    out = [0.0] * QUARTERS
    span = params.hours * 3600 / QUARTERS
    for at, demand in zip(issued, demands):
        out[min(QUARTERS - 1, max(0, int((at - START.timestamp()) / span)))] += demand
    return tuple(out)


def controlled_mean_wait(params: MmcParams, records: list[DayRecord]) -> tuple[float, float]:
    """The mean wait by control variates, and its 95 % half-width.

    At high load one day's mean wait mostly says how much work the day happened to bring: the
    citizens present at the start, their visits, and the visits that arrived in each quarter
    of the day. All have known means (M/M/c's stationary L, L·S and λ·H·S/4), so the day's
    summed wait ÷ its expected count λ·H (whose mean is exactly Erlang C's Wq: every arrival of
    a stationary day sees the steady state) is regressed on their departures from those means;
    the intercept is the estimate, with the regression's standard error (Lavenberg & Welch).
    Unbiased like the plain mean, with a much narrower interval (docs/simulation.md)."""
    lam, mu, minutes = params.arrivals_per_hour, 60 / params.service_minutes, params.service_minutes * 60
    expected_count = lam * params.hours
    expected_present = mmc_mean_wait(params.cabins, lam, mu) * lam + lam / mu  # L = Lq + a
    ys = [r.wait_sum_minutes / expected_count for r in records]
    xs = [[1.0, r.present - expected_present, r.present_work_seconds / minutes - expected_present,
           *(w / (expected_count * minutes / QUARTERS) - 1 for w in r.work_seconds)] for r in records]
    size = len(xs[0])
    freedom = len(records) - size
    if freedom < 2:
        return statistics.fmean(ys), math.inf
    inverse = _inverse([[sum(x[i] * x[j] for x in xs) for j in range(size)] for i in range(size)])
    moments = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(size)]
    beta = [sum(inverse[i][j] * moments[j] for j in range(size)) for i in range(size)]
    residuals = [y - sum(b * xi for b, xi in zip(beta, x)) for x, y in zip(xs, ys)]
    variance = sum(e * e for e in residuals) / freedom * inverse[0][0]
    return beta[0], T_975.get(freedom, 2.045 if freedom < 30 else 1.96) * math.sqrt(variance)


def _inverse(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss–Jordan inverse of a small square matrix (the 3 × 3 normal equations above)."""
    n = len(matrix)
    rows = [list(row) + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [v / lead for v in rows[col]]
        for r in range(n):
            if r != col:
                factor = rows[r][col]
                rows[r] = [v - factor * w for v, w in zip(rows[r], rows[col])]
    return [row[n:] for row in rows]


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
    parser.add_argument("--days-log", type=Path, default=None,
                        help="with --days: append each day to this JSON-lines file as it ends; days already in it are not run again")
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
        result = simulate_days(params, args.days, virtual_time=args.speed is None, speed=args.speed or 1.0, recursion=args.recursion_days,
                               log=args.days_log)
    else:
        result = simulate(params, virtual_time=args.speed is None, speed=args.speed or 1.0)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        served = f"{result['days']} days, {result['counted']} citizens counted" if args.days else f"{result['served']} served, {result['counted']} counted after warm-up"
        print(f"M/M/{args.cabins}, λ = {args.arrivals_per_hour}/h, S = {args.service_minutes} min, ρ = {result['rho']}: {served}")
        print(f"  mean wait   {result['mean_wait_minutes']:.2f} ± {result['mean_wait_ci95_minutes']:.2f} min   Erlang C {result['erlang_mean_wait_minutes']:.2f}")
        if "controlled" in result:
            cv = result["controlled"]
            print(f"  controlled  {cv['mean_wait_minutes']:.2f} ± {cv['mean_wait_ci95_minutes']:.2f} min ({cv['mean_wait_ratio']:.3f} × Erlang C, "
                  f"interval {100 * (cv['ci95_relative'] or math.inf):.1f} %)")
        print(f"  P(wait)     {result['p_wait']:.3f} ± {result['p_wait_ci95']:.3f}       Erlang C {result['erlang_p_wait']:.3f}")
        if "recursion" in result:
            r = result["recursion"]
            print(f"  FCFS recursion, {r['days']} more days: mean wait {r['mean_wait_minutes']:.2f} ± {r['mean_wait_ci95_minutes']:.2f} min "
                  f"({r['mean_wait_ratio']:.3f} × Erlang C; controlled {r['controlled']['mean_wait_ratio']:.3f} ± "
                  f"{100 * (r['controlled']['ci95_relative'] or math.inf):.1f} %), P(wait) {r['p_wait']:.3f}")
        print(f"  estimate    relative RMSE {result['estimate_relative_rmse']}   the M/M/c predictor (n+1)/(cμ) on the same citizens "
              f"{result['ideal_relative_rmse']}   √(1−ρ) {result['best_relative_rmse']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
