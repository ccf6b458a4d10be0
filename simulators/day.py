"""`hall simulate day`: a whole day at the hall through the real server, in seconds.

Citizens arrive per service as Poisson processes shaped by the scenario's daily profile
(morning peak, lunch closed, afternoon lull), some with priority, some leaving before they are
called (no-shows: the officer recalls them and marks the no-show); officers open their cabins,
call the next ticket (the hall's dispatch policy chooses), serve for a lognormal time, record a
dossier for part of the reception visits, take breaks with reasons and lunch, and close when
the day is done. A public display (`/ws/display/board`) stays connected all day, applies the
snapshot and every delta, and is checked at the end against the server's own API. At the end
the day's statistics are read from the server (`/api/v1/stats/today`) and everything is written
as JSON, with the validation of the wait estimate (estimate at issue against the actual wait,
beside the naive "people ahead × mean service time ÷ cabins").

    hall simulate day                       # the default hall and scenario, virtual time
    hall simulate day --seed 3 --out day.json
    hall simulate day --policy own-department-fifo
    hall simulate day --speed 600           # real time × 600

The same seed gives the same day: every random draw is made up front from one generator and
idle officers are woken in a fixed order (simulators/citizens.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time as wall
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from hall.config import HallConfig, load_hall
from hall.day_capacity import closing_at
from hall.workcalendar import HALL_TZ

from . import virtual
from .citizens import Break, Hall, Officer, OfficerPlan, SimTime, Visit, lognormal_seconds, poisson_arrivals
from .day_devices import DayDevices, DeviceScenario, plan_citizens
from .wire import RawWebSocket, WireError

DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "default_day.toml"
PRIORITIES = ("elderly", "disability", "pregnant", "merit", "child")


@dataclass
class DayOptions:
    config: str | None = None
    scenario: str | None = None
    seed: int = 1
    virtual: bool = True
    speed: float = 600.0
    scale: float = 1.0  # share of the scenario's visits (benchmarks and tests run a small day)
    hours: float | None = None  # only the first H hours of arrivals
    policy: str | None = None  # override rules.dispatch_policy
    db: str | None = None
    devices: bool = True  # tickets at the kiosks, ratings on the pads (False: tickets over HTTP, no ratings)
    paper_roll: int | None = None  # override the scenario's paper_roll_tickets (tests run out of paper sooner)


def scenario_path(name: str | None) -> Path:
    """A scenario file, or the name of a shipped one (`default_day`, `overload`)."""
    if name is None:
        return DEFAULT_SCENARIO
    shipped = DEFAULT_SCENARIO.parent / f"{name}.toml"
    return shipped if "/" not in name and shipped.exists() else Path(name)


def at(day: dt.date, hhmm: str) -> float:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), HALL_TZ).timestamp()


def arrival_rates(config: HallConfig, scenario: dict[str, Any], scale: float) -> dict[str, float]:
    """Visits per day per service: TKQ its share, the rest by each agency's capacity."""
    day = scenario["day"]
    visits = day["visits"] * scale
    tkq = day.get("tkq_share", 0.15) if "TKQ" in config.services else 0.0
    def cabin_part(cabin: Any, code: str) -> float:  # a cabin serving two queues at full weight gives each half
        if cabin.profile.get(code, 0) < 1.0:
            return 0.0
        return 1.0 / sum(1 for w in cabin.profile.values() if w >= 1.0)

    capacity = {code: sum(cabin_part(c, code) for c in config.cabins.values()) / s.mean_service_minutes
                for code, s in config.services.items() if code != "TKQ"}
    total = sum(capacity.values())
    rates = {code: visits * (1 - tkq) * cap / total for code, cap in capacity.items() if cap > 0}
    if tkq:
        rates["TKQ"] = visits * tkq
    return rates


@dataclass
class Arrival:
    at: float
    service: str
    priority: str | None
    no_show: bool
    demand: float


