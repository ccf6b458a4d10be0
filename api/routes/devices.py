"""Devices: the `/ws/device` socket, the floor manager's view of the devices, reprinting a ticket.

- `/ws/device` — hall hardware speaking the msgpack device protocol (api/device_ws.py).
- `GET /api/v1/devices` lists every device of the hall file with `status` (online / offline),
  `last_seen`, and `faults` (offline, paper_out, paper_near_end, cover_open, printer_offline,
  last_job_failed); printers also show paper, their last job and who carries them. Jobs name the tickets they
  printed (ids are the citizens' keys) and the listing maps the hall's network, so it is for
  signed-in users only (api/access.py).
- `POST /api/v1/devices/{printer}/reprint` (manager or admin) with `{"job": id}` or
  `{"ticket": id}`, or no body for the printer's last failed job: prints the same bytes again as
  a new job; 202 with the new job. Useful after a refill, when the kiosk's citizen is waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response

from ..access import FLOOR, current_user
from ..answers import Devices, PrintJobView
from ..context import current_hall
from ..device_ws import DeviceConnection
from ..errors import json_response
from ..request_body import validate_body

bp = Blueprint("devices", __name__)


@dataclass(frozen=True)
class Reprint:
    job: str | None = None
    ticket: str | None = None


@bp.websocket("/ws/device")
async def socket() -> None:
    await DeviceConnection(current_hall()).run()


@bp.get("/api/v1/devices")
@document_response(Devices)
async def listing() -> Response:
    """Every device of the hall file, online or not, with its faults (signed-in users; a print
    job's ticket id for the floor only)."""
    hall = current_hall()
    devices = hall.devices.listing()
    if current_user().role not in FLOOR:
        devices = [without_ticket_ids(entry) for entry in devices]
    return json_response({"devices": devices, "at": hall.runtime.clock.now()})


def without_ticket_ids(entry: dict[str, Any]) -> dict[str, Any]:
    """A device's entry with its last job's ticket left out: the id is what cancels a ticket,
    and officers, inspectors and leaders need the job's state only (its label names the
    ticket's printed number); the floor manager reprints by it."""
    job = entry.get("last_job")
    return {**entry, "last_job": {**job, "ticket": None}} if job else entry


@bp.post("/api/v1/devices/<printer>/reprint")
@document_response(PrintJobView, 202)
@validate_body(Reprint, required=False)
async def reprint(printer: str, data: Reprint) -> Response:
    """Print a job again on a printer (the floor manager): 202 with the new job."""
    printing = current_hall().printing
    printing.require_printer(printer)
    return json_response(printing.reprint(printer, data.job, data.ticket).as_dict(), 202)
