"""The hall a request is for: `current_hall()` is how every route reaches the engine and its parts.

The app keeps its halls in `app.extensions["halls"]` (id → HallContext, the first one is the
default). Before every request and websocket, `choose_hall` picks one and keeps it in `g`:

* a route registered as it is today (`/api/v1/…`) serves the first hall;
* the same blueprints registered again under `/h/<hall>/…` (api/routes `register_routes_per_hall`)
  get a `hall` URL value, which `choose_hall` pops before the handler sees it, so handlers never
  take a hall argument and one process can serve several halls with the same code.

Handlers never close over a hall: everything one hall owns (runtime, signer, device registry,
print service, announcer, sign-in, abuse limits) is on its HallContext.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from quart import current_app, g, has_websocket_context, request, websocket
from quart.wrappers import Request, Websocket
from quart_trio import QuartTrio

from devices.print_service import PrintService
from devices.registry import DeviceRegistry
from hall.config import HallConfig
from hall.engine import Engine

from .announcer import Announcer
from .auth import Signer
from .errors import ApiError
from .limits import HallLimits
from .notify import Notifier
from .revocations import Revocations
from .runtime import HallRuntime
from .signin import SignIn


@dataclass(frozen=True)
class HallContext:
    """Everything that serves one hall, built once by `api.app.open_hall`."""

    runtime: HallRuntime
    signer: Signer
    devices: DeviceRegistry
    printing: PrintService
    announcer: Announcer
    notifier: Notifier
    signin: SignIn
    limits: HallLimits
    revocations: Revocations

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def config(self) -> HallConfig:
        return self.runtime.config


def current_hall() -> HallContext:
    """The hall the current request or websocket is for (chosen by `choose_hall`)."""
    return g.hall


def serve_halls(app: QuartTrio, halls: Iterable[HallContext]) -> None:
    """Make `halls` the app's halls: chosen per request, their announcers, notifiers and
    revocation reloads run while it serves."""
    app.extensions["halls"] = {hall.config.id: hall for hall in halls}
    # Registered first so every later hook (access) already sees the chosen hall. Not a
    # url_value_preprocessor: Quart 0.22 runs those on websockets with the *request* proxy,
    # which fails outside a request.
    app.before_request(choose_hall)
    app.before_websocket(choose_hall)

    # Each announcer lives as long as the app serves: started in the app's lifespan nursery,
    # stopped when serving ends (one owner, see STYLE.md on structured concurrency).
    @app.before_serving
    async def _start_hall_tasks() -> None:
        for hall in app.extensions["halls"].values():
            await app.nursery.start(hall.announcer.run)
            await app.nursery.start(hall.notifier.run)
            await app.nursery.start(hall.revocations.run)

    @app.after_serving
    async def _stop_hall_tasks() -> None:
        for hall in app.extensions["halls"].values():
            hall.announcer.stop()
            hall.notifier.stop()
            hall.revocations.stop()


def incoming() -> Request | Websocket:
    """The current HTTP request or websocket (hooks run for both), unwrapped from its proxy."""
    return (websocket if has_websocket_context() else request)._get_current_object()  # type: ignore[attr-defined]


def automatic_options(asked: Request | Websocket) -> bool:
    """An OPTIONS request Quart answers itself (the Allow header), without running a handler."""
    return asked.method == "OPTIONS" and bool(getattr(asked.url_rule, "provide_automatic_options", False))


async def choose_hall() -> None:
    """Keep the hall named by the `hall` URL value (popped), or the first hall, in `g.hall`."""
    halls: dict[str, HallContext] = current_app.extensions["halls"]
    view_args: dict[str, Any] | None = incoming().view_args
    key = view_args.pop("hall", None) if view_args else None
    if key is None:
        g.hall = next(iter(halls.values()))
    elif key in halls:
        g.hall = halls[key]
    else:
        raise ApiError("not_found", f"no hall {key!r}")
