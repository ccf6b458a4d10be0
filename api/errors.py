"""One error shape for the whole HTTP API: `{"error": {"code", "message"}}` with a 4xx status."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from quart import Response, request
from quart_schema import RequestSchemaValidationError
from quart_trio import QuartTrio

from hall.lifecycle import CommandRefused

from .runtime import NotOwner, StoreFailed

STATUS_BY_CODE = {
    "unknown_ticket": 404,
    "unknown_cabin": 404,
    "not_found": 404,
    "unknown_service": 422,
    "unknown_priority": 422,
    "unknown_officer": 422,
    "unknown_procedure": 422,
    "unknown_dossier": 404,
    "invalid": 422,
    "invalid_json": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "store_failed": 503,
    "not_owner": 503,
    "too_large": 413,
    "unknown_device": 404,
    "unknown_action": 404,
    "unknown_job": 404,
    "invalid_rating": 422,
    "invalid_phone": 422,
    "unknown_appointment": 404,
    "wrong_phone": 403,
    "too_many_requests": 429,
}
STORE_FAILED_MESSAGE = "the hall cannot keep records right now and has stopped taking commands; staff must check the server's log"
CONFLICT = 409  # every refusal about the hall's current state: illegal transition, busy cabin, ...
WHERE = re.compile(r" - at `\$\.?([^`]*)`$")  # msgspec ends a message with the path of the wrong value
MISSING = re.compile(r"^Object missing required field `([^`]+)`")


@dataclass(frozen=True)
class ErrorDetail:
    code: str  # a key of STATUS_BY_CODE, or a refusal of the hall's rules (409)
    message: str  # for a person: what was wrong and what to do


@dataclass(frozen=True)
class ErrorBody:
    """Every error: one shape, with a 4xx (or 503) status."""

    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, CONFLICT)
        self.headers = headers or {}


def error_response(code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None) -> Response:
    status = status or STATUS_BY_CODE.get(code, CONFLICT)
    answer = json_response({"error": {"code": code, "message": message}}, status)
    answer.headers.update(headers or {})
    return answer


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")


def install_error_handlers(app: QuartTrio, max_body: int) -> None:
    """Every failure of a request answers in the one error shape above."""

    @app.errorhandler(ApiError)
    async def _api_error(exc: ApiError) -> Response:
        return error_response(exc.code, exc.message, exc.status, exc.headers)

    @app.errorhandler(RequestSchemaValidationError)
    async def _invalid(exc: RequestSchemaValidationError) -> Response:
        # A body or query string that does not fit its declared record (api/request_body.py).
        return error_response("invalid", invalid_message(exc))

    @app.errorhandler(CommandRefused)
    async def _refused(exc: CommandRefused) -> Response:
        return error_response(exc.code, exc.message)

    @app.errorhandler(NotOwner)
    async def _not_owner(exc: NotOwner) -> Response:
        # A load balancer sends the client on to the owner; a person reads who it is.
        return json_response({"error": {"code": "not_owner", "message": str(exc), "owner": exc.owner}}, 503)

    @app.errorhandler(StoreFailed)
    async def _store_failed(_exc: StoreFailed) -> Response:
        # The cause (SQL, driver message) is in the server's log (api/runtime.py), never in an
        # answer: it names tables and may quote what a citizen typed.
        return error_response("store_failed", STORE_FAILED_MESSAGE)

    @app.errorhandler(404)
    async def _not_found(_exc: Exception) -> Response:
        return error_response("not_found", f"no such path: {request.path}")

    @app.errorhandler(405)
    async def _method(_exc: Exception) -> Response:
        return error_response("method_not_allowed", f"{request.method} is not allowed on {request.path}", 405)

    @app.errorhandler(413)
    async def _too_large(_exc: Exception) -> Response:
        return error_response("too_large", f"request body over {max_body} bytes")


def invalid_message(exc: RequestSchemaValidationError) -> str:
    """What is wrong with a body or query string, naming the field (msgspec says `$.field`)."""
    text = str(exc.validation_error)
    if missing := MISSING.match(text):
        return f"field {missing.group(1)!r} is required"
    if where := WHERE.search(text):
        return f"field {where.group(1)!r}: {text[:where.start()]}"
    return text
