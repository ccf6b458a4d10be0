"""Printing: tickets and receipts rendered to ESC/POS, sent over real TCP to the simulated printer."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
import trio
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from devices.escpos_render import (
    PrinterProfile,
    ReceiptPrint,
    TicketPrint,
    codepage_number,
    encode_cp1258,
    number_block,
    render_receipt,
    render_ticket,
)
from devices.printer_transport import PrinterStatus, PrinterUnavailable, parse_status, print_tcp, query_status
from simulators.escpos_printer import Barcode, Cut, EscposDecoder, Qr, Raster, Text
from support.fixtures import ServedPrinter
from support.waits import WAIT

TICKET = TicketPrint(
    centre="Trung tâm Phục vụ hành chính công tỉnh",
    department="Sở Tư pháp",
    service="Tiếp nhận hồ sơ",
    number="A1023",
    issued_at=datetime(2026, 11, 27, 8, 5),
    ahead=7,
    wait_minutes=25,
    wait_range=(15, 40),
    track_url="https://hcc.example.vn/t/A1023?k=3f9a",
)
RECEIPT = ReceiptPrint(
    centre="Trung tâm Phục vụ hành chính công tỉnh",
    department="Sở Tư pháp",
    procedure_code="1.001193",
    procedure_name="Đăng ký khai sinh",
    dossier_code="HS-261127-0042",
    received_at=datetime(2026, 11, 27, 9, 30),
    due_date=date(2026, 12, 2),
    lookup_url="https://hcc.example.vn/h/HS-261127-0042",
    citizen_name="Nguyễn Thị Hồng",
)
TEXT_PROFILE = PrinterProfile(name="tm-t88-text", mode="text", codepage="cp1258", native_qr=True)


async def send(printer: ServedPrinter, data: bytes) -> None:
    """Send one job over TCP and wait until the printer has finished it (printed or failed)."""
    seen = printer.sim.jobs_seen
    await print_tcp(*printer.address, data, timeout=5)
    with trio.fail_after(WAIT):
        await printer.sim.wait_for_jobs(seen + 1)


def read_codes(path: Path) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(Image.open(path).convert("L"))}


# --------------------------------------------------------------------------- tickets


async def test_printed_ticket_has_a_qr_code_to_the_tracking_page(printer):
    sim, _ = printer
    await send(printer, render_ticket(TICKET, PrinterProfile()))

    [receipt] = sim.receipts
    assert receipt.png_path.exists() and receipt.txt_path.exists()
    assert read_codes(receipt.png_path) == {"QRCode": TICKET.track_url}
    assert sum(isinstance(i, Raster) for i in receipt.items) >= 1


async def test_printed_ticket_shows_the_big_number(printer):
    # The simulator cannot OCR a raster, so we re-render the number block with the same function
    # and font the ticket uses and look for exactly those pixel rows, full paper width, in the
    # printed PNG. It fails if the number is missing, smaller, shifted or a different number:
    # the control check shows that "A1024" (one glyph different) is not found.
    sim, _ = printer
    await send(printer, render_ticket(TICKET, PrinterProfile()))
    printed = Image.open(sim.receipts[0].png_path).convert("1")

    def rows_of(number: str) -> int | None:
        block = number_block(number, printed.width).convert("1")
        assert block.histogram()[0] > 2000, "the number block must contain real ink"
        at = printed.tobytes().find(block.tobytes())
        row_bytes = printed.width // 8
        return None if at < 0 or at % row_bytes else at // row_bytes

    row = rows_of("A1023")
    assert row is not None and row < printed.height // 2, "the number sits in the upper half"
    assert rows_of("A1024") is None


async def test_text_mode_ticket_reads_back_in_vietnamese(printer):
    sim, _ = printer
    data = render_ticket(TICKET, TEXT_PROFILE)
    assert b"\x1bt" + bytes([codepage_number("cp1258")]) in data
    await send(printer, data)

    [receipt] = sim.receipts
    lines = receipt.text.splitlines()
    assert "Số người chờ trước Ông/Bà: 7" in lines
    assert "Thời gian chờ dự kiến: ~25 phút (15–40)" in lines
    assert "27/11/2026 08:05" in lines
    assert "A1023" in lines
    assert receipt.qr_payloads == [TICKET.track_url]
    assert read_codes(receipt.png_path) == {"QRCode": TICKET.track_url}


def test_ticket_without_an_estimate_says_so():
    ticket = TicketPrint(**{**TICKET.__dict__, "wait_minutes": None, "wait_range": None})
    items = EscposDecoder().feed(render_ticket(ticket, TEXT_PROFILE))
    assert Text("Thời gian chờ dự kiến: chưa xác định", "center", False) in items


# --------------------------------------------------------------------------- receipts


async def test_receipt_barcode_carries_the_dossier_code(printer):
    sim, _ = printer
    await send(printer, render_receipt(RECEIPT, PrinterProfile()))

    [receipt] = sim.receipts
    assert receipt.barcodes == [RECEIPT.dossier_code]
    assert f"[CODE128] {RECEIPT.dossier_code}" in receipt.text
    assert read_codes(receipt.png_path) == {"QRCode": RECEIPT.lookup_url}


async def test_text_mode_receipt_has_title_due_date_and_citizen(printer):
    sim, _ = printer
    await send(printer, render_receipt(RECEIPT, TEXT_PROFILE))

    lines = sim.receipts[0].text.splitlines()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in lines
    assert "Ngày hẹn trả: 02/12/2026" in lines
    assert "Người nộp: Nguyễn Thị Hồng" in lines
    assert "Thủ tục: 1.001193 – Đăng ký khai sinh" in lines
    assert sim.receipts[0].barcodes == [RECEIPT.dossier_code]
    assert sim.receipts[0].qr_payloads == [RECEIPT.lookup_url]


# --------------------------------------------------------------------------- CP1258

# Expected bytes written by hand from the CP1258 table: ê=EA ô=F4 ơ=F5 ư=FD ă=E3 Đ=D0 á=E1,
# combining grave=CC acute=EC tilde=DE hook=D2 dot below=F2. "ý" is not in CP1258 (0xFD is ư).
CP1258_GOLDEN = [
    ("Nguyễn Thị Hồng", b"Nguy\xea\xden Thi\xf2 H\xf4\xccng"),
    ("Sở Tư pháp", b"S\xf5\xd2 T\xfd ph\xe1p"),
    ("Đăng ký", b"\xd0\xe3ng ky\xec"),
    ("Bộ phận một cửa", b"B\xf4\xf2 ph\xe2\xf2n m\xf4\xf2t c\xfd\xd2a"),
]


@pytest.mark.parametrize(("text", "expected"), CP1258_GOLDEN)
def test_cp1258_golden(text, expected):
    assert encode_cp1258(text) == expected
    assert unicodedata.normalize("NFC", expected.decode("cp1258")) == text


@pytest.mark.parametrize(("text", "expected"), CP1258_GOLDEN)
def test_cp1258_round_trips_through_the_simulator_decoder(text, expected):
    [line] = EscposDecoder().feed(b"\x1b@\x1bt" + bytes([codepage_number("cp1258")]) + expected + b"\n")
    assert line == Text(text)


def test_python_codec_alone_cannot_do_it():
    # Why encode_cp1258 exists: the stdlib codec refuses precomposed letters with a tone.
    with pytest.raises(UnicodeEncodeError):
        "Nguyễn".encode("cp1258")


VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
VIETNAMESE = "".join(
    unicodedata.normalize("NFC", v + tone) for v in VOWELS for tone in ("", *"\u0300\u0301\u0303\u0309\u0323")
) + "bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX .,:-0123456789"


@given(st.text(alphabet=VIETNAMESE, max_size=40))
def test_any_vietnamese_text_survives_cp1258(text):
    assert unicodedata.normalize("NFC", encode_cp1258(text).decode("cp1258")) == text


# --------------------------------------------------------------------------- decoder


def test_decoder_gives_the_same_items_however_the_bytes_are_split():
    data = render_receipt(RECEIPT, TEXT_PROFILE) + render_ticket(TICKET, PrinterProfile())
    whole = EscposDecoder().feed(data)
    decoder = EscposDecoder()
    split = [item for i in range(0, len(data), 7) for item in decoder.feed(data[i : i + 7])]

    assert [type(i) for i in split] == [type(i) for i in whole]
    assert [i for i in split if not isinstance(i, Raster)] == [i for i in whole if not isinstance(i, Raster)]
    assert [i.image.tobytes() for i in split if isinstance(i, Raster)] == [
        i.image.tobytes() for i in whole if isinstance(i, Raster)
    ]
    assert sum(isinstance(i, Cut) for i in whole) == 2
    assert Barcode("CODE128", RECEIPT.dossier_code, b"{B" + RECEIPT.dossier_code.encode()) in whole
    assert Qr(RECEIPT.lookup_url) in whole


# --------------------------------------------------------------------------- status and paper


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({}, PrinterStatus(online=True, paper_near_end=False, paper_out=False, cover_open=False)),
        ({"paper": "near_end"}, PrinterStatus(online=True, paper_near_end=True, paper_out=False, cover_open=False)),
        ({"paper": "out"}, PrinterStatus(online=False, paper_near_end=True, paper_out=True, cover_open=False)),
        ({"cover_open": True}, PrinterStatus(online=False, paper_near_end=False, paper_out=False, cover_open=True)),
        ({"offline": True}, PrinterStatus(online=False, paper_near_end=False, paper_out=False, cover_open=False)),
    ],
)
async def test_status_query_reports_what_the_printer_feels(printer, setup, expected):
    sim, port = printer
    if "paper" in setup:
        sim.set_paper(setup["paper"])
    sim.set_cover_open(setup.get("cover_open", False))
    sim.set_offline(setup.get("offline", False))

    assert await query_status("127.0.0.1", port) == expected
    assert sim.status_queries == 4


async def test_paper_out_prints_nothing_and_refill_prints_again(printer):
    sim, port = printer
    sim.set_paper("out")
    await send(printer, render_ticket(TICKET, PrinterProfile()))

    assert sim.failed_jobs == 1 and sim.receipts == []
    assert list(sim.directory.iterdir()) == []
    assert (await query_status("127.0.0.1", port)).paper_out

    sim.set_paper("ok")
    await send(printer, render_ticket(TICKET, PrinterProfile()))

    assert sim.failed_jobs == 1 and len(sim.receipts) == 1
    assert read_codes(sim.receipts[0].png_path) == {"QRCode": TICKET.track_url}


async def test_offline_printer_fails_the_job(printer):
    sim, _ = printer
    sim.set_offline(True)
    await send(printer, render_receipt(RECEIPT, PrinterProfile()))
    assert (sim.failed_jobs, sim.receipts) == (1, [])


async def test_slow_printer_still_prints_everything(printer):
    sim, _ = printer
    sim.slow_seconds = 0.001
    await send(printer, render_ticket(TICKET, PrinterProfile()))
    assert read_codes(sim.receipts[0].png_path) == {"QRCode": TICKET.track_url}


async def test_a_printer_that_never_answers_does_not_block_the_kiosk(nursery):
    # A listener that accepts and never answers: query_status must give up at its own deadline.
    # The assertion is about the outcome (PrinterUnavailable), not about how long it took.
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def silent(stream):
        await trio.sleep_forever()

    nursery.start_soon(trio.serve_listeners, silent, listeners)
    with pytest.raises(PrinterUnavailable):
        await query_status("127.0.0.1", port, timeout=0.2)


def test_parse_status_names_the_bits():
    assert parse_status(4, 0x12) == {"paper_near_end": False, "paper_out": False}
    assert parse_status(4, 0x72) == {"paper_near_end": False, "paper_out": True}
    assert parse_status(4, 0x1E)["paper_near_end"]
    assert parse_status(2, 0x16)["cover_open"]
    assert parse_status(1, 0x1A)["offline"]
    with pytest.raises(ValueError):
        parse_status(1, 0x41)  # an "A" echoed back is not a status byte
