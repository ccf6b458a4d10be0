"""One error shape for the whole HTTP API: `{"error": {"code", "message"}}` with a 4xx status."""

from __future__ import annotations

import json
from typing import Any

from quart import Response

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
    "too_large": 413,
    "unknown_device": 404,
    "unknown_action": 404,
    "unknown_job": 404,
    "invalid_rating": 422,
}
CONFLICT = 409  # every refusal about the hall's current state: illegal transition, busy cabin, ...


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, CONFLICT)


def error_response(code: str, message: str, status: int | None = None) -> Response:
    status = status or STATUS_BY_CODE.get(code, CONFLICT)
    return json_response({"error": {"code": code, "message": message}}, status)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")
