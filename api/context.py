"""What every HTTP route module shares: the hall context, JSON bodies, the signed-in user.

Kept apart from api/app.py so route modules (devices, dossiers, statistics, audit) import
these without importing the application that registers them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from quart import request

from hall.cabin_actions import may_act_on_cabin
from hall.config import HallConfig, User
from hall.engine import Engine

from .auth import Signer
from .errors import ApiError
from .runtime import HallRuntime


@dataclass
class HallContext:
    runtime: HallRuntime
    signer: Signer

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def config(self) -> HallConfig:
        return self.runtime.config



async def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object, or an ApiError naming what is wrong with it."""
    raw = await request.get_data(as_text=False)
    if not raw.strip():
        if required:
            raise ApiError("invalid_json", "the request needs a JSON object body")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", f"expected a JSON object, got {type(body).__name__}")
    return body


def field(body: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError("invalid", f"field {key!r} is required")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ApiError("invalid", f"field {key!r} must be a {names}, got {json.dumps(value)[:40]}")
    return value


def current_user(hall: HallContext, required: bool = True) -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        if required:
            raise ApiError("unauthorized", "sign in first: send Authorization: Bearer TOKEN from POST /api/v1/auth/login")
        return None
    username = hall.signer.verify(header[7:].strip(), hall.runtime.clock.now())
    user = hall.config.users.get(username) if username else None
    if user is None:
        raise ApiError("unauthorized", "the token is invalid or expired; sign in again")
    return user


def cabin_user(hall: HallContext, number: int) -> User:
    """The signed-in user, if they may act on cabin `number` (their own, or any for staff)."""
    user = current_user(hall)
    assert user is not None
    if number not in hall.config.cabins:
        raise ApiError("unknown_cabin", f"no cabin {number}")
    if not may_act_on_cabin(user, number, hall.engine):
        raise ApiError("forbidden", f"{user.username} may not act on cabin {number}")
    return user
