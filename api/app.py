"""The quart-trio application: the HTTP JSON API under /api/v1, screen and device websockets, pages.

Layering (as in hypercorn / quart): the routes (api/routes/) only translate HTTP and websockets
into engine commands and engine state into JSON. Every state change goes through
`HallRuntime.execute`, which answers only after the events are durable. This module puts the
app together: the hall's parts (`open_hall`), the hooks that choose the hall and check access,
the error shape, the blueprints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from quart_trio import QuartTrio

from devices.print_service import PrintService
from devices.registry import DeviceRegistry

from .access import install_access
from .announcer import Announcer
from .auth import Signer
from .context import HallContext, serve_halls
from .device_ws import add_cabin_topics
from .errors import install_error_handlers
from .limits import HallLimits
from .limits import settings_from_config as limit_settings
from .logs import install_request_logging
from .metrics import install_metrics
from .notify import Notifier
from .openapi import install_openapi
from .page_headers import install_page_headers
from .revocations import Revocations
from .routes import register_routes, register_routes_per_hall
from .runtime import HallRuntime
from .screen_feeds import add_display_topic
from .signin import SignIn

MAX_BODY = 64 * 1024


def create_app(runtime: HallRuntime, signer: Signer, voice_dir: Path | None = None, hall_file: Path | None = None) -> QuartTrio:
    """The app of one hall, at the root of the URL space."""
    return create_province_app([(runtime, signer)], voice_dir, per_hall=False, hall_files=[hall_file])


def create_province_app(halls: Sequence[tuple[HallRuntime, Signer]], voice_dir: Path | None = None, *,
                        per_hall: bool = True, name: str = "", hall_files: Sequence[Path | None] = ()) -> QuartTrio:
    """The app of several halls (a province, hall/province.py): each with its own parts, reached
    under /h/{id}/… (`per_hall`), the first one also at the root. `hall_files`: where each hall's
    file is, so sign-in can keep upgraded password hashes there (api/signin.py)."""
    app = QuartTrio("hall", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["JSON_AS_ASCII"] = False
    app.extensions["province_name"] = name
    files = list(hall_files) + [None] * (len(halls) - len(hall_files))
    contexts = [open_hall(app, runtime, signer, voice_dir, file) for (runtime, signer), file in zip(halls, files)]
    serve_halls(app, contexts)  # first: access checks need the chosen hall
    install_request_logging(app)  # before access: a refused request is timed and logged too
    install_access(app)
    install_error_handlers(app, MAX_BODY)
    install_openapi(app)
    register_routes(app)
    for hall in contexts:
        install_metrics(app, hall)
    if per_hall:
        register_routes_per_hall(app)
    install_page_headers(app)
    return app


def open_hall(app: QuartTrio, runtime: HallRuntime, signer: Signer, voice_dir: Path | None = None,
              hall_file: Path | None = None) -> HallContext:
    """Everything that serves one hall: its hub topics, device registry, print service, announcer
    (its voice cache in `voice_dir`, or api.announcer.default_voice_dir()), sign-in (upgraded
    password hashes are kept in `hall_file`, when served from one) and abuse limits."""
    add_display_topic(runtime)
    announcer = Announcer(runtime, voice_dir)
    add_cabin_topics(runtime.hub, runtime.engine)
    registry = DeviceRegistry(runtime.config, runtime.clock, spawn=app.add_background_task)  # network printers
    limits = limit_settings(runtime.config)
    return HallContext(runtime, signer, registry, PrintService(registry, runtime.offload), announcer, Notifier(runtime),
                       SignIn(runtime, limits, hall_file), HallLimits.of(limits), Revocations(runtime))
