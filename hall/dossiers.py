"""Dossiers received at the hall: receipt with a due date, status, return and apology letter.

Theory of operation
-------------------
A dossier is received during a visit: the officer's cabin has a ticket called or in service, and
the dossier is bound to that ticket, its cabin and officer. At receipt the procedure version in
force on the receipt date is looked up (`HallConfig.procedure(code, on=…)`), the due date is
counted on the hall's working-day calendar, and *both the limit and the due date are written
into the `dossier_received` event*. Nothing afterwards re-reads the procedure, so a procedure
changed tomorrow never moves the due date of a dossier received today, and replaying the
journal years later gives the same dates even if the hall file changed.

Status is a small state machine (`DOSSIER_TRANSITIONS` in hall/lifecycle.py). The return is its own command because it
happens at the return-of-results service: the cabin's current ticket must belong to that
service ("TKQ" in the default hall) and the officer scans the receipt's barcode. The outcome
(early / on time / late) is classified against the due date recorded at receipt — an apology
letter gives the citizen a new date but never turns a late dossier into an on-time one.

Memory: finished dossiers (returned or refused) leave the engine's state as soon as they finish;
their codes stay in `closed` so a late command is refused with the reason — for dossiers received
in the last `CLOSED_KEEP_DAYS` days: older codes are dropped on the first receipt of each day (the
code carries its receipt day), so the state, and a snapshot of it (hall/snapshots.py), does not
grow with the years. The full history is in the journal and in the `stat_dossiers` read model
(hall/stats/), which the public lookup reads.

The component is made from its engine (`Engine(config, [DossierBook])`); HTTP routes find it
with `engine.component(DossierBook)`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import events as ev
from .commands import Command
from .config import HallConfig
from .events import Event, Payload
from .lifecycle import (
    DOSSIER_TRANSITIONS,
    FINISHED_DOSSIER_STATUSES,
    CabinStatus,
    CommandRefused,
    DossierStatus,
    TicketState,
    dossier_next,
)
from .state import CabinState, Ticket
from .workcalendar import WorkCalendar, classify

if TYPE_CHECKING:
    from .engine import Engine

RETURN_SERVICE = "TKQ"
"""The return-of-results service of the default hall; a component may be built with another."""

STATUSES = tuple(DOSSIER_TRANSITIONS)
CLOSED_KEEP_DAYS = 92  # finished dossiers' codes kept for late commands' refusals, by receipt day
MAX_NAME = 120
MAX_PHONE = 20
MAX_REASON = 300


# ---- commands ---------------------------------------------------------------------------------


# A code is AGENCY-YYMMDD-NNNN-CHECK: the counter makes it readable on the phone, the check part
# (6 characters, 30 random bits) makes the next citizen's code unguessable: holding the code is
# what lets anyone look a dossier up (api/routes/dossiers.py). Codes of earlier releases have no
# check part and still work.
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
COUNTED = re.compile(r"-(\d{6})-(\d{4})(?:-[A-Z0-9]+)?$")


def new_check() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class ReceiveDossier(Command):
    """Record a dossier received from the citizen whose ticket is at `cabin` now."""

    cabin: int
    procedure: str
    citizen_name: str | None = None
    citizen_phone: str | None = None
    check: str = ""  # the code's random check part (`new_check()`), chosen by whoever asks, like a ticket's id


@dataclass(frozen=True)
class ChangeDossierStatus(Command):
    """Move a dossier to processing, ready, supplement_requested or refused."""

    code: str
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class ReturnDossier(Command):
    """Hand the result back at a return-of-results cabin, by the scanned barcode."""

    cabin: int
    code: str


@dataclass(frozen=True)
class ApologiseDossier(Command):
    """Issue the apology letter of a late dossier with the new date the result will be ready."""

    code: str
    new_due: dt.date
    reason: str


# ---- state ------------------------------------------------------------------------------------


@dataclass
class Dossier:
    code: str
    procedure: str
    procedure_name: str
    department: str
    limit_days: int | None
    limit_hours: int | None
    received_at: float
    due: dt.date
    status: DossierStatus
    ticket: str
    cabin: int
    officer: str | None
    citizen_name: str | None
    citizen_phone: str | None
    new_due: dt.date | None = None
    apology_reason: str | None = None
    apologised_at: float | None = None
    apologised_by: str | None = None  # who issued the apology letter (it is signed with their name)


def due_for(config: HallConfig, calendar: WorkCalendar, procedure: str, received_at: dt.datetime) -> dict[str, Any]:
    """The due date of `procedure` received at `received_at` under the rules in force that day.

    Returns the procedure version's facts with `due` (a date) and, for limits in hours,
    `due_at` (the local moment the hours run out). Refuses an unknown procedure.
    """
    local = received_at.astimezone(config.tz)
    version = config.procedure(procedure, on=local.date())
    if version is None:
        raise CommandRefused("unknown_procedure", f"no procedure {procedure!r} in force on {local.date().isoformat()}")
    sessions = [(s.start, s.end) for s in config.sessions]
    due_at = None
    if version.limit_hours is not None:
        due_at = calendar.due_datetime(local, version.limit_hours, sessions=sessions)
        due = due_at.date()
    else:
        due = calendar.due_date(local, limit_days=version.limit_days, same_day_cutoff=config.rules.same_day_cutoff, sessions=sessions)
    return {
        "procedure": version.code,
        "procedure_name": version.name,
        "department": version.department,
        "limit_days": version.limit_days,
        "limit_hours": version.limit_hours,
        "valid_from": version.valid_from.isoformat() if version.valid_from else None,
        "due": due,
        "due_at": due_at,
    }


@dataclass
class DossiersSnapshot:
    """What a snapshot keeps of the dossiers (hall/snapshots.py); counters as (stamp, department, last)."""

    open: dict[str, Dossier]
    closed: dict[str, DossierStatus]
    counters: list[tuple[str, str, int]]
    pruned_on: str  # the receipt day (yymmdd) `closed` was last pruned on


class DossierBook:
    """The engine component for dossiers (see `hall.engine.Component`)."""

    SNAPSHOT_TYPE = DossiersSnapshot

    def __init__(self, engine: Engine, calendar: WorkCalendar | None = None, return_service: str = RETURN_SERVICE) -> None:
        self.engine = engine
        self.config = engine.config
        self.calendar = calendar or engine.config.calendar
        self.return_service = return_service
        self.open: dict[str, Dossier] = {}
        self.closed: dict[str, DossierStatus] = {}  # code -> final status
        self.counters: dict[tuple[str, str], int] = {}  # (yymmdd, department) -> last number
        self.pruned_on = ""  # the receipt day (yymmdd) `closed` was last pruned on

    def handlers(self) -> Mapping[type[Command], Any]:
        return {
            ReceiveDossier: self._receive,
            ChangeDossierStatus: self._change,
            ReturnDossier: self._return,
            ApologiseDossier: self._apologise,
        }

    def appliers(self) -> Mapping[type[Payload], Any]:
        return {
            ev.DossierReceived: self._on_received,
            ev.DossierStatusChanged: self._on_status,
            ev.DossierReturned: self._on_returned,
            ev.DossierApologyIssued: self._on_apology,
        }

    def snapshot(self) -> DossiersSnapshot:
        counters = [(stamp, dep, last) for (stamp, dep), last in self.counters.items()]
        return DossiersSnapshot(self.open, self.closed, counters, self.pruned_on)

    def restore(self, saved: DossiersSnapshot) -> None:
        self.open, self.closed = saved.open, saved.closed
        self.counters = {(stamp, dep): last for stamp, dep, last in saved.counters}
        self.pruned_on = saved.pruned_on

    # ---- queries ------------------------------------------------------------------------

    def dossier(self, code: str) -> Dossier:
        found = self.open.get(code)
        if found is None:
            if code in self.closed:
                raise CommandRefused("illegal_transition", f"dossier {code} is already {self.closed[code]}")
            raise CommandRefused("unknown_dossier", f"no dossier {code!r}")
        return found

    def _current_ticket(self, number: int, what: str) -> tuple[CabinState, Ticket]:
        cabin = self.engine.cabin(number)
        if cabin.ticket is None:
            raise CommandRefused("no_current_ticket", f"cabin {number} has no citizen to {what}: call a ticket first")
        ticket = self.engine.state.tickets[cabin.ticket]
        if ticket.state not in (TicketState.CALLED, TicketState.SERVING):
            raise CommandRefused("no_current_ticket", f"ticket {ticket.number} at cabin {number} is {ticket.state}")
        return cabin, ticket

    # ---- handlers -----------------------------------------------------------------------

    def _receive(self, cmd: ReceiveDossier, now: float) -> list[Payload]:
        cabin, ticket = self._current_ticket(cmd.cabin, "receive a dossier from")
        received = self.config.local(now)
        try:
            facts = due_for(self.config, self.calendar, cmd.procedure, received)
        except ValueError as exc:  # outside the calendar's years
            raise CommandRefused("invalid", str(exc)) from None
        name = (cmd.citizen_name or "").strip()[:MAX_NAME] or None
        phone = (cmd.citizen_phone or "").strip()[:MAX_PHONE] or None
        if phone is not None and not all(ch.isdigit() or ch in "+ .-" for ch in phone):
            raise CommandRefused("invalid", f"phone {phone!r} has characters other than digits, spaces, +, . and -")
        stamp = received.strftime("%y%m%d")
        number = self.counters.get((stamp, facts["department"]), 0) + 1
        code = f"{facts['department']}-{stamp}-{number:04d}" + (f"-{cmd.check}" if cmd.check else "")
        return [ev.DossierReceived(
            code=code, procedure=facts["procedure"], procedure_name=facts["procedure_name"],
            department=facts["department"], limit_days=facts["limit_days"], limit_hours=facts["limit_hours"],
            valid_from=facts["valid_from"], due=facts["due"].isoformat(),
            due_at=facts["due_at"].isoformat() if facts["due_at"] else None,
            received_on=received.date().isoformat(), ticket=ticket.id, number=ticket.number,
            service=ticket.service, cabin=cabin.number, officer=cabin.officer,
            citizen_name=name, citizen_phone=phone,
        )]

    def _change(self, cmd: ChangeDossierStatus, now: float) -> list[Payload]:
        dossier = self.dossier(cmd.code)
        if cmd.status == "returned":
            raise CommandRefused("invalid", f"dossier {cmd.code} is returned by scanning it at a return-of-results cabin")
        if cmd.status not in DOSSIER_TRANSITIONS:
            raise CommandRefused("invalid", f"unknown status {cmd.status!r}; one of {', '.join(STATUSES)}")
        dossier_next(dossier.code, dossier.status, cmd.status)
        reason = (cmd.reason or "").strip()[:MAX_REASON] or None
        if cmd.status in ("supplement_requested", "refused") and reason is None:
            raise CommandRefused("invalid", f"say why: {cmd.status.replace('_', ' ')} needs a reason the citizen can read")
        return [ev.DossierStatusChanged(dossier.code, dossier.status, cmd.status, reason, dossier.department)]

    def _return(self, cmd: ReturnDossier, now: float) -> list[Payload]:
        cabin, ticket = self._current_ticket(cmd.cabin, "return a result to")
        if ticket.service != self.return_service:
            raise CommandRefused(
                "not_return_service",
                f"results are returned at the return-of-results service {self.return_service}; ticket {ticket.number} is for {ticket.service}",
            )
        dossier = self.dossier(cmd.code.strip())
        dossier_next(dossier.code, dossier.status, "returned")
        returned_on = self.config.business_day(now)
        return [ev.DossierReturned(
            code=dossier.code, department=dossier.department, procedure=dossier.procedure,
            due=dossier.due.isoformat(), returned_on=returned_on.isoformat(), outcome=classify(returned_on, dossier.due),
            ticket=ticket.id, number=ticket.number, cabin=cabin.number, officer=cabin.officer,
        )]

    def _apologise(self, cmd: ApologiseDossier, now: float) -> list[Payload]:
        dossier = self.dossier(cmd.code)
        if dossier.status == DossierStatus.READY:
            raise CommandRefused("illegal_transition", f"dossier {dossier.code} is ready; return it instead of apologising")
        reason = cmd.reason.strip()[:MAX_REASON]
        if not reason:
            raise CommandRefused("invalid", "an apology letter says why the dossier is late")
        current = dossier.new_due or dossier.due
        if cmd.new_due <= current:
            raise CommandRefused("invalid", f"the new date must be after {current.isoformat()}")
        try:
            working = self.calendar.is_working_day(cmd.new_due)
        except ValueError as exc:
            raise CommandRefused("invalid", str(exc)) from None
        if not working:
            raise CommandRefused("invalid", f"{cmd.new_due.isoformat()} is not a working day")
        return [ev.DossierApologyIssued(dossier.code, dossier.department, dossier.due.isoformat(), cmd.new_due.isoformat(), reason)]

    # ---- appliers (the only mutation) ---------------------------------------------------

    def _on_received(self, event: Event[ev.DossierReceived]) -> None:
        p = event.payload
        stamp, number = COUNTED.search(p.code).groups()  # type: ignore[union-attr]
        self.counters[(stamp, p.department)] = int(number)
        # keep counters of the last few receipt days only: codes carry the date
        if len(self.counters) > 500:
            newest = max(k[0] for k in self.counters)
            self.counters = {k: v for k, v in self.counters.items() if k[0] == newest}
        if stamp > self.pruned_on:
            self._prune_closed(stamp)
        self.open[p.code] = Dossier(
            code=p.code, procedure=p.procedure, procedure_name=p.procedure_name, department=p.department,
            limit_days=p.limit_days, limit_hours=p.limit_hours, received_at=event.at,
            due=dt.date.fromisoformat(p.due), status=DossierStatus.RECEIVED, ticket=p.ticket, cabin=p.cabin,
            officer=p.officer, citizen_name=p.citizen_name, citizen_phone=p.citizen_phone,
        )

    def _on_status(self, event: Event[ev.DossierStatusChanged]) -> None:
        dossier = self.open[event.payload.code]
        dossier.status = dossier_next(dossier.code, dossier.status, event.payload.status)
        if dossier.status in FINISHED_DOSSIER_STATUSES:
            self._finish(dossier)

    def _on_returned(self, event: Event[ev.DossierReturned]) -> None:
        dossier = self.open[event.payload.code]
        dossier.status = dossier_next(dossier.code, dossier.status, "returned")
        self._finish(dossier)

    def _on_apology(self, event: Event[ev.DossierApologyIssued]) -> None:
        dossier = self.open[event.payload.code]
        dossier.new_due = dt.date.fromisoformat(event.payload.new_due)
        dossier.apology_reason = event.payload.reason
        dossier.apologised_at = event.at
        dossier.apologised_by = event.actor

    def _prune_closed(self, stamp: str) -> None:
        """Forget finished dossiers received more than CLOSED_KEEP_DAYS before `stamp` (yymmdd)."""
        self.pruned_on = stamp
        oldest = (dt.datetime.strptime(stamp, "%y%m%d") - dt.timedelta(days=CLOSED_KEEP_DAYS)).strftime("%y%m%d")
        self.closed = {code: status for code, status in self.closed.items() if code.rsplit("-", 2)[-2] >= oldest}

    def _finish(self, dossier: Dossier) -> None:
        del self.open[dossier.code]
        self.closed[dossier.code] = dossier.status
