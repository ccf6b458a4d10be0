"""What the hall tells citizens who left a phone: near their turn, called, a booking tomorrow.

Theory of operation
-------------------
`NoticeWatch.notices(events)` looks at a batch of events, with the hall's state right after the
batch's last event, and says which notices are due (the runtime asks it when the journal writer
closes a batch, so the notices are written to the outbox in the batch's own transaction —
hall/outbox.py — and nothing is announced that is not durable, nor lost once it is):

* ``ticket.near`` — a waiting ticket with a phone has `near` or fewer people ahead (its
  service's `notify_near`, else `[notify] near`); once per ticket;
* ``ticket.called`` — a ticket with a phone is called to a cabin (again after a rejoin);
* ``appointment.reminder`` — the day before a booked slot: when that day opens, or at booking
  when the slot is tomorrow already; once per booking.

`sent` remembers the once-only keys; after a restart it is filled from the outbox
(`hall.outbox.sent_keys`), so a restart never repeats a notice nor forgets one.
The engine is sans-I/O and so is this: delivery is api/notify.py's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import events as ev
from .appointments import AppointmentBook
from .config import ConfigError, HallConfig

if TYPE_CHECKING:
    from .engine import Engine

EVENTS = ("ticket.near", "ticket.called", "appointment.reminder")
REMEMBER_DAYS = 3  # the once-only keys are read back from this many days of the outbox (tickets live two)
DEFAULT_NEAR = 3


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str
    events: tuple[str, ...] = EVENTS

    @property
    def sink(self) -> str:
        return f"webhook:{self.url}"[:120]


@dataclass(frozen=True)
class SmsGateway:
    url: str
    body: str
    content_type: str = "application/json"
    events: tuple[str, ...] = EVENTS


@dataclass(frozen=True)
class NotifySettings:
    """`[notify]` and the services' `notify_near` (docs/configuration.md)."""

    near: dict[str, int] = field(default_factory=dict)  # service -> people ahead that count as near
    log: bool = False
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0
    max_attempts: int = 30
    timeout_seconds: float = 10.0
    keep_days: int = 30  # delivered and failed rows (with phones) are deleted after this many days
    webhooks: tuple[Webhook, ...] = ()
    sms: SmsGateway | None = None

    def sinks_for(self, event: str) -> list[str]:
        """The sinks a notice of `event` goes to, by name (`webhook:URL`, `sms`, `log`)."""
        out = [hook.sink for hook in self.webhooks if event in hook.events]
        if self.sms is not None and event in self.sms.events:
            out.append("sms")
        if self.log:
            out.append("log")
        return out


@dataclass(frozen=True)
class Notice:
    event: str  # one of EVENTS
    key: str  # once-only notices: the same key is never sent twice
    body: dict[str, Any]  # the JSON a webhook receives (and the SMS template's values)


def notify_settings(config: HallConfig) -> NotifySettings:
    """Read `[notify]`; ConfigError names a bad key."""
    raw = config.raw.get("notify", {})
    default_near = _number(raw, "near", int, DEFAULT_NEAR, minimum=0)
    near = {}
    for i, service in enumerate(config.raw.get("services", [])):
        near[service["code"]] = _number(service, "notify_near", int, default_near, minimum=0, where=f"services[{i}]")
    base = NotifySettings()
    return NotifySettings(
        near=near,
        log=_flag(raw, "log"),
        retry_base_seconds=_number(raw, "retry_base_seconds", (int, float), base.retry_base_seconds),
        retry_max_seconds=_number(raw, "retry_max_seconds", (int, float), base.retry_max_seconds),
        max_attempts=_number(raw, "max_attempts", int, base.max_attempts, minimum=1),
        timeout_seconds=_number(raw, "timeout_seconds", (int, float), base.timeout_seconds),
        keep_days=_number(raw, "keep_days", int, base.keep_days, minimum=REMEMBER_DAYS),
        webhooks=tuple(_webhook(item, f"notify.webhooks[{i}]") for i, item in enumerate(raw.get("webhooks", []))),
        sms=_sms(raw["sms"]) if "sms" in raw else None,
    )


def near_threshold(config: HallConfig, service: str) -> int:
    """People ahead that count as near for a service (the tracking page's browser notification
    uses the same number as the hall's notices)."""
    for item in config.raw.get("services", []):
        if item.get("code") == service:
            return int(item.get("notify_near", config.raw.get("notify", {}).get("near", DEFAULT_NEAR)))
    return DEFAULT_NEAR


def _webhook(item: dict[str, Any], where: str) -> Webhook:
    secret = item.get("secret")
    if not isinstance(secret, str) or len(secret) < 16:
        raise ConfigError(f"{where}.secret: a secret of at least 16 characters signs the webhook's requests")
    return Webhook(_url(item, where), secret, _events(item, where))


