"""Commands: what people and devices ask the hall to do (what happened is in hall/events.py).

Commands are plain data; only `Engine.handle` turns them into events. `actor` is the username
(or device id) that asked, so every officer action is attributable in the journal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    actor: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class IssueTicket(Command):
    ticket_id: str
    service: str
    priority: str | None = None
    channel: str = "kiosk"  # kiosk | web | appointment | staff
    request: str | None = None  # idempotency key: the same key never issues a second ticket
    appointment_at: float | None = None
    phone: str | None = None  # a web or appointment ticket's mobile number (hall/phones.py form)


@dataclass(frozen=True)
class OpenCabin(Command):
    cabin: int
    officer: str


@dataclass(frozen=True)
class AssignCabin(Command):
    """The floor manager seats another officer at a cabin (officers are replaced; DOMAIN.md)."""

    cabin: int
    officer: str


@dataclass(frozen=True)
class CloseCabin(Command):
    cabin: int


@dataclass(frozen=True)
class CallNext(Command):
    cabin: int


@dataclass(frozen=True)
class CallTicket(Command):
    """Call a specific ticket (by id or printed number) to this cabin."""

    cabin: int
    ticket: str


@dataclass(frozen=True)
class Recall(Command):
    cabin: int


@dataclass(frozen=True)
class StartService(Command):
    cabin: int


@dataclass(frozen=True)
class FinishService(Command):
    cabin: int


@dataclass(frozen=True)
class NoShow(Command):
    cabin: int


@dataclass(frozen=True)
class Transfer(Command):
    cabin: int
    service: str | None = None
    to_cabin: int | None = None


@dataclass(frozen=True)
class Pause(Command):
    cabin: int
    reason: str


@dataclass(frozen=True)
class Resume(Command):
    cabin: int


@dataclass(frozen=True)
class CancelTicket(Command):
    ticket: str


@dataclass(frozen=True)
class Rejoin(Command):
    ticket: str


@dataclass(frozen=True)
class OpenDay(Command):
    day: dt.date


@dataclass(frozen=True)
class CloseDay(Command):
    pass
