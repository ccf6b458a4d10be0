"""`GET /metrics`: the hall in the Prometheus text format (prometheus-client).

Open from loopback (a Prometheus or an agent on the hall's own machine); from anywhere else only
with an administrator's token (`Authorization: Bearer …` from `POST /api/v1/auth/login`). Behind
a reverse proxy the client is the one a trusted proxy names (`--trusted-proxy`, api/forwarded.py);
a request carrying `X-Forwarded-For` from a proxy that is not trusted is never "from loopback",
whatever the proxy's own address, so forgetting `--trusted-proxy` closes /metrics, not opens it.

Each hall has its own registry (several halls or test servers may share a process), kept in
`app.extensions["metrics"]` by hall id; the route answers for the hall of the request
(`current_hall()`). Counters and the commit histogram are fed by the runtime
(`HallRuntime.observer`); the gauges are read from the live hall when scraped, so they cost
nothing between scrapes. Who may scrape is decided in the handler (it depends on where the
request comes from), so the access table's entry (api/access.py) is public with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from quart import Blueprint, Response, current_app, request
from quart_trio import QuartTrio

from hall.commands import Command

from .access import ADMIN, require
from .auth import is_loopback
from .context import HallContext, current_hall
from .forwarded import FORWARDED_BY
from .openapi import document_file
from .runtime import OWNER

# Commits take 0.4-1.3 ms on SQLite and a few ms on PostgreSQL (STACK-NOTES.md): the default
# buckets (from 5 ms) would put every commit of a healthy hall in the first one.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HallMetrics:
    """The registry of one hall; also its runtime's observer."""

    def __init__(self, hall: HallContext) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter("hall_commands", "Commands carried out, by command and outcome (ok, refused, store_failed)",
                                ["command", "outcome"], registry=self.registry)
        self.commit_seconds = Histogram("hall_commit_seconds", "Time to make one batch of events durable (one transaction)",
                                        buckets=COMMIT_BUCKETS, registry=self.registry)
        self.registry.register(LiveHall(hall))

    def command_done(self, command: Command, outcome: str) -> None:
        self.commands.labels(type(command).__name__, outcome).inc()

    def batch_committed(self, seconds: float, events: int) -> None:
        self.commit_seconds.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class LiveHall(Collector):
    """Gauges read from the running hall at scrape time."""

    def __init__(self, hall: HallContext) -> None:
        self.hall = hall

    def collect(self) -> Iterator[Any]:
        runtime, engine = self.hall.runtime, self.hall.engine
        display = runtime.hub.topics.get("display")
        yield GaugeMetricFamily("hall_screens_connected", "Screens and pages connected to /ws/display",
                                value=len(display.subscribers) if display else 0)
        devices = self.hall.devices
        online = sum(devices.online(d) for d in devices.records)
        yield GaugeMetricFamily("hall_devices_online", "Devices connected and heard from within their heartbeat limit", value=online)
        waiting = GaugeMetricFamily("hall_waiting_tickets", "Tickets waiting, by service", labels=["service"])
        for code in self.hall.config.services:
            waiting.add_metric([code], engine.waiting_count(code))
        yield waiting
        yield GaugeMetricFamily("hall_durable_seq", "Sequence number of the last durable event", value=runtime.durable_seq)
        yield GaugeMetricFamily("hall_owner", "1 when this node owns the hall (always, without --node); 0 on a standby",
                                value=int(runtime.role == OWNER))
        yield GaugeMetricFamily("hall_store_failed", "1 when the store failed and the hall stopped taking commands",
                                value=int(runtime.failure is not None))
        yield CounterMetricFamily("hall_screens_dropped", "Screens cut off for falling behind (they reconnect)",
                                  value=runtime.hub.dropped_total)


bp = Blueprint("metrics", __name__)


def install_metrics(app: QuartTrio, hall: HallContext) -> HallMetrics:
    """Count the hall's work and serve GET /metrics."""
    metrics = HallMetrics(hall)
    hall.runtime.observer = metrics
    app.extensions.setdefault("metrics", {})[hall.config.id] = metrics
    if "metrics" not in app.blueprints:
        app.register_blueprint(bp)
    return metrics


@bp.get("/metrics")
@document_file(CONTENT_TYPE_LATEST, "the hall in the Prometheus text format")
async def metrics() -> Response:
    """The hall in the Prometheus text format (from loopback; elsewhere an administrator's token)."""
    if not _from_loopback():
        require(frozenset({ADMIN}), "metrics are open from the hall's own machine; elsewhere they need an administrator's token")
    hall_metrics: HallMetrics = current_app.extensions["metrics"][current_hall().config.id]
    return Response(hall_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def _from_loopback() -> bool:
    vouched = FORWARDED_BY in request.scope  # a trusted proxy named the client
    return is_loopback(request.remote_addr or "") and (vouched or "X-Forwarded-For" not in request.headers)
