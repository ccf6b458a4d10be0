"""`hall bench [--json]`: the project's speed, measured through the real server and real sockets.

What it measures (docs/benchmarks.md records the figures, the command and the machine):

* issuing: `POST /api/v1/tickets` from many keep-alive connections to `hall serve` running as
  its own process with group commit, against the same load on a server that commits each ticket
  on its own (the runtime's inline mode: one transaction per command) — tickets per second and
  p50/p99 latency, every ticket durable before its answer;
* call to screen: 500 clients on `/ws/display/hall`; an officer presses call-next over HTTP and
  the time until each client holds the `ticket_called` delta is taken, p50 and p99 over every
  (call, screen) pair; the server's resident memory (RSS) is read from /proc with them all
  connected;
* the default day under the virtual clock (`simulators.day`): simulated seconds per wall second;
* replay at start-up: a journal of several busy days is written, then `build_runtime` — what
  `hall serve` does before it listens — is timed: events per second.

The drivers use `simulators.wire` (lean clients) so the benchmark spends less CPU per request
than the server does and measures the server, not itself. Servers run as separate processes
(`python -m api.cli serve …`, or `python -m simulators.bench _serve --inline-commit …` for the
one-commit-per-ticket baseline) so RSS and CPU are the server's own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from .wire import RawHttp, RawWebSocket, WireError

JSON_KEYS = (
    "issue_tickets_per_s", "issue_p99_ms", "baseline_tickets_per_s", "call_to_screen_p50_ms",
    "call_to_screen_p99_ms", "screens", "day_speedup", "replay_events_per_s", "rss_mb",
)
TARGETS = {  # DESIGN targets on a 2-core machine: (key, comparison, value)
    "issue_tickets_per_s": (">=", 2000),
    "call_to_screen_p99_ms": ("<=", 50),
    "day_speedup": (">=", 1000),
    "replay_events_per_s": (">=", 50000),
    "rss_mb": ("<=", 150),
}
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class BenchSettings:
    tickets: int = 2000  # a busy day's visits issued as one burst
    connections: int = 64
    screens: int = 500
    calls: int = 40
    replay_days: int = 12  # about 100,000 events
    day: bool = True
    day_scale: float = 1.0  # share of the default scenario's arrivals (tests use a tiny day)
    day_hours: float | None = None


@dataclass
class BenchReport:
    figures: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


# ---- a server in its own process --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`hall serve` (or the inline-commit baseline) as a child process on a free port."""

    def __init__(self, workdir: Path, name: str, *, inline_commit: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = f"sqlite:///{workdir / (name + '.db')}"
        self.log_path = workdir / f"{name}.log"
        if inline_commit:
            cmd = [sys.executable, "-m", "simulators.bench", "_serve", "--inline-commit"]
        else:
            cmd = [sys.executable, "-m", "api.cli", "serve"]
        self.cmd = [*cmd, "--port", str(self.port), "--db", self.db]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "HALL_VOICE_DIR": str(workdir / "voice"),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 60.0) -> "ServerProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log, cwd=self.workdir, env=self.env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                http = await RawHttp(self.url).connect()
                try:
                    status, _ = await http.request("GET", "/api/v1/health")
                finally:
                    await http.aclose()
                if status == 200:
                    return self
            except (OSError, WireError):
                pass
            await trio.sleep(0.05)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {self.log_path}")

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _serve_inline(argv: Sequence[str]) -> int:
    """The baseline server: the real hall, committing each command in its own transaction."""
    from api.server import ServeOptions, run_hall, wait_for_signal

    parser = argparse.ArgumentParser(prog="hall bench _serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--inline-commit", action="store_true")
    args = parser.parse_args(argv)
    options = ServeOptions(db=args.db, port=args.port, inline_commit=args.inline_commit)
    trio.run(lambda: run_hall(options, shutdown_trigger=wait_for_signal))
    return 0


# ---- helpers ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