def _sms(item: dict[str, Any]) -> SmsGateway:
    body = item.get("body")
    if not isinstance(body, str) or not body:
        raise ConfigError("notify.sms.body: the request body template, e.g. '{\"to\": \"{phone}\", \"text\": \"{message}\"}'")
    content_type = item.get("content_type", "application/json")
    if not isinstance(content_type, str):
        raise ConfigError(f"notify.sms.content_type: expected text, got {content_type!r}")
    return SmsGateway(_url(item, "notify.sms"), body, content_type, _events(item, "notify.sms"))


def _url(item: dict[str, Any], where: str) -> str:
    url = item.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url: expected an http:// or https:// address, got {url!r}")
    return url


def _events(item: dict[str, Any], where: str) -> tuple[str, ...]:
    events = item.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise ConfigError(f"{where}.events: a list of {', '.join(EVENTS)}, got {events!r}")
    return tuple(events)


def _flag(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"notify.{key}: expected true or false, got {value!r}")
    return value


def _number(raw: dict[str, Any], key: str, kind: Any, default: Any, minimum: float = 0.001, where: str = "notify") -> Any:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
        raise ConfigError(f"{where}.{key}: expected a number of at least {minimum:g}, got {value!r}")
    return value


# ---- the watch --------------------------------------------------------------------------------


class NoticeWatch:
    """Turns batches of events into notices (see the module docstring)."""

    def __init__(self, engine: Engine, settings: NotifySettings, sent: Iterable[str] = ()) -> None:
        self.engine = engine
        self.config = engine.config
        self.settings = settings
        self.sent = set(sent)

    @property
    def active(self) -> bool:
        return bool(self.settings.webhooks or self.settings.sms or self.settings.log)

    def notices(self, events: Sequence[ev.Event[Any]]) -> list[Notice]:
        if not self.active:
            return []
        out: list[Notice] = []
        touched: set[str] = set()
        for event in events:
            p = event.payload
            if isinstance(p, ev.TicketCalled):
                out += self._called(event)
            elif isinstance(p, ev.DayOpened):
                out += self._reminders_for(self._tomorrow(p.day), event.at)
            elif isinstance(p, ev.AppointmentBooked) and p.day == self._tomorrow(self.config.business_day(event.at).isoformat()):
                out += self._reminders_for(p.day, event.at, only=p.code)
            ticket = self.engine.state.tickets.get(p.ticket_id or "")
            if ticket is not None:
                touched.add(ticket.service)
            if isinstance(p, ev.TicketTransferred):
                touched.add(p.service)
        for service in sorted(touched):
            out += self._near(service, events[-1].at)
        return out

    def _once(self, key: str) -> bool:
        if key in self.sent:
            return False
        self.sent.add(key)
        return True

    def _base(self, event: str, at: float, service: str, phone: str) -> dict[str, Any]:
        info = self.config.services[service]
        return {"event": event, "hall": self.config.id, "service": service, "service_name": info.name,
                "phone": phone, "at": self.config.local(at).isoformat(timespec="seconds")}

    def _called(self, event: ev.Event[ev.TicketCalled]) -> list[Notice]:
        p = event.payload
        ticket = self.engine.state.tickets[p.id]
        if ticket.phone is None:
            return []
        body = {**self._base("ticket.called", event.at, ticket.service, ticket.phone), "number": ticket.number,
                "cabin": p.cabin, "message": f"Mời số {ticket.number} đến quầy {p.cabin}."}
        return [Notice("ticket.called", f"{p.id}:called:{event.seq}", body)]

    def _near(self, service: str, at: float) -> list[Notice]:
        near = self.settings.near.get(service, DEFAULT_NEAR)
        queue = self.engine.state.waiting.get(service)
        if queue is None or near <= 0:
            return []
        out = []
        for ahead, (_, ticket_id) in enumerate(queue.order[:near + 1]):
            ticket = self.engine.state.tickets[ticket_id]
            if ticket.phone is None or not self._once(f"{ticket_id}:near"):
                continue
            body = {**self._base("ticket.near", at, service, ticket.phone), "number": ticket.number, "ahead": ahead,
                    "message": f"Số {ticket.number} sắp đến lượt: còn {ahead} người phía trước. Mời về khu chờ."}
            out.append(Notice("ticket.near", f"{ticket_id}:near", body))
        return out

    def _reminders_for(self, day: str, at: float, only: str | None = None) -> list[Notice]:
        try:
            book = self.engine.component(AppointmentBook)
        except LookupError:
            return []
        out = []
        for appointment in book.for_day(day):
            if appointment.state != "booked" or (only is not None and appointment.code != only):
                continue
            if not self._once(f"{appointment.code}:reminder"):
                continue
            body = {**self._base("appointment.reminder", at, appointment.service, appointment.phone),
                    "number": appointment.code, "code": appointment.code, "date": appointment.day, "start": appointment.start,
                    "message": f"Nhắc lịch hẹn {appointment.day} lúc {appointment.start}, mã {appointment.code}."}
            out.append(Notice("appointment.reminder", f"{appointment.code}:reminder", body))
        return out

    @staticmethod
    def _tomorrow(day: str) -> str:
        return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
