"""Talking to a network receipt printer on raw TCP (port 9100): send a job, read its status.

Real-time status (DLE EOT n) is answered by the printer with one byte per query, even while it is
printing. A printer that never answers would block python-escpos's network class for its default
60 s (STACK-NOTES.md), so every call here runs under one short trio deadline and reports a
silent printer as ``PrinterUnavailable`` instead of hanging a kiosk.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

DLE_EOT = b"\x10\x04"


class PrinterUnavailable(OSError):
    """The printer refused the connection, vanished, or did not answer within the timeout."""


@dataclass(frozen=True)
class PrinterStatus:
    """What a kiosk reports about its printer."""

    online: bool
    paper_near_end: bool
    paper_out: bool
    cover_open: bool
    error: bool = False
    """Cutter or other mechanical error (DLE EOT 2 bit 6 / DLE EOT 3)."""


def parse_status(n: int, byte: int) -> dict[str, bool]:
    """Name the bits of a DLE EOT ``n`` answer (Epson ESC/POS; n = 1..4).

    A status byte always has bits 1 and 4 set and bits 0 and 7 clear; anything else is not a
    status answer (a printer echoing data, a wrong device on the port) and raises ValueError.
    """
    if byte & 0x93 != 0x12:
        raise ValueError(f"0x{byte:02x} is not an ESC/POS status byte (DLE EOT {n})")

    def bit(mask: int) -> bool:
        return bool(byte & mask)

    if n == 1:
        return {"drawer_open": bit(0x04), "offline": bit(0x08), "waiting_online_recovery": bit(0x20)}
    if n == 2:
        return {"cover_open": bit(0x04), "feed_button": bit(0x08), "paper_end_stop": bit(0x20), "error": bit(0x40)}
    if n == 3:
        return {"recoverable_error": bit(0x04), "autocutter_error": bit(0x08),
                "unrecoverable_error": bit(0x20), "auto_recoverable_error": bit(0x40)}
    if n == 4:
        return {"paper_near_end": bit(0x0C), "paper_out": bit(0x60)}
    raise ValueError(f"DLE EOT {n}: n must be 1, 2, 3 or 4")


def status_from_bytes(answers: dict[int, int]) -> PrinterStatus:
    """Combine the answers to DLE EOT 1..4 into one PrinterStatus."""
    printer, offline_cause, errors, paper = (parse_status(n, answers[n]) for n in (1, 2, 3, 4))
    return PrinterStatus(
        online=not printer["offline"],
        paper_near_end=paper["paper_near_end"],
        paper_out=paper["paper_out"] or offline_cause["paper_end_stop"],
        cover_open=offline_cause["cover_open"],
        error=offline_cause["error"] or any(errors.values()),
    )


async def print_tcp(host: str, port: int, data: bytes, timeout: float) -> None:
    """Send one job and close. Returns when the bytes are handed to the network, not printed:
    check ``query_status`` afterwards to know whether paper ran out.
    """
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                await stream.send_all(data)
    except (OSError, trio.BrokenResourceError, trio.TooSlowError) as exc:
        raise PrinterUnavailable(f"printer {host}:{port}: {exc!r}") from exc


async def query_status(host: str, port: int, timeout: float = 2.0) -> PrinterStatus:
    """Ask DLE EOT 1, 2, 3, 4 (one byte each) on a fresh connection, all within ``timeout``."""
    try:
        with trio.fail_after(timeout):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                answers = {n: await _ask(stream, n) for n in (1, 2, 3, 4)}
    except (OSError, trio.BrokenResourceError, trio.TooSlowError) as exc:
        raise PrinterUnavailable(f"printer {host}:{port} status: {exc!r}") from exc
    return status_from_bytes(answers)


async def _ask(stream: trio.SocketStream, n: int) -> int:
    """Send DLE EOT n and read the one-byte answer (queries go one at a time, so no mix-up)."""
    await stream.send_all(DLE_EOT + bytes([n]))
    answer = await stream.receive_some(1)
    if not answer:
        raise ConnectionResetError(f"connection closed before the answer to DLE EOT {n}")
    return answer[0]
