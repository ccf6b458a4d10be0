"""What the leaders' dashboard shows about the hall right now, built from the engine.

The day-so-far charts come from the statistics API (`/api/v1/stats/…`); this module holds the
live part: per service the queue, its longest wait against the target, and the cabins by state.
Waits are computed at `now` (the server's clock) and the page keeps them ticking with its own
offset-corrected clock from `oldest_waiting_since`.
"""

from __future__ import annotations

from typing import Any

from hall.engine import Engine

from .hall_view import service_summary


def hall_now(engine: Engine, now: float) -> dict[str, Any]:
    """Queues with their longest waits (longest first), cabin counts by state, totals."""
    queues = []
    for code in engine.config.services:
        summary = service_summary(engine, code)
        since = summary["oldest_waiting_since"]
        longest = max(0.0, (now - since) / 60) if since is not None else 0.0
        summary["longest_wait_minutes"] = round(longest, 1)
        summary["over_target"] = since is not None and longest > summary["target_wait_minutes"]
        queues.append(summary)
    queues.sort(key=lambda q: (-q["longest_wait_minutes"], q["code"]))
    states: dict[str, int] = {"open": 0, "paused": 0, "closed": 0}
    for cabin in engine.state.cabins.values():
        states[cabin.state] = states.get(cabin.state, 0) + 1
    return {
        "queues": queues,
        "cabin_states": states,
        "waiting_total": sum(q["waiting"] for q in queues),
        "over_target": sum(1 for q in queues if q["over_target"]),
    }
