"""The print service: every ticket and receipt is rendered off the trio thread, then queued once.

The kiosk's `take` and `reprint`, the officer's dossier receipt and its download all go through
`devices.print_service.PrintService`; the rendering goes through the `offload` it is given
(`HallRuntime.offload` in the server), here a real worker thread that notes what it ran.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import trio
from support.clock import ManualClock

from api.assembly import build_runtime
from devices.print_service import PrintService
from devices.registry import DeviceRegistry
from hall import commands as c
from hall.config import load_hall
from hall.dossiers import Dossier
from hall.lifecycle import CommandRefused

CALLER = threading.main_thread()


def dossier(code: str = "HS-20270301-0001") -> Dossier:
    return Dossier(code=code, procedure="CA-HC", procedure_name="Cấp hộ chiếu phổ thông", department="CA",
                   limit_days=8, limit_hours=None, received_at=ManualClock().now(), due=dt.date(2027, 3, 11),
                   status="received", ticket="t", cabin=33, officer="canbo33", citizen_name="Trần Thị Bình",
                   citizen_phone=None)


async def test_every_print_path_renders_off_the_trio_thread_and_reprints_the_same_paper(tmp_path):
    config = load_hall()
    clock = ManualClock()
    runtime = build_runtime(config, f"sqlite:///{tmp_path / 'h.db'}", clock, inline_commit=True)
    await runtime.execute(c.IssueTicket("t1", "CA-TN", channel="kiosk"))
    engine, ticket = runtime.engine, runtime.engine.state.tickets["t1"]
    rendered: list[tuple[str, bool]] = []

    async def offload(fn, *args):
        def work():
            rendered.append((fn.__name__, threading.current_thread() is not CALLER))
            return fn(*args)

        return await trio.to_thread.run_sync(work)

    registry = DeviceRegistry(config, clock)
    printing = PrintService(registry, offload)
    first = await printing.ticket("printer-01", engine, ticket)
    again = await printing.ticket_again("printer-01", engine, ticket)  # the same printer: the same bytes
    elsewhere = await printing.ticket_again("printer-02", engine, ticket)  # another printer: a new paper
    outcome = await printing.receipt(printing.printer_for(None, "printer-01"), dossier())
    download = await printing.receipt_bytes(dossier())

    assert rendered == [("render_ticket", True), ("render_ticket", True), ("render_receipt", True), ("render_receipt", True)]
    assert registry.job(again).data == registry.job(first).data and registry.job(again).reprint_of == first
    assert registry.job(elsewhere).printer == "printer-02" and registry.job(elsewhere).ticket == "t1"
    assert outcome.as_dict() == {"printer": "printer-01", "printed": True, "print_error": None}
    assert registry.job(registry.records["printer-01"].last_job).data == download
    assert (await printing.receipt(None, dossier())).print_error == "no printer at this cabin"
    assert len(rendered) == 4  # nothing is rendered for a cabin without a printer


async def test_the_floor_reprint_chooses_a_job_or_names_what_is_missing(tmp_path):
    config = load_hall()
    registry = DeviceRegistry(config, ManualClock())

    async def inline(fn, *args):
        return fn(*args)

    printing = PrintService(registry, inline)
    job = registry.print("printer-01", b"\x1b@ticket", label="ticket W001", ticket="t1")
    registry.job_result(job, False, "paper_out")
    assert printing.reprint("printer-01").reprint_of == job  # the last failed one
    assert printing.reprint("printer-01", ticket="t1").ticket == "t1"
    for asked, code in [({"printer": "kiosk-01"}, "unknown_device"), ({"printer": "printer-02"}, "unknown_job"),
                        ({"printer": "printer-01", "job": "job-nope"}, "unknown_job")]:
        with pytest.raises(CommandRefused) as refused:
            printing.reprint(**asked)
        assert refused.value.code == code, asked