def plan_arrivals(config: HallConfig, scenario: dict[str, Any], rng: random.Random, day: dt.date,
                  scale: float, hours: float | None) -> list[Arrival]:
    profile = sorted((at(day, k), float(v)) for k, v in scenario["profile"].items())
    weights_seconds = sum(w for _, w in profile) * 1800  # integral of the profile over the day
    start = profile[0][0]
    end = start + hours * 3600 if hours else profile[-1][0] + 1800
    params = scenario["day"]

    def weight(t: float) -> float:
        for slot_start, w in profile:
            if slot_start <= t < slot_start + 1800:
                return w
        return 0.0

    peak = max(w for _, w in profile)
    out: list[Arrival] = []
    for code, per_day in sorted(arrival_rates(config, scenario, scale).items()):
        per_hour_at_unit = per_day / weights_seconds * 3600
        for t in poisson_arrivals(rng, lambda t: per_hour_at_unit * weight(t), start, end, per_hour_at_unit * peak):
            priority = rng.choice(PRIORITIES) if rng.random() < params.get("priority_share", 0.0) else None
            no_show = rng.random() < params.get("no_show_share", 0.0)
            demand = lognormal_seconds(rng, config.services[code].mean_service_minutes, params.get("service_cv", 0.6))
            out.append(Arrival(t, code, priority, no_show, demand))
    out.sort(key=lambda a: a.at)
    return out


def plan_officers(config: HallConfig, scenario: dict[str, Any], rng: random.Random, day: dt.date) -> list[OfficerPlan]:
    params = scenario["day"]
    procedures: dict[str, list[str]] = {}
    for code, versions in sorted(config.procedures.items()):
        procedures.setdefault(versions[-1].department, []).append(code)
    salt = rng.random()
    share = params.get("dossier_share", 0.0)

    def dossier(visit: Visit) -> str | None:
        choices = procedures.get(config.services[visit.service].department)
        if visit.service == "TKQ" or not choices:
            return None
        # drawn from the ticket number, so the same visit records the same dossier whoever serves it
        local = random.Random(f"{salt}-{visit.number}")
        return local.choice(choices) if local.random() < share else None

    plans = []
    for number in sorted(config.cabins):
        officer = config.officer_of(number)
        if officer is None:
            continue
        breaks = []
        for item in scenario.get("breaks", []):
            if rng.random() >= item.get("share", 1.0):
                continue
            lo, hi = at(day, item["from"]), at(day, item["to"])
            back = at(day, item["back"]) if "back" in item else None
            breaks.append(Break(lo + rng.random() * (hi - lo), float(item["minutes"]), item["reason"], back))
        plans.append(OfficerPlan(
            number, officer.username, frozenset(config.cabins[number].profile), at(day, params.get("officers_open", "07:25")) + number,
            breaks, params.get("walk_seconds", 0.0), params.get("recall_every_seconds", 40.0),
            config.rules.recalls_before_no_show, dossier if share else None,
        ))
    return plans


class Display:
    """A public screen: snapshot, then deltas in order; keeps queues and cabins as shown."""

    def __init__(self, url: str, kind: str = "board") -> None:
        self.ws = RawWebSocket(url, f"/ws/display/{kind}")
        self.seq = 0
        self.services: dict[str, int] = {}
        self.cabins: dict[int, str] = {}
        self.frames = 0
        self.gaps = 0

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.ws.connect()
        snap = json.loads(await self.ws.receive())
        self.seq = snap["seq"]
        self._take(snap)
        task_status.started()
        try:
            while True:
                frame = json.loads(await self.ws.receive())
                if frame.get("t") != "delta":
                    continue
                self.frames += 1
                if frame["events"] and frame["events"][0]["seq"] != self.seq + 1:
                    self.gaps += 1
                self.seq = frame["seq"]
                self._take(frame)
        except WireError:
            return

    def _take(self, frame: dict[str, Any]) -> None:
        for s in frame.get("services", []):
            self.services[s["code"]] = s["waiting"]
        for c in frame.get("cabins", []):
            self.cabins[c["number"]] = c["state"]


async def _get(hall: Hall, path: str, headers: dict[str, str] | None = None) -> Any:
    http = hall.client()
    try:
        status, body = await http.json("GET", path, None, headers)
    finally:
        await http.aclose()
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body}")
    return body


