"""Who may use every route and socket: one table, enforced before every request and websocket.

Theory of operation
-------------------
`ACCESS` maps each endpoint (`blueprint.handler`, as in `app.url_map`) to an `Access` entry.
`admit`, run before every request and websocket once the hall is chosen, reads the entry:

* no roles — anyone on the hall's network (DESIGN.md principle 8: public channels carry no
  personal data and no capability; holding a ticket id or a dossier code is the citizen's key);
* `roles` — a signed-in user (`Authorization: Bearer …`, 401 without it) whose role is listed
  (403 with the entry's `refusal` otherwise);
* `own_cabin` — also the cabin in the URL (`number`) must exist (404) and be one the user may
  act on (403): `hall.cabin_actions.may_act_on_cabin`, the rule keypads follow too;
* `devices` — a hardware device of those kinds; the device proves who it is in-band, with its
  `hello` frame (token), and may send only its kind's frames (`devices.protocol.PERMISSIONS`).

Some rules depend on the data a request names, not only on the route; the handlers apply them
with the helpers below (`require`, `may_see_dossier`, `may_change_dossier`), and the entry's
`note` says so. An endpoint without an entry is refused (deny by default), and
tests/test_access.py fails on any endpoint of `app.url_map` missing from the table.

Roles (hall/config.py ROLES): officer, manager (the floor manager), admin, and two read-only
ones — inspector (audit trail, statistics, reports) and leader (dashboard data, statistics,
reports). A read-only role is in no entry that changes the hall. To add a role: name it below,
add it to the `roles` of the entries it may use; nothing else changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from quart import g
from quart_trio import QuartTrio

from devices.protocol import KINDS
from hall.cabin_actions import may_act_on_cabin
from hall.config import Device, HallConfig, User
from hall.credentials import fingerprint, verify_token
from hall.dossiers import Dossier

from .auth import Claims
from .context import HallContext, automatic_options, current_hall, incoming
from .errors import ApiError

OFFICER, MANAGER, ADMIN = "officer", "manager", "admin"
INSPECTOR, LEADER = "inspector", "leader"  # read-only: the inspectorate (thanh tra), the hall's leaders
STAFF = frozenset({OFFICER, MANAGER, ADMIN})  # who serves the hall: may change its state
FLOOR = frozenset({MANAGER, ADMIN})  # the floor manager and the administrator
READ_ONLY = frozenset({INSPECTOR, LEADER})
SIGNED_IN_ANY = STAFF | READ_ONLY  # every role
ROLES = tuple(sorted(SIGNED_IN_ANY))


@dataclass(frozen=True)
class Access:
    roles: frozenset[str] = frozenset()  # empty: public
    own_cabin: bool = False
    devices: tuple[str, ...] = ()
    refusal: str = "not allowed"
    note: str = ""
    # A public route whose handler also looks at these credentials (api/openapi.py lists them):
    # "bearer" (a signed-in user), "device" (a kiosk's `Authorization: Device ID TOKEN`).
    optional_credentials: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        return not self.roles and not self.devices


PUBLIC = Access()
SIGNED_IN = Access(STAFF)
OWN_CABIN = Access(STAFF, own_cabin=True)
DEVICE = Access(devices=KINDS)
DOSSIER_STAFF = Access(STAFF, note="and the dossier's agency, its receiving cabin or the floor (may_see_dossier)")
DOSSIER_AGENCY = Access(STAFF, note="and the dossier's agency or the floor (may_change_dossier)")
MANAGERS_STATS = Access(FLOOR | READ_ONLY, refusal="statistics by officer, reports and exports are for the hall's managers, "
                                                   "inspectors and leaders")

ACCESS: dict[str, Access] = {
    # overview: what the hall is and whether it runs
    "overview.health": PUBLIC,
    "overview.services": PUBLIC,
    "overview.priorities": PUBLIC,
    "overview.openapi": PUBLIC,
    "overview.index": PUBLIC,
    # staff: signing in and the business day
    "staff.login": Access(note="limited: growing delays after failures per username and address (api/signin.py)"),
    "staff.logout": Access(SIGNED_IN_ANY),
    "staff.day": Access(FLOOR, refusal="only the floor manager opens or closes the day"),
    # tickets: the id is the citizen's secret (printed as the QR code)
    "tickets.issue": Access(note="web: anyone, limited per address, no priority; kiosk: a kiosk device's token; "
                                 "other channels: signed-in staff (checked in the handler: it depends on the body)",
                           optional_credentials=("bearer", "device")),
    "tickets.one": PUBLIC,
    "tickets.qr_code": PUBLIC,
    "tickets.cancel": Access(optional_credentials=("bearer",)),  # staff cancel any ticket; the citizen holds its id
    "tickets.rejoin": Access(STAFF, note="an officer only for tickets their cabin serves (checked in the handler)"),
    # appointments: the booking code is the citizen's secret (the confirmation's QR code);
    # cancelling also needs the phone it was booked with
    "appointments.slots": PUBLIC,
    "appointments.booking_days": PUBLIC,
    "appointments.book": PUBLIC,
    "appointments.one": PUBLIC,
    "appointments.qr_code": PUBLIC,
    "appointments.cancel": PUBLIC,
    "appointments.check_in": Access(optional_credentials=("bearer",)),
    # cabins
    "cabins.listing": PUBLIC,
    "cabins.one": PUBLIC,
    "cabins.action": OWN_CABIN,
    # dossiers
    "dossiers.procedures": PUBLIC,
    "dossiers.due_date": PUBLIC,
    "dossiers.receive": Access(STAFF, own_cabin=True, note="an officer only procedures of the agencies their cabin serves (may_receive_procedure)"),
    "dossiers.give_back": OWN_CABIN,
    "dossiers.receipt": DOSSIER_STAFF,
    "dossiers.reprint": DOSSIER_STAFF,
    "dossiers.apology_letter": DOSSIER_STAFF,
    "dossiers.change_status": DOSSIER_AGENCY,
    "dossiers.apologise": DOSSIER_AGENCY,
    "dossiers.lookup": PUBLIC,
    "dossiers.page": PUBLIC,
    "dossiers.page_for_code": PUBLIC,
    # statistics: the board's figures are public, officers' results are evaluation data
    "statistics.today": PUBLIC,
    "statistics.hourly": PUBLIC,
    "statistics.tables": PUBLIC,
    "statistics.summary": MANAGERS_STATS,
    "statistics.report": MANAGERS_STATS,
    "statistics.export": MANAGERS_STATS,
    "statistics.export_xlsx": MANAGERS_STATS,
    # devices
    "devices.socket": DEVICE,
    "devices.listing": Access(SIGNED_IN_ANY, refusal="the devices listing is for the hall's staff"),
    "devices.reprint": Access(FLOOR, refusal="only the floor manager reprints tickets"),
    # screens: pages, their files and the display sockets
    "screens.page": PUBLIC,
    "screens.cabin_page": PUBLIC,
    "screens.track_page": PUBLIC,
    "screens.booking_page": PUBLIC,
    "screens.static_file": PUBLIC,
    "screens.messages_file": PUBLIC,
    "screens.voice_file": PUBLIC,
    "screens.announcements": PUBLIC,
    "screens.display_socket": PUBLIC,
    # notifications: the outbox (phones masked) is for the floor
    "notifications.listing": Access(FLOOR, refusal="the notifications outbox is for the floor manager"),
    # audit
    "audit.trail": Access(FLOOR | {INSPECTOR}, refusal="the audit trail is for the floor manager and inspectors"),
    # the province (api/routes/province.py): its halls are public, figures across them evaluation data
    "province.halls": PUBLIC,
    "province.stats": Access(FLOOR | READ_ONLY, refusal="province-wide statistics are for the managers, inspectors and leaders"),
    "province.report": Access(FLOOR | READ_ONLY, refusal="province-wide statistics are for the managers, inspectors and leaders"),
    # operations (api/metrics.py)
    "metrics.metrics": Access(note="open from the hall's own machine, otherwise an administrator's token "
                                   "(checked in the handler: it depends on where the request comes from)",
                              optional_credentials=("bearer",)),
}


@functools.cache
def entry_for(endpoint: str) -> Access | None:
    """The table's entry of an endpoint, also when registered again under a parent (`h.tickets.issue`)."""
    return ACCESS.get(".".join(endpoint.rsplit(".", 2)[-2:]))


