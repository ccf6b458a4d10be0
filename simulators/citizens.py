"""The people of a simulated hall: citizens who take tickets and officers who call and serve.

Every action goes to a real hall server over HTTP (`simulators.wire`): a citizen `POST`s a
ticket, an officer opens the cabin, presses call-next, start, finish, recall, no-show, pause
and resume, and records dossiers. What the simulation keeps for itself is only what a person
would know: when they took their ticket, what wait they were told, when they were called.

Time is `SimTime`: hall seconds since the epoch. Under trio's `MockClock` (virtual mode) it is
the mock clock itself, so a whole day runs in seconds with the server's clock on the same
source; in `--speed X` mode one wall second is X hall seconds for both the server and the
people. Nothing here sleeps on the wall clock.

An idle officer does not poll: the simulation wakes idle officers when a ticket is issued (the
officer console shows the queue growing), and an officer whose call-next finds nobody waits
for the next ticket. So the hall's own dispatch decides who is called, never the simulation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from .wire import RawHttp


@dataclass
class SimTime:
    """Hall time as seconds since the epoch, mapped onto trio's clock at `speed`."""

    start_epoch: float
    speed: float = 1.0
    origin: float | None = None

    def source(self) -> float:
        """What the server's OffsetClock reads: trio time scaled to hall seconds."""
        return trio.current_time() * self.speed

    def now(self) -> float:
        if self.origin is None:
            self.origin = trio.current_time()
        return self.start_epoch + (trio.current_time() - self.origin) * self.speed

    async def sleep_until(self, epoch: float) -> None:
        if self.origin is None:
            self.origin = trio.current_time()
        await trio.sleep_until(self.origin + (epoch - self.start_epoch) / self.speed)

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + max(seconds, 0.0))


@dataclass
class Visit:
    """One citizen's ticket, as the citizen and the officer saw it (hall seconds)."""

    id: str
    number: str
    service: str
    priority: str | None
    issued_at: float
    ahead: int
    estimate_minutes: float
    demand_seconds: float = 0.0  # drawn with the arrival, so whoever serves, it takes as long
    no_show: bool = False
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    cabin: int | None = None
    outcome: str = "waiting"  # waiting | served | no_show | unserved

    @property
    def wait_minutes(self) -> float | None:
        return None if self.called_at is None else (self.called_at - self.issued_at) / 60


@dataclass
class Hall:
    """The simulation's handle on one served hall: the URL, the time and what people saw."""

    url: str
    time: SimTime
    visits: dict[str, Visit] = field(default_factory=dict)
    closing: bool = False  # no more arrivals: officers leave once their queues are empty
    refusals: list[str] = field(default_factory=list)
    idle: dict[int, "IdleSlot"] = field(default_factory=dict)  # cabin -> its idle officer
    max_idle: float = 3.0  # seconds a keep-alive connection may idle before a fresh one is taken
    deadline: float = math.inf  # officers go home then even with citizens waiting (before the day rolls)
    kiosk: tuple[str, str] | None = None  # (device id, token) of the kiosk citizens take tickets at; None: the web
    web_tickets: int = 0  # taken on the web so far: each citizen's phone number is made from it

    def client(self) -> RawHttp:
        http = RawHttp(self.url)
        http.max_idle = self.max_idle
        return http

    async def offer(self, visit: Visit) -> None:
        """Wake idle officers who serve this queue, lowest cabin first, one at a time, until
        one has called someone (deterministic: the same seed gives the same day)."""
        for cabin in sorted(self.idle):
            slot = self.idle.get(cabin)
            if slot is None or visit.service not in slot.services:
                continue
            del self.idle[cabin]
            slot.wake.set()
            await slot.tried.wait()
            if visit.called_at is not None:
                return

    async def take_ticket(self, http: RawHttp, service: str, demand_seconds: float, priority: str | None = None,
                          no_show: bool = False) -> Visit | None:
        """At the hall's kiosk (it proves itself with its device token), or on the web without one
        (where priorities are not given: api/routes/tickets.py)."""
        if self.kiosk is not None:
            body, headers = {"service": service, "priority": priority, "channel": "kiosk"}, {"Authorization": f"Device {self.kiosk[0]} {self.kiosk[1]}"}
        else:
            # a web ticket needs the citizen's mobile number and claims no priority
            self.web_tickets += 1
            body, headers = {"service": service, "channel": "web", "phone": f"09{self.web_tickets:08d}"}, None
        status, body = await http.json("POST", "/api/v1/tickets", body, headers)
        if status != 201:  # a refusal is part of the day's record, not a crash
            self.refusals.append(f"ticket {service}: {status} {body}")
            return None
        return await self.ticket_taken(body, service, demand_seconds, priority, no_show)

    async def ticket_taken(self, body: dict[str, Any], service: str, demand_seconds: float, priority: str | None = None,
                           no_show: bool = False) -> Visit:
        """Record a ticket the citizen holds (from the HTTP API or a kiosk's `ticket` frame) and
        wake the officers who serve its queue."""
        visit = self.record_ticket(body, service, demand_seconds, priority, no_show)
        await self.offer(visit)
        return visit

    def record_ticket(self, body: dict[str, Any], service: str, demand_seconds: float, priority: str | None = None,
                      no_show: bool = False) -> Visit:
        """Only record it (an officer who calls it then knows the citizen); `offer` wakes officers."""
        visit = Visit(body["id"], body["number"], service, priority, self.time.now(), body["ahead"],
                      float((body.get("estimate") or {}).get("minutes", body["estimated_wait_minutes"])), demand_seconds, no_show)
        early = self.visits.get(visit.id)
        if early is not None:  # at --speed X an officer may call it before the citizen has read the answer
            early.ahead, early.estimate_minutes, early.priority = visit.ahead, visit.estimate_minutes, visit.priority
            early.demand_seconds, early.no_show, early.issued_at = demand_seconds, no_show, min(visit.issued_at, early.issued_at)
            return early
        self.visits[visit.id] = visit
        return visit

    def close(self) -> None:
        self.closing = True
        for slot in self.idle.values():
            slot.wake.set()
        self.idle.clear()


