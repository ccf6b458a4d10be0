"""Tickets and dossier receipts as ESC/POS bytes.

Theory of operation
-------------------
Vietnamese does not print reliably as printer text: code pages differ per model, and CP1258
needs combining tone marks that many printers overstrike badly (DESIGN.md, "Printing"). So the
default profile (``mode="raster"``) draws every line with the bundled DejaVu font into one 1-bit
Pillow image the width of the paper and sends it as a ``GS v 0`` raster image; the QR code is drawn
into that image too, so it prints on printers without native QR. A profile may choose
``mode="text"``: then lines are sent as CP1258 bytes after ``ESC t n`` (see ``encode_cp1258``),
and the QR is still a raster image unless the profile asks for the native ``GS ( k`` QR.

The receipt's dossier barcode is always a native CODE128 (``GS k``): every ESC/POS printer we
know renders it, and bars drawn by the printer scan better than bars resampled into a raster.

Everything here is pure: data in, bytes out. Sending the bytes is ``printer_transport``'s job.
"""

from __future__ import annotations

import contextlib
import copy
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

import qrcode
from escpos.capabilities import get_profile
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).parent / "fonts"
# The national form's title (Thông tư 01/2018/TT-VPCP, mẫu số 01); `receipt.title` of the message
# catalogue (devices/ may not import displays/: tests/test_messages.py keeps the two the same).
RECEIPT_TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
NUMBER_FONT_SIZE = 150
"""Pixel size of the big ticket number; tests re-render the number with it to find it."""

ESC_T = b"\x1bt"
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
"""The five Vietnamese tone marks; CP1258 has them as combining characters (0xCC 0xEC 0xDE 0xD2 0xF2)."""


@dataclass(frozen=True)
class TicketPrint:
    """What a kiosk prints when a citizen takes a number."""

    centre: str
    department: str
    service: str
    number: str
    issued_at: datetime
    ahead: int
    wait_minutes: int | None
    wait_range: tuple[int, int] | None
    track_url: str
    labels: TicketLabels = field(default_factory=lambda: TicketLabels())


@dataclass(frozen=True)
class TicketLabels:
    """The words of a ticket, in the language the kiosk showed (displays/messages `print.*`,
    given by the caller: devices/ does not read the catalogues); Vietnamese by default."""

    ahead: str = "Số người chờ trước Ông/Bà: {ahead}"  # citizen.ahead_line (tests/test_messages.py)
    wait: str = "Thời gian chờ dự kiến: ~{minutes} phút{spread}"
    wait_unknown: str = "Thời gian chờ dự kiến: chưa xác định"


@dataclass(frozen=True)
class ReceiptPrint:
    """The "phiếu tiếp nhận hồ sơ và hẹn trả kết quả" an officer prints when taking a dossier."""

    centre: str
    department: str
    procedure_code: str
    procedure_name: str
    dossier_code: str
    received_at: datetime
    due_date: date
    lookup_url: str
    citizen_name: str | None = None


@dataclass(frozen=True)
class PrinterProfile:
    """How one printer model wants its bytes.

    ``escpos_profile`` names a python-escpos capabilities profile; it supplies the ``ESC t``
    number of ``codepage`` in text mode. ``native_qr`` sends ``GS ( k`` instead of a raster QR,
    for printers known to implement it (escpos does not check that against the profile).
    """

    name: str = "default"
    mode: Literal["raster", "text"] = "raster"
    width_dots: int = 576
    codepage: str = "cp1258"
    escpos_profile: str = "default"
    native_qr: bool = False


