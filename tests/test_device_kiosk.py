"""Kiosks over the real device socket: tickets taken, printed on the simulated printer, paper out,
reprint after refill, and a retried request after a reconnect."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from devices.escpos_render import number_block
from simulators.devices import SimulatedKiosk
from support.devices import bounded_device
from support.servers import login, served_hall
from support.stores import sqlite_url


def number_row(png: Path, number: str) -> int | None:
    """The pixel row where the ticket's big number is printed (re-rendered with the same font),
    or None (the way tests/test_printing.py finds it)."""
    printed = Image.open(png).convert("1")
    block = number_block(number, printed.width).convert("1")
    at = printed.tobytes().find(block.tobytes())
    row_bytes = printed.width // 8
    return None if at < 0 or at % row_bytes else at // row_bytes


async def devices(client) -> dict[str, dict]:
    listed = await client.get("/api/v1/devices", headers=await login(client, "quanly"))  # staff only
    return {d["id"]: d for d in listed.json()["devices"]}


async def test_a_kiosk_ticket_is_printed_with_its_number_and_tracking_qr(hall_server, client, printer):
    sim = printer.sim
    async with bounded_device(hall_server.url, SimulatedKiosk("kiosk-01", printer_address=printer.address)) as kiosk:
        assert kiosk.welcome["kind"] == "kiosk" and kiosk.welcome["printer"] == "printer-01"
        assert any(s["code"] == "CA-TN" for s in kiosk.welcome["snapshot"]["services"])
        ticket = await kiosk.take("CA-TN")
        assert ticket["number"] == "W001" and ticket["ahead"] == 0
        assert set(ticket) >= {"id", "number", "service", "ahead", "estimated_wait_minutes"}
        job = await kiosk.wait_for(lambda f: f["t"] == "print")
        assert await kiosk.wait_job(job["job"]) == "printed"

    [receipt] = sim.receipts
    track = f"{hall_server.runtime.config.public_url}/track/{ticket['id']}"
    codes = {r.format.name: r.text for r in zxingcpp.read_barcodes(Image.open(receipt.png_path).convert("L"))}
    assert codes == {"QRCode": track}
    assert number_row(receipt.png_path, "W001") is not None
    assert number_row(receipt.png_path, "W002") is None
    # The ticket is in the hall, durable, as taken from the kiosk.
    state = (await client.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert state["channel"] == "kiosk" and state["state"] == "waiting"
    listed = await devices(client)
    assert listed["printer-01"]["last_job"]["state"] == "printed"
    assert listed["kiosk-01"]["status"] == "offline"  # it has left


async def test_paper_out_keeps_the_ticket_and_reprints_after_refill(hall_server, client, printer):
    sim = printer.sim
    sim.set_paper("out")
    async with bounded_device(hall_server.url, SimulatedKiosk("kiosk-01", printer_address=printer.address)) as kiosk:
        ticket = await kiosk.take("STP-TN")
        job = (await kiosk.wait_for(lambda f: f["t"] == "print"))["job"]
        assert await kiosk.wait_job(job) == "paper_out"
        assert sim.receipts == []

        # The ticket survives, and the floor manager sees the fault.
        assert (await client.get(f"/api/v1/tickets/{ticket['id']}")).json()["state"] == "waiting"
        printer_row = (await devices(client))["printer-01"]
        assert "paper_out" in printer_row["faults"] and "last_job_failed" in printer_row["faults"]
        assert printer_row["last_job"] == {**printer_row["last_job"], "id": job, "state": "failed", "reason": "paper_out"}
        assert (await devices(client))["kiosk-01"]["status"] == "online"

        # Refill: the kiosk reports it, the manager reprints, the paper comes out.
        sim.set_paper("ok")
        await kiosk.report_printer()
        auth = await login(client, "quanly")
        answer = await client.post("/api/v1/devices/printer-01/reprint", json={"ticket": ticket["id"]}, headers=auth)
        assert answer.status_code == 202, answer.text
        reprint = answer.json()
        assert reprint["reprint_of"] == job
        assert await kiosk.wait_job(reprint["id"]) == "printed"

    [receipt] = sim.receipts
    assert number_row(receipt.png_path, ticket["number"]) is not None
    printer_row = (await devices(client))["printer-01"]
    assert printer_row["paper"] == "ok" and "paper_out" not in printer_row["faults"]


async def test_the_kiosk_itself_can_reprint_a_ticket(hall_server, printer):
    sim = printer.sim
    sim.set_cover_open(True)
    async with bounded_device(hall_server.url, SimulatedKiosk("kiosk-02", printer_address=printer.address)) as kiosk:
        ticket = await kiosk.take("CA-TN")
        first = (await kiosk.wait_for(lambda f: f["t"] == "print"))["job"]
        assert await kiosk.wait_job(first) == "cover_open"
        sim.set_cover_open(False)
        again = await kiosk.reprint(ticket["id"])
        assert await kiosk.wait_job(again) == "printed"
    assert len(sim.receipts) == 1 and number_row(sim.receipts[0].png_path, ticket["number"]) is not None


async def test_a_kiosk_that_reconnects_and_repeats_its_request_gets_the_same_ticket(hall_server, client, printer):
    async with bounded_device(hall_server.url, SimulatedKiosk("kiosk-03", printer_address=printer.address)) as kiosk:
        first = await kiosk.take("CA-TN", request_id="take-42")
    seq = hall_server.runtime.engine.state.seq
    async with bounded_device(hall_server.url, SimulatedKiosk("kiosk-03", printer_address=printer.address)) as kiosk:
        again = await kiosk.take("CA-TN", request_id="take-42")
        other = await kiosk.take("CA-TN", request_id="take-43")
    assert again["id"] == first["id"] and again["number"] == first["number"]
    assert other["number"] != first["number"]
    assert hall_server.runtime.engine.state.seq == seq + 1  # only take-43 issued a ticket
    waiting = (await client.get("/api/v1/services")).json()["services"]
    assert next(s for s in waiting if s["code"] == "CA-TN")["waiting"] == 2


@pytest.mark.slow
async def test_a_retried_take_after_a_server_restart_still_gets_the_same_ticket(tmp_path):
    # A restart forgets the per-device answer cache; the engine's request keys are replayed.
    db = sqlite_url(tmp_path)

    async def take_once() -> dict:
        async with served_hall(db) as (server, _http), bounded_device(server.url, SimulatedKiosk("kiosk-04")) as kiosk:
            return await kiosk.take("CA-TN", request_id=7)

    first = await take_once()
    again = await take_once()
    assert again["id"] == first["id"] and again["number"] == first["number"]
