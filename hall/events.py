"""Every event of the hall, each a typed record (the way h11 declares each event as a class).

Theory of operation
-------------------
An `Event` is the envelope the journal keeps: the hall's sequence number, the instant, who
asked (`actor`) and a `payload`. The payload is one of the frozen dataclasses below; its class
says what happened and its fields say the facts. The engine, the components, the statistics
projection, the screens, the announcer and the devices dispatch on the payload's class and read
its attributes — nobody guesses at dictionary keys.

The journal stores a payload as its `TYPE` name and a JSON object of its fields; `encode` and
`decode` are the only code that crosses between the two, so the words on disk (the names and
keys the first release wrote) stay stable while the Python side is typed. A field whose Python
name is not its journal key (a keyword, like `from`) says so in `WIRE_NAMES`.

Citizens' personal data (a dossier's citizen name and phone, the phone of a web or appointment
ticket, a booking's phone and name) is not kept in the journal's JSON:
a payload names those fields in `PERSONAL` and the journal keeps them in the `personal_data`
table under the payload's `personal_ref` (hall/personal.py), so retention can delete them and a
replay after that gives the payload with those fields empty (`journal_text`, `decode`). Journal
rows of the first release, with the fields inline, still decode.

Each payload also declares what it touches: `cabins` (the cabins whose state it changes), the
ticket it is about (`ticket_id`), the service it names (`named_service`) and whether it changes the
whole hall (`WHOLE_HALL`, the day events) or every cabin's capacity (`CAPACITY`). Screens and
devices refresh exactly those.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from .estimate import Estimate


# personal_ref prefixes of the `contact` kind (hall/personal.py): a ticket's phone, a booking's phone and name
CONTACT_TICKET = "contact:ticket:"
CONTACT_BOOKING = "contact:booking:"


class Payload:
    """Base of every event payload; subclasses are frozen dataclasses with a journal `TYPE`."""

    __slots__ = ()

    TYPE: ClassVar[str] = ""
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ()  # fields naming the cabins this event changes
    WHOLE_HALL: ClassVar[bool] = False  # the day opened or closed: every view changes
    CAPACITY: ClassVar[bool] = False  # a cabin opened, closed, paused or resumed: every estimate changes
    WIRE_NAMES: ClassVar[Mapping[str, str]] = {}  # python field name -> journal key, where they differ
    PERSONAL: ClassVar[tuple[str, ...]] = ()  # citizens' personal data: kept outside the journal's JSON
    KEYS: ClassVar[tuple[str, ...]] = ()  # a citizen's key besides a ticket's id (a booking's code): the floor's only

    @property
    def personal_ref(self) -> str | None:
        """The key of this payload's personal data in the personal_data table ("kind:id")."""
        return None

    @property
    def cabins(self) -> tuple[int, ...]:
        return tuple(c for c in (getattr(self, name) for name in self.CABIN_FIELDS) if c is not None)

    @property
    def ticket_id(self) -> str | None:
        """The id of the ticket this event is about, if any."""
        return None

    @property
    def named_service(self) -> str | None:
        """The service the event names in its own fields (a ticket's service is on the ticket)."""
        return getattr(self, "service", None)


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
    """One durable fact. `seq` is per hall and gap-free; `at` is seconds since the epoch."""

    seq: int
    at: float
    payload: P
    actor: str | None = None

    @property
    def type(self) -> str:
        return self.payload.TYPE


class _TicketEvent(Payload):
    """Events about one ticket, whose id is the journal's `id` key."""

    __slots__ = ()

    @property
    def ticket_id(self) -> str | None:
        return self.id  # type: ignore[attr-defined]


# ---- the day ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayOpened(Payload):
    TYPE: ClassVar[str] = "day_opened"
    WHOLE_HALL: ClassVar[bool] = True
    day: str  # ISO date in the hall's time zone


@dataclass(frozen=True, slots=True)
class DayClosed(Payload):
    TYPE: ClassVar[str] = "day_closed"
    WHOLE_HALL: ClassVar[bool] = True
    day: str


# ---- tickets ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketIssued(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_issued"
    PERSONAL: ClassVar[tuple[str, ...]] = ("phone",)
    id: str
    number: str
    seq: int  # the service's daily sequence the number was made from
    service: str
    priority: str | None
    channel: str
    day: str
    request: str | None  # idempotency key
    appointment_at: float | None
    ahead: int  # what the citizen was told
    estimate: Estimate
    phone: str | None = None  # a web or appointment ticket's mobile number, for its notifications

    @property
    def personal_ref(self) -> str | None:
        return f"{CONTACT_TICKET}{self.id}"


