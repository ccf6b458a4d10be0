"""A simulated ESC/POS network printer (raw TCP, port 9100 by default).

Theory of operation
-------------------
``EscposDecoder`` is the protocol, with no I/O (like h11): ``feed(bytes)`` returns the items it
could decode completely and keeps an incomplete command buffered until more bytes arrive, so a
command split across TCP segments decodes the same as one sent whole. The table ``_FIXED`` lists
the commands that are just a prefix plus a fixed number of parameter bytes; the few with a length
inside them (raster image, 2-D code, barcode, cut) are functions. Commands it does not render are
consumed and ignored, as a real printer ignores what it does not support.

``SimulatedPrinter`` is the I/O around it: a trio TCP server that answers DLE EOT status queries
at once (they are real-time commands, answered even while printing) and collects the other items
into a receipt until ``GS V`` (cut). Each receipt is saved as a PNG, raster images stacked and
text lines drawn, and as a .txt file with the text, barcode and QR payloads. Paper, cover and
online state can be changed by the test; a receipt that arrives while the printer cannot print
is not saved and is counted in ``failed_jobs``.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import qrcode
import trio
from escpos.capabilities import get_profile
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parent.parent / "devices" / "fonts"
ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C


# --------------------------------------------------------------------------- decoded items


@dataclass(frozen=True)
class Text:
    """One line of printer text (ended by LF), decoded with the code page selected by ESC t."""

    text: str
    align: str = "left"
    bold: bool = False


@dataclass(frozen=True)
class Raster:
    """A GS v 0 raster image, black pixels = dots."""

    image: Image.Image


@dataclass(frozen=True)
class Qr:
    """A native QR printed by GS ( k (fn 81) with the data stored by fn 80."""

    data: str


@dataclass(frozen=True)
class Barcode:
    """A GS k barcode. ``data`` is what the bars carry (CODE128 code-set prefixes removed)."""

    symbology: str
    data: str
    raw: bytes


@dataclass(frozen=True)
class StatusQuery:
    """DLE EOT n: the host asks for real-time status n (1 printer, 2 offline, 3 error, 4 paper)."""

    n: int


@dataclass(frozen=True)
class Cut:
    """GS V: the paper is cut; for us, the end of a receipt."""


Item = Text | Raster | Qr | Barcode | StatusQuery | Cut

NEED_MORE = None
"""A command parser's answer when the buffer ends inside the command."""

_FIXED: dict[bytes, int] = {
    # prefix: number of parameter bytes. Accepted and ignored unless handled in _apply_style.
    b"\x1b@": 0, b"\x1b2": 0, b"\x1b3": 1, b"\x1ba": 1, b"\x1bE": 1, b"\x1b!": 1, b"\x1b-": 1,
    b"\x1bG": 1, b"\x1bM": 1, b"\x1bt": 1, b"\x1bR": 1, b"\x1bd": 1, b"\x1bJ": 1, b"\x1b{": 1,
    b"\x1bV": 1, b"\x1bB": 1, b"\x1bp": 3, b"\x1bc5": 1, b"\x1b=": 1, b"\x1b ": 1,
    b"\x1d!": 1, b"\x1dh": 1, b"\x1dw": 1, b"\x1df": 1, b"\x1dH": 1, b"\x1dB": 1, b"\x1db": 1,
    b"\x1dL": 2, b"\x1dW": 2, b"\x1da": 1, b"\x1c.": 0, b"\x1c&": 0,
    b"\x10\x05": 1, b"\x10\x14": 3,
}
_BARCODES_A = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7"}
_BARCODES_B = {65 + k: v for k, v in _BARCODES_A.items()} | {72: "CODE93", 73: "CODE128", 74: "GS1-128"}


def codepage_codecs(escpos_profile: str = "default") -> dict[int, str]:
    """ESC t number → Python codec, from escpos's capabilities (pages Python lacks are left out)."""
    codecs: dict[int, str] = {}
    for number, name in get_profile(escpos_profile).profile_data.get("codePages", {}).items():
        codec = name.lower().replace("_", "-")
        try:
            "".encode(codec)
        except LookupError:
            continue
        codecs[int(number)] = codec
    return codecs


class EscposDecoder:
    """ESC/POS bytes in, decoded items out; never touches a socket."""

    def __init__(self, escpos_profile: str = "default") -> None:
        self._buffer = bytearray()
        self._codecs = codepage_codecs(escpos_profile)
        self._reset()

    def _reset(self) -> None:
        """ESC @: forget styles, code page 0, stored QR data and the unfinished line."""
        self.codec = self._codecs.get(0, "cp437")
        self.align = "left"
        self.bold = False
        self._line = bytearray()
        self._qr_data = b""

    def feed(self, data: bytes) -> list[Item]:
        """Decode as much as possible; an incomplete trailing command waits for the next feed."""
        self._buffer += data
        items: list[Item] = []
        while self._buffer:
            step = self._step()
            if step is NEED_MORE:
                break
            consumed, item = step
            del self._buffer[:consumed]
            if item is not None:
                items.append(item)
        return items

    def end_of_stream(self) -> list[Item]:
        """The connection closed: an unfinished text line still counts as printed text."""
        return [self._flush_line()] if self._line else []

    # ---- one step: look at the head of the buffer

    def _step(self) -> tuple[int, Item | None] | None:
        b = self._buffer
        head = b[0]
        if head == 0x0A:
            return 1, self._flush_line()
        if head in (ESC, GS, DLE, FS):
            return self._command()
        if head < 0x20 and head != 0x09:
            return 1, None  # CR and other controls: nothing to draw
        self._line.append(head)
        return 1, None

    def _command(self) -> tuple[int, Item | None] | None:
        b = self._buffer
        if len(b) < 2:
            return NEED_MORE
        parser = _VARIABLE.get(bytes(b[:2]))
        if parser is not None:
            return parser(self)
        for length in (3, 2):
            prefix = bytes(b[:length])
            if prefix in _FIXED:
                size = length + _FIXED[prefix]
                if len(b) < size:
                    return NEED_MORE
                return size, self._apply_style(prefix, bytes(b[length:size]))
        return 2, None  # unknown command: skip its two bytes, as lenient printers do

    def _apply_style(self, prefix: bytes, params: bytes) -> Item | None:
        """The few fixed-length commands that change how we decode or draw text."""
        if prefix == b"\x1b@":
            self._reset()
        elif prefix == b"\x1bt":
            self.codec = self._codecs.get(params[0], "cp437")
        elif prefix == b"\x1ba":
            self.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(
                params[0], "left"
            )
        elif prefix == b"\x1bE":
            self.bold = bool(params[0] & 1)
        elif prefix == b"\x1bd" and self._line:
            return self._flush_line()
        return None

    def _flush_line(self) -> Text:
        text = unicodedata.normalize("NFC", bytes(self._line).decode(self.codec, errors="replace"))
        self._line = bytearray()
        return Text(text, self.align, self.bold)

    # ---- commands with lengths inside them

    def _dle_eot(self) -> tuple[int, Item | None] | None:
        if len(self._buffer) < 3:
            return NEED_MORE
        return 3, StatusQuery(self._buffer[2])

    def _raster(self) -> tuple[int, Item | None] | None:
        """GS v 0 m xL xH yL yH d1...dk, k = (xL + 256 xH) * (yL + 256 yH)."""
        b = self._buffer
        if len(b) < 8:
            return NEED_MORE
        width_bytes, height = b[4] + 256 * b[5], b[6] + 256 * b[7]
        size = 8 + width_bytes * height
        if len(b) < size:
            return NEED_MORE
        if b[2] != ord("0") or not width_bytes or not height:
            return size, None
        # In GS v 0 a 1 bit is a dot (black); in a Pillow "1" image a 1 bit is white.
        dots = bytes(b[8:size]).translate(_INVERT)
        return size, Raster(Image.frombytes("1", (width_bytes * 8, height), dots))

    def _two_d_code(self) -> tuple[int, Item | None] | None:
        """GS ( k pL pH cn fn ...: only QR (cn 49) store (fn 80) and print (fn 81) matter."""
        b = self._buffer
        if len(b) < 5:
            return NEED_MORE
        size = 5 + b[3] + 256 * b[4]
        if len(b) < size:
            return NEED_MORE
        body = bytes(b[5:size])
        if len(body) >= 2 and body[0] == 49 and body[1] == 80:
            self._qr_data = body[3:]
        elif len(body) >= 2 and body[0] == 49 and body[1] == 81:
            return size, Qr(self._qr_data.decode("utf-8", errors="replace"))
        return size, None

    def _paren(self) -> tuple[int, Item | None] | None:
        """GS ( k is a 2-D code; every other GS ( function is skipped by its length."""
        if len(self._buffer) < 3:
            return NEED_MORE
        return self._two_d_code() if self._buffer[2] == ord("k") else self._graphics()

    def _graphics(self) -> tuple[int, Item | None] | None:
        """GS ( L / GS 8 L graphics: skipped by length (the project prints GS v 0)."""
        b = self._buffer
        if len(b) < 5:
            return NEED_MORE
        size = 5 + b[3] + 256 * b[4]
        return NEED_MORE if len(b) < size else (size, None)

    def _barcode(self) -> tuple[int, Item | None] | None:
        """GS k m: function A (m 0-6) data ends with NUL; function B (m >= 65) has a length byte."""
        b = self._buffer
        if len(b) < 4:
            return NEED_MORE
        m = b[2]
        if m <= 6:
            end = b.find(b"\x00", 3)
            if end < 0:
                return NEED_MORE
            raw, size = bytes(b[3:end]), end + 1
        else:
            size = 4 + b[3]
            if len(b) < size:
                return NEED_MORE
            raw = bytes(b[4:size])
        name = _BARCODES_A.get(m) or _BARCODES_B.get(m, f"type {m}")
        return size, Barcode(name, barcode_payload(name, raw), raw)

    def _cut(self) -> tuple[int, Item | None] | None:
        """GS V m (m 0, 1, 48, 49) or GS V m n (m 65, 66, 97, 98, 103, 104)."""
        b = self._buffer
        if len(b) < 3:
            return NEED_MORE
        size = 3 if b[2] in (0, 1, 48, 49) else 4
        return NEED_MORE if len(b) < size else (size, Cut())


_VARIABLE: dict[bytes, Callable[[EscposDecoder], tuple[int, Item | None] | None]] = {
    b"\x10\x04": EscposDecoder._dle_eot,
    b"\x1dv": EscposDecoder._raster,
    b"\x1d(": EscposDecoder._paren,
    b"\x1d8": EscposDecoder._graphics,
    b"\x1dk": EscposDecoder._barcode,
    b"\x1dV": EscposDecoder._cut,
}
_INVERT = bytes(255 - v for v in range(256))


def barcode_payload(symbology: str, raw: bytes) -> str:
    """What a scanner reads: for CODE128 drop "{A"/"{B"/"{C" set switches and unescape "{{"."""
    text = raw.decode("latin-1")
    if symbology != "CODE128":
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "{" and i + 1 < len(text):
            if text[i + 1] == "{":
                out.append("{")
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- printer state

PaperState = Literal["ok", "near_end", "out"]


@dataclass
class PrinterState:
    """What the status sensors report."""

    paper: PaperState = "ok"
    cover_open: bool = False
    offline: bool = False

    def can_print(self) -> bool:
        return self.paper != "out" and not self.cover_open and not self.offline


def status_byte(n: int, state: PrinterState) -> int:
    """The DLE EOT n answer. Bits 1 and 4 are always 1, bits 0 and 7 always 0 (Epson ESC/POS).

    n=1: bit 3 offline (paper out and cover open take a printer offline too).
    n=2: bit 2 cover open, bit 5 printing stopped by paper end, bit 6 error.
    n=3: error causes (none simulated).
    n=4: bits 2-3 roll paper near end, bits 5-6 roll paper end.
    """
    byte = 0x12
    if n == 1 and not state.can_print():
        byte |= 0x08
    elif n == 2:
        byte |= (0x04 if state.cover_open else 0) | (0x20 if state.paper == "out" else 0)
    elif n == 4:
        byte |= {"ok": 0x00, "near_end": 0x0C, "out": 0x6C}[state.paper]
    return byte


# --------------------------------------------------------------------------- receipts


@dataclass
class PrintedReceipt:
    """One cut-off piece of paper, as saved."""

    png_path: Path | None  # None when the printer keeps no files (save=False)
    txt_path: Path | None
    text: str
    barcodes: list[str]
    qr_payloads: list[str]
    items: list[Item] = field(repr=False)


def draw_receipt(items: list[Item], width: int) -> Image.Image:
    """Stack what was printed into one image: raster as sent, text drawn, QR regenerated.

    Barcodes are drawn as a labelled placeholder; their payload is in the .txt and ``barcodes``.
    """
    blocks: list[Image.Image] = []
    align = "left"
    for item in items:
        if isinstance(item, Raster):
            blocks.append(item.image)
        elif isinstance(item, Text):
            blocks.append(_text_image(item.text, item.bold, item.align, width))
            align = item.align
        elif isinstance(item, Barcode):
            blocks.append(_text_image(f"||| {item.symbology} {item.data} |||", False, align, width))
        elif isinstance(item, Qr):
            qr = qrcode.make(item.data, box_size=6, border=4).get_image().convert("1")
            block = Image.new("1", (max(width, qr.width), qr.height), 1)
            block.paste(qr, ((block.width - qr.width) // 2 if align == "center" else 0, 0))
            blocks.append(block)
    image = Image.new("1", (max([width] + [b.width for b in blocks]), sum(b.height for b in blocks) or 1), 1)
    y = 0
    for block in blocks:
        image.paste(block, (0, y))
        y += block.height
    return image


def _text_image(text: str, bold: bool, align: str, width: int) -> Image.Image:
    """One printer text line, drawn with the project font (a real printer uses its ROM font)."""
    font = ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), 22)
    length = font.getlength(text)
    x = {"left": 4, "center": (width - length) / 2, "right": width - 4 - length}[align]
    image = Image.new("1", (width, 30), 1)
    ImageDraw.Draw(image).text((max(0, int(x)), 2), text, font=font, fill=0)
    return image


def receipt_text(items: list[Item]) -> str:
    """The .txt twin of a receipt: text lines, then "[CODE128] ..." and "[QR] ..." lines."""
    lines = []
    for item in items:
        if isinstance(item, Text):
            lines.append(item.text)
        elif isinstance(item, Barcode):
            lines.append(f"[{item.symbology}] {item.data}")
        elif isinstance(item, Qr):
            lines.append(f"[QR] {item.data}")
        elif isinstance(item, Raster):
            lines.append(f"[raster {item.image.width}x{item.image.height}]")
    return "\n".join(lines) + "\n"


class SimulatedPrinter:
    """A network receipt printer for tests and hall simulations.

    Receipts land in ``receipts`` (and on disk in ``directory``) in the order they were cut.
    ``slow_seconds`` sleeps before each received chunk, like a printer whose buffer is full.

    ``save=False`` (a simulated day prints thousands of tickets) keeps no files and no images:
    each receipt is only counted in ``printed`` and kept as text. ``paper_roll`` = receipts a
    roll holds: the job after the last one (``paper_left`` 0) finds the paper out, and
    ``set_paper("ok")`` puts in a fresh roll.
    """

    def __init__(self, directory: Path | str, width_dots: int = 576, escpos_profile: str = "default", *,
                 save: bool = True, paper_roll: int | None = None) -> None:
        self.directory = Path(directory)
        self.save = save
        if save:
            self.directory.mkdir(parents=True, exist_ok=True)
        self.paper_roll = paper_roll
        self.paper_left = paper_roll
        self.printed = 0
        self.width_dots = width_dots
        self.escpos_profile = escpos_profile
        self.state = PrinterState()
        self.slow_seconds = 0.0
        self.receipts: list[PrintedReceipt] = []
        self.failed_jobs = 0
        self.status_queries = 0
        self.received = trio.Event()
        """Set (and replaced) whenever a receipt is finished, printed or failed."""
        self._serial = itertools.count(1)

    def set_paper(self, state: PaperState) -> None:
        """"ok" (also: refill), "near_end" (still prints) or "out" (prints nothing)."""
        if state not in ("ok", "near_end", "out"):
            raise ValueError(f"paper state must be ok, near_end or out, not {state!r}")
        self.state.paper = state
        if state == "ok":
            self.paper_left = self.paper_roll

    def set_offline(self, offline: bool) -> None:
        self.state.offline = offline

    def set_cover_open(self, cover_open: bool) -> None:
        self.state.cover_open = cover_open

    @property
    def jobs_seen(self) -> int:
        """Receipts finished so far, printed or failed."""
        return self.printed + self.failed_jobs

    async def wait_for_jobs(self, count: int) -> None:
        """Return once ``jobs_seen >= count``; lets a test wait for the printer without a timer."""
        while self.jobs_seen < count:
            await self.received.wait()

    async def serve(self, port: int = 9100, *, host: str = "127.0.0.1", task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Listen until cancelled; ``task_status.started(port)`` gives the real port (port=0 picks one)."""
        listeners = await trio.open_tcp_listeners(port, host=host)
        async with trio.open_nursery() as nursery:
            task_status.started(listeners[0].socket.getsockname()[1])
            await trio.serve_listeners(self._connection, listeners, handler_nursery=nursery)

    async def _connection(self, stream: trio.SocketStream) -> None:
        """One host connection: status queries answered at once, everything else into receipts."""
        decoder = EscposDecoder(self.escpos_profile)
        job: list[Item] = []
        failed = False
        async with stream:
            while chunk := await self._receive(stream):
                if self.slow_seconds:
                    await trio.sleep(self.slow_seconds)
                for item in decoder.feed(chunk):
                    if isinstance(item, StatusQuery):
                        self.status_queries += 1
                        await stream.send_all(bytes([status_byte(item.n, self.state)]))
                    elif isinstance(item, Cut):
                        self._finish(job, failed)
                        job, failed = [], False
                    else:
                        if self.paper_left == 0:  # the roll ended with the last receipt: this one finds no paper
                            self.state.paper = "out"
                        failed = failed or not self.state.can_print()
                        job.append(item)
            job += decoder.end_of_stream()
            if job:
                self._finish(job, failed)

    @staticmethod
    async def _receive(stream: trio.SocketStream) -> bytes:
        try:
            return await stream.receive_some(65536)
        except trio.BrokenResourceError:
            return b""

    def _finish(self, job: list[Item], failed: bool) -> None:
        """Save a receipt, or count it as failed if the printer could not print part of it."""
        if failed or not self.state.can_print():
            self.failed_jobs += 1
        else:
            self.printed += 1
            self.receipts.append(self._save(job) if self.save else self._text_only(job))
            if self.paper_left is not None:
                self.paper_left = max(0, self.paper_left - 1)
        self.received.set()
        self.received = trio.Event()

    @staticmethod
    def _text_only(job: list[Item]) -> PrintedReceipt:
        return PrintedReceipt(None, None, receipt_text(job), [i.data for i in job if isinstance(i, Barcode)],
                              [i.data for i in job if isinstance(i, Qr)], [])

    def _save(self, job: list[Item]) -> PrintedReceipt:
        stem = self.directory / f"receipt-{next(self._serial):04d}"
        png, txt = stem.with_suffix(".png"), stem.with_suffix(".txt")
        draw_receipt(job, self.width_dots).save(png)
        text = receipt_text(job)
        txt.write_text(text, encoding="utf-8")
        return PrintedReceipt(
            png_path=png,
            txt_path=txt,
            text=text,
            barcodes=[i.data for i in job if isinstance(i, Barcode)],
            qr_payloads=[i.data for i in job if isinstance(i, Qr)],
            items=job,
        )
