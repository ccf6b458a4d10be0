"""HTML documents people print or read: the apology letter, the evaluation report, the index page,
the credential sheets `hall init` leaves for the floor manager.

Each is a Jinja2 template in `displays/templates/` rendered with autoescaping, so a name, a
reason or a procedure typed by someone can never become markup. Rendering is pure (data in,
text out); the routes run it through `HallRuntime.offload`, off the trio thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hall.config import HallConfig
from hall.dossiers import Dossier

from . import messages

def number(value: Any) -> str:
    """A figure as the reports print it: "–" when there is none, floats without trailing zeros."""
    return "–" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def day(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


_templates = Environment(
    loader=PackageLoader("displays", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing figure fails the test that renders it, never prints blank
)
_templates.filters.update(num=number, day=day)
_templates.globals["msg"] = messages.text  # the words of the message catalogue (Vietnamese)


@dataclass(frozen=True)
class Signer:
    name: str
    title: str | None


def apology_letter(config: HallConfig, d: Dossier) -> str:
    """The printable "phiếu xin lỗi và hẹn lại ngày trả kết quả" (an A4 page), signed with the
    name and title (`users[].title`) of the officer who issued the apology, not their username."""
    agency = config.departments.get(d.department)
    username = d.apologised_by or d.officer or ""  # the officer who wrote the letter (else who received the dossier)
    officer = config.users.get(username)
    signer = Signer(officer.name, officer.title) if officer else Signer(username, None)  # a user since removed
    return _templates.get_template("apology_letter.html").render(
        d=d, centre=config.name, agency=agency.name if agency else d.department, signer=signer,
        received=config.local(d.received_at), issued=config.local(d.apologised_at or d.received_at),
    )


def evaluation_report(report: dict[str, Any]) -> str:
    """A printable A4 page of `hall.reports.evaluation`: one table per section, a column per
    rating level of the hall file (`report["rating_levels"]`, level → name, in order)."""
    return _templates.get_template("evaluation_report.html").render(report=report)


def index_page(name: str, paths: Sequence[str]) -> str:
    return _templates.get_template("index.html").render(name=name, paths=paths)


# ---- credential sheets (`hall init`) ---------------------------------------------------------

DEVICE_NAMES = {"kiosk": "Ki-ốt lấy số", "printer": "Máy in phiếu", "rating": "Thiết bị đánh giá", "keypad": "Bàn phím gọi số"}
Secrets = Mapping[tuple[str, str], str]  # ("user" | "device", id) -> the plain password or token


@dataclass(frozen=True)
class SheetLine:
    id: str
    name: str
    secret: str
    role: str = ""


def cabin_sheet(config: HallConfig, number: int, secrets: Secrets) -> str:
    """One cabin's sheet: its officer's password, its keypad's and rating pad's tokens, its addresses."""
    cabin = config.cabins[number]
    users = [u for u in config.users.values() if u.cabin == number]
    devices = [d for d in config.devices.values() if d.cabin == number]
    links = [("Bàn làm việc cán bộ", f"{config.public_url}/officer"),
             ("Màn hình quầy", f"{config.public_url}/display/cabin/{number}")]
    return _sheet(config, f"Quầy số {number} – {config.departments[cabin.department].name}", users, devices, links, secrets)


def hall_sheet(config: HallConfig, secrets: Secrets) -> str:
    """The hall's sheet: accounts and devices that belong to no cabin (manager, admin, kiosks, printers)."""
    users = [u for u in config.users.values() if u.cabin is None]
    devices = [d for d in config.devices.values() if d.cabin is None]
    links = [("Màn hình sảnh", f"{config.public_url}/display/hall"), ("Ki-ốt cảm ứng", f"{config.public_url}/kiosk"),
             ("Bảng công khai", f"{config.public_url}/board"), ("Bảng điều hành", f"{config.public_url}/dashboard")]
    return _sheet(config, "Tài khoản và thiết bị chung của Trung tâm", users, devices, links, secrets)


def _sheet(config: HallConfig, title: str, users: list, devices: list, links: list[tuple[str, str]], secrets: Secrets) -> str:
    return _templates.get_template("credential_sheet.html").render(
        title=title, hall_name=config.name, links=links,
        users=[SheetLine(u.username, u.name, secrets[("user", u.username)], u.role) for u in users if ("user", u.username) in secrets],
        devices=[SheetLine(d.id, DEVICE_NAMES[d.kind], secrets[("device", d.id)]) for d in devices if ("device", d.id) in secrets],
    )
