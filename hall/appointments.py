"""Appointments: a time booked ahead, checked in at the hall, dispatched as an appointment.

An engine component (see `hall.engine.Component`): `AppointmentBook` keeps the bookings of today
and the days ahead, and its rules run inside `Engine.handle` like every other command, so a
booking is atomic under trio — fifty citizens asking for the last place of a slot at the same
instant get one place between them, whatever the store is — and durable and replayed like a
ticket.

Theory of operation
-------------------
A service offers booking when its `[[services]]` entry has a `booking` table: slot length,
places per slot, how many days ahead. Slots are cut from the opening sessions of the hall's open
days (`HallConfig.is_open_day`: no slots on holidays, weekends or outside the sessions).

* `BookAppointment` → `AppointmentBooked` (code, slot, phone, name), or a refusal naming the
  rule: ``slot_full``, ``no_such_slot``, ``slot_passed``, ``outside_booking_window``,
  ``already_booked`` (one booking per phone, service and day), ``booking_not_offered``.
* `CancelAppointment` (with the phone it was booked with) → `AppointmentCancelled`.
* `CheckIn` inside the window around the slot (`[booking] check_in_early_minutes` before its
  start, `check_in_late_minutes` after) → `AppointmentCheckedIn` and the `TicketIssued` of an
  ``appointment`` ticket whose `appointment_at` is the slot's start, which dispatch calls first
  once the slot has come (hall/dispatch.py). Too early or too late is refused with the time the
  window opens or closed.
* When a day closes, every booking of it (or earlier) never checked in becomes
  `AppointmentMissed`, which the statistics count as a no-show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .commands import Command, IssueTicket
from .config import ConfigError, HallConfig
from .events import AppointmentBooked, AppointmentCancelled, AppointmentCheckedIn, AppointmentMissed, Event, Payload
from .lifecycle import CommandRefused

if TYPE_CHECKING:
    from .engine import Engine

KEEP_DAYS = 2  # finished bookings of older days leave memory; the journal keeps them
NAME_LIMIT = 100


@dataclass(frozen=True)
class BookingRules:
    """A service's `booking` table in the hall file."""

    slot_minutes: int
    capacity: int
    days_ahead: int


@dataclass(frozen=True)
class CheckInWindow:
    """The `[booking]` table: how long before and after a slot's start check-in is open."""

    early_minutes: int = 30
    late_minutes: int = 15


@dataclass(frozen=True)
class Slot:
    start: dt.time
    end: dt.time
    capacity: int
    free: int

    def as_dict(self) -> dict[str, Any]:
        return {"start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}", "capacity": self.capacity, "free": self.free}


@dataclass
class Appointment:
    code: str
    service: str
    day: str
    start: str
    end: str
    phone: str | None  # None once retention has deleted it (after the booking is over)
    name: str | None
    state: str = "booked"  # booked | cancelled | checked_in | missed
    ticket: str | None = None


@dataclass
class AppointmentsSnapshot:
    """What a snapshot keeps of the bookings (hall/snapshots.py); places taken are recounted."""

    appointments: dict[str, Appointment]


@dataclass(frozen=True)
class BookAppointment(Command):
    code: str  # chosen by the caller (unguessable), like a ticket id
    service: str
    day: dt.date
    start: str  # HH:MM
    phone: str  # already in its one form (hall/phones.py)
    name: str


@dataclass(frozen=True)
class CancelAppointment(Command):
    code: str
    phone: str


@dataclass(frozen=True)
class CheckIn(Command):
    code: str
    ticket_id: str  # the id of the ticket the check-in issues


# ---- the hall file ------------------------------------------------------------------------------


def booking_rules(config: HallConfig) -> dict[str, BookingRules]:
    """Each bookable service's rules, from `[[services]] booking = {…}`; ConfigError names a bad key."""
    found: dict[str, BookingRules] = {}
    for i, raw in enumerate(config.raw.get("services", [])):
        table = raw.get("booking")
        if table is None:
            continue
        where = f"services[{i}].booking"
        values = {name: _positive(table, name, where) for name in ("slot_minutes", "capacity", "days_ahead")}
        found[raw["code"]] = BookingRules(**values)
    return found


def check_in_window(config: HallConfig) -> CheckInWindow:
    table = config.raw.get("booking", {})
    base = CheckInWindow()
    return CheckInWindow(
        early_minutes=_positive(table, "check_in_early_minutes", "booking", base.early_minutes),
        late_minutes=_positive(table, "check_in_late_minutes", "booking", base.late_minutes),
    )


def _positive(table: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}.{key}: expected a positive whole number, got {value!r}")
    return value


