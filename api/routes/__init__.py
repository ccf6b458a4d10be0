"""The HTTP routes and sockets, one blueprint per resource.

Handlers are module-level functions that reach their hall through `api.context.current_hall()`;
who may call each one is declared in `api.access.ACCESS` and checked before the handler runs.

`register_routes` mounts every blueprint at the root: those URLs serve the app's first hall.
`register_routes_per_hall` mounts the very same blueprints again under `/h/<hall>/…` (endpoints
`h.tickets.issue` …), where `choose_hall` picks the hall named in the URL — the seam for serving
several halls from one process.
"""

from __future__ import annotations

from quart import Blueprint
from quart_trio import QuartTrio

from .. import metrics
from . import appointments, audit, cabins, devices, dossiers, notifications, overview, province, screens, staff, statistics, tickets

BLUEPRINTS = (overview.bp, staff.bp, tickets.bp, appointments.bp, cabins.bp, dossiers.bp, statistics.bp, devices.bp, screens.bp, audit.bp,
              notifications.bp)
PER_HALL = "h"


def register_routes(app: QuartTrio) -> None:
    """Every hall's routes at the root (the first hall), and the province's own routes."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(province.bp)


def register_routes_per_hall(app: QuartTrio) -> None:
    """The same routes (and /metrics) again under /h/<hall>/ for every hall."""
    per_hall = Blueprint(PER_HALL, __name__, url_prefix="/h/<hall>")
    for blueprint in (*BLUEPRINTS, metrics.bp):
        per_hall.register_blueprint(blueprint)
    app.register_blueprint(per_hall)
