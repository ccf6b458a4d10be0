"""The quart-trio application: the HTTP JSON API under /api/v1, screen websockets and pages.

Layering (as in hypercorn / quart): this module only translates HTTP and websockets into
engine commands and engine state into JSON. Every state change goes through
`HallRuntime.execute`, which answers only after the events are durable.
"""

from __future__ import annotations

import secrets

from quart import Response, request
from quart_trio import QuartTrio

from displays import hall_view
from hall import commands as c
from hall import events as ev
from hall.cabin_actions import CABIN_ACTIONS, CabinAction, cabin_command
from hall.lifecycle import CommandRefused
from hall.ticket_view import ticket_view

from .audit_http import register_audit
from .auth import Signer, authenticate
from .context import HallContext, cabin_user, current_user, field, json_body
from .devices_http import register_devices
from .dossiers_http import register_dossiers
from .errors import ApiError, error_response, json_response
from .openapi import openapi_document
from .runtime import HallRuntime, StoreFailed
from .screens import register_screens
from .stats_http import register_stats

MAX_BODY = 64 * 1024
CHANNELS_OPEN_TO_ALL = ("kiosk", "web")


def create_app(runtime: HallRuntime, signer: Signer) -> QuartTrio:
    app = QuartTrio("hall", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["JSON_AS_ASCII"] = False
    hall = HallContext(runtime, signer)
    app.extensions["hall"] = hall
    _register_errors(app)
    _register_api(app, hall)
    register_screens(app, hall)
    register_dossiers(app, hall)
    register_devices(app, hall)
    register_stats(app, hall)
    register_audit(app, hall)
    return app


# ---- errors ---------------------------------------------------------------------------------


def _register_errors(app: QuartTrio) -> None:
    @app.errorhandler(ApiError)
    async def _api_error(exc: ApiError) -> Response:
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(CommandRefused)
    async def _refused(exc: CommandRefused) -> Response:
        return error_response(exc.code, exc.message)

    @app.errorhandler(StoreFailed)
    async def _store_failed(exc: StoreFailed) -> Response:
        return error_response("store_failed", str(exc))

    @app.errorhandler(404)
    async def _not_found(_exc: Exception) -> Response:
        return error_response("not_found", f"no such path: {request.path}")

    @app.errorhandler(405)
    async def _method(_exc: Exception) -> Response:
        return error_response("method_not_allowed", f"{request.method} is not allowed on {request.path}", 405)

    @app.errorhandler(413)
    async def _too_large(_exc: Exception) -> Response:
        return error_response("too_large", f"request body over {MAX_BODY} bytes")


# ---- the HTTP API ---------------------------------------------------------------------------



def _register_api(app: QuartTrio, hall: HallContext) -> None:
    runtime = hall.runtime

    @app.get("/api/v1/health")
    async def health() -> Response:
        body = {
            "status": "ok" if runtime.failure is None else "failed",
            "hall": hall.config.id,
            "name": hall.config.name,
            "day": hall.engine.state.day,
            "seq": hall.engine.state.seq,
            "durable_seq": runtime.durable_seq,
            "replayed_events": runtime.replayed,
            "failure": runtime.failure,
        }
        return json_response(body, 200 if runtime.failure is None else 503)

    @app.get("/api/v1/services")
    async def services() -> Response:
        return json_response({"services": [hall_view.service_summary(hall.engine, code) for code in hall.config.services]})

    @app.get("/api/v1/priorities")
    async def priorities() -> Response:
        return json_response({"priorities": [{"code": p.code, "name": p.name} for p in hall.config.priorities.values()]})

    @app.post("/api/v1/tickets")
    async def issue_ticket() -> tuple[Response, int] | Response:
        body = await json_body()
        service = field(body, "service", str)
        priority = field(body, "priority", str, required=False)
        channel = field(body, "channel", str, required=False) or "web"
        if channel not in CHANNELS_OPEN_TO_ALL:
            user = current_user(hall)
            if user is None or user.role not in ("officer", "manager", "admin"):
                raise ApiError("forbidden", f"channel {channel!r} is for staff")
        command = c.IssueTicket(ticket_id=secrets.token_urlsafe(9), service=service, priority=priority, channel=channel, actor=channel)
        events = await runtime.execute(command)
        issued = next(e.payload for e in events if isinstance(e.payload, ev.TicketIssued))
        return json_response(ticket_view(hall.engine, hall.engine.state.tickets[issued.id]), 201)

    @app.get("/api/v1/tickets/<ticket_id>")
    async def get_ticket(ticket_id: str) -> Response:
        ticket = hall.engine.state.tickets.get(ticket_id)  # by id only: numbers are guessable
        if ticket is None:
            raise ApiError("unknown_ticket", f"no ticket {ticket_id!r}")
        return json_response(ticket_view(hall.engine, ticket))

    @app.post("/api/v1/tickets/<ticket_id>/cancel")
    async def cancel_ticket(ticket_id: str) -> Response:
        # Holding the unguessable id (printed as the QR code) is what lets a citizen cancel.
        if ticket_id not in hall.engine.state.tickets:
            raise ApiError("unknown_ticket", f"no ticket {ticket_id!r}")
        user = current_user(hall, required=False)
        await runtime.execute(c.CancelTicket(ticket_id, actor=user.username if user else "citizen"))
        return json_response(ticket_view(hall.engine, hall.engine.state.tickets[ticket_id]))

    @app.post("/api/v1/tickets/<ticket_id>/rejoin")
    async def rejoin_ticket(ticket_id: str) -> Response:
        user = current_user(hall)
        if ticket_id not in hall.engine.state.tickets:
            raise ApiError("unknown_ticket", f"no ticket {ticket_id!r}")
        await runtime.execute(c.Rejoin(ticket_id, actor=user.username))
        return json_response(ticket_view(hall.engine, hall.engine.state.tickets[ticket_id]))

    @app.post("/api/v1/auth/login")
    async def login() -> Response:
        body = await json_body()
        username, password = field(body, "username", str), field(body, "password", str)
        user = authenticate(hall.config, username, password)
        if user is None:
            raise ApiError("unauthorized", "wrong username or password")
        token = hall.signer.issue(user.username, runtime.clock.now())
        return json_response({"token": token, "user": {"username": user.username, "name": user.name, "role": user.role, "cabin": user.cabin}})

    @app.get("/api/v1/cabins")
    async def cabins() -> Response:
        return json_response({"cabins": [hall_view.cabin_summary(hall.engine, n) for n in hall.config.cabins]})

    @app.get("/api/v1/cabins/<int:number>")
    async def cabin(number: int) -> Response:
        if number not in hall.config.cabins:
            raise ApiError("unknown_cabin", f"no cabin {number}")
        body = hall_view.cabin_summary(hall.engine, number)
        body["profile"] = hall.config.cabins[number].profile
        body["queue"] = [ticket_view(hall.engine, t) for t in sorted(hall.engine.candidates_for(number), key=lambda t: (t.arrival, t.number))][:50]
        return json_response(body)

    @app.post("/api/v1/cabins/<int:number>/<action>")
    async def cabin_action(number: int, action: str) -> Response:
        if action not in CABIN_ACTIONS:
            raise ApiError("not_found", f"unknown cabin action {action!r}; one of {', '.join(CABIN_ACTIONS)}")
        user = cabin_user(hall, number)
        body = await json_body(required=False)
        press = CabinAction(
            action, officer=field(body, "officer", str, required=False), ticket=field(body, "ticket", str, required=False),
            service=field(body, "service", str, required=False), to_cabin=field(body, "cabin", int, required=False),
            reason=field(body, "reason", str, required=False),
        )
        events = await runtime.execute(cabin_command(hall.engine, user, number, press))
        if action == "call-next" and not any(isinstance(e.payload, ev.TicketCalled) for e in events):
            return Response(b"", status=204)
        summary = hall_view.cabin_summary(hall.engine, number)
        touched = next((e.payload.ticket_id for e in events if e.payload.ticket_id), None)
        ticket = hall.engine.state.tickets.get(touched) if touched else None
        # The ticket's own fields at the top level (call-next answers "with the ticket"),
        # and the cabin's new state beside them.
        body = ticket_view(hall.engine, ticket) if ticket else {"cabin": number}
        body["ticket"] = ticket_view(hall.engine, ticket) if ticket else None
        body["cabin_state"] = summary
        return json_response(body)

    @app.post("/api/v1/day/<action>")
    async def day(action: str) -> Response:
        user = current_user(hall)
        if user.role not in ("manager", "admin"):
            raise ApiError("forbidden", "only the floor manager opens or closes the day")
        if action == "open":
            today = hall.config.business_day(runtime.clock.now())
            await runtime.execute(c.OpenDay(today, actor=user.username))
        elif action == "close":
            await runtime.execute(c.CloseDay(actor=user.username))
        else:
            raise ApiError("not_found", f"unknown day action {action!r}; open or close")
        return json_response({"day": hall.engine.state.day, "open": hall.engine.state.day_open})

    @app.get("/openapi.json")
    async def openapi() -> Response:
        return json_response(openapi_document())
