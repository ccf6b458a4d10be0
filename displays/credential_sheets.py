"""The printable credential sheets `hall init` leaves for the floor manager: one per cabin
(its officer's password, its keypad's and rating pad's tokens, the addresses to open) and one
for the hall (the manager, the administrator, kiosks and printers).

A Jinja2 template with autoescaping (`displays/templates/credential_sheet.html`): a name typed
in the hall file can never become markup. Pure: data in, HTML out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hall.config import HallConfig

DEVICE_NAMES = {"kiosk": "Ki-ốt lấy số", "printer": "Máy in phiếu", "rating": "Thiết bị đánh giá", "keypad": "Bàn phím gọi số"}

_templates = Environment(loader=PackageLoader("displays", "templates"), autoescape=select_autoescape(["html"]),
                         undefined=StrictUndefined)


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    secret: str
    role: str = ""


Secrets = Mapping[tuple[str, str], str]  # ("user" | "device", id) -> the plain password or token


def cabin_sheet(config: HallConfig, number: int, secrets: Secrets) -> str:
    """The sheet of one cabin: who signs in there and what its devices say in their hello."""
    cabin = config.cabins[number]
    users = [u for u in config.users.values() if u.cabin == number]
    devices = [d for d in config.devices.values() if d.cabin == number]
    links = [("Bàn làm việc cán bộ", f"{config.public_url}/officer"),
             ("Màn hình quầy", f"{config.public_url}/display/cabin/{number}")]
    return _render(config, f"Quầy số {number} – {config.departments[cabin.department].name}", users, devices, links, secrets)


def hall_sheet(config: HallConfig, secrets: Secrets) -> str:
    """The sheet of the hall: accounts and devices that belong to no cabin."""
    users = [u for u in config.users.values() if u.cabin is None]
    devices = [d for d in config.devices.values() if d.cabin is None]
    links = [("Màn hình sảnh", f"{config.public_url}/display/hall"), ("Ki-ốt cảm ứng", f"{config.public_url}/kiosk"),
             ("Bảng công khai", f"{config.public_url}/board"), ("Bảng điều hành", f"{config.public_url}/dashboard")]
    return _render(config, "Tài khoản và thiết bị chung của Trung tâm", users, devices, links, secrets)


def _render(config: HallConfig, title: str, users: list, devices: list, links: list[tuple[str, str]], secrets: Secrets) -> str:
    return _templates.get_template("credential_sheet.html").render(
        title=title, hall_name=config.name, links=links,
        users=[Line(u.username, u.name, secrets[("user", u.username)], u.role) for u in users if ("user", u.username) in secrets],
        devices=[Line(d.id, DEVICE_NAMES[d.kind], secrets[("device", d.id)]) for d in devices if ("device", d.id) in secrets],
    )