@dataclass(eq=False)
class IdleSlot:
    services: frozenset[str]
    wake: trio.Event = field(default_factory=trio.Event)
    tried: trio.Event = field(default_factory=trio.Event)


@dataclass(frozen=True, order=True)
class Break:
    """A pause an officer takes after the visit in progress at `start`: `minutes` long, or until
    `back` (lunch: the afternoon session starts at 13:30 however late the morning's last visit ended)."""

    start: float
    minutes: float
    reason: str
    back: float | None = None

    def ends(self, paused_at: float) -> float:
        return max(self.back, paused_at) if self.back is not None else max(paused_at, self.start) + self.minutes * 60


@dataclass
class OfficerPlan:
    """What one officer does besides calling: breaks, dossiers."""

    cabin: int
    username: str
    services: frozenset[str]  # the queues this cabin's profile serves
    opens_at: float
    breaks: list[Break] = field(default_factory=list)
    walk_seconds: float = 0.0  # from the call until the citizen sits down
    recall_every: float = 40.0  # seconds between recalls of a citizen who does not come
    recalls_before_no_show: int = 3  # the hall file's rules.recalls_before_no_show
    dossier: Callable[[Visit], str | None] | None = None  # procedure to record for a visit
    after_visit: Callable[[Visit], Any] | None = None  # e.g. the rating pad (awaited if async)