async def _sign_in(hall: Hall, username: str, password: str = "demo") -> dict[str, str]:
    http = hall.client()
    try:
        status, body = await http.json("POST", "/api/v1/auth/login", {"username": username, "password": password})
    finally:
        await http.aclose()
    if status != 200:
        raise RuntimeError(f"login {username}: {status} {body}")
    return {"Authorization": f"Bearer {body['token']}"}


def day_hall_file(options: DayOptions, workdir: Path, speed: float) -> str | None:
    """The hall file the day's server runs: the given one keeping its hours, with the policy override and, with
    devices, device heartbeats every 5 simulated minutes instead of 15 s (a day of 65 devices
    beating every 15 s would be half a million frames of nothing, like hypercorn's idle timeouts
    relaxed in simulators/virtual.py). Heartbeats are paced on trio's clock, the offline limit on
    the hall clock, hence the speed."""
    path = Path(options.config) if options.config else Path(load_hall.__code__.co_filename).parent / "default_hall.toml"
    text = path.read_text("utf-8")
    # A real day keeps the hall's hours (the shipped file opens at any hour for demos): kiosks stop
    # at the last-ticket time and the day-capacity cut-off applies (hall/day_capacity.py).
    text = re.sub(r"(?m)^accept_tickets_any_hour\s*=\s*true", "accept_tickets_any_hour = false", text)
    if options.policy:
        text, n = re.subn(r'(?m)^dispatch_policy\s*=\s*"[^"]*"', f'dispatch_policy = "{options.policy}"', text)
        if n == 0:
            text = text.replace("[rules]", f'[rules]\ndispatch_policy = "{options.policy}"', 1)
    if options.devices and not re.search(r"(?m)^\[device_protocol\]", text):
        text += f"\n[device_protocol]\nheartbeat_seconds = {300 / speed:g}\noffline_after_seconds = 900\n"
    out = workdir / "hall.toml"
    out.write_text(text, "utf-8")
    return str(out)