# --------------------------------------------------------------------------- CP1258


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese for a CP1258 printer.

    Python's cp1258 codec refuses letters such as "ộ" that CP1258 can only spell as a base letter
    plus a combining tone mark. Per character we keep the precomposed form when CP1258 has it
    (fewest overstrikes); otherwise we keep the letter with its vowel marks (â ê ô ă ơ ư exist
    precomposed) and send only the tone mark as a combining character. Anything else unknown
    to CP1258 becomes "?", so a bad character never drops the ticket.
    """
    return b"".join(_encode_cluster(c) for c in _clusters(unicodedata.normalize("NFD", text)))


def _clusters(decomposed: str) -> list[str]:
    """Split NFD text into base character + its combining marks."""
    clusters: list[str] = []
    for ch in decomposed:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _encode_cluster(cluster: str) -> bytes:
    """Encode one base letter with its marks: precomposed if possible, else letter + tone mark."""
    composed = unicodedata.normalize("NFC", cluster)
    with contextlib.suppress(UnicodeEncodeError):
        return composed.encode("cp1258")
    tones = "".join(ch for ch in cluster if ch in TONE_MARKS)
    letter = unicodedata.normalize("NFC", "".join(ch for ch in cluster if ch not in TONE_MARKS))
    return (letter + tones).encode("cp1258", errors="replace")


def encode_text(text: str, codepage: str) -> bytes:
    """Encode printer text for ``codepage``; CP1258 goes through ``encode_cp1258``."""
    if _codepage_key(codepage) == "CP1258":
        return encode_cp1258(text)
    return unicodedata.normalize("NFC", text).encode(codepage, errors="replace")


def codepage_number(codepage: str, escpos_profile: str = "default") -> int:
    """The ``ESC t`` number of ``codepage`` according to escpos's capabilities database.

    The number differs per model (CP1258 is 52 on Epson-style profiles, 27 or 94 on some
    cheap ones), so it must come from the printer's profile, never from a constant.
    """
    pages = get_profile(escpos_profile).profile_data.get("codePages", {})
    for number, name in pages.items():
        if _codepage_key(name) == _codepage_key(codepage):
            return int(number)
    raise ValueError(f"printer profile {escpos_profile!r} has no code page {codepage!r}")


def _codepage_key(name: str) -> str:
    """Compare code page names loosely: "cp1258", "CP1258" and "cp-1258" are one page."""
    return name.upper().replace("-", "").replace("_", "")


# --------------------------------------------------------------------------- raster drawing


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled DejaVu font: it has every Vietnamese glyph, unlike printer ROM fonts."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break ``text`` at spaces so each line fits ``width`` pixels (a long word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and fnt.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + [current] if current else lines


@lru_cache(maxsize=512)
def text_block(text: str, size: int, width: int, bold: bool = False, align: str = "center") -> Image.Image:
    """Draw ``text`` (wrapped) as a 1-bit block ``width`` pixels wide, black on white.

    Drawing in mode "1" (no anti-aliasing) makes the result exactly what the printer prints,
    so the same call reproduces the same pixels (the tests rely on that). Blocks are cached —
    the centre, agency and service lines repeat on every ticket — so callers only read them.
    """
    fnt = font(size, bold)
    lines = wrap(text, fnt, width - 16) or [""]
    ascent, descent = fnt.getmetrics()
    line_height = ascent + descent + size // 6
    block = Image.new("1", (width, line_height * len(lines)), 1)
    draw = ImageDraw.Draw(block)
    for i, line in enumerate(lines):
        x = _x_for(align, fnt.getlength(line), width)
        draw.text((x, i * line_height), line, font=fnt, fill=0)
    return block


def _x_for(align: str, text_width: float, width: int) -> int:
    """Left edge of a line of ``text_width`` pixels for the given alignment."""
    if align == "left":
        return 8
    if align == "right":
        return max(0, int(width - 8 - text_width))
    return max(0, int((width - text_width) / 2))


def number_block(number: str, width: int) -> Image.Image:
    """The big ticket number: NUMBER_FONT_SIZE, or smaller until it fits on one line."""
    size = NUMBER_FONT_SIZE
    while size > 40 and font(size, True).getlength(number) > width - 16:
        size -= 10
    return text_block(number, size, width, bold=True)


def qr_block(data: str, width: int, module: int = 6) -> Image.Image:
    """A QR code drawn for the raster, centred; 4-module quiet zone so phones can read it."""
    # A fixed mask: choosing the "best" of eight costs most of a ticket's QR time, and every
    # mask is valid and scans (the tests decode these codes with zxing).
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module, border=4, mask_pattern=2)
    code.add_data(data)
    code.make(fit=True)
    qr = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
    if qr.width > width:
        qr = qr.resize((width, width), Image.Resampling.NEAREST)
    block = Image.new("1", (width, qr.height), 1)
    block.paste(qr, ((width - qr.width) // 2, 0))
    return block


def rule(width: int, height: int = 24) -> Image.Image:
    """A thin horizontal line with white space around it, to separate sections."""
    block = Image.new("1", (width, height), 1)
    ImageDraw.Draw(block).line([(16, height // 2), (width - 16, height // 2)], fill=0, width=2)
    return block


def stack(blocks: list[Image.Image], width: int) -> Image.Image:
    """Put blocks one under another into one image, as the printer will feed them."""
    image = Image.new("1", (width, sum(b.height for b in blocks)), 1)
    y = 0
    for block in blocks:
        image.paste(block, (0, y))
        y += block.height
    return image


# --------------------------------------------------------------------------- content


def format_time(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM, how Vietnamese forms write a moment."""
    return moment.strftime("%d/%m/%Y %H:%M")