async def login(http: RawHttp, username: str, password: str = "demo") -> dict[str, str]:
    status, body = await http.json("POST", "/api/v1/auth/login", {"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"login of {username} failed: {status} {body}")
    return {"Authorization": f"Bearer {body['token']}"}


async def services_of(url: str) -> list[str]:
    http = await RawHttp(url).connect()
    try:
        status, body = await http.json("GET", "/api/v1/services")
    finally:
        await http.aclose()
    return [s["code"] for s in body["services"]]


# ---- issuing ---------------------------------------------------------------------------------


async def issue_load(url: str, tickets: int, connections: int) -> dict[str, float]:
    """Issue `tickets` tickets over `connections` keep-alive connections, spread over every
    service; returns tickets/s and latency percentiles (each answer means the ticket is durable)."""
    services = await services_of(url)
    latencies: list[float] = []
    counter = iter(range(tickets))

    async def worker() -> None:
        http = await RawHttp(url).connect()
        try:
            for i in counter:
                body = json.dumps({"service": services[i % len(services)]}).encode()
                started = time.perf_counter()
                status, raw = await http.request("POST", "/api/v1/tickets", body)
                latencies.append(time.perf_counter() - started)
                if status != 201:
                    raise RuntimeError(f"issuing refused: {status} {raw[:200]!r}")
        finally:
            await http.aclose()

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(min(connections, tickets)):
            nursery.start_soon(worker)
    elapsed = time.perf_counter() - started
    return {
        "tickets": tickets,
        "tickets_per_s": tickets / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


# ---- call to screen --------------------------------------------------------------------------


class Screen:
    """One hall display: its socket and the times it received each call."""

    def __init__(self, url: str) -> None:
        self.ws = RawWebSocket(url, "/ws/display/hall")
        self.calls: dict[str, float] = {}  # ticket number -> perf_counter at arrival
        self.arrived = trio.Event()
        self.expect: str | None = None

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.ws.connect()
        await self.ws.receive()  # the snapshot
        task_status.started()
        try:
            while True:
                message = await self.ws.receive()
                if self.expect is not None and message.startswith(b'{"t": "delta"') and b"ticket_called" in message:
                    if f'"number": "{self.expect}"'.encode() in message:
                        self.calls[self.expect] = time.perf_counter()
                        self.arrived.set()
        except WireError:
            return
        finally:
            await self.ws.aclose()


async def call_to_screen(server: ServerProcess, screens: int, calls: int, settle: float = 0.3) -> dict[str, float]:
    """p50/p99 from call-next (request sent) to the delta at each screen; RSS with them connected."""
    url = server.url
    http = await RawHttp(url).connect()
    headers = await login(http, "canbo33")
    status, body = await http.json("POST", "/api/v1/cabins/33/open", {}, headers)
    if status != 200:
        raise RuntimeError(f"cannot open cabin 33: {status} {body}")
    numbers = []
    for _ in range(calls):
        status, body = await http.json("POST", "/api/v1/tickets", {"service": "CA-TN"})
        numbers.append(body["number"])
    samples: list[float] = []
    missed = 0
    async with trio.open_nursery() as nursery:
        clients = [Screen(url) for _ in range(screens)]
        for client in clients:  # connect in small groups so the server's backlog never overflows
            await nursery.start(client.run)
        await trio.sleep(0.5)
        rss = server.rss_mb()
        await http.aclose()  # idle while the screens connected: past hypercorn's keep-alive timeout
        http = await RawHttp(url).connect()
        for number in numbers:
            for client in clients:
                client.expect, client.arrived = number, trio.Event()
            sent = time.perf_counter()
            status, body = await http.json("POST", "/api/v1/cabins/33/call-next", {}, headers)
            if status != 200 or body.get("number") != number:
                raise RuntimeError(f"call-next answered {status} {body}")
            with trio.move_on_after(5):
                for client in clients:
                    await client.arrived.wait()
            for client in clients:
                if number in client.calls:
                    samples.append(client.calls[number] - sent)
                else:
                    missed += 1
            await http.json("POST", "/api/v1/cabins/33/finish", {}, headers)
            await trio.sleep(settle)  # the finish delta and the announcement reach every screen before the next call
        rss = max(rss, server.rss_mb())
        nursery.cancel_scope.cancel()
    await http.aclose()
    if not samples:
        raise RuntimeError("no screen received any call")
    return {
        "screens": screens,
        "calls": calls,
        "deliveries": len(samples),
        "missed": missed,
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "max_ms": max(samples) * 1000,
        "rss_mb": rss,
    }


# ---- replay ----------------------------------------------------------------------------------


def write_busy_days(db_url: str, days: int, visits: int = 2000, seed: int = 1) -> int:
    """Journal `days` busy days through the real engine (issue, call, start, finish, cabins
    opening and closing); returns the number of events written."""
    from api.assembly import build_runtime
    from hall import commands as c
    from hall.clock import SystemClock
    from hall.config import load_hall
    from hall.lifecycle import CommandRefused

    config = load_hall()
    runtime = build_runtime(config, db_url, SystemClock(), inline_commit=True)
    engine, journal = runtime.engine, runtime.journal
    rng = random.Random(seed)
    services = list(config.services)
    cabins = sorted(config.cabins)
    start = 1_800_000_000.0  # a fixed instant: the journal is the same on every run
    pending: list = []
    written = 0

    def run(command: Any, now: float) -> None:
        nonlocal written
        events = engine.tick(now)
        try:
            events += engine.handle(command, now)
        except CommandRefused:
            pass
        pending.extend(events)
        written += len(events)
        if len(pending) >= 500:
            journal.append(config.id, pending)
            pending.clear()

    for day in range(days):
        now = start + day * 86400
        pending.extend(engine.tick(now))
        for number in cabins:
            officer = config.officer_of(number)
            if officer is not None:
                run(c.OpenCabin(number, officer.username, actor=officer.username), now)
        step = 8 * 3600 / visits
        for i in range(visits):
            now += step
            run(c.IssueTicket(ticket_id=secrets.token_urlsafe(9), service=rng.choice(services), channel="kiosk", actor="kiosk-01"), now)
            for number in rng.sample(cabins, 2):
                cabin = engine.state.cabins[number]
                if cabin.ticket is not None:
                    run(c.StartService(number, actor=cabin.officer), now)
                    run(c.FinishService(number, actor=cabin.officer), now)
                run(c.CallNext(number, actor=cabin.officer), now)
    if pending:
        journal.append(config.id, pending)
    written = journal.last_seq(config.id)
    journal.close()
    return written


def replay_rate(db_url: str) -> dict[str, float]:
    """Time what `hall serve` does before it listens: open the store and replay the journal."""
    from api.assembly import build_runtime
    from hall.clock import SystemClock
    from hall.config import load_hall

    config = load_hall()
    started = time.perf_counter()
    runtime = build_runtime(config, db_url, SystemClock())
    elapsed = time.perf_counter() - started
    runtime.journal.close()
    return {"events": runtime.replayed, "seconds": elapsed, "events_per_s": runtime.replayed / elapsed}


# ---- the whole run ---------------------------------------------------------------------------


def day_speedup(settings: BenchSettings, workdir: Path) -> dict[str, Any] | None:
    try:
        from . import day
    except ImportError:
        return None
    return day.measure_speedup(workdir, scale=settings.day_scale, hours=settings.day_hours)


async def run_bench(settings: BenchSettings, workdir: Path, progress: Any = None) -> BenchReport:
    report = BenchReport()
    say = progress or (lambda _msg: None)

    say(f"issuing {settings.tickets} tickets on {settings.connections} connections (group commit)…")
    server = await ServerProcess(workdir, "issue").start()
    try:
        issue = await issue_load(server.url, settings.tickets, settings.connections)
    finally:
        server.stop()
    say("issuing the same load with one commit per ticket (baseline)…")
    baseline_server = await ServerProcess(workdir, "baseline", inline_commit=True).start()
    try:
        baseline = await issue_load(baseline_server.url, settings.tickets, settings.connections)
    finally:
        baseline_server.stop()
    report.details["issue"], report.details["issue_baseline"] = issue, baseline

    say(f"call to screen with {settings.screens} hall displays, {settings.calls} calls…")
    server = await ServerProcess(workdir, "screens").start()
    try:
        screens = await call_to_screen(server, settings.screens, settings.calls)
    finally:
        server.stop()
    report.details["call_to_screen"] = screens

    say(f"replay: writing {settings.replay_days} busy days to a journal…")
    replay_db = f"sqlite:///{workdir / 'replay.db'}"
    written = await trio.to_thread.run_sync(write_busy_days, replay_db, settings.replay_days)
    replay = await trio.to_thread.run_sync(replay_rate, replay_db)
    replay["written"] = written
    report.details["replay"] = replay

    day = None
    if settings.day:
        say("the default day under the virtual clock…")
        day = await trio.to_thread.run_sync(day_speedup, settings, workdir)
        report.details["day"] = day

    report.figures = {
        "issue_tickets_per_s": round(issue["tickets_per_s"], 1),
        "issue_p50_ms": round(issue["p50_ms"], 2),
        "issue_p99_ms": round(issue["p99_ms"], 2),
        "baseline_tickets_per_s": round(baseline["tickets_per_s"], 1),
        "baseline_p99_ms": round(baseline["p99_ms"], 2),
        "call_to_screen_p50_ms": round(screens["p50_ms"], 2),
        "call_to_screen_p99_ms": round(screens["p99_ms"], 2),
        "screens": screens["screens"],
        "day_speedup": round(day["speedup"], 1) if day else None,
        "replay_events_per_s": round(replay["events_per_s"], 1),
        "rss_mb": round(screens["rss_mb"], 1),
    }
    report.details["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    return report


def verdicts(figures: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        if value is None:
            out[key] = "not measured"
            continue
        met = value >= target if op == ">=" else value <= target
        out[key] = f"{'met' if met else 'MISSED'} (target {op} {target})"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["_serve"]:
        return _serve_inline(argv[1:])
    parser = argparse.ArgumentParser(prog="hall bench", description="Measure the hall server through real sockets.")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--tickets", type=int, default=BenchSettings.tickets)
    parser.add_argument("--connections", type=int, default=BenchSettings.connections)
    parser.add_argument("--screens", type=int, default=BenchSettings.screens)
    parser.add_argument("--calls", type=int, default=BenchSettings.calls)
    parser.add_argument("--replay-days", type=int, default=BenchSettings.replay_days)
    parser.add_argument("--day-scale", type=float, default=1.0, help="share of the default day's arrivals (1 = the whole day)")
    parser.add_argument("--day-hours", type=float, default=None, help="simulate only the first H hours of the day")
    parser.add_argument("--no-day", action="store_true", help="skip the virtual day")
    parser.add_argument("--workdir", help="where the benchmark's stores go (default: a temporary folder)")
    args = parser.parse_args(argv)
    settings = BenchSettings(args.tickets, args.connections, args.screens, args.calls, args.replay_days,
                             not args.no_day, args.day_scale, args.day_hours)
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="hall-bench-", dir=args.workdir) as folder:
        report = trio.run(run_bench, settings, Path(folder), progress)
    if args.json:
        print(json.dumps({**report.figures, "details": report.details}, ensure_ascii=False))
        return 0
    checks = verdicts(report.figures)
    for key, value in report.figures.items():
        print(f"{key:>26}: {value}" + (f"   {checks[key]}" if key in checks else ""))
    plain = (report.details.get("day") or {}).get("without_devices")
    if plain:
        print(f"{'(day without devices)':>26}: {plain['speedup']}   tickets over HTTP, no rating pads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
