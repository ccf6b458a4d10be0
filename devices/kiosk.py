"""The kiosk: what it is told when it connects, the answer to "take", the ticket it prints.

Server side, `take` becomes `hall.commands.IssueTicket(channel="kiosk")` with the idempotency key
`request_key(device, id)`: the engine remembers the keys of the day, so a kiosk that repeats a
request after a reconnect (or after a server restart) gets the ticket already issued, never a
second one. The ticket is durable before the answer, and the print job goes out after the answer.

Kiosk side, `print_and_check` is how a kiosk drives its receipt printer on TCP 9100: the job and
then the real-time status queries (DLE EOT 1–4) on the same connection, so the answers describe
the printer *after* it took the job, and the kiosk can say `printed` or `print_failed`.
"""

from __future__ import annotations

from typing import Any

import trio

from hall.day_capacity import day_full
from hall.engine import Engine
from hall.state import Ticket
from hall.ticket_view import track_url

from .escpos_render import TicketLabels, TicketPrint
from .printer_transport import DLE_EOT, PrinterStatus, PrinterUnavailable, status_from_bytes


def request_key(device: str, request_id: Any) -> str:
    """The engine's idempotency key of one kiosk request (ids are per device)."""
    return f"{device}:{type(request_id).__name__}:{request_id}"


def ticket_print(engine: Engine, ticket: Ticket, labels: TicketLabels | None = None) -> TicketPrint:
    """What goes on paper: centre, department, service, big number, time, people ahead, wait, QR."""
    config = engine.config
    service = config.services[ticket.service]
    ahead, estimate = engine.wait_for(ticket)
    return TicketPrint(
        centre=config.name,
        department=config.departments[service.department].name,
        service=service.name,
        number=ticket.number,
        issued_at=config.local(ticket.issued_at),
        ahead=ahead,
        wait_minutes=round(estimate.minutes) if estimate else None,
        wait_range=(round(estimate.low), round(estimate.high)) if estimate else None,
        track_url=track_url(engine, ticket),
        labels=labels or TicketLabels(),
    )


def kiosk_snapshot(engine: Engine, now: float) -> dict[str, Any]:
    """What a kiosk shows: the services with their queues (and whether the day is full for a new
    ticket, hall/day_capacity.py), and the priority categories."""
    config = engine.config
    services = []
    for code, service in config.services.items():
        waiting = engine.waiting_count(code)
        estimate = engine.estimate(code, waiting).rounded()
        services.append({
            "code": code, "name": service.name, "department": service.department,
            "department_name": config.departments[service.department].name, "prefix": service.prefix,
            "waiting": waiting, "estimated_wait_minutes": round(estimate.minutes),
            # the kiosk greys out a queue the hall could not call by closing (the cut-off refuses it)
            "day_full": day_full(config, now, estimate) is not None,
        })
    return {
        "seq": engine.state.seq,
        "centre": config.name,
        "day_open": engine.state.day_open,
        "services": services,
        "priorities": [{"code": p.code, "name": p.name} for p in config.priorities.values()],
    }


async def print_and_check(host: str, port: int, data: bytes, timeout: float = 5.0) -> PrinterStatus:
    """Send one job to a network printer, then read its status on the same connection."""
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(data)
                answers = {}
                for n in (1, 2, 3, 4):
                    await stream.send_all(DLE_EOT + bytes([n]))
                    byte = await stream.receive_some(1)
                    if not byte:
                        raise ConnectionResetError(f"connection closed before the answer to DLE EOT {n}")
                    answers[n] = byte[0]
    except (OSError, trio.BrokenResourceError, trio.TooSlowError) as exc:
        raise PrinterUnavailable(f"printer {host}:{port}: {exc!r}") from exc
    return status_from_bytes(answers)


def failure_reason(status: PrinterStatus) -> str | None:
    """The `print_failed` reason for a status, or None if the printer could print."""
    if status.paper_out:
        return "paper_out"
    if status.cover_open:
        return "cover_open"
    if not status.online or status.error:
        return "offline"
    return None


def status_report(status: PrinterStatus) -> dict[str, Any]:
    """A PrinterStatus as the fields of a `printer_status` frame."""
    paper = "out" if status.paper_out else "near_end" if status.paper_near_end else "ok"
    return {"paper": paper, "cover_open": status.cover_open, "online": status.online and not status.error}
