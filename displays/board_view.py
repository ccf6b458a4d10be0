"""The live part of the public board: each agency's queue right now.

The day's results per agency (dossiers received, returned on time and late, satisfaction,
citizens served, average wait, rank) come from the statistics API `GET /api/v1/stats/today`,
which the board fetches; this module adds what only the engine knows at this instant: how many
citizens of each agency are waiting, being served, and how many of its cabins are open.
"""

from __future__ import annotations

from typing import Any

from hall.engine import Engine


def agencies_now(engine: Engine) -> list[dict[str, Any]]:
    """One entry per department, in the hall file's order."""
    config, state = engine.config, engine.state
    out: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": dept.name, "waiting": 0, "serving": 0, "cabins_open": 0}
        for code, dept in config.departments.items()
    }
    for code, service in config.services.items():
        out[service.department]["waiting"] += engine.waiting_count(code)
    for number, cabin in state.cabins.items():
        entry = out[config.cabins[number].department]
        if cabin.state == "open":
            entry["cabins_open"] += 1
        if cabin.ticket is not None:
            entry["serving"] += 1
    return list(out.values())