def wait_line(minutes: int | None, window: tuple[int, int] | None, labels: TicketLabels | None = None) -> str:
    """ "Thời gian chờ dự kiến: ~X phút (A–B)"; honest when there is no estimate yet."""
    labels = labels or TicketLabels()
    if minutes is None:
        return labels.wait_unknown
    spread = f" ({window[0]}–{window[1]})" if window else ""
    return labels.wait.format(minutes=minutes, spread=spread)


def ticket_lines(t: TicketPrint) -> list[tuple[str, int, bool]]:
    """The ticket as (text, pixel size, bold) lines, shared by raster and text mode."""
    return [
        (t.centre.upper(), 24, True),
        (t.department, 28, True),
        (t.service, 24, False),
        (t.number, NUMBER_FONT_SIZE, True),
        (format_time(t.issued_at), 26, False),
        (t.labels.ahead.format(ahead=t.ahead), 26, False),
        (wait_line(t.wait_minutes, t.wait_range, t.labels), 26, False),
    ]


def receipt_lines(r: ReceiptPrint) -> list[tuple[str, int, bool]]:
    """The receipt as (text, pixel size, bold) lines before the barcode."""
    lines = [
        (r.centre.upper(), 22, True),
        (r.department, 24, True),
        (RECEIPT_TITLE, 22, True),
        (f"Thủ tục: {r.procedure_code} – {r.procedure_name}", 22, False),
        (f"Mã hồ sơ: {r.dossier_code}", 24, True),
    ]
    if r.citizen_name:
        lines.append((f"Người nộp: {r.citizen_name}", 22, False))
    lines += [
        (f"Ngày tiếp nhận: {format_time(r.received_at)}", 22, False),
        (f"Ngày hẹn trả: {r.due_date.strftime('%d/%m/%Y')}", 28, True),
    ]
    return lines


# --------------------------------------------------------------------------- ESC/POS assembly


class _Job:
    """Collects escpos ``Dummy`` output interleaved with bytes we encode ourselves.

    escpos's own text path would re-encode our CP1258 bytes with its magic encoder, so text
    bytes are appended between drained Dummy outputs instead of going through ``text()``.
    """

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.printer = Dummy(profile=profile.escpos_profile)
        # A per-instance copy of the capabilities with the paper width, so escpos can refuse an
        # image wider than the paper (and stops printing a warning about the unknown width).
        data = copy.deepcopy(self.printer.profile.profile_data)
        data.setdefault("media", {}).setdefault("width", {})["pixels"] = profile.width_dots
        self.printer.profile.profile_data = data
        self._parts: list[bytes] = []

    def raw(self, data: bytes) -> None:
        """Append bytes after everything escpos produced so far."""
        self._drain()
        self._parts.append(data)

    def raster(self, image: Image.Image) -> None:
        """Print ``image`` as GS v 0 raster, in fragments of RASTER_FRAGMENT rows as escpos does.

        The bytes are packed straight from the 1-bit image: escpos's own image path converts
        pixel by pixel and took half of a ticket's 14 ms, paid by every kiosk ticket.
        """
        if image.width > self.profile.width_dots:
            raise ValueError(f"image {image.width} dots wide does not fit {self.profile.width_dots}-dot paper")
        self.raw(raster_bytes(image))

    def bytes(self) -> bytes:
        """Everything queued, in order."""
        self._drain()
        return b"".join(self._parts)

    def _drain(self) -> None:
        self._parts.append(self.printer.output)
        self.printer.clear()


RASTER_FRAGMENT = 960  # rows per GS v 0 command, escpos's default: printers' buffers are finite
_INVERT = bytes(255 - b for b in range(256))  # Pillow packs white as 1, ESC/POS black as 1