def install_access(app: QuartTrio) -> None:
    """Check the table before every request and websocket (after the hall is chosen)."""
    app.before_request(admit)
    app.before_websocket(admit)


async def admit() -> None:
    """Refuse the request unless the table's entry for its endpoint lets this client in."""
    asked = incoming()
    if asked.url_rule is None or automatic_options(asked):
        return  # no route: dispatch answers 404 / 405; OPTIONS: Quart answers, no handler runs
    entry = entry_for(asked.endpoint)
    if entry is None:
        raise ApiError("forbidden", f"{asked.endpoint} has no entry in the access table")
    if entry.roles:
        user = require(entry.roles, entry.refusal)
        if entry.own_cabin:
            _check_cabin(user, (asked.view_args or {})["number"])


def current_user() -> User:
    """The signed-in user; 401 without a valid token."""
    user = optional_user()
    if user is None:
        raise ApiError("unauthorized", "sign in first: send Authorization: Bearer TOKEN from POST /api/v1/auth/login")
    return user


def optional_user() -> User | None:
    """The signed-in user (kept for the request), None when anonymous; 401 for a bad token.

    A token counts only for the hall that issued it and while the user's password hash is the
    one it was issued with (api/auth.py): a changed password signs the user out."""
    if "user" in g:
        return g.user
    hall = current_hall()
    header = incoming().headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    signed = token_user(hall, header[7:].strip())
    if signed is None:
        raise ApiError("unauthorized", "the token is invalid or expired; sign in again")
    g.user, g.claims = signed
    return g.user


