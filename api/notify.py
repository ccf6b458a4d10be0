"""Notifications: written to the outbox with the events that cause them, delivered afterwards.

`Notifier` is two things:

* a `BatchCompanion` of the runtime: as the journal writer closes a batch, the hall's
  `NoticeWatch` says which notices the batch causes and the outbox rows go into the batch's own
  transaction (hall/outbox.py) — a notice exists exactly when its cause is durable;
* a long-lived task (`run`, owned by the app's nursery) that delivers the due rows to their
  sinks and records every attempt. A sink that is down or slow only delays its own rows: the
  hall never waits for a sink, and a row still pending at a restart is delivered after it.

Sinks:

* webhook — `POST` of the notice's JSON with `X-Hall-Signature: sha256=<hex HMAC-SHA256 of the
  raw body with the hook's secret>`, `X-Hall-Delivery: <the row's id>` (the same on every
  attempt: the receiver deduplicates) and `X-Hall-Timestamp: <Unix seconds of this attempt>`;
  any 2xx is delivered;
* sms — an HTTP gateway: `[notify.sms] body` with `{phone}`, `{message}`, … filled in (JSON
  string escaping when the content type is JSON), POSTed to its URL;
* log — one log line, the phone masked (logs carry no personal data).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from typing import Any

import httpx
import trio

from hall import outbox
from hall.events import Event
from hall.journal import SideRows
from hall.notices import REMEMBER_DAYS, NoticeWatch, NotifySettings, SmsGateway, Webhook, notify_settings
from hall.outbox import Delivery

from .runtime import OWNER, HallRuntime

log = logging.getLogger("hall.notify")

REMEMBER_SECONDS = REMEMBER_DAYS * 86400  # once-only keys older than this cannot recur
IDLE_SECONDS = 30.0  # look at the outbox at least this often, even when nothing wakes the task
PURGE_SECONDS = 3600.0  # how often rows past `keep_days` are deleted
PARALLEL = 8  # deliveries in flight at once
_FIELD = re.compile(r"\{(\w+)\}")


class Notifier:
    def __init__(self, runtime: HallRuntime, settings: NotifySettings | None = None) -> None:
        self.runtime = runtime
        self.hall = runtime.config.id
        self.settings = settings or notify_settings(runtime.config)
        with runtime.journal.engine.connect() as conn:  # at start-up, like the replay: before any batch
            sent = outbox.sent_keys(conn, self.hall, time.time() - REMEMBER_SECONDS)
        self.watch = NoticeWatch(runtime.engine, self.settings, sent)
        self._wake = trio.Event()
        self._hooks = {hook.sink: hook for hook in self.settings.webhooks}
        self._scope: trio.CancelScope | None = None
        runtime.companions.append(self)

    # ---- the runtime's companion -------------------------------------------------------------

    def rows_for(self, events: list[Event]) -> list[SideRows]:
        notices = self.watch.notices(events)
        return [(outbox.TABLE, outbox.rows_for(self.hall, notices, self.settings, time.time()))] if notices else []

    def committed(self) -> None:
        self._wake.set()

    # ---- delivery ----------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver due rows until `stop`; woken by each commit, and by the next retry's time."""
        with trio.CancelScope() as self._scope:
            task_status.started()
            if self.watch.active:
                await self._deliver()

    def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def _deliver(self) -> None:
        next_purge = 0.0
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as http:
            while True:
                if trio.current_time() >= next_purge:
                    await self.runtime.offload(self._purge)
                    next_purge = trio.current_time() + PURGE_SECONDS
                self._wake = trio.Event()
                if self.runtime.role != OWNER:  # the owner delivers; a standby only waits its turn
                    with trio.move_on_after(IDLE_SECONDS):
                        await self._wake.wait()
                    continue
                rows = await self.runtime.read(outbox.due, self.hall, time.time())
                async with trio.open_nursery() as nursery:
                    limiter = trio.CapacityLimiter(PARALLEL)
                    for row in rows:
                        nursery.start_soon(self._attempt, http, row, limiter)
                if rows:
                    continue
                upcoming = await self.runtime.read(outbox.next_due, self.hall)
                pause = IDLE_SECONDS if upcoming is None else min(IDLE_SECONDS, max(0.0, upcoming - time.time()))
                with trio.move_on_after(pause):
                    await self._wake.wait()

    async def _attempt(self, http: httpx.AsyncClient, row: Delivery, limiter: trio.CapacityLimiter) -> None:
        async with limiter:
            error = await self._send(http, row)
        if error is not None:
            log.warning("notification %s to %s failed (attempt %d): %s", row.id, row.sink, row.attempts + 1, error)
        await self.runtime.offload(self._record, row, error)

    def _purge(self) -> None:
        with self.runtime.journal.engine.begin() as conn:
            gone = outbox.purge(conn, self.hall, time.time() - self.settings.keep_days * 86400)
        if gone:
            log.info("notifications: %d rows older than %d days deleted", gone, self.settings.keep_days)

    def _record(self, row: Delivery, error: str | None) -> None:
        with self.runtime.journal.engine.begin() as conn:
            outbox.record_attempt(conn, self.hall, row, error, time.time(), self.settings)

    async def _send(self, http: httpx.AsyncClient, row: Delivery) -> str | None:
        """None when the sink took the notification, else what went wrong."""
        try:
            if row.sink == "log":
                log.info("notification %s %s %s for %s", row.id, row.event, row.body.get("number"), masked(row.body.get("phone")))
                return None
            if row.sink == "sms" and self.settings.sms is not None:
                answer = await sms_request(http, self.settings.sms, row)
            elif row.sink in self._hooks:
                answer = await webhook_request(http, self._hooks[row.sink], row)
            else:
                return f"the sink {row.sink!r} is no longer in the hall file"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        if not 200 <= answer.status_code < 300:
            return f"HTTP {answer.status_code}"
        return None


def signature(secret: str, body: bytes) -> str:
    """The `X-Hall-Signature` value of a body: `sha256=` and the hex HMAC-SHA256 with the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


async def webhook_request(http: httpx.AsyncClient, hook: Webhook, row: Delivery) -> httpx.Response:
    body = json.dumps({**row.body, "delivery": row.id}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Hall-Signature": signature(hook.secret, body),
        "X-Hall-Delivery": row.id,
        "X-Hall-Timestamp": str(int(time.time())),
        "X-Hall-Event": row.event,
    }
    return await http.post(hook.url, content=body, headers=headers)


async def sms_request(http: httpx.AsyncClient, gateway: SmsGateway, row: Delivery) -> httpx.Response:
    values = {**{k: "" if v is None else str(v) for k, v in row.body.items()}, "delivery": row.id}
    as_json = "json" in gateway.content_type

    def fill(found: re.Match[str]) -> str:
        value = values.get(found.group(1), "")
        return json.dumps(value, ensure_ascii=False)[1:-1] if as_json else value

    body = _FIELD.sub(fill, gateway.body).encode("utf-8")
    return await http.post(gateway.url, content=body, headers={"Content-Type": gateway.content_type})


def masked(phone: Any) -> str:
    return "" if not phone else "*******" + str(phone)[-3:]