@dataclass(frozen=True, slots=True)
class TicketCalled(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_called"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    number: str
    cabin: int
    officer: str | None
    specific: bool  # called by number rather than by "next"


@dataclass(frozen=True, slots=True)
class TicketRecalled(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_recalled"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    number: str
    cabin: int
    recalls: int


@dataclass(frozen=True, slots=True)
class TicketStarted(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_started"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    cabin: int


@dataclass(frozen=True, slots=True)
class TicketFinished(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_finished"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    cabin: int
    officer: str | None
    service: str


@dataclass(frozen=True, slots=True)
class TicketNoShow(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_no_show"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    cabin: int


@dataclass(frozen=True, slots=True)
class TicketTransferred(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_transferred"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("from_cabin", "to_cabin")
    id: str
    from_cabin: int
    service: str  # the queue it joins (its own when sent to a cabin)
    to_cabin: int | None


@dataclass(frozen=True, slots=True)
class TicketCancelled(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_cancelled"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    id: str
    cabin: int | None  # the cabin that had called it, if any


@dataclass(frozen=True, slots=True)
class TicketRejoined(_TicketEvent):
    TYPE: ClassVar[str] = "ticket_rejoined"
    id: str


# ---- cabins -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CabinOpened(Payload):
    TYPE: ClassVar[str] = "cabin_opened"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    CAPACITY: ClassVar[bool] = True
    cabin: int
    officer: str


@dataclass(frozen=True, slots=True)
class CabinAssigned(Payload):
    """The floor manager seated another officer at a (closed) cabin."""

    TYPE: ClassVar[str] = "cabin_assigned"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    cabin: int
    officer: str
    previous: str | None


@dataclass(frozen=True, slots=True)
class CabinClosed(Payload):
    TYPE: ClassVar[str] = "cabin_closed"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    CAPACITY: ClassVar[bool] = True
    cabin: int
    officer: str | None


@dataclass(frozen=True, slots=True)
class CabinPaused(Payload):
    TYPE: ClassVar[str] = "cabin_paused"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    CAPACITY: ClassVar[bool] = True
    cabin: int
    reason: str
    officer: str | None


@dataclass(frozen=True, slots=True)
class CabinResumed(Payload):
    TYPE: ClassVar[str] = "cabin_resumed"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    CAPACITY: ClassVar[bool] = True
    cabin: int
    officer: str | None


# ---- ratings ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingRecorded(Payload):
    TYPE: ClassVar[str] = "rating_recorded"
    CABIN_FIELDS: ClassVar[tuple[str, ...]] = ("cabin",)
    ticket: str
    number: str
    cabin: int
    officer: str | None  # who served the visit, taken from the ticket
    service: str
    department: str | None
    levels: dict[str, str] = field(hash=False)  # criterion -> level

    @property
    def ticket_id(self) -> str | None:
        return self.ticket


# ---- dossiers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DossierReceived(Payload):
    """A dossier received during a visit; the due date is fixed here, once (hall/dossiers.py)."""

    TYPE: ClassVar[str] = "dossier_received"
    PERSONAL: ClassVar[tuple[str, ...]] = ("citizen_name", "citizen_phone")
    code: str
    procedure: str
    procedure_name: str
    department: str
    limit_days: int | None
    limit_hours: int | None
    valid_from: str | None  # the procedure version in force at receipt
    due: str  # ISO date
    due_at: str | None  # ISO local time when the limit is in hours
    received_on: str
    ticket: str
    number: str
    service: str
    cabin: int
    officer: str | None
    citizen_name: str | None
    citizen_phone: str | None

    @property
    def personal_ref(self) -> str | None:
        return f"dossier:{self.code}"


@dataclass(frozen=True, slots=True)
class DossierStatusChanged(Payload):
    TYPE: ClassVar[str] = "dossier_status_changed"
    WIRE_NAMES: ClassVar[Mapping[str, str]] = {"previous": "from"}
    code: str
    previous: str
    status: str
    reason: str | None
    department: str


@dataclass(frozen=True, slots=True)
class DossierReturned(Payload):
    TYPE: ClassVar[str] = "dossier_returned"
    code: str
    department: str
    procedure: str
    due: str
    returned_on: str
    outcome: str  # early | on_time | late
    ticket: str
    number: str
    cabin: int
    officer: str | None


@dataclass(frozen=True, slots=True)
class DossierApologyIssued(Payload):
    TYPE: ClassVar[str] = "dossier_apology_issued"
    code: str
    department: str
    due: str
    new_due: str
    reason: str


# ---- appointments (hall/appointments.py) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppointmentBooked(Payload):
    """A slot booked ahead: the code is the citizen's key (typed or scanned at check-in)."""

    TYPE: ClassVar[str] = "appointment_booked"
    KEYS: ClassVar[tuple[str, ...]] = ("code",)
    PERSONAL: ClassVar[tuple[str, ...]] = ("phone", "name")
    code: str
    service: str
    day: str  # ISO date of the slot
    start: str  # HH:MM, hall-local
    end: str
    phone: str | None  # personal data: None once retention deleted it
    name: str | None

    @property
    def personal_ref(self) -> str | None:
        return f"{CONTACT_BOOKING}{self.code}"


@dataclass(frozen=True, slots=True)
class AppointmentCancelled(Payload):
    TYPE: ClassVar[str] = "appointment_cancelled"
    KEYS: ClassVar[tuple[str, ...]] = ("code",)
    code: str
    service: str
    day: str


@dataclass(frozen=True, slots=True)
class AppointmentCheckedIn(Payload):
    """The citizen came: the ticket issued with it (same batch) is dispatched as an appointment."""

    TYPE: ClassVar[str] = "appointment_checked_in"
    KEYS: ClassVar[tuple[str, ...]] = ("code",)
    code: str
    ticket: str
    service: str
    day: str

    @property
    def ticket_id(self) -> str | None:
        return self.ticket


@dataclass(frozen=True, slots=True)
class AppointmentMissed(Payload):
    """Nobody checked in before the slot's window closed: a no-show in the statistics."""

    TYPE: ClassVar[str] = "appointment_missed"
    code: str
    service: str
    day: str
    start: str


# ---- the codec --------------------------------------------------------------------------------

PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    DayOpened, DayClosed,
    TicketIssued, TicketCalled, TicketRecalled, TicketStarted, TicketFinished, TicketNoShow,
    TicketTransferred, TicketCancelled, TicketRejoined,
    CabinOpened, CabinAssigned, CabinClosed, CabinPaused, CabinResumed,
    RatingRecorded,
    DossierReceived, DossierStatusChanged, DossierReturned, DossierApologyIssued,
    AppointmentBooked, AppointmentCancelled, AppointmentCheckedIn, AppointmentMissed,
)
BY_TYPE: dict[str, type[Payload]] = {cls.TYPE: cls for cls in PAYLOAD_TYPES}


class UnknownEvent(ValueError):
    """A journal row whose type or fields this release does not know."""


_ENCODE_FIELDS: dict[type[Payload], tuple[tuple[str, str], ...]] = {
    cls: tuple((f.name, cls.WIRE_NAMES.get(f.name, f.name)) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    for cls in PAYLOAD_TYPES
}
_DECODE_NAMES: dict[type[Payload], dict[str, str]] = {
    cls: {wire: name for name, wire in fields} for cls, fields in _ENCODE_FIELDS.items()
}
# Fields that are records of their own on the Python side: (to the journal, from the journal).
_RECORD_FIELDS: dict[type[Payload], dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]] = {
    TicketIssued: {"estimate": (Estimate.as_dict, lambda d: Estimate(d["minutes"], d["low"], d["high"]))},
}
# Most payloads are plain: their journal object is their fields, so replay builds them directly.
_PLAIN = frozenset(cls for cls in PAYLOAD_TYPES if not cls.WIRE_NAMES and cls not in _RECORD_FIELDS)


def to_wire(payload: Payload) -> dict[str, Any]:
    """The payload as the JSON object the journal keeps (and the audit trail shows)."""
    cls = type(payload)
    data = {wire: getattr(payload, name) for name, wire in _ENCODE_FIELDS[cls]}
    for name, (out, _) in _RECORD_FIELDS.get(cls, {}).items():
        if data[name] is not None:
            data[name] = out(data[name])
    return data


def from_wire(type_name: str, data: Mapping[str, Any]) -> Payload:
    """The payload of a journal row; `UnknownEvent` names what this release cannot read."""
    cls = BY_TYPE.get(type_name)
    if cls is None:
        raise UnknownEvent(f"unknown event type {type_name!r}")
    if cls not in _PLAIN:
        names = _DECODE_NAMES[cls]
        unknown = [key for key in data if key not in names]
        if unknown:
            raise UnknownEvent(f"{type_name}: unknown field {unknown[0]!r}")
        data = {names[key]: value for key, value in data.items()}
        for name, (_, back) in _RECORD_FIELDS.get(cls, {}).items():
            if data.get(name) is not None:
                data[name] = back(data[name])
    try:
        return cls(**data)
    except TypeError as exc:
        raise UnknownEvent(f"{type_name}: {exc}") from None


def encode(payload: Payload) -> str:
    """The journal's JSON text of a payload."""
    return json.dumps(to_wire(payload), ensure_ascii=False, separators=(",", ":"))


def journal_text(payload: Payload) -> tuple[str, dict[str, Any] | None]:
    """The journal's JSON text of a payload without its personal fields, and those fields (None
    when the payload has none or they are all empty)."""
    data = to_wire(payload)
    personal = {name: data.pop(name) for name in payload.PERSONAL}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text, personal if any(value is not None for value in personal.values()) else None


def decode(type_name: str, text: str, personal: Mapping[str, Any] | None = None) -> Payload:
    """A journal row's payload; personal fields not in its JSON come from `personal` (the
    personal_data row), or are empty once retention has deleted it."""
    data = json.loads(text)
    cls = BY_TYPE.get(type_name)
    if cls is not None and cls.PERSONAL:
        for name in cls.PERSONAL:
            if name not in data:
                data[name] = personal.get(name) if personal else None
    return from_wire(type_name, data)
