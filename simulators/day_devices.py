"""The hall's devices in a simulated day: kiosks with paper rolls, floor staff, rating pads.

`hall simulate day` takes its tickets the way citizens do — at a kiosk over `/ws/device`
(the `take` frame), each kiosk driving its own `SimulatedPrinter` over TCP 9100 — and has each
finished visit rated on the cabin's rating pad (the `rate` frame), so a day exercises the real
device protocol end to end:

- **Kiosks**: the hall file's kiosks (kiosk-01…04, each with its printer). A citizen chooses a
  kiosk, takes a ticket and stands there until the paper comes out or the kiosk says it could not
  print. A printer's roll holds `paper_roll_tickets` tickets (each printer starts the day with a
  partly used roll); when it runs out the ticket is still issued (durable before the answer),
  the kiosk answers `print_failed` with `paper_out` and beeps.
- **Floor staff**: on a beep they look at `GET /api/v1/devices` (the fault shows there), fetch a
  roll (`refill_minutes`), load it, and the kiosk reports `printer_status` paper ok. Citizens
  whose ticket did not print either took the number from the kiosk screen (`reads_screen_share`)
  or wait at the desk, and the manager reprints their tickets
  (`POST /api/v1/devices/{printer}/reprint`).
- **Rating pads** (rating-NN for cabin NN): when the cabin finishes a visit the pad gets
  `rating_open`; a share of citizens (`rating_share`) press a level for every criterion, drawn
  from `[devices.levels]`, `rating_seconds` after the finish.

Keypads stay on HTTP: the officers in simulators/citizens.py press their cabin actions through
the HTTP API (the keypad frames run the same code, `api.app.cabin_command`).

Every draw is made up front from a generator of its own (seeded from the day's seed), so the
citizens and officers are the same as in a day without devices, and the same seed gives the
same day. A kiosk serves one person at a time (a lock), so the print result it reports next
belongs to whoever holds it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import trio

from hall.config import HallConfig

from .citizens import Hall, Visit
from .devices import DeviceError, SimulatedKiosk, SimulatedRatingPad
from .escpos_printer import SimulatedPrinter

NO_PINGS = {"ping_interval": None}  # the device protocol has its own heartbeats


@dataclass(frozen=True)
class DeviceScenario:
    """The `[devices]` table of a day scenario."""

    paper_roll_tickets: int = 300
    refill_minutes: float = 4.0
    reads_screen_share: float = 0.5
    rating_share: float = 0.7
    rating_seconds: float = 8.0
    levels: tuple[tuple[str, float], ...] = (("rat_hai_long", 0.60), ("hai_long", 0.35), ("khong_hai_long", 0.05))

    @classmethod
    def from_scenario(cls, scenario: dict[str, Any], paper_roll: int | None = None) -> DeviceScenario:
        raw = dict(scenario.get("devices", {}))
        levels = raw.pop("levels", None)
        values = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        if levels:
            values["levels"] = tuple((str(k), float(v)) for k, v in levels.items())
        if paper_roll is not None:
            values["paper_roll_tickets"] = paper_roll
        return cls(**values)


@dataclass(frozen=True)
class CitizenDevices:
    """What one citizen does at the devices, drawn up front."""

    kiosk: int  # index into the hall's kiosks
    reads_screen: bool  # if the ticket does not print: the number from the screen, or the manager's reprint
    levels: dict[str, str] | None  # the rating pressed after the visit, or None (does not rate)


def plan_citizens(config: HallConfig, scenario: DeviceScenario, rng: random.Random, count: int, kiosks: int) -> list[CitizenDevices]:
    codes, weights = zip(*scenario.levels)
    out = []
    for _ in range(count):
        kiosk = rng.randrange(kiosks)
        reads_screen = rng.random() < scenario.reads_screen_share
        rates = rng.random() < scenario.rating_share
        levels = {c: rng.choices(codes, weights)[0] for c in config.rating_criteria}
        out.append(CitizenDevices(kiosk, reads_screen, levels if rates else None))
    return out


class DayKiosk(SimulatedKiosk):
    """A kiosk that remembers the order of its print results, and serves one person at a time."""

    ws_options: ClassVar[dict[str, Any]] = NO_PINGS

    def __init__(self, device: str, printer_address: tuple[str, int], alarm: trio.MemorySendChannel[Any]) -> None:
        super().__init__(device, printer_address=printer_address)
        self.lock = trio.Lock()
        self.results: list[tuple[str, str]] = []  # (job, "printed" | reason), in order
        self.alarm = alarm
        self._result = trio.Event()

    async def _print(self, frame: dict[str, Any]) -> None:
        await super()._print(frame)
        result = self.jobs[frame["job"]]
        self.results.append((frame["job"], result))
        self._result.set()
        self._result = trio.Event()
        if result != "printed":
            self.alarm.send_nowait(self.device)  # the kiosk beeps; the floor staff come

    async def result(self, index: int, timeout: float = 60.0) -> tuple[str, str]:
        """The `index`-th print result of this kiosk (waits for it)."""
        with trio.move_on_after(timeout):
            while len(self.results) <= index:
                await self._result.wait()
            return self.results[index]
        return ("", "no_print_job")


class DayRatingPad(SimulatedRatingPad):
    ws_options: ClassVar[dict[str, Any]] = NO_PINGS


@dataclass
class Stand:
    kiosk: DayKiosk
    printer: SimulatedPrinter
    printer_id: str
    refilling: bool = False
    reprint_wanted: list[str] = field(default_factory=list)


@dataclass
class PrintRecord:
    kiosk: str
    result: str  # of the first print: "printed" or the reason
    reprint: str | None = None  # result of the manager's reprint, if one was asked for
    read_screen: bool = False


class DayDevices:
    """The devices of one simulated day (see the module doc)."""

    def __init__(self, hall: Hall, config: HallConfig, scenario: DeviceScenario, plans: list[CitizenDevices],
                 rng: random.Random, workdir: Path) -> None:
        self.hall, self.config, self.scenario, self.plans = hall, config, scenario, plans
        self.rng, self.workdir = rng, workdir
        self.stands: list[Stand] = []
        self.pads: dict[int, DayRatingPad] = {}
        self.prints: dict[str, PrintRecord] = {}  # ticket id -> what happened at the kiosk
        self.to_rate: dict[str, dict[str, str]] = {}  # ticket id -> levels the citizen will press
        self.faults_seen: list[dict[str, Any]] = []  # GET /api/v1/devices rows the floor staff saw
        self.refills = 0
        self.ratings_refused: list[str] = []
        self.rating_not_offered = 0
        self._alarm_send, self._alarms = trio.open_memory_channel[str](math.inf)
        self._nursery: trio.Nursery | None = None
        self._manager_headers: dict[str, str] = {}
        self._manager = hall.client()
        self._busy = 0  # ratings and refills under way
        self._settled = trio.Event()

    async def start(self, nursery: trio.Nursery, cabins: list[int]) -> None:
        """Printers listening, kiosks and the cabins' rating pads connected, floor staff on duty."""
        self._nursery = nursery
        kiosks = sorted((d for d in self.config.devices.values() if d.kind == "kiosk" and d.printer), key=lambda d: d.id)
        for device in kiosks:
            printer = SimulatedPrinter(self.workdir / device.printer, save=False, paper_roll=self.scenario.paper_roll_tickets)
            printer.paper_left = 1 + int(self.rng.random() * self.scenario.paper_roll_tickets)  # a partly used roll
            port = await nursery.start(printer.serve, 0)
            kiosk = DayKiosk(device.id, ("127.0.0.1", port), self._alarm_send.clone())
            kiosk.nursery = nursery  # type: ignore[attr-defined]
            await kiosk.start(self.hall.url, nursery)
            self.stands.append(Stand(kiosk, printer, device.printer))
        by_cabin = {d.cabin: d.id for d in self.config.devices.values() if d.kind == "rating" and d.cabin is not None}
        for cabin in sorted(cabins):
            if cabin in by_cabin:
                pad = DayRatingPad(by_cabin[cabin])
                pad.nursery = nursery  # type: ignore[attr-defined]
                await pad.start(self.hall.url, nursery)
                self.pads[cabin] = pad
        nursery.start_soon(self._floor_staff)

    # ---- citizens ------------------------------------------------------------------------------

    async def take(self, index: int, service: str, demand: float, priority: str | None, no_show: bool) -> Visit | None:
        """Citizen `index` of the day takes a ticket at the kiosk they chose."""
        plan = self.plans[index]
        stand = self.stands[plan.kiosk % len(self.stands)]
        kiosk = stand.kiosk
        async with kiosk.lock:
            position = len(kiosk.results)
            try:
                ticket = await kiosk.take(service, priority)
            except DeviceError as exc:  # a refusal is part of the day's record, not a crash
                self.hall.refusals.append(f"{kiosk.device} {service}: {exc}")
                return None
            # The ticket is in the queue from now on, printed or not: an officer may call it at once.
            visit = self.hall.record_ticket(ticket, service, demand, priority, no_show)
            _job, result = await kiosk.result(position)
        record = PrintRecord(kiosk.device, result)
        self.prints[ticket["id"]] = record
        if result != "printed":
            if plan.reads_screen:
                record.read_screen = True
            else:
                stand.reprint_wanted.append(ticket["id"])
        if plan.levels is not None:
            self.to_rate[ticket["id"]] = plan.levels
        await self.hall.offer(visit)
        return visit

    def after_visit(self, visit: Visit) -> None:
        """Called when an officer finishes a visit: the citizen may rate it on the cabin's pad."""
        levels = self.to_rate.get(visit.id)
        pad = self.pads.get(visit.cabin or 0)
        if levels is not None and pad is not None and self._nursery is not None:
            self._nursery.start_soon(self._busy_while, self._rate(pad, visit.id, levels))

    async def _busy_while(self, work: Any) -> None:
        self._busy += 1
        try:
            await work
        finally:
            self._busy -= 1
            self._settled.set()
            self._settled = trio.Event()

    async def settle(self) -> None:
        """Return once every rating under way is sent and every refill and reprint is done."""
        while self._busy:
            await self._settled.wait()

    async def _rate(self, pad: DayRatingPad, ticket_id: str, levels: dict[str, str]) -> None:
        with trio.move_on_after(60):
            await pad.wait_for(lambda f: f.get("t") == "rating_open" and f["ticket"]["id"] == ticket_id)
            await self.hall.time.sleep(self.scenario.rating_seconds)
            try:
                await pad.rate(ticket_id, levels)
            except DeviceError as exc:
                self.ratings_refused.append(f"{pad.device} {ticket_id}: {exc}")
            return
        self.rating_not_offered += 1

    # ---- floor staff ---------------------------------------------------------------------------

    async def _floor_staff(self) -> None:
        async for device in self._alarms:
            stand = next(s for s in self.stands if s.kiosk.device == device)
            if not stand.refilling:
                stand.refilling = True
                assert self._nursery is not None
                self._nursery.start_soon(self._busy_while, self._refill(stand))

    async def _manager_json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        for _ in range(2):
            if not self._manager_headers:
                status, answer = await self._manager.json("POST", "/api/v1/auth/login", {"username": "quanly", "password": "demo"})
                if status != 200:
                    raise RuntimeError(f"login quanly: {status} {answer}")
                self._manager_headers = {"Authorization": f"Bearer {answer['token']}"}
            status, answer = await self._manager.json(method, path, body, self._manager_headers)
            if status != 401:
                return status, answer
            self._manager_headers = {}  # the token expired during the long day
        return status, answer

    async def _refill(self, stand: Stand) -> None:
        status, listing = await self._manager_json("GET", "/api/v1/devices")
        row = next((d for d in listing["devices"] if d["id"] == stand.printer_id), {}) if status == 200 else {}
        self.faults_seen.append({"printer": stand.printer_id, "at": round(self.hall.time.now(), 1),
                                 "faults": row.get("faults", []), "paper": row.get("paper")})
        await self.hall.time.sleep(self.scenario.refill_minutes * 60)
        stand.printer.set_paper("ok")  # a fresh roll
        await stand.kiosk.report_printer()
        self.refills += 1
        stand.refilling = False
        while stand.reprint_wanted:
            ticket_id = stand.reprint_wanted.pop(0)
            async with stand.kiosk.lock:
                position = len(stand.kiosk.results)
                status, answer = await self._manager_json("POST", f"/api/v1/devices/{stand.printer_id}/reprint", {"ticket": ticket_id})
                if status != 202:
                    self.hall.refusals.append(f"reprint {ticket_id}: {status} {answer}")
                    continue
                _job, result = await stand.kiosk.result(position)
            self.prints[ticket_id].reprint = result

    async def aclose(self) -> None:
        await self._manager.aclose()

    # ---- the day's record ----------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        records = list(self.prints.values())
        rated = [r for pad in self.pads.values() for r in pad.rated]
        answers: dict[str, int] = {code: 0 for code, _ in self.scenario.levels}
        for rating in rated:
            for level in rating["levels"].values():
                answers[level] = answers.get(level, 0) + 1
        satisfied = answers.get("rat_hai_long", 0) + answers.get("hai_long", 0)
        total = sum(answers.values())
        return {
            "kiosk_tickets": len(records),
            "by_kiosk": {s.kiosk.device: sum(1 for r in records if r.kiosk == s.kiosk.device) for s in self.stands},
            "printed_first_time": sum(1 for r in records if r.result == "printed"),
            "paper_outs": sum(1 for r in records if r.result == "paper_out"),
            "print_failures": sum(1 for r in records if r.result != "printed"),
            "numbers_read_from_screen": sum(1 for r in records if r.read_screen),
            "reprinted": sum(1 for r in records if r.reprint == "printed"),
            "reprint_failed": sum(1 for r in records if r.reprint not in (None, "printed")),
            "refills": self.refills,
            "faults_seen": self.faults_seen,
            "receipts": {s.printer_id: s.printer.printed for s in self.stands},
            "ratings_sent": len(rated),
            "rating_answers": answers,
            "satisfaction_pct": round(100 * satisfied / total, 1) if total else None,
            "ratings_refused": self.ratings_refused[:5],
            "rating_not_offered": self.rating_not_offered,
        }
