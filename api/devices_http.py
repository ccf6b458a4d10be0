"""The floor manager's view of the devices: `GET /api/v1/devices`, and reprinting a ticket.

- `GET /api/v1/devices` lists every device of the hall file with `status` (online / offline),
  `last_seen`, and `faults` (offline, paper_out, paper_near_end, cover_open, printer_offline,
  last_job_failed); printers also show paper, their last job and who carries them. Nothing in it
  is secret, so screens in the back office can poll it without signing in.
- `POST /api/v1/devices/{printer}/reprint` (manager or admin) with `{"job": id}` or
  `{"ticket": id}`, or no body for the printer's last failed job: prints the same bytes again as
  a new job; 202 with the new job. Useful after a refill, when the kiosk's citizen is waiting.
"""

from __future__ import annotations

from quart import Response
from quart_trio import QuartTrio

from .context import HallContext, current_user, field, json_body
from .device_ws import register_device_socket
from .errors import ApiError, json_response

def register_devices(app: QuartTrio, hall: HallContext) -> None:
    registry = register_device_socket(app, hall)

    @app.get("/api/v1/devices")
    async def devices() -> Response:
        return json_response({"devices": registry.listing(), "at": hall.runtime.clock.now()})

    @app.post("/api/v1/devices/<printer>/reprint")
    async def reprint(printer: str) -> tuple[Response, int] | Response:
        user = current_user(hall)
        if user.role not in ("manager", "admin"):
            raise ApiError("forbidden", "only the floor manager reprints tickets")
        device = hall.config.devices.get(printer)
        if device is None or device.kind != "printer":
            raise ApiError("unknown_device", f"no printer {printer!r}")
        body = await json_body(required=False)
        job_id, ticket_id = field(body, "job", str, required=False), field(body, "ticket", str, required=False)
        jobs = [j for j in registry.jobs.values() if j.printer == printer]
        if job_id is not None:
            chosen = registry.job(job_id)
            if chosen is None or chosen.printer != printer:
                raise ApiError("unknown_job", f"no print job {job_id!r} on {printer}")
        elif ticket_id is not None:
            chosen = next((j for j in reversed(jobs) if j.ticket == ticket_id), None)
            if chosen is None:
                raise ApiError("unknown_job", f"no print job for ticket {ticket_id!r} on {printer}")
        else:
            chosen = next((j for j in reversed(jobs) if j.state == "failed"), None)
            if chosen is None:
                raise ApiError("unknown_job", f"{printer} has no failed job to reprint")
        new = registry.job(registry.reprint(chosen.id))
        return json_response(new.as_dict(), 202)
