"""The quart-trio application: the HTTP JSON API under /api/v1, screen and device websockets, pages.

Layering (as in hypercorn / quart): the routes (api/routes/) only translate HTTP and websockets
into engine commands and engine state into JSON. Every state change goes through
`HallRuntime.execute`, which answers only after the events are durable. This module puts the
app together: the hall's parts (`open_hall`), the hooks that choose the hall and check access,
the error shape, the blueprints.
"""

from __future__ import annotations

from quart_trio import QuartTrio

from devices.print_service import PrintService
from devices.registry import DeviceRegistry

from .access import install_access
from .announcer import Announcer
from .auth import Signer
from .context import HallContext, serve_halls
from .device_ws import add_cabin_topics
from .errors import install_error_handlers
from .routes import register_routes
from .runtime import HallRuntime
from .screen_feeds import add_display_topic

MAX_BODY = 64 * 1024


def create_app(runtime: HallRuntime, signer: Signer) -> QuartTrio:
    app = QuartTrio("hall", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["JSON_AS_ASCII"] = False
    serve_halls(app, [open_hall(app, runtime, signer)])  # first: access checks need the chosen hall
    install_access(app)
    install_error_handlers(app, MAX_BODY)
    register_routes(app)
    return app


def open_hall(app: QuartTrio, runtime: HallRuntime, signer: Signer) -> HallContext:
    """Everything that serves one hall: its hub topics, device registry, print service, announcer."""
    add_display_topic(runtime)
    announcer = Announcer(runtime)
    add_cabin_topics(runtime.hub, runtime.engine)
    registry = DeviceRegistry(runtime.config, runtime.clock, spawn=app.add_background_task)  # network printers
    return HallContext(runtime, signer, registry, PrintService(registry, runtime.offload), announcer)