async def _simulate(options: DayOptions, workdir: Path) -> dict[str, Any]:
    scenario = tomllib.loads(scenario_path(options.scenario).read_text("utf-8"))
    config_path = day_hall_file(options, workdir, 1.0 if options.virtual else options.speed)
    config = load_hall(config_path)
    day = dt.date.fromisoformat(str(scenario["day"]["date"]))
    rng = random.Random(options.seed)
    arrivals = plan_arrivals(config, scenario, rng, day, options.scale, options.hours)
    plans = plan_officers(config, scenario, rng, day)
    # Device draws come from a generator of their own: the same citizens and officers as without devices.
    device_rng = random.Random(f"devices-{options.seed}")
    device_scenario = DeviceScenario.from_scenario(scenario, options.paper_roll)
    kiosk_count = sum(1 for d in config.devices.values() if d.kind == "kiosk" and d.printer)
    citizen_devices = plan_citizens(config, device_scenario, device_rng, len(arrivals), max(kiosk_count, 1))
    start = at(day, "07:00")
    time = SimTime(start, 1.0 if options.virtual else options.speed)
    db = options.db or ("sqlite://" if options.virtual else f"sqlite:///{workdir / 'day.db'}")
    wall_started = wall.perf_counter()
    async with virtual.served_hall(config_path, db, time, virtual=options.virtual) as (hall, _server):
        # Officers leave by half an hour after closing (rules.serve_after_close_minutes): whoever still waits is unserved.
        hall.deadline = closing_at(config, start) + config.rules.serve_after_close_minutes * 60
        display = Display(hall.url)
        devices = DayDevices(hall, config, device_scenario, citizen_devices, device_rng, workdir) if options.devices and kiosk_count else None
        if devices is not None:
            for plan in plans:
                plan.after_visit = devices.after_visit
        officers = [Officer(hall, plan) for plan in plans]
        async with trio.open_nursery() as nursery:
            await nursery.start(display.run)
            if devices is not None:
                await devices.start(nursery, [p.cabin for p in plans])
            async with trio.open_nursery() as people:
                for officer in officers:
                    people.start_soon(officer.run)
                http = hall.client()
                for index, arrival in enumerate(arrivals):
                    await time.sleep_until(arrival.at)
                    if devices is not None:
                        await devices.take(index, arrival.service, arrival.demand, arrival.priority, arrival.no_show)
                    else:
                        await hall.take_ticket(http, arrival.service, arrival.demand, arrival.priority, arrival.no_show)
                await http.aclose()
                last = max([a.at for a in arrivals] + [p.opens_at for p in plans])
                await time.sleep_until(max(last, at(day, "17:00")))
                hall.close()
            simulated_end = time.now()
            if devices is not None:
                await devices.settle()  # the last citizens rate, the last reprints come out
            await time.sleep(5)  # the last deltas reach the display
            health = await _get(hall, "/api/v1/health")
            services = await _get(hall, "/api/v1/services")
            cabins = await _get(hall, "/api/v1/cabins")
            stats_today = await _get(hall, f"/api/v1/stats/today?day={day.isoformat()}")
            device_rows = (await _get(hall, "/api/v1/devices", await _sign_in(hall, "quanly")))["devices"]  # staff only
            if devices is not None:
                await devices.aclose()
            nursery.cancel_scope.cancel()
    wall_seconds = wall.perf_counter() - wall_started
    shown_ok = (display.seq == health["seq"] and display.gaps == 0
                and all(display.services.get(s["code"]) == s["waiting"] for s in services["services"])
                and all(display.cabins.get(c["number"]) == c["state"] for c in cabins["cabins"]))
    result = summarise(config, hall, officers)
    result.update({
        "seed": options.seed, "day": day.isoformat(), "policy": config.rules.dispatch_policy,
        "simulated_seconds": round(simulated_end - start, 1), "wall_seconds": round(wall_seconds, 2),
        "speedup": round((simulated_end - start) / wall_seconds, 1),
        "display": {"frames": display.frames, "gaps": display.gaps, "last_seq": display.seq, "consistent": shown_ok},
        "stats_today": stats_today,
        "devices": devices.summary() if devices is not None else None,
        "printers": {d["id"]: {"jobs_printed": d["jobs_printed"], "jobs_failed": d["jobs_failed"], "faults": d["faults"]}
                     for d in device_rows if d["kind"] == "printer" and (d["jobs_printed"] or d["jobs_failed"])},
    })
    return result


def summarise(config: HallConfig, hall: Hall, officers: list[Officer]) -> dict[str, Any]:
    visits = list(hall.visits.values())
    called = [v for v in visits if v.called_at is not None and not v.no_show]
    waits = sorted(v.wait_minutes or 0.0 for v in called)
    within = [(v.wait_minutes or 0.0) <= config.services[v.service].target_wait_minutes for v in called]
    waited = [v for v in called if (v.wait_minutes or 0) > 1e-9]
    actual = [v.wait_minutes or 0.0 for v in waited]

    def quality(predict: Any) -> dict[str, Any]:
        errors = [predict(v) - (v.wait_minutes or 0.0) for v in waited]
        if not errors:
            return {}
        return {
            "mean_error_minutes": round(statistics.fmean(errors), 2),
            "relative_rmse": round(math.sqrt(statistics.fmean(e * e for e in errors)) / statistics.fmean(actual), 3),
            "share_underestimated": round(sum(1 for e in errors if e < 0) / len(errors), 3),
        }

    calls = [v.called_at for v in visits if v.called_at is not None]
    demand = sum(v.demand_seconds for v in visits if not v.no_show) / 60
    capacity = sum(60 * 7.5 for _ in officers)
    rho = min(demand / capacity, 0.999) if capacity else 0.0
    return {
        "issued": len(visits),
        "served": sum(1 for v in visits if v.outcome == "served"),
        "no_shows": sum(1 for v in visits if v.outcome == "no_show"),
        "unserved": sum(1 for v in visits if v.outcome == "waiting"),
        "priority": sum(1 for v in visits if v.priority),
        "dossiers": sum(o.dossiers for o in officers),
        "pauses": sum(o.pauses for o in officers),
        "refusals": hall.refusals[:5],
        "refused": len(hall.refusals),
        "last_call": config.local(max(calls)).strftime("%H:%M") if calls else None,
        "dispatch": {"idle_while_overdue_minutes": round(idle_while_overdue(config, visits, {o.plan.cabin: o.idle for o in officers}) / 60, 2)},
        "wait": {
            "mean_minutes": round(statistics.fmean(waits), 2) if waits else None,
            "p90_minutes": round(waits[int(0.9 * (len(waits) - 1))], 2) if waits else None,
            "max_minutes": round(waits[-1], 2) if waits else None,
            "share_within_target": round(sum(within) / len(within), 3) if within else None,
        },
        "estimate": {
            "hall": quality(lambda v: v.estimate_minutes),
            "naive": quality(lambda v: naive_minutes(config, v.service, v.ahead)),
            "by_service": error_breakdown(waited, lambda v: v.service),
            "by_hour": error_breakdown(waited, lambda v: config.local(v.issued_at).strftime("%H")),
            "utilisation": round(rho, 3),
            "best_relative_rmse_at_this_load": round(math.sqrt(1 - rho), 3),
        },
    }


