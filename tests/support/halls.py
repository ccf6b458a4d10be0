"""Hall files for tests: a small one to reason about by hand, and the default one with additions."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

from hall.config import HallConfig, parse_hall
from hall.credentials import pbkdf2_hash
from hall.engine import Engine

_DEMO_HASH = pbkdf2_hash("demo", iterations=1000, salt="fixed")


def small_hall(any_hour: bool = False, **rules: Any) -> HallConfig:
    """Two agencies, three queues, three cabins: small enough to reason about by hand."""
    data = {
        "hall": {"id": "test", "name": "Test hall", "timezone": "Asia/Ho_Chi_Minh", "accept_tickets_any_hour": any_hour},
        "rules": {"max_priority_in_row": 2, "recalls_before_no_show": 1, "no_show_rejoin_minutes": 30, **rules},
        "priorities": [{"code": "elderly", "name": "Người cao tuổi"}],
        "departments": [
            {"code": "TP", "name": "Sở Tư pháp", "kind": "provincial"},
            {"code": "CA", "name": "Công an tỉnh", "kind": "central"},
        ],
        "services": [
            {"code": "TP-TN", "department": "TP", "name": "Tiếp nhận", "prefix": "B", "mean_service_minutes": 10},
            {"code": "CA-TN", "department": "CA", "name": "Tiếp nhận", "prefix": "W", "mean_service_minutes": 10},
            {"code": "TKQ", "department": "TP", "name": "Trả kết quả", "prefix": "Z", "mean_service_minutes": 5},
        ],
        "cabins": [
            {"number": 1, "department": "TP", "profile": {"TP-TN": 1.0, "CA-TN": 0.25}},
            {"number": 2, "department": "CA", "profile": {"CA-TN": 1.0}},
            {"number": 3, "department": "CA", "profile": {"CA-TN": 1.0, "TKQ": 1.0}},
        ],
        "procedures": [
            {"code": "TP-01", "name": "Chứng thực bản sao", "department": "TP", "limit_days": 0},
            {"code": "CA-01", "name": "Cấp hộ chiếu phổ thông", "department": "CA", "limit_days": 8},
        ],
        "users": [
            {"username": f"canbo0{n}", "name": f"Cán bộ {n}", "role": "officer", "cabin": n, "password_hash": _DEMO_HASH}
            for n in (1, 2, 3)
        ] + [{"username": "quanly", "name": "Quản lý", "role": "manager", "password_hash": _DEMO_HASH}],
    }
    return parse_hall(data)


def hall_file_with(folder: Path, extra_toml: str) -> str:
    """The shipped default hall file with `extra_toml` appended, written into `folder`; its path."""
    text = resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")
    path = folder / "hall.toml"
    path.write_text(text + "\n" + extra_toml, "utf-8")
    return str(path)


def state_digest(engine: Engine) -> Any:
    """Everything the hall knows, its components' state included, as comparable plain data
    (for replay == live checks)."""
    parts = {
        type(component).__name__: {k: v for k, v in vars(component).items() if k not in ("engine", "config", "calendar")}
        for component in engine.components
    }
    return dataclasses.asdict(engine.state), parts
