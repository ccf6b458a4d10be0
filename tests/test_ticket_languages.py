"""The printed ticket speaks the language the kiosk showed: its words come from the message
catalogue of the kiosk's `lang` (Vietnamese when absent or unknown), read back from the paper of
the simulated printer."""

from __future__ import annotations

import dataclasses

from api.device_ws import ticket_labels
from devices.escpos_render import render_ticket
from test_printing import TEXT_PROFILE, TICKET, send


async def test_an_english_kiosk_prints_an_english_ticket(printer):
    await send(printer, render_ticket(dataclasses.replace(TICKET, labels=ticket_labels("en")), TEXT_PROFILE))
    lines = printer.sim.receipts[-1].text.splitlines()
    assert "People ahead of you: 7" in lines and "Expected wait: ~25 min (15–40)" in lines
    assert "A1023" in lines


async def test_an_unknown_language_prints_vietnamese(printer):
    for lang in (None, "xx", "../en"):
        await send(printer, render_ticket(dataclasses.replace(TICKET, labels=ticket_labels(lang)), TEXT_PROFILE))
        lines = printer.sim.receipts[-1].text.splitlines()
        assert "Số người chờ trước Ông/Bà: 7" in lines and "Thời gian chờ dự kiến: ~25 phút (15–40)" in lines
    unknown = dataclasses.replace(TICKET, wait_minutes=None, labels=ticket_labels("en"))
    await send(printer, render_ticket(unknown, TEXT_PROFILE))
    assert "Expected wait: not known yet" in printer.sim.receipts[-1].text.splitlines()