def naive_minutes(config: HallConfig, service: str, ahead: int) -> float:
    """The naive predictor the hall's estimate is measured against: people ahead × the configured
    mean ÷ the cabins serving the queue at full weight."""
    cabins = max(1, sum(1 for c in config.cabins.values() if c.profile.get(service, 0) >= 1.0))
    return ahead * config.services[service].mean_service_minutes / cabins


def error_breakdown(waited: list[Visit], key: Any) -> dict[str, dict[str, float]]:
    """Where the hall estimate's error comes from: per group (a service, an hour of issue) the
    citizens who waited, their mean wait, the mean error (estimate − wait, minutes) and the
    group's share of the day's summed squared error, largest share first."""
    groups: dict[str, list[Visit]] = {}
    for v in waited:
        groups.setdefault(key(v), []).append(v)
    total = sum((v.estimate_minutes - (v.wait_minutes or 0.0)) ** 2 for v in waited) or 1.0
    rows = {}
    for name, group in groups.items():
        errors = [v.estimate_minutes - (v.wait_minutes or 0.0) for v in group]
        rows[name] = {"waited": len(group), "mean_wait_minutes": round(statistics.fmean(v.wait_minutes or 0.0 for v in group), 2),
                      "mean_error_minutes": round(statistics.fmean(errors), 2),
                      "share_of_squared_error": round(sum(e * e for e in errors) / total, 3)}
    return dict(sorted(rows.items(), key=lambda item: -item[1]["share_of_squared_error"]))


def idle_while_overdue(config: HallConfig, visits: list[Visit], idle: dict[int, list[tuple[float, float]]]) -> float:
    """Seconds, summed over cabins, that a cabin sat open and idle (`idle`: cabin -> its idle
    spans) while a citizen it could serve (its profile has their queue) had waited more than
    twice their queue's target wait."""
    overdue: dict[str, list[tuple[float, float]]] = {}
    end_of_day = max([v.called_at or 0.0 for v in visits] + [b for spans in idle.values() for _, b in spans], default=0.0)
    for v in visits:
        late = v.issued_at + 2 * config.services[v.service].target_wait_minutes * 60
        until = v.called_at if v.called_at is not None else end_of_day
        if until > late:
            overdue.setdefault(v.service, []).append((late, until))
    total = 0.0
    for cabin, spans in idle.items():
        late = merge(span for code in config.cabins[cabin].profile for span in overdue.get(code, ()))
        total += overlap(merge(spans), late)
    return total


