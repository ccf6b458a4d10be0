"""The one way a ticket or a dossier receipt gets on paper: lay out, render off the trio thread, queue.

Theory of operation
-------------------
Every print, whoever asks for it (a kiosk's `take` or `reprint` frame, an officer receiving a
dossier or reprinting its receipt, the floor manager's reprint), takes the same three steps here:

1. the layout (`TicketPrint`, `ReceiptPrint`) is read from the hall's state on the trio thread,
   where the state is consistent with the answer the caller gives;
2. the ESC/POS bytes are rendered by `escpos_render` through `offload` — `HallRuntime.offload`,
   a worker thread except in virtual-time runs — because a ticket's raster image costs 13–14 ms
   of CPU (docs/benchmarks.md), which on the trio thread would stall every screen and command;
3. the bytes go to `DeviceRegistry.print`, the one way a job reaches a printer (it never
   blocks, and a printer fault fails the job, never the ticket or the dossier).

Reprints of a job already made send its bytes again (`DeviceRegistry.reprint`): the paper is the
same as the first time, time of issue and all. Refusals are `CommandRefused` naming the printer
or the job; the HTTP layer and the device socket both answer them as errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hall.config import HallConfig
from hall.dossier_view import lookup_url
from hall.dossiers import Dossier
from hall.engine import Engine
from hall.lifecycle import CommandRefused
from hall.state import Ticket

from .escpos_render import ReceiptPrint, TicketLabels, render_receipt, render_ticket
from .kiosk import ticket_print
from .registry import DeviceRegistry, PrintJob

log = logging.getLogger("hall.printing")

Offload = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ReceiptOutcome:
    """What happened to a dossier receipt: a failed print never loses the dossier."""

    printer: str | None
    printed: bool
    print_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"printer": self.printer, "printed": self.printed, "print_error": self.print_error}


def receipt_print(config: HallConfig, dossier: Dossier) -> ReceiptPrint:
    """What goes on a dossier's receipt: agency, procedure, code (barcode), received, due, lookup QR."""
    agency = config.departments.get(dossier.department)
    return ReceiptPrint(
        centre=config.name, department=agency.name if agency else dossier.department,
        procedure_code=dossier.procedure, procedure_name=dossier.procedure_name, dossier_code=dossier.code,
        received_at=config.local(dossier.received_at), due_date=dossier.due,
        lookup_url=lookup_url(config, dossier.code), citizen_name=dossier.citizen_name,
    )


class PrintService:
    def __init__(self, registry: DeviceRegistry, offload: Offload) -> None:
        self.registry = registry
        self.config = registry.config
        self._offload = offload

    # ---- tickets ------------------------------------------------------------------------------

    async def ticket(self, printer: str, engine: Engine, ticket: Ticket, labels: TicketLabels | None = None) -> str:
        """Print a ticket as it stands now (in the words of `labels`); returns the job id."""
        data = await self._offload(render_ticket, ticket_print(engine, ticket, labels))
        return self.registry.print(printer, data, label=f"ticket {ticket.number}", ticket=ticket.id)

    async def ticket_again(self, printer: str, engine: Engine, ticket: Ticket) -> str:
        """A kiosk's reprint: the first paper again if this printer printed it, else a new one."""
        last = self.registry.last_job_for_ticket(ticket.id)
        if last is not None and last.printer == printer:
            return self.registry.reprint(last.id)
        return await self.ticket(printer, engine, ticket)

    # ---- dossier receipts ---------------------------------------------------------------------

    async def receipt_bytes(self, dossier: Dossier) -> bytes:
        return await self._offload(render_receipt, receipt_print(self.config, dossier))

    async def receipt(self, printer: str | None, dossier: Dossier) -> ReceiptOutcome:
        """Print a dossier's receipt on `printer` (see `printer_for`)."""
        if printer is None:
            return ReceiptOutcome(None, False, "no printer at this cabin")
        data = await self.receipt_bytes(dossier)
        try:
            self.registry.print(printer, data)
        except Exception as exc:  # noqa: BLE001 - the receipt can be reprinted; the dossier is kept
            log.warning("receipt to %s failed: %s", printer, exc)
            return ReceiptOutcome(printer, False, str(exc))
        return ReceiptOutcome(printer, True, None)

    def printer_for(self, cabin: int | None, asked: str | None) -> str | None:
        """The printer asked for (it must be one), else the cabin's own, else None."""
        if asked:
            device = self.config.devices.get(asked)
            if device is None or device.kind != "printer":
                raise CommandRefused("invalid", f"no printer {asked!r}")
            return asked
        return self.registry.printer_for_cabin(cabin) if cabin is not None else None

    # ---- the floor manager's reprint ------------------------------------------------------------

    def reprint(self, printer: str, job: str | None = None, ticket: str | None = None) -> PrintJob:
        """Print a job of `printer` again: the one named, the last one of a ticket, or the last failed one."""
        self.require_printer(printer)
        chosen = self._job_to_reprint(printer, job, ticket)
        new = self.registry.job(self.registry.reprint(chosen.id))
        assert new is not None
        return new

    def require_printer(self, printer: str) -> None:
        device = self.config.devices.get(printer)
        if device is None or device.kind != "printer":
            raise CommandRefused("unknown_device", f"no printer {printer!r}")

    def _job_to_reprint(self, printer: str, job_id: str | None, ticket_id: str | None) -> PrintJob:
        jobs = [j for j in self.registry.jobs.values() if j.printer == printer]
        if job_id is not None:
            chosen = self.registry.job(job_id)
            if chosen is None or chosen.printer != printer:
                raise CommandRefused("unknown_job", f"no print job {job_id!r} on {printer}")
        elif ticket_id is not None:
            chosen = next((j for j in reversed(jobs) if j.ticket == ticket_id), None)
            if chosen is None:
                raise CommandRefused("unknown_job", f"no print job for ticket {ticket_id!r} on {printer}")
        else:
            chosen = next((j for j in reversed(jobs) if j.state == "failed"), None)
            if chosen is None:
                raise CommandRefused("unknown_job", f"{printer} has no failed job to reprint")
        return chosen
