"""The application's own URL map, for tests that walk every route (access, public channels)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from api.app import create_app
from api.assembly import build_runtime
from api.auth import Signer
from api.routes import register_routes_per_hall
from hall.clock import SystemClock
from hall.config import load_hall

SAMPLE_VALUES = {"number": 1, "action": "open", "code": "HS-NONE", "printer": "printer-01", "name": "tickets",
                 "ticket_id": "nope", "kind": "hall", "key": "0" * 32, "hall": "x"}


def built_app(tmp_path: Path, *, per_hall: bool = False) -> Any:
    """The default hall's app on a store of its own (not served: for its URL map and test client)."""
    runtime = build_runtime(load_hall(), f"sqlite:///{tmp_path / 'h.db'}", SystemClock())
    app = create_app(runtime, Signer(b"test"))
    if per_hall:
        register_routes_per_hall(app)
    return app


def url_for(rule: Any, values: dict[str, Any] | None = None) -> str:
    """The rule's path with a sample value (or one of `values`) in each variable."""
    chosen = {**SAMPLE_VALUES, **(values or {})}
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: str(chosen[m.group(1)]), rule.rule)