class Officer:
    """One officer at one cabin, working through the day over the HTTP API."""

    def __init__(self, hall: Hall, plan: OfficerPlan) -> None:
        self.hall, self.plan = hall, plan
        self.http = hall.client()
        self.headers: dict[str, str] = {}
        self.served = 0
        self.dossiers = 0
        self.pauses = 0
        self.idle: list[tuple[float, float]] = []  # open with nobody to call: (from, to) in hall seconds

    async def act(self, action: str, body: dict[str, Any] | None = None, expect: tuple[int, ...] = (200,)) -> tuple[int, Any]:
        path = f"/api/v1/cabins/{self.plan.cabin}/{action}"
        status, answer = await self.http.json("POST", path, body or {}, self.headers)
        if status == 401:  # the token expired during a long simulated day: sign in again
            await self.login()
            status, answer = await self.http.json("POST", path, body or {}, self.headers)
        if status not in expect:
            raise RuntimeError(f"cabin {self.plan.cabin} {action}: {status} {answer}")
        return status, answer

    async def login(self) -> None:
        status, body = await self.http.json("POST", "/api/v1/auth/login", {"username": self.plan.username, "password": "demo"})
        if status != 200:
            raise RuntimeError(f"login {self.plan.username}: {status} {body}")
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    async def run(self) -> None:
        time, hall = self.hall.time, self.hall
        await time.sleep_until(self.plan.opens_at)
        await self.login()
        await self.act("open")
        breaks = sorted(self.plan.breaks)
        slot: IdleSlot | None = None
        while time.now() < hall.deadline:
            if breaks and time.now() >= breaks[0].start:
                pause = breaks.pop(0)
                await self.act("pause", {"reason": pause.reason})
                self.pauses += 1
                await time.sleep_until(pause.ends(time.now()))
                await self.act("resume")
                continue
            status, answer = await self.act("call-next", expect=(200, 204))
            if status == 200:
                visit = self.called(answer)
            if slot is not None:
                slot.tried.set()  # the citizen who woke us knows whether we called someone
                slot = None
            if status == 200:
                await self.serve(visit)
                continue
            if hall.closing:
                break
            slot = IdleSlot(self.plan.services)
            hall.idle[self.plan.cabin] = slot
            idle_from = time.now()
            with trio.move_on_at(_trio_deadline(time, min(breaks[0].start if breaks else math.inf, hall.deadline))):
                await slot.wake.wait()
            self.idle.append((idle_from, time.now()))
            if hall.idle.get(self.plan.cabin) is slot:
                del hall.idle[self.plan.cabin]
                slot = None  # woken by a break, not by a citizen
        await self.act("close")
        await self.http.aclose()

    def called(self, answer: dict[str, Any]) -> Visit:
        time = self.hall.time
        visit = self.hall.visits.get(answer["id"])
        if visit is None:  # a ticket the simulation did not issue (another client), or not yet read: serve it plainly
            visit = Visit(answer["id"], answer["number"], answer["service"], answer.get("priority"), time.now(), 0, 0.0, 300.0)
            self.hall.visits[visit.id] = visit
        visit.called_at, visit.cabin = time.now(), self.plan.cabin
        return visit

    async def serve(self, visit: Visit) -> None:
        time = self.hall.time
        if visit.no_show:
            for _ in range(self.plan.recalls_before_no_show):
                await time.sleep(self.plan.recall_every)
                await self.act("recall")
            await time.sleep(self.plan.recall_every)
            await self.act("no-show")
            visit.outcome = "no_show"
            return
        if self.plan.walk_seconds:
            await time.sleep(self.plan.walk_seconds)
        await self.act("start")
        visit.started_at = time.now()
        await time.sleep(visit.demand_seconds)
        procedure = self.plan.dossier(visit) if self.plan.dossier else None
        if procedure is not None:
            await self.act("dossiers", {"procedure": procedure, "citizen_name": "Công dân mô phỏng"}, expect=(201,))
            self.dossiers += 1
        await self.act("finish")
        visit.finished_at, visit.outcome = time.now(), "served"
        self.served += 1
        if self.plan.after_visit is not None:
            result = self.plan.after_visit(visit)
            if hasattr(result, "__await__"):
                await result


def _trio_deadline(time: SimTime, epoch: float | None) -> float:
    if epoch is None:
        return math.inf
    if time.origin is None:
        time.origin = trio.current_time()
    return time.origin + (epoch - time.start_epoch) / time.speed


def poisson_arrivals(rng: random.Random, rate_per_hour: Callable[[float], float], start: float, end: float,
                     peak_per_hour: float) -> list[float]:
    """Arrival instants of a non-homogeneous Poisson process on [start, end) by thinning."""
    out: list[float] = []
    if peak_per_hour <= 0:
        return out
    t = start
    while True:
        t += rng.expovariate(peak_per_hour / 3600)
        if t >= end:
            return out
        if rng.random() * peak_per_hour < rate_per_hour(t):
            out.append(t)


def lognormal_seconds(rng: random.Random, mean_minutes: float, cv: float) -> float:
    """A lognormal service time with the given mean (minutes) and coefficient of variation."""
    sigma2 = math.log(1 + cv * cv)
    mu = math.log(mean_minutes * 60) - sigma2 / 2
    return rng.lognormvariate(mu, math.sqrt(sigma2))
