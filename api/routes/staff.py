"""Staff outside a cabin: signing in and out, and the floor manager opening or closing the business day.

How a password is checked (off the trio thread, limited, growing delays): api/signin.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from quart import Blueprint, Response
from quart_schema import document_response

from hall import commands as c

from hall.credentials import fingerprint

from ..access import current_claims, current_user
from ..answers import DayState, SignedIn, SignedOut
from ..context import current_hall, incoming
from ..errors import json_response
from ..limits import client_address, unlimited_client
from ..request_body import validate_body

bp = Blueprint("staff", __name__)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@bp.post("/api/v1/auth/login")
@document_response(SignedIn)
@validate_body(Credentials)
async def login(data: Credentials) -> Response:
    """Sign in: a bearer token for the user (limited: growing delays after failures)."""
    hall = current_hall()
    asked_by = incoming()
    address = None if unlimited_client(asked_by) else client_address(asked_by)
    user = await hall.signin.authenticate(data.username, data.password, address)
    token = hall.signer.issue(user.username, hall.config.id, fingerprint(user.password_hash), hall.runtime.clock.now())
    return json_response({"token": token, "user": {"username": user.username, "name": user.name, "role": user.role, "cabin": user.cabin}})


@bp.post("/api/v1/auth/logout")
@document_response(SignedOut)
async def logout() -> Response:
    """End this token now (other sessions of the user stay signed in)."""
    hall = current_hall()
    await hall.revocations.revoke(current_claims())
    return json_response({"signed_out": True})


@bp.post("/api/v1/day/<any(open, close):action>")
@document_response(DayState)
async def day(action: str) -> Response:
    """Open or close the business day (`open`, `close`; the floor manager)."""
    hall, user = current_hall(), current_user()
    if action == "open":
        await hall.runtime.execute(c.OpenDay(hall.config.business_day(hall.runtime.clock.now()), actor=user.username))
    else:
        await hall.runtime.execute(c.CloseDay(actor=user.username))
    return json_response({"day": hall.engine.state.day, "open": hall.engine.state.day_open})