def merge(spans: Any) -> list[tuple[float, float]]:
    """Sorted, disjoint union of (from, to) spans."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def overlap(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> float:
    """Total length of the intersection of two sorted, disjoint span lists."""
    i = j = 0
    total = 0.0
    while i < len(first) and j < len(second):
        a, b = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        total += max(0.0, b - a)
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return total


def simulate_day(options: DayOptions, workdir: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hall-day-") as folder:
        return virtual.run(_simulate, options, workdir or Path(folder), virtual=options.virtual)


def measure_speedup(workdir: Path, scale: float = 1.0, hours: float | None = None) -> dict[str, Any]:
    """For `hall bench`: the default day under the virtual clock, simulated seconds per wall second;
    beside it the same citizens with tickets over HTTP and no rating pads, which shows what the
    device path costs (mostly the server rendering each ticket's image, docs/benchmarks.md)."""
    result = simulate_day(DayOptions(scale=scale, hours=hours), workdir)
    plain = simulate_day(DayOptions(scale=scale, hours=hours, devices=False), workdir)
    return {"speedup": result["speedup"], "issued": result["issued"], "wall_seconds": result["wall_seconds"],
            "simulated_seconds": result["simulated_seconds"],
            "without_devices": {"speedup": plain["speedup"], "wall_seconds": plain["wall_seconds"]}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall simulate day", description="A whole day at the hall through the real server.")
    parser.add_argument("--config", help="hall file (default: the shipped Quảng Nam hall)")
    parser.add_argument("--scenario", help=f"scenario file, or a shipped one by name: default_day, overload (default: {DEFAULT_SCENARIO.stem})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (the same seed gives the same day)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--virtual", action="store_true", help="virtual time, in-process server (the default)")
    mode.add_argument("--speed", type=float, help="real time × SPEED (in-process server on the scaled clock)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the scenario's visits")
    parser.add_argument("--policy", help="dispatch policy to use instead of the hall file's (weighted, own-department-fifo)")
    parser.add_argument("--db", help="store URL to keep the day's journal (default: in memory in virtual mode)")
    parser.add_argument("--no-devices", action="store_true", help="tickets over HTTP and no ratings (the day before the devices)")
    parser.add_argument("--paper-roll", type=int, help="tickets a printer's paper roll holds (default: the scenario's)")
    parser.add_argument("--out", default="day.json", help="where the JSON goes (default day.json)")
    args = parser.parse_args(argv)
    options = DayOptions(args.config, args.scenario, args.seed, args.speed is None, args.speed or 1.0, args.scale,
                         None, args.policy, args.db, not args.no_devices, args.paper_roll)
    result = simulate_day(options)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    w, e = result["wait"], result["estimate"]
    print(f"{result['day']} ({result['policy']}, seed {result['seed']}): {result['issued']} tickets, {result['served']} served, "
          f"{result['no_shows']} no-shows, {result['dossiers']} dossiers, {result['pauses']} pauses")
    print(f"  last call {result['last_call']}, {result['unserved']} unserved, {result['refused']} tickets refused, "
          f"idle while overdue {result['dispatch']['idle_while_overdue_minutes']} cabin-minutes")
    print(f"  wait: mean {w['mean_minutes']} min, p90 {w['p90_minutes']}, max {w['max_minutes']}, within target {w['share_within_target']}")
    print(f"  estimate: hall {e['hall']}  naive {e['naive']}")
    print(f"  displays: {result['display']}")
    d = result["devices"]
    if d is not None:
        print(f"  kiosks: {d['kiosk_tickets']} tickets {d['by_kiosk']}, {d['paper_outs']} paper-outs, {d['refills']} refills, "
              f"{d['reprinted']} reprinted by the manager, {d['numbers_read_from_screen']} numbers read from the screen")
        print(f"  rating pads: {d['ratings_sent']} ratings sent, answers {d['rating_answers']}, satisfaction {d['satisfaction_pct']} %")
    hall_row = result["stats_today"].get("hall") or {}
    answers = sum((hall_row.get("ratings") or {}).values())
    print(f"  server statistics: {hall_row.get('tickets_issued')} issued, {hall_row.get('served')} served, "
          f"avg wait {hall_row.get('avg_wait_minutes')} min, {answers} rating answers {hall_row.get('ratings')}, "
          f"satisfaction {hall_row.get('satisfaction_pct')} %")
    print(f"  {result['simulated_seconds']:.0f} simulated s in {result['wall_seconds']} s: {result['speedup']}× real time")
    print("  statistics (GET /api/v1/stats/today):")
    print("  " + json.dumps(result["stats_today"], ensure_ascii=False)[:1500])
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
