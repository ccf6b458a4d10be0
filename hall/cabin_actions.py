"""The cabin actions: the one translation from an officer's button to an engine command.

The officer console (HTTP `POST /api/v1/cabins/{n}/{action}`) and the hardware keypads
(`action` frames on /ws/device) both describe a button press as a `CabinAction` and call
`cabin_command`, so a keypad can never do what the console may not, nor the reverse. It is pure:
it reads the engine's state and either returns the command or refuses with `CommandRefused`
(code `unknown_action`, `unknown_cabin`, `unknown_ticket`, `forbidden` or `invalid`) naming the problem.
A cabin calls by number or id only the tickets it `serves`: its profile's queues and those sent to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .config import User
from .engine import Engine
from .lifecycle import CommandRefused
from .state import Ticket

CABIN_ACTIONS = ("open", "assign", "call-next", "call", "recall", "start", "finish", "no-show", "transfer", "pause", "resume", "close")
STAFF_ROLES = ("manager", "admin")

_SIMPLE: dict[str, type[c.Command]] = {
    "call-next": c.CallNext, "recall": c.Recall, "start": c.StartService, "finish": c.FinishService,
    "no-show": c.NoShow, "resume": c.Resume, "close": c.CloseCabin,
}


@dataclass(frozen=True)
class CabinAction:
    """One button press at a cabin with what it needs: the officer to open for or seat
    (`open`, `assign`), the ticket to call (`call`), where to send the citizen (`transfer`:
    a service, a cabin or both), why the cabin pauses (`pause`)."""

    action: str
    officer: str | None = None
    ticket: str | None = None
    service: str | None = None
    to_cabin: int | None = None
    reason: str | None = None


def may_act_on_cabin(user: User, cabin: int, engine: Engine) -> bool:
    """An officer acts on their own cabin (or the one they are signed in at); staff on any."""
    if user.role in STAFF_ROLES:
        return True
    state = engine.state.cabins.get(cabin)
    if state is not None and state.officer is not None:
        return state.officer == user.username
    return engine.assigned_officer(cabin) == user.username


def serves(engine: Engine, cabin: int, ticket: Ticket) -> bool:
    """A cabin calls a ticket sent to it, or one of the queues of its profile (never, by number,
    another agency's citizen)."""
    if ticket.target_cabin is not None:
        return ticket.target_cabin == cabin
    return ticket.service in engine.config.cabins[cabin].profile


def cabin_command(engine: Engine, user: User, cabin: int, press: CabinAction) -> c.Command:
    """The command a button press at `cabin` by `user` stands for, or `CommandRefused`."""
    if press.action not in CABIN_ACTIONS:
        raise CommandRefused("unknown_action", f"unknown cabin action {press.action!r}; one of {', '.join(CABIN_ACTIONS)}")
    if cabin not in engine.config.cabins:
        raise CommandRefused("unknown_cabin", f"no cabin {cabin}")
    if not may_act_on_cabin(user, cabin, engine):
        raise CommandRefused("forbidden", f"{user.username} may not act on cabin {cabin}")
    actor = user.username
    if press.action == "open":
        return c.OpenCabin(cabin, _opening_officer(engine, user, cabin, press.officer), actor=actor)
    if press.action == "assign":
        if user.role not in STAFF_ROLES:
            raise CommandRefused("forbidden", "only the floor manager seats an officer at a cabin")
        return c.AssignCabin(cabin, _required(press.officer, "officer"), actor=actor)
    if press.action == "call":
        ticket = engine.ticket(_required(press.ticket, "ticket"))
        if not serves(engine, cabin, ticket):
            raise CommandRefused("forbidden", f"cabin {cabin} does not serve ticket {ticket.number} ({ticket.service}): "
                                              "call the tickets of your cabin's queues, or transfer")
        return c.CallTicket(cabin, ticket.id, actor=actor)
    if press.action == "transfer":
        return c.Transfer(cabin, press.service, press.to_cabin, actor=actor)
    if press.action == "pause":
        return c.Pause(cabin, _required(press.reason, "reason"), actor=actor)
    return _SIMPLE[press.action](cabin, actor=actor)  # type: ignore[call-arg]


def _opening_officer(engine: Engine, user: User, cabin: int, asked: str | None) -> str:
    """An officer opens a cabin for themselves; the floor manager for whoever is seated there."""
    officer = asked or user.username
    if officer != user.username and user.role not in STAFF_ROLES:
        raise CommandRefused("forbidden", "an officer opens a cabin for themselves only")
    if user.role != "officer" and officer == user.username:
        return engine.assigned_officer(cabin) or officer
    return officer


def _required(value: str | None, name: str) -> str:
    if value is None:
        raise CommandRefused("invalid", f"field {name!r} is required")
    return value