def raster_bytes(image: Image.Image) -> bytes:
    """GS v 0 commands (normal density) printing a 1-bit image, top to bottom."""
    image = image.convert("1")
    width_bytes = (image.width + 7) // 8
    parts = []
    for top in range(0, image.height, RASTER_FRAGMENT):
        fragment = image.crop((0, top, image.width, min(top + RASTER_FRAGMENT, image.height)))
        header = b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + fragment.height.to_bytes(2, "little")
        parts.append(header + fragment.tobytes().translate(_INVERT))
    return b"".join(parts)


def render_ticket(t: TicketPrint, profile: PrinterProfile = PrinterProfile()) -> bytes:
    """ESC/POS bytes of a queue ticket: header, big number, time, people ahead, wait, QR, cut."""
    job = _start(profile)
    if profile.mode == "raster":
        blocks = [_line_block(line, profile.width_dots) for line in ticket_lines(t)]
        blocks.insert(3, rule(profile.width_dots))
        blocks.insert(5, rule(profile.width_dots))
        job.raster(stack(blocks + [qr_block(t.track_url, profile.width_dots)], profile.width_dots))
    else:
        _text_lines(job, ticket_lines(t))
        _qr(job, t.track_url)
    _finish(job)
    return job.bytes()


def render_receipt(r: ReceiptPrint, profile: PrinterProfile = PrinterProfile()) -> bytes:
    """ESC/POS bytes of a dossier receipt: text, native CODE128 of the dossier code, QR, cut."""
    job = _start(profile)
    if profile.mode == "raster":
        job.raster(stack([_line_block(line, profile.width_dots) for line in receipt_lines(r)], profile.width_dots))
    else:
        _text_lines(job, receipt_lines(r))
    _barcode(job, r.dossier_code)
    _qr(job, r.lookup_url)
    _finish(job)
    return job.bytes()


def _start(profile: PrinterProfile) -> _Job:
    """ESC @ (forget the previous job's styles) and, in text mode, ESC t with the code page."""
    job = _Job(profile)
    job.raw(b"\x1b@")
    if profile.mode == "text":
        job.raw(ESC_T + bytes([codepage_number(profile.codepage, profile.escpos_profile)]))
    elif profile.mode != "raster":
        raise ValueError(f"printer profile {profile.name!r}: unknown mode {profile.mode!r}")
    return job


def _finish(job: _Job) -> None:
    """Feed past the cutter and cut; the cut is also what tells a printer the job is over."""
    job.printer.set(align="left")
    job.printer.cut()


def _line_block(line: tuple[str, int, bool], width: int) -> Image.Image:
    text, size, bold = line
    if size >= NUMBER_FONT_SIZE:
        return number_block(text, width)
    return text_block(text, size, width, bold=bold)


def _text_lines(job: _Job, lines: list[tuple[str, int, bool]]) -> None:
    """Text mode: each line centred; the big number at 4x size, headings bold."""
    job.printer.set(align="center")
    for text, size, bold in lines:
        if size >= NUMBER_FONT_SIZE:
            job.printer.set(custom_size=True, width=4, height=4, bold=True)
        else:
            job.printer.set(normal_textsize=True, bold=bold)
        job.raw(encode_text(text, job.profile.codepage) + b"\n")
    job.printer.set(normal_textsize=True, bold=False)


def _qr(job: _Job, data: str) -> None:
    """The QR as raster (works everywhere) or native GS ( k when the profile says so."""
    if job.profile.native_qr:
        # escpos 3.1 raises on native QR with center=True, so centre with ESC a ourselves.
        job.printer.set(align="center")
        job.printer.qr(data, size=6, native=True, center=False)
        job.raw(b"\n")
    else:
        job.raster(qr_block(data, job.profile.width_dots))


def _barcode(job: _Job, code: str) -> None:
    """Native CODE128, code set B (escpos wants the "{B" prefix); narrower bars if it is long."""
    modules = 11 * (len(code) + 3) + 2
    width = 3 if modules * 3 <= job.profile.width_dots else 2
    # escpos announces which barcode renderer it picked on stdout; a server must stay quiet.
    with contextlib.redirect_stdout(io.StringIO()):
        job.printer.barcode("{B" + code, "CODE128", height=80, width=width, function_type="B")
    job.raw(b"\n")
