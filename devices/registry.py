"""Every device of the hall: who it is, whether it is online, what its printer feels, its print jobs.

Identities come from the hall file (`[[devices]]`); this registry adds what only the running
server knows: the live connection of each device, when it was last heard from, the printer's
paper / cover / online state, and the print jobs with their results. The floor manager sees it
through `GET /api/v1/devices`.

Printing: other parts of the server print through `devices.print_service.PrintService`, which
renders the bytes off the trio thread and then calls this registry::

    job_id = registry.print("printer-01", escpos_bytes, label="ticket W001")
    job = await registry.wait_job(job_id)          # optional: job.state "printed" or "failed"

`print` never blocks and never raises for a printer fault: the job is routed to the printer's
own device socket, or to the kiosk that carries it (`printer = "printer-01"` on the kiosk), or
over TCP 9100 to a network printer (`address = "host:port"`). If none is reachable now the job
waits ("queued") and goes out when the carrier connects, unless it is older than
`job_queue_minutes` by then (a citizen does not want a ticket printed an hour late). A failed
job can be printed again with `reprint(job_id)`. `printer_for_cabin(n)` finds a cabin's printer.

Online means: connected and heard from (any frame) within `offline_after_seconds`. The
per-connection watchdog in api/device_ws.py closes a connection that fell silent, so a device
that comes back reconnects and gets a fresh snapshot.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from hall.config import Device, HallConfig, positive_settings

from .printer_transport import PrinterUnavailable, print_tcp, query_status
from .protocol import DeviceMemory, Limits

JOBS_KEPT = 500


@dataclass(frozen=True)
class DeviceSettings:
    """The `[device_protocol]` table of the hall file (all optional)."""

    heartbeat_seconds: float = 15.0
    offline_after_seconds: float = 45.0
    hello_timeout_seconds: float = 5.0
    rate_per_second: float = 50.0
    burst: float = 100.0
    job_queue_minutes: float = 5.0
    network_print_timeout_seconds: float = 5.0

    @property
    def limits(self) -> Limits:
        return Limits(self.rate_per_second, self.burst)


def settings_from_config(config: HallConfig) -> DeviceSettings:
    """Read `[device_protocol]` from the hall file, naming the key of any bad value."""
    return positive_settings(config.raw.get("device_protocol", {}), "device_protocol", DeviceSettings)


@dataclass(eq=False)
class PrintJob:
    id: str
    printer: str
    data: bytes = field(repr=False)
    created_at: float
    label: str | None = None
    ticket: str | None = None
    reprint_of: str | None = None
    state: str = "queued"  # queued | sent | printed | failed
    reason: str | None = None
    finished_at: float | None = None
    finished: trio.Event = field(default_factory=trio.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "printer": self.printer, "state": self.state, "reason": self.reason,
                "label": self.label, "ticket": self.ticket, "reprint_of": self.reprint_of,
                "created_at": self.created_at, "finished_at": self.finished_at, "bytes": len(self.data)}


@dataclass(eq=False)
class Link:
    """One live connection: frames go out through `outbox` (never awaited), `close` cuts it."""

    device: str
    outbox: trio.MemorySendChannel[dict[str, Any]]
    close: Callable[[], None]


@dataclass
class DeviceRecord:
    device: Device
    link: Link | None = None
    last_seen: float | None = None
    connected_at: float | None = None
    # printers only: what the last status report or job result said
    paper: str = "unknown"  # unknown | ok | near_end | out
    cover_open: bool = False
    printer_online: bool | None = None
    last_job: str | None = None
    jobs_failed: int = 0
    jobs_printed: int = 0


class DeviceRegistry:
    def __init__(self, config: HallConfig, clock: Any, settings: DeviceSettings | None = None,
                 spawn: Callable[..., None] | None = None) -> None:
        self.config = config
        self.clock = clock
        self.settings = settings or settings_from_config(config)
        self.records = {d.id: DeviceRecord(d) for d in config.devices.values()}
        self.memories: dict[str, DeviceMemory] = {}  # answer caches and flood budgets, per device
        self.jobs: OrderedDict[str, PrintJob] = OrderedDict()
        self.spawn = spawn  # starts a task (network printers): the app's background tasks
        self._kiosk_of = {d.printer: d.id for d in config.devices.values() if d.printer}

    # ---- identities and liveness ----------------------------------------------------------

    def directory(self, device_id: str) -> Device | None:
        return self.config.devices.get(device_id)

    def connect(self, link: Link) -> None:
        """A device said a valid hello: it replaces any older connection of the same device."""
        record = self.records[link.device]
        old, record.link = record.link, link
        if old is not None:
            old.close()
        record.connected_at = record.last_seen = self.clock.now()
        self._flush(link.device)

    def disconnect(self, link: Link) -> None:
        record = self.records[link.device]
        if record.link is link:
            record.link = None

    def seen(self, device_id: str) -> None:
        self.records[device_id].last_seen = self.clock.now()

    def silent_for(self, device_id: str) -> float:
        record = self.records[device_id]
        return self.clock.now() - (record.last_seen or 0.0)

    def online(self, device_id: str) -> bool:
        record = self.records[device_id]
        return record.link is not None and self.silent_for(device_id) <= self.settings.offline_after_seconds

    def printer_for_cabin(self, cabin: int) -> str | None:
        """The printer bound to a cabin in the hall file (`kind = "printer"`, `cabin = n`)."""
        return next((d.id for d in self.config.devices.values() if d.kind == "printer" and d.cabin == cabin), None)

    # ---- printing ---------------------------------------------------------------------------

    def print(self, printer_id: str, data: bytes, *, label: str | None = None, ticket: str | None = None,
              reprint_of: str | None = None) -> str:
        """Queue ESC/POS bytes for a printer and return the job id at once (see the module doc)."""
        device = self.config.devices.get(printer_id)
        if device is None or device.kind != "printer":
            raise KeyError(f"no printer {printer_id!r} in the hall file")
        job = PrintJob(f"job-{secrets.token_hex(6)}", printer_id, bytes(data), self.clock.now(), label, ticket, reprint_of)
        self.jobs[job.id] = job
        while len(self.jobs) > JOBS_KEPT:
            self.jobs.popitem(last=False)
        self.records[printer_id].last_job = job.id
        self._dispatch(job)
        return job.id

    def reprint(self, job_id: str) -> str:
        """Print a job's bytes again as a new job (after a refill, say)."""
        old = self.jobs.get(job_id)
        if old is None:
            raise KeyError(f"no print job {job_id!r} (only the last {JOBS_KEPT} are kept)")
        return self.print(old.printer, old.data, label=old.label, ticket=old.ticket, reprint_of=old.id)

    def job(self, job_id: str) -> PrintJob | None:
        return self.jobs.get(job_id)

    def last_job_for_ticket(self, ticket_id: str) -> PrintJob | None:
        return next((j for j in reversed(self.jobs.values()) if j.ticket == ticket_id), None)

    async def wait_job(self, job_id: str) -> PrintJob:
        """Return once the job is printed or failed."""
        job = self.jobs[job_id]
        await job.finished.wait()
        return job

    def carrier(self, printer_id: str) -> str | None:
        """The connected device that delivers jobs to this printer: itself or its kiosk."""
        if self.records[printer_id].link is not None:
            return printer_id
        kiosk = self._kiosk_of.get(printer_id)
        if kiosk is not None and self.records[kiosk].link is not None:
            return kiosk
        return None

    def carries(self, device_id: str, printer_id: str) -> bool:
        return device_id == printer_id or self._kiosk_of.get(printer_id) == device_id

    def job_result(self, job_id: str, ok: bool, reason: str | None = None, status: dict[str, Any] | None = None) -> PrintJob:
        """Record what the printer said about a job; a second answer for the same job changes nothing."""
        job = self.jobs[job_id]
        if job.state in ("printed", "failed"):
            return job
        record = self.records[job.printer]
        job.state = "printed" if ok else "failed"
        job.reason = None if ok else (reason or "failed")
        job.finished_at = self.clock.now()
        if ok:
            record.jobs_printed += 1
            if record.paper in ("out", "unknown"):
                record.paper = "ok"
            record.printer_online = True
        else:
            record.jobs_failed += 1
            if job.reason == "paper_out":
                record.paper = "out"
            elif job.reason == "cover_open":
                record.cover_open = True
            elif job.reason == "offline":
                record.printer_online = False
        if status:
            self.printer_status(job.printer, status.get("paper"), status.get("cover_open"), status.get("online"))
        job.finished.set()
        return job

    def printer_status(self, printer_id: str, paper: Any = None, cover_open: Any = None, online: Any = None) -> None:
        """A real-time status report (DLE EOT) from the printer or its kiosk."""
        record = self.records[printer_id]
        if paper in ("ok", "near_end", "out"):
            record.paper = paper
        if isinstance(cover_open, bool):
            record.cover_open = cover_open
        if isinstance(online, bool):
            record.printer_online = online

    def _dispatch(self, job: PrintJob) -> None:
        # A printer with an address is on the network: the server prints to it itself, also when
        # its kiosk is connected (a browser kiosk cannot drive a printer; docs/online.md).
        address = self.config.devices[job.printer].address
        carrier = None if address else self.carrier(job.printer)
        if carrier is not None:
            link = self.records[carrier].link
            try:
                link.outbox.send_nowait({"t": "print", "job": job.id, "printer": job.printer, "data": job.data})
                job.state = "sent"
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                job.state = "queued"  # the connection is stuck or ending; it will be flushed on reconnect
            return
        if address and self.spawn is not None:
            job.state = "sent"
            self.spawn(self._print_network, job, address)

    def _flush(self, device_id: str) -> None:
        """Send the queued jobs of the printers this device carries, fail the stale ones."""
        limit = self.settings.job_queue_minutes * 60
        for job in list(self.jobs.values()):
            if job.state == "queued" and self.carries(device_id, job.printer):
                if self.clock.now() - job.created_at > limit:
                    self.job_result(job.id, False, "not_delivered")
                else:
                    self._dispatch(job)

    async def _print_network(self, job: PrintJob, address: str) -> None:
        host, _, port = address.rpartition(":")
        timeout = self.settings.network_print_timeout_seconds
        record = self.records[job.printer]
        try:
            await print_tcp(host or address, int(port or 9100), job.data, timeout)
            status = await query_status(host or address, int(port or 9100), timeout)
        except PrinterUnavailable as exc:
            record.printer_online = False
            self.job_result(job.id, False, f"offline: {exc}"[:200])
            return
        record.last_seen = self.clock.now()
        self.printer_status(job.printer, "out" if status.paper_out else "near_end" if status.paper_near_end else "ok",
                            status.cover_open, status.online)
        fault = "paper_out" if status.paper_out else "cover_open" if status.cover_open else None if status.online else "offline"
        self.job_result(job.id, fault is None, fault)

    # ---- what the floor manager sees --------------------------------------------------------

    def faults(self, device_id: str) -> list[str]:
        record = self.records[device_id]
        device = record.device
        out = []
        if device.kind == "printer":
            carried = self._kiosk_of.get(device_id)
            reachable = self.online(device_id) or (carried is not None and self.online(carried))
            if not reachable and not device.address:
                out.append("offline")
            if record.printer_online is False:
                out.append("printer_offline")
            if record.paper == "out":
                out.append("paper_out")
            elif record.paper == "near_end":
                out.append("paper_near_end")
            if record.cover_open:
                out.append("cover_open")
            last = self.jobs.get(record.last_job) if record.last_job else None
            if last is not None and last.state == "failed":
                out.append("last_job_failed")
        elif not self.online(device_id):
            out.append("offline")
        return out

    def listing(self) -> list[dict[str, Any]]:
        """Every device with status and last seen, for `GET /api/v1/devices`."""
        out = []
        for device_id, record in self.records.items():
            device = record.device
            if device.kind == "printer":
                carrier = self._kiosk_of.get(device_id)
                online = self.online(device_id) or (carrier is not None and self.online(carrier))
                seen = max([s for s in (record.last_seen, self.records[carrier].last_seen if carrier else None) if s] or [0]) or None
            else:
                carrier, online, seen = None, self.online(device_id), record.last_seen
            entry: dict[str, Any] = {
                "id": device_id,
                "kind": device.kind,
                "cabin": device.cabin,
                "status": "online" if online else "offline",
                "online": online,
                "connected": record.link is not None,
                "last_seen": self.config.local(seen).isoformat(timespec="seconds") if seen else None,
                "last_seen_at": seen,
                "faults": self.faults(device_id),
            }
            if device.printer:
                entry["printer"] = device.printer
            if device.kind == "printer":
                last = self.jobs.get(record.last_job) if record.last_job else None
                entry.update({
                    "carried_by": carrier, "address": device.address, "paper": record.paper,
                    "cover_open": record.cover_open, "printer_online": record.printer_online,
                    "jobs_printed": record.jobs_printed, "jobs_failed": record.jobs_failed,
                    "last_job": last.as_dict() if last else None,
                })
            out.append(entry)
        return out
