"""Logging: the level, text or JSON lines, and an access log with no personal data in it.

What a hall's logs must never hold (DESIGN.md principle 8; the personal-data rules the hall
works under): citizens' phone numbers and names, ticket ids (the citizen's key, printed as the
QR code), dossier codes, and the addresses of citizens' phones. So:

* the access log names the route, not the path: `/api/v1/tickets/<ticket_id>`, with only the
  parameters in `SHOWN_PARAMETERS` (cabin numbers, actions) filled in; no query string, no
  client address, no user agent;
* an unhandled error is logged with the same route, not the request's path (Quart's default);
* the store hides statement parameters in its errors (hall/journal.py).

`hall serve --log-format json` writes one JSON object a line (for journald, Loki, …).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import re
import sys
import time
from types import MethodType, TracebackType
from typing import Any

from quart import Response, g, has_request_context, has_websocket_context, request, websocket
from quart_trio import QuartTrio

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
SHOWN_PARAMETERS = frozenset({"number", "action"})  # route parameters that name no one
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Libraries whose debug output is statements, headers and frames: warnings only, at any level.
QUIET_LIBRARIES = ("sqlalchemy", "hpack", "h2", "h11", "wsproto", "websockets", "multipart", "PIL")
ACCESS = logging.getLogger("hall.access")
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "info", fmt: str = "text", access_log: str | None = None) -> None:
    """The process's logging: `level` for everything, `fmt` text or json, the access log to a
    file (reopened when logrotate moves it), to stderr ("-"), or nowhere (None)."""
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    ACCESS.propagate = False
    ACCESS.handlers.clear()
    if access_log is None:
        ACCESS.disabled = True
        return
    ACCESS.disabled = False
    ACCESS.setLevel(logging.INFO)
    out: logging.Handler = logging.StreamHandler(sys.stderr) if access_log == "-" else logging.handlers.WatchedFileHandler(access_log)
    out.setFormatter(formatter)
    ACCESS.addHandler(out)


def route_of(rule: str | None, parameters: dict[str, Any] | None) -> str:
    """A request's route for the logs: the URL rule with only harmless parameters filled in."""
    if rule is None:
        return "<no route>"
    values = parameters or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in SHOWN_PARAMETERS and name in values else f"<{name}>"

    return _PARAMETER.sub(fill, rule)


def install_request_logging(app: QuartTrio) -> None:
    """Access lines for every request and websocket; unhandled errors logged by route."""

    @app.before_request
    async def _started() -> None:
        g.started = time.perf_counter()

    @app.before_websocket
    async def _ws_started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    async def _access(response: Response) -> Response:
        if not ACCESS.disabled:
            _line(request.method, route_of(_rule(request), request.view_args), response.status_code)
        return response

    # Teardown, not after_websocket: a socket the client closes ends by cancellation, which
    # skips after_websocket; its status is 101 (switched protocols) however it ended.
    @app.teardown_websocket
    async def _ws_access(_exc: BaseException | None) -> None:
        if not ACCESS.disabled:
            _line("WS", route_of(_rule(websocket), websocket.view_args), 101)

    app.log_exception = MethodType(_log_exception, app)  # type: ignore[method-assign]


def _rule(req: Any) -> str | None:
    return req.url_rule.rule if req.url_rule is not None else None


def _line(method: str, route: str, status: int) -> None:
    ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    fields = {"method": method, "route": route, "status": status, "ms": round(ms, 1)}
    ACCESS.info("%s %s %s %.1fms", method, route, status, ms, extra={"fields": fields})


def _log_exception(app: QuartTrio, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]) -> None:
    if has_request_context():
        where = f"{request.method} {route_of(_rule(request), request.view_args)}"
    elif has_websocket_context():
        where = f"WS {route_of(_rule(websocket), websocket.view_args)}"
    else:
        where = "outside a request"
    app.logger.error("unhandled error on %s", where, exc_info=exc_info)