# ---- the component ------------------------------------------------------------------------------


class AppointmentBook:
    """The appointments component (see the module docstring)."""

    SNAPSHOT_TYPE = AppointmentsSnapshot

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = engine.config
        self.rules = booking_rules(engine.config)
        self.window = check_in_window(engine.config)
        self.appointments: dict[str, Appointment] = {}  # code -> booking
        self.taken: dict[tuple[str, str, str], int] = {}  # (service, day, start) -> places taken

    def handlers(self) -> Mapping[type[Command], Any]:
        return {BookAppointment: self._book, CancelAppointment: self._cancel, CheckIn: self._check_in}

    def appliers(self) -> Mapping[type[Payload], Any]:
        return {
            AppointmentBooked: self._on_booked,
            AppointmentCancelled: self._on_cancelled,
            AppointmentCheckedIn: self._on_checked_in,
            AppointmentMissed: self._on_missed,
        }

    def snapshot(self) -> AppointmentsSnapshot:
        return AppointmentsSnapshot(self.appointments)

    def restore(self, saved: AppointmentsSnapshot) -> None:
        self.appointments = saved.appointments
        self.taken = {}
        for appointment in self.appointments.values():
            if appointment.state != "cancelled":  # as live: a missed or used place stays taken
                key = (appointment.service, appointment.day, appointment.start)
                self.taken[key] = self.taken.get(key, 0) + 1

    # ---- queries ----------------------------------------------------------------------------

    def slots(self, service: str, day: dt.date, now: float) -> list[Slot]:
        """The slots of a day still to come, with their free places; none on a closed day."""
        rules = self.rules.get(service)
        if rules is None or not self._bookable_day(rules, day, now):
            return []
        out = []
        for start, end in self._cut(rules, day):
            if self.config.epoch(day, start) <= now:
                continue
            taken = self.taken.get((service, day.isoformat(), f"{start:%H:%M}"), 0)
            out.append(Slot(start, end, rules.capacity, max(0, rules.capacity - taken)))
        return out

    def open_days(self, service: str, now: float) -> list[tuple[dt.date, int]]:
        """The days that can be booked from now on, each with its free places."""
        rules = self.rules.get(service)
        if rules is None:
            return []
        today = self.config.business_day(now)
        days = (today + dt.timedelta(days=n) for n in range(rules.days_ahead + 1))
        found = ((day, self.slots(service, day, now)) for day in days if self.config.is_open_day(day))
        return [(day, sum(slot.free for slot in slots)) for day, slots in found if slots]

    def get(self, code: str) -> Appointment:
        found = self.appointments.get(code)
        if found is None:
            raise CommandRefused("unknown_appointment", f"no appointment {code!r}")
        return found

    def for_day(self, day: str) -> list[Appointment]:
        return [a for a in self.appointments.values() if a.day == day]

    def slot_epoch(self, appointment: Appointment) -> float:
        return self.config.epoch(dt.date.fromisoformat(appointment.day), dt.time.fromisoformat(appointment.start))

    def closing(self, day: str) -> list[Payload]:
        """What closing `day` adds before `DayClosed`: its bookings nobody came for."""
        return [AppointmentMissed(a.code, a.service, a.day, a.start)
                for a in self.appointments.values() if a.state == "booked" and a.day <= day]

    # ---- commands ---------------------------------------------------------------------------

    def _book(self, cmd: BookAppointment, now: float) -> list[Payload]:
        if cmd.service not in self.config.services:
            raise CommandRefused("unknown_service", f"no service {cmd.service!r}")
        rules = self.rules.get(cmd.service)
        if rules is None:
            raise CommandRefused("booking_not_offered", f"{cmd.service} takes no bookings; take a ticket on the day")
        name = " ".join(cmd.name.split())
        if not name or len(name) > NAME_LIMIT or "\x00" in name:
            raise CommandRefused("invalid", f"name must be 1 to {NAME_LIMIT} characters")
        if not self._bookable_day(rules, cmd.day, now):
            today = self.config.business_day(now)
            raise CommandRefused(
                "outside_booking_window",
                f"{cmd.day} cannot be booked: bookings are for open days from {today} to {today + dt.timedelta(days=rules.days_ahead)}",
            )
        slot = next(((s, e) for s, e in self._cut(rules, cmd.day) if f"{s:%H:%M}" == cmd.start), None)
        if slot is None:
            raise CommandRefused("no_such_slot", f"no slot starts at {cmd.start!r} on {cmd.day}; GET the day's slots first")
        if self.config.epoch(cmd.day, slot[0]) <= now:
            raise CommandRefused("slot_passed", f"the slot at {cmd.start} on {cmd.day} has begun; choose a later one")
        day = cmd.day.isoformat()
        if self.taken.get((cmd.service, day, cmd.start), 0) >= rules.capacity:
            raise CommandRefused("slot_full", f"the slot at {cmd.start} on {day} is full; choose another")
        for other in self.appointments.values():
            if other.phone == cmd.phone and other.service == cmd.service and other.day == day and other.state == "booked":
                raise CommandRefused("already_booked", f"this phone already holds a booking for {cmd.service} on {day} at {other.start}")
        if cmd.code in self.appointments:
            raise CommandRefused("invalid", f"appointment code {cmd.code!r} already exists")
        return [AppointmentBooked(cmd.code, cmd.service, day, cmd.start, f"{slot[1]:%H:%M}", cmd.phone, name)]

    def _cancel(self, cmd: CancelAppointment, now: float) -> list[Payload]:
        appointment = self.get(cmd.code)
        if appointment.phone != cmd.phone:
            raise CommandRefused("wrong_phone", f"appointment {cmd.code} was booked with another phone number")
        if appointment.state != "booked":
            raise CommandRefused("illegal_transition", f"appointment {cmd.code} is {appointment.state.replace('_', ' ')}; only a booked one is cancelled")
        return [AppointmentCancelled(appointment.code, appointment.service, appointment.day)]

    def _check_in(self, cmd: CheckIn, now: float) -> list[Payload]:
        appointment = self.get(cmd.code)
        if appointment.state != "booked":
            raise CommandRefused("illegal_transition", f"appointment {cmd.code} is {appointment.state.replace('_', ' ')}")
        start = self.slot_epoch(appointment)
        opens, closes = start - self.window.early_minutes * 60, start + self.window.late_minutes * 60
        if now < opens:
            raise CommandRefused("too_early", f"check-in for the {appointment.start} slot of {appointment.day} opens at "
                                              f"{self.config.local(opens):%H:%M} on that day ({self.window.early_minutes} minutes before)")
        if now > closes:
            raise CommandRefused("too_late", f"check-in for the {appointment.start} slot closed at {self.config.local(closes):%H:%M} "
                                             f"({self.window.late_minutes} minutes after its start); take a ticket instead")
        issue = IssueTicket(ticket_id=cmd.ticket_id, service=appointment.service, channel="appointment",
                            request=f"appointment:{appointment.code}", appointment_at=start, phone=appointment.phone)
        ticket = self.engine.draft_ticket(issue, now)
        return [AppointmentCheckedIn(appointment.code, cmd.ticket_id, appointment.service, appointment.day), *ticket]

    # ---- events -----------------------------------------------------------------------------

    def _on_booked(self, event: Event[AppointmentBooked]) -> None:
        p = event.payload
        self._forget_before((self.config.business_day(event.at) - dt.timedelta(days=KEEP_DAYS)).isoformat())
        self.appointments[p.code] = Appointment(p.code, p.service, p.day, p.start, p.end, p.phone, p.name)
        key = (p.service, p.day, p.start)
        self.taken[key] = self.taken.get(key, 0) + 1

    def _on_cancelled(self, event: Event[AppointmentCancelled]) -> None:
        appointment = self.appointments[event.payload.code]
        appointment.state = "cancelled"
        key = (appointment.service, appointment.day, appointment.start)
        self.taken[key] -= 1

    def _on_checked_in(self, event: Event[AppointmentCheckedIn]) -> None:
        appointment = self.appointments[event.payload.code]
        appointment.state, appointment.ticket = "checked_in", event.payload.ticket

    def _on_missed(self, event: Event[AppointmentMissed]) -> None:
        self.appointments[event.payload.code].state = "missed"

    # ---- slots ------------------------------------------------------------------------------

    def _bookable_day(self, rules: BookingRules, day: dt.date, now: float) -> bool:
        today = self.config.business_day(now)
        return today <= day <= today + dt.timedelta(days=rules.days_ahead) and self.config.is_open_day(day)

    def _cut(self, rules: BookingRules, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        """The day's slots: each opening session cut into whole slots from its start."""
        step = dt.timedelta(minutes=rules.slot_minutes)
        out = []
        for session in self.config.sessions:
            start = dt.datetime.combine(day, session.start)
            while start + step <= dt.datetime.combine(day, session.end):
                out.append((start.time(), (start + step).time()))
                start += step
        return out

    def _forget_before(self, oldest: str) -> None:
        for code in [c for c, a in self.appointments.items() if a.day < oldest and a.state != "booked"]:
            appointment = self.appointments.pop(code)
            self.taken.pop((appointment.service, appointment.day, appointment.start), None)
