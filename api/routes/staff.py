"""Staff outside a cabin: signing in, and the floor manager opening or closing the business day."""

from __future__ import annotations

from dataclasses import dataclass

from quart import Blueprint, Response

from hall import commands as c

from ..access import current_user
from ..auth import authenticate
from ..context import current_hall
from ..errors import ApiError, json_response
from ..request_body import parse_body

bp = Blueprint("staff", __name__)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@bp.post("/api/v1/auth/login")
async def login() -> Response:
    hall = current_hall()
    asked = await parse_body(Credentials)
    user = authenticate(hall.config, asked.username, asked.password)
    if user is None:
        raise ApiError("unauthorized", "wrong username or password")
    token = hall.signer.issue(user.username, hall.runtime.clock.now())
    return json_response({"token": token, "user": {"username": user.username, "name": user.name, "role": user.role, "cabin": user.cabin}})


@bp.post("/api/v1/day/<action>")
async def day(action: str) -> Response:
    hall, user = current_hall(), current_user()
    if action == "open":
        await hall.runtime.execute(c.OpenDay(hall.config.business_day(hall.runtime.clock.now()), actor=user.username))
    elif action == "close":
        await hall.runtime.execute(c.CloseDay(actor=user.username))
    else:
        raise ApiError("not_found", f"unknown day action {action!r}; open or close")
    return json_response({"day": hall.engine.state.day, "open": hall.engine.state.day_open})