def token_user(hall: HallContext, token: str) -> tuple[User, Claims] | None:
    """The user a token signs in now, with its claims: signed by this hall's key, unexpired, not
    signed out, for this hall, and issued with the user's current password hash."""
    claims = hall.signer.verify(token, hall.runtime.clock.now())
    if claims is None or claims.signature in hall.revocations:
        return None
    user = hall.config.users.get(claims.username)
    if user is None or claims.hall != hall.config.id or claims.fingerprint != fingerprint(user.password_hash):
        return None
    return user, claims


def current_claims() -> Claims:
    """The signed-in user's token claims (for signing out); 401 without a valid token."""
    current_user()
    return g.claims


def optional_device(kind: str) -> Device | None:
    """A hall device proving itself over HTTP with `Authorization: Device ID TOKEN` (a kiosk
    page taking tickets); None without that header, 401 when it does not verify."""
    header = incoming().headers.get("Authorization", "")
    if not header.startswith("Device "):
        return None
    device_id, _, token = header[7:].strip().partition(" ")
    device = current_hall().config.devices.get(device_id)
    if device is None or device.kind != kind or not verify_token(token.strip(), device.token_hash):
        raise ApiError("unauthorized", f"not a {kind} of this hall: check the device id and token")
    return device


def require(roles: frozenset[str], refusal: str) -> User:
    """The signed-in user if their role is one of `roles`; 401 / 403 otherwise."""
    user = current_user()
    if user.role not in roles:
        raise ApiError("forbidden", refusal)
    return user


def _check_cabin(user: User, number: int) -> None:
    hall = current_hall()
    if number not in hall.config.cabins:
        raise ApiError("unknown_cabin", f"no cabin {number}")
    if not may_act_on_cabin(user, number, hall.engine):
        raise ApiError("forbidden", f"{user.username} may not act on cabin {number}")


def may_see_dossier(user: User, dossier: Dossier) -> None:
    """Personal data (receipt, letter): the floor staff, the agency's officers, the receiving cabin."""
    if user.role in FLOOR or user.agency == dossier.department or user.cabin == dossier.cabin:
        return
    raise ApiError("forbidden", f"{user.username} does not work for {dossier.department}")


def may_receive_procedure(user: User, config: HallConfig, cabin: int, procedure: str) -> None:
    """An officer records dossiers of the agencies whose queues their cabin serves: their own
    (without an agency, the cabin's) and those it backs up in its profile (cabin 17 of SXD also
    receives STNMT's citizens). Any other agency's dossier would count in that agency's figures
    and put its citizen's name in the wrong hands. The floor corrects a visit at any cabin."""
    found = config.procedure(procedure)
    if user.role in FLOOR or found is None:  # an unknown procedure is the engine's refusal
        return
    served = {config.services[code].department for code in config.cabins[cabin].profile if code in config.services}
    agencies = served | {user.agency or config.cabins[cabin].department}
    if found.department not in agencies:
        raise ApiError("forbidden", f"{procedure} is a procedure of {found.department}; cabin {cabin} serves "
                                    f"{', '.join(sorted(agencies))} only")


def may_change_dossier(user: User, dossier: Dossier) -> None:
    if user.role in FLOOR or user.agency == dossier.department:
        return
    raise ApiError("forbidden", f"only {dossier.department} officers or the floor manager change dossier {dossier.code}")
