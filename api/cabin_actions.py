"""Cabin actions: the one translation from an officer's button to an engine command.

The HTTP cabin routes and the hardware keypads both build their commands here, so a keypad
can never do what the officer console may not (and the reverse).
"""

from __future__ import annotations

from typing import Any

from hall import commands as c
from hall.config import User

from .context import HallContext, field
from .errors import ApiError

CABIN_ACTIONS = ("open", "assign", "call-next", "call", "recall", "start", "finish", "no-show", "transfer", "pause", "resume", "close")


def cabin_command(hall: HallContext, user: User, number: int, action: str, body: dict[str, Any]) -> c.Command:
    actor = user.username
    if action == "open":
        officer = field(body, "officer", str, required=False) or user.username
        if officer != user.username and user.role not in ("manager", "admin"):
            raise ApiError("forbidden", "an officer opens a cabin for themselves only")
        if user.role != "officer" and officer == user.username:
            officer = hall.engine.assigned_officer(number) or officer
        return c.OpenCabin(number, officer, actor=actor)
    if action == "assign":
        if user.role not in ("manager", "admin"):
            raise ApiError("forbidden", "only the floor manager seats an officer at a cabin")
        return c.AssignCabin(number, field(body, "officer", str), actor=actor)
    if action == "call":
        return c.CallTicket(number, field(body, "ticket", str), actor=actor)
    if action == "transfer":
        return c.Transfer(number, field(body, "service", str, required=False), field(body, "cabin", int, required=False), actor=actor)
    if action == "pause":
        return c.Pause(number, field(body, "reason", str), actor=actor)
    simple = {
        "call-next": c.CallNext, "recall": c.Recall, "start": c.StartService, "finish": c.FinishService,
        "no-show": c.NoShow, "resume": c.Resume, "close": c.CloseCabin,
    }
    return simple[action](number, actor=actor)
