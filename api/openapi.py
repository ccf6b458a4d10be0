"""The OpenAPI 3.1 document served at /openapi.json, kept as data beside the routes it describes."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
}
TICKET = {
    "type": "object",
    "required": ["id", "number", "service", "state", "ahead", "estimated_wait_minutes"],
    "properties": {
        "id": {"type": "string", "description": "unguessable id, printed as the ticket's QR code"},
        "number": {"type": "string", "description": "printed number, prefix per service and a daily sequence"},
        "service": {"type": "string"},
        "service_name": {"type": "string"},
        "department": {"type": "string"},
        "state": {"type": "string", "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled", "closed"]},
        "priority": {"type": ["string", "null"]},
        "ahead": {"type": "integer", "minimum": 0},
        "estimated_wait_minutes": {"type": "integer", "minimum": 0},
        "estimate": {"type": ["object", "null"]},
        "cabin": {"type": ["integer", "null"]},
        "track_url": {"type": "string"},
    },
}
CABIN_ACTIONS = ["open", "assign", "call-next", "call", "recall", "start", "finish", "no-show", "transfer", "pause", "resume", "close"]


APPOINTMENT = {
    "type": "object",
    "required": ["code", "service", "date", "start", "end", "state", "check_in_url"],
    "properties": {
        "code": {"type": "string", "description": "the booking's key, shown as a QR code and typed at the kiosk"},
        "service": {"type": "string"}, "date": {"type": "string", "format": "date"},
        "start": {"type": "string", "examples": ["08:00"]}, "end": {"type": "string"},
        "state": {"type": "string", "enum": ["booked", "cancelled", "checked_in", "missed"]},
        "phone": {"type": "string", "description": "masked: the last three digits"},
        "ticket": {"type": ["string", "null"]}, "check_in_url": {"type": "string"},
    },
}
_CODE = [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}}}


ONLINE_PATHS: dict[str, Any] = {  # docs/online.md
    "/api/v1/services/{code}/slots": {"get": {
        "summary": "A bookable service's slots of a day, with free places", "parameters": [
            *_CODE, {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"slots": {
            "type": "array", "items": {"type": "object", "properties": {"start": {"type": "string"}, "end": {"type": "string"},
                                                                        "capacity": {"type": "integer"}, "free": {"type": "integer"}}}}}}}}},
                      "404": {"description": "error"}, "422": {"description": "error"}}}},
    "/api/v1/services/{code}/booking-days": {"get": {"summary": "The days a service can be booked on, with free places",
                                                     "parameters": _CODE, "responses": {"200": {"description": "ok"}}}},
    "/api/v1/appointments": {"post": {
        "summary": "Book a slot", "requestBody": _body(["service", "date", "start", "phone", "name"], {
            "service": {"type": "string"}, "date": {"type": "string", "format": "date"}, "start": {"type": "string"},
            "phone": {"type": "string"}, "name": {"type": "string"}}),
        "responses": {"201": {"description": "booked, durable", "content": {"application/json": {"schema": APPOINTMENT}}},
                      "409": {"description": "slot_full, already_booked, no_such_slot, …"}, "422": {"description": "invalid_phone, invalid"}}}},
    "/api/v1/appointments/{code}": {"get": {"summary": "A booking (for the holder of its code)", "parameters": _CODE,
                                            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": APPOINTMENT}}}}}},
    "/api/v1/appointments/{code}/cancel": {"post": {"summary": "Cancel a booking with the phone it was made with", "parameters": _CODE,
                                                    "requestBody": _body(["phone"], {"phone": {"type": "string"}}),
                                                    "responses": {"200": {"description": "cancelled"}, "403": {"description": "wrong_phone"}}}},
    "/api/v1/appointments/{code}/check-in": {"post": {"summary": "Check in inside the window: the appointment ticket", "parameters": _CODE,
                                                      "responses": {"201": {"description": "the ticket"}, "409": {"description": "too_early, too_late"}}}},
    "/api/v1/notifications": {"get": {"summary": "The notifications outbox: pending and failed deliveries (floor manager)",
                                      "security": [{"bearer": []}],
                                      "parameters": [{"name": "status", "in": "query", "schema": {"type": "string",
                                                                                                   "enum": ["pending", "delivered", "failed", "all"]}}],
                                      "responses": {"200": {"description": "counts and rows"}, "401": {"description": "error"}, "403": {"description": "error"}}}},
}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for code in codes}


def _json(schema: dict[str, Any], description: str = "ok") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hall server API", "version": "1.0.0",
                 "description": "Queue ticketing and hall orchestration for a one-stop public-administration service hall."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Ticket": TICKET},
        },
        "paths": {
            "/api/v1/health": {"get": {"summary": "Liveness and journal state", "responses": {"200": _json({"type": "object"}), **_errors(503)}}},
            "/api/v1/services": {"get": {"summary": "Queues with waiting count and wait estimate", "responses": {"200": _json({"type": "object"})}}},
            "/api/v1/priorities": {"get": {"summary": "Priority categories", "responses": {"200": _json({"type": "object"})}}},
            "/api/v1/tickets": {
                "post": {
                    "summary": "Take a ticket (web: anyone, limited per address, no priority; kiosk: Authorization: Device ID TOKEN; "
                               "other channels: staff)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["service"],
                        "properties": {"service": {"type": "string"}, "priority": {"type": ["string", "null"]},
                                       "channel": {"type": "string", "enum": ["web", "kiosk", "staff", "appointment"]},
                                       "phone": {"type": "string", "description": "a Vietnamese mobile number; required for web tickets"}}}}}},
                    "responses": {"201": _json(TICKET, "the ticket, durable"), **_errors(400, 401, 403, 409, 413, 422, 429, 503)},
                }
            },
            "/api/v1/tickets/{id}": {
                "get": {"summary": "One ticket (by its unguessable id)",
                        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "responses": {"200": _json(TICKET), **_errors(404)}}
            },
            "/api/v1/tickets/{id}/cancel": {
                "post": {"summary": "Cancel a waiting ticket", "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                         "responses": {"200": _json(TICKET), **_errors(404, 409, 503)}}
            },
            "/api/v1/tickets/{id}/rejoin": {
                "post": {"summary": "A no-show rejoins the queue within the window", "security": [{"bearer": []}],
                         "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                         "responses": {"200": _json(TICKET), **_errors(401, 404, 409, 503)}}
            },
            "/api/v1/auth/login": {
                "post": {"summary": "Sign in; returns a bearer token",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["username", "password"],
                             "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                         "responses": {"200": _json({"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}), **_errors(400, 401, 422, 429)}}
            },
            "/api/v1/auth/logout": {
                "post": {"summary": "End this token", "security": [{"bearer": []}],
                         "responses": {"200": _json({"type": "object", "properties": {"signed_out": {"type": "boolean"}}}), **_errors(401)}}
            },
            "/api/v1/cabins": {"get": {"summary": "Every cabin's state", "responses": {"200": _json({"type": "object"})}}},
            "/api/v1/cabins/{n}": {
                "get": {"summary": "One cabin with the queue it serves", "parameters": [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}],
                        "responses": {"200": _json({"type": "object"}), **_errors(404)}}
            },
            "/api/v1/cabins/{n}/{action}": {
                "post": {
                    "summary": "A cabin action by its officer (or the floor manager)",
                    "security": [{"bearer": []}],
                    "parameters": [
                        {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "action", "in": "path", "required": True, "schema": {"type": "string", "enum": CABIN_ACTIONS}},
                    ],
                    "requestBody": {"required": False, "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"officer": {"type": "string"}, "ticket": {"type": "string"}, "service": {"type": "string"},
                                       "cabin": {"type": "integer"}, "reason": {"type": "string"}}}}}},
                    "responses": {"200": _json({"type": "object"}), "204": {"description": "call-next: nothing waits for this cabin"},
                                  **_errors(400, 401, 403, 404, 409, 422, 503)},
                }
            },
            "/api/v1/audit": {
                "get": {"summary": "The audit trail: a day's events with who did them (floor manager, inspectors)", "security": [{"bearer": []}],
                        "parameters": [{"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}},
                                       {"name": "officer", "in": "query", "schema": {"type": "string"}},
                                       {"name": "cabin", "in": "query", "schema": {"type": "integer"}}],
                        "responses": {"200": _json({"type": "object"}), **_errors(401, 403, 422)}}
            },
            **ONLINE_PATHS,
            "/api/v1/day/{action}": {
                "post": {"summary": "Open or close the business day (floor manager)", "security": [{"bearer": []}],
                         "parameters": [{"name": "action", "in": "path", "required": True, "schema": {"type": "string", "enum": ["open", "close"]}}],
                         "responses": {"200": _json({"type": "object"}), **_errors(401, 403, 404, 409, 503)}}
            },
        },
    }
