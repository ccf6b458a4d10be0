"""Abuse limits: how much one client may ask of the hall, counted per client address or username.

The hall's network has anonymous clients (citizens' phones, anything on the LAN), so what they
may do without signing in is bounded here, in one place that every route uses:

* `Window` — at most N actions per key in a sliding window (anonymous web tickets and bookings
  per address);
* `Failures` — growing delays after repeated failures per key (wrong passwords per username
  and per address): after `free` failures each further one doubles the wait, up to a ceiling;
* `Connections` — at most N open connections per key (anonymous websockets per address).

A refusal is `too_many(...)`: `429 too_many_requests` with `Retry-After` in whole seconds.

The client address is the peer's, or — behind a reverse proxy named with `--trusted-proxy` —
the one the proxy put in `X-Forwarded-For` (api/forwarded.py rewrites the ASGI scope, so
`client_address()` needs no header logic of its own); the limits count it by `client_key()`
(an IPv6 client by its /64). The hall's own machine (a loopback peer
with no forwarded header: the benchmarks, a kiosk page on the server itself) is not limited; a
proxy that is not trusted forwards every client as its own address, so its clients share one
budget until it is named — visible at once, and documented in docs/security.md.

The numbers come from the hall file's `[limits]` table (`LimitSettings`, checked by
`settings_from_config` like `[device_protocol]`). Every structure forgets idle keys, so a flood
of addresses cannot grow memory without bound.
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from quart.wrappers import Request, Websocket

from hall.config import ConfigError, HallConfig, positive_settings

from .auth import is_loopback
from .errors import ApiError

MAX_KEYS = 50_000  # past this, idle keys are swept before a new one is added


@dataclass(frozen=True)
class LimitSettings:
    """The `[limits]` table of the hall file (all optional; docs/configuration.md)."""

    web_tickets_per_address: int = 10
    web_tickets_window_minutes: float = 60.0
    bookings_per_address: int = 10
    bookings_window_minutes: float = 60.0
    websockets_per_address: int = 30
    login_failures_per_username: int = 5
    login_failures_per_address: int = 20
    login_delay_seconds: float = 2.0
    login_delay_max_seconds: float = 900.0
    password_checks_at_once: int = 1
    password_checks_waiting: int = 200
    ipv6_prefix_length: int = 64  # an IPv6 client is counted by its network of this length (`client_key`)


def settings_from_config(config: HallConfig) -> LimitSettings:
    """Read `[limits]`, naming the key of any bad value (keys are checked by hall/config_keys.py)."""
    settings = positive_settings(config.raw.get("limits", {}), "limits", LimitSettings)
    if settings.ipv6_prefix_length > 128:
        raise ConfigError(f"limits.ipv6_prefix_length: expected 1 to 128, got {settings.ipv6_prefix_length}")
    return settings


def too_many(what: str, retry_after: float) -> ApiError:
    """The refusal: 429 with Retry-After (whole seconds, at least 1)."""
    seconds = max(1, math.ceil(retry_after))
    return ApiError("too_many_requests", f"{what}; try again in {seconds} s", headers={"Retry-After": str(seconds)})


def client_address(asked: Request | Websocket) -> str:
    """The client of a request or websocket (api/forwarded.py has applied a trusted proxy's header)."""
    return asked.remote_addr or ""


def client_key(address: str, ipv6_prefix_length: int) -> str:
    """What the limits count an address as: an IPv6 client by its network (a /64 by default),
    since one host takes any address of its network's /64 (SLAAC, privacy addresses) and one
    address per ticket would make a limit per address no limit; an IPv4 client written as IPv6
    (`::ffff:a.b.c.d`) as that IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, ipv6_prefix_length), strict=False))
    return str(ip)


def unlimited_client(asked: Request | Websocket) -> bool:
    """The hall's own machine talking directly (not through a proxy) is not limited."""
    return is_loopback(asked.remote_addr or "") and "x-forwarded-for" not in asked.headers


@dataclass
class Window:
    """At most `limit` actions per key in any `seconds`-long window."""

    limit: int
    seconds: float
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float | None:
        """Count one action; None if allowed, else the seconds until one is allowed again."""
        times = self._seen.get(key)
        if times is None:
            self._sweep(now)
            times = self._seen[key] = deque()
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return times[0] + self.seconds - now
        times.append(now)
        return None

    def _sweep(self, now: float) -> None:
        if len(self._seen) >= MAX_KEYS:
            for key in [k for k, t in self._seen.items() if not t or t[-1] <= now - self.seconds]:
                del self._seen[key]


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


@dataclass
class Failures:
    """Growing delays per key: after `free` failures, each one more makes the key wait
    `delay * 2**(extra failures)`, at most `ceiling` seconds. A success clears the key; a key
    that has not failed for `ceiling` seconds starts again from zero."""

    free: int
    delay: float
    ceiling: float
    _records: dict[str, _Record] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> float | None:
        """None if the key may try now, else the seconds it must wait."""
        record = self._records.get(key)
        if record is None or record.until <= now:
            return None
        return record.until - now

    def failed(self, key: str, now: float) -> None:
        record = self._records.get(key)
        if record is None or now - record.last > self.ceiling:
            self._sweep(now)
            record = self._records[key] = _Record()
        record.failures += 1
        record.last = now
        extra = record.failures - self.free
        if extra >= 0:
            record.until = now + min(self.ceiling, self.delay * 2 ** min(extra, 30))

    def succeeded(self, key: str) -> None:
        self._records.pop(key, None)

    def _sweep(self, now: float) -> None:
        if len(self._records) >= MAX_KEYS:
            for key in [k for k, r in self._records.items() if now - r.last > self.ceiling]:
                del self._records[key]


@dataclass
class Connections:
    """At most `limit` open connections per key."""

    limit: int
    _open: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def held(self, key: str) -> Iterator[bool]:
        """Hold one connection of `key` for the block; yields False (holding nothing) when full."""
        if self._open.get(key, 0) >= self.limit:
            yield False
            return
        self._open[key] = self._open.get(key, 0) + 1
        try:
            yield True
        finally:
            left = self._open[key] - 1
            if left:
                self._open[key] = left
            else:
                del self._open[key]


@dataclass
class HallLimits:
    """One hall's counters, built from its settings (on `HallContext.limits`)."""

    settings: LimitSettings
    web_tickets: Window
    bookings: Window
    websockets: Connections

    @classmethod
    def of(cls, settings: LimitSettings) -> HallLimits:
        return cls(settings, Window(settings.web_tickets_per_address, settings.web_tickets_window_minutes * 60),
                   Window(settings.bookings_per_address, settings.bookings_window_minutes * 60),
                   Connections(settings.websockets_per_address))

    def key(self, asked: Request | Websocket) -> str:
        """The client of a request or websocket as the limits count it (`client_key`)."""
        return client_key(client_address(asked), self.settings.ipv6_prefix_length)

    def take_web_ticket(self, asked: Request | Websocket, now: float) -> None:
        """Count an anonymous web ticket of this client; 429 past the hall's limit."""
        self._take(self.web_tickets, asked, now, "web tickets")

    def take_booking(self, asked: Request | Websocket, now: float) -> None:
        """Count a booking of this client (anyone may book, with any phone number: without a
        limit one stranger books every slot of the week); 429 past the hall's limit."""
        self._take(self.bookings, asked, now, "bookings")

    def _take(self, window: Window, asked: Request | Websocket, now: float, what: str) -> None:
        if unlimited_client(asked):
            return
        wait = window.take(self.key(asked), now)
        if wait is not None:
            raise too_many(f"at most {window.limit} {what} per {window.seconds / 60:g} minutes from one address", wait)
