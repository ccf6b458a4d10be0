"""What the routes answer, as records: /openapi.json shows them as the routes' response schemas
(quart-schema's `document_response`, beside each handler).

The views themselves are built as dictionaries by the functions each record names (hall/ticket_view.py,
displays/hall_view.py, hall/stats …); these records only describe them, with the JSON keys as they
are. Two tests hold them to the truth: tests/test_openapi.py converts real answers to them, and
tests/test_fuzz_routes.py has schemathesis check every answer it provokes against the document.

How a record says what an answer does:
* a field typed `X | None` is always present and may be null;
* a field typed `X | UnsetType = UNSET` is present in some answers only (a printer's fields in the
  devices listing);
* `dict[str, X]` is a map whose keys are data (answers per rating level, minutes per pause reason);
* a record does not forbid keys it does not name (JSON Schema's default), so a new key in a view is
  not a failure — a missing key, a wrong type or an unexpected null is.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from hall.lifecycle import CabinStatus, DossierStatus, PrintJobState, TicketState


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON answer (the base of every record here: fields by name, so records extend each other)."""


# ---- tickets, cabins, queues -------------------------------------------------------------------


class Estimate(Answer):
    """A wait estimate in minutes with its likely range (hall/estimate.py `Estimate.as_dict`)."""

    minutes: float
    low: float
    high: float


class PublicTicketView(Answer):
    """A ticket as anyone may see it: by its printed number (hall/ticket_view.py `public_ticket_view`)."""

    number: str  # printed number: the service's prefix and a daily sequence
    service: str
    service_name: str
    department: str
    department_name: str
    state: TicketState
    priority: str | None
    day: str
    issued_at: str
    ahead: int
    estimated_wait_minutes: int
    estimate: Estimate | None  # None once the ticket left the queue
    cabin: int | None
    recalls: int


class TicketView(PublicTicketView):
    """The whole ticket, for the holder of its id (hall/ticket_view.py `ticket_view`)."""

    id: str  # unguessable, printed as the ticket's QR code
    channel: str
    track_url: str
    near: int | None


class TicketBrief(Answer):
    """A cabin's current ticket, by its number (hall/ticket_view.py `ticket_brief`, without id)."""

    number: str
    service: str
    state: TicketState
    priority: str | None
    recalls: int


class CabinSummary(Answer):
    """A cabin's state (displays/hall_view.py `cabin_summary`)."""

    number: int
    state: CabinStatus
    pause_reason: str | None
    department: str
    department_name: str
    officer: str | None
    officer_name: str | None
    ticket: TicketBrief | None
    since: float  # epoch seconds: when the cabin entered its state


class Cabins(Answer):
    cabins: list[CabinSummary]


class CabinDetail(CabinSummary):
    """One cabin with the queue it serves (api/routes/cabins.py `one`): numbers, no ticket ids."""

    profile: dict[str, float]  # service code -> weight
    queue: list[PublicTicketView]


# A button press answers with the ticket it touched twice: its fields at the top level (call-next
# answers "with the ticket") and as `ticket`; with no ticket touched, only `cabin` is at the top.
CabinPress = msgspec.defstruct(
    "CabinPress",
    [*((field.name, field.type | UnsetType, UNSET) for field in msgspec.structs.fields(TicketView) if field.name != "cabin"),
     ("cabin", int | None), ("ticket", TicketView | None), ("cabin_state", CabinSummary)],
    bases=(Answer,), module=__name__, kw_only=True, frozen=True,
    namespace={"__doc__": "A button press at a cabin (api/routes/cabins.py `action_answer`): the touched ticket's "
                          "fields at the top level and as `ticket` (null when none), the cabin's new state."},
)


class BookingRules(Answer):
    slot_minutes: int
    days_ahead: int


class ServiceSummary(Answer):
    """A queue with its waiting count and wait estimate (displays/hall_view.py `service_summary`)."""

    code: str
    name: str
    department: str
    department_name: str
    prefix: str
    waiting: int
    estimated_wait_minutes: int
    estimate: Estimate
    target_wait_minutes: int
    oldest_waiting_since: float | None  # epoch seconds
    booking: BookingRules | None  # None: the service takes no bookings


class Services(Answer):
    services: list[ServiceSummary]


class Priority(Answer):
    code: str
    name: str


class Priorities(Answer):
    priorities: list[Priority]


class Health(Answer):
    """Whether the hall runs and this node's role (api/routes/overview.py `health`)."""

    status: Literal["ok", "failed"]
    role: Literal["owner", "standby"]
    node: str | None
    owner: str | None
    epoch: int | None
    hall: str
    name: str
    day: str | None
    seq: int
    durable_seq: int
    replayed_events: int
    failure: str | None


class OpenAPIDocument(Answer):
    """The OpenAPI 3.1 document itself (api/openapi.py)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, dict[str, Any]]
    components: dict[str, Any]
    websockets: list[str] = msgspec.field(name="x-websockets")


# ---- staff and the day -------------------------------------------------------------------------


class SignedInUser(Answer):
    username: str
    name: str
    role: str
    cabin: int | None


class SignedIn(Answer):
    """A bearer token and who it signs in."""

    token: str
    user: SignedInUser


class SignedOut(Answer):
    signed_out: bool


class DayState(Answer):
    day: str | None
    open: bool


# ---- appointments ------------------------------------------------------------------------------


class AppointmentView(Answer):
    """A booking, for the holder of its code (api/routes/appointments.py `appointment_view`)."""

    code: str  # the booking's key, shown as a QR code and typed at the kiosk
    service: str
    service_name: str
    department_name: str
    date: str
    start: str
    end: str
    state: Literal["booked", "cancelled", "checked_in", "missed"]
    phone: str  # masked: the last three digits ("" once retention deleted it)
    ticket: str | None
    check_in_url: str


class Slot(Answer):
    start: str
    end: str
    capacity: int
    free: int


class Slots(Answer):
    """A bookable service's slots of a day, with free places."""

    service: str
    date: str
    slots: list[Slot]


class BookingDay(Answer):
    date: str
    free: int


class BookingDays(Answer):
    service: str
    days: list[BookingDay]


# ---- dossiers (hall/dossier_view.py) -----------------------------------------------------------


class Procedure(Answer):
    """A procedure in force: its limit in days or in hours, never both keys."""

    code: str
    name: str
    department: str
    department_name: str
    limit_days: int | UnsetType = UNSET
    limit_hours: int | UnsetType = UNSET


class Procedures(Answer):
    procedures: list[Procedure]


class DueDate(Answer):
    due: str
    due_at: str | None  # a limit in hours runs out at a moment
    procedure: str
    procedure_name: str
    department: str
    limit_days: int | None
    limit_hours: int | None
    received: str


class DossierDates(Answer):
    code: str
    status: DossierStatus
    received_at: str
    due: str
    new_due: str | None  # set by an apology letter
    lookup_url: str


class DossierLookup(DossierDates):
    """What anyone holding a dossier's code sees: where it stands and its dates, nothing of whose it is."""

    returned_on: str | None
    outcome: Literal["early", "on_time", "late"] | None
    overdue: bool


class DossierFacts(DossierDates):
    department: str
    department_name: str
    procedure: str
    procedure_name: str
    limit_days: int | None
    limit_hours: int | None


class DossierStanding(DossierFacts):
    """A dossier for staff, from the read model (`public_view`): with returns and lateness."""

    returned_on: str | None
    outcome: Literal["early", "on_time", "late"] | None
    overdue: bool


class OfficerDossier(DossierFacts):
    """An open dossier for the officers handling it (`officer_view`): the citizen's name and phone too."""

    citizen_name: str | None
    citizen_phone: str | None
    ticket: str | None
    cabin: int | None
    officer: str | None
    receipt_url: str


class ReceivedDossier(OfficerDossier):
    """A dossier just recorded, with what happened to its receipt (a failed print keeps the dossier)."""

    printer: str | None
    printed: bool
    print_error: str | None


class DossierPrinted(Answer):
    code: str
    printer: str | None
    printed: bool
    print_error: str | None


class Apologised(OfficerDossier):
    letter_url: str


# ---- statistics (hall/stats, hall/reports.py, hall/province_report.py) -------------------------


class BoardCounts(Answer):
    """The figures the public board shows (hall/stats BOARD_FIELDS, ratings, satisfaction)."""

    tickets_issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    avg_wait_minutes: float | None
    within_target_pct: float | None
    dossiers_received: int
    returned_early: int
    returned_on_time: int
    returned_late: int
    overdue_pending: int
    ratings: dict[str, int]  # answers per rating level, in the hall file's order
    satisfaction_pct: float | None


class Figures(BoardCounts):
    """Every figure of a group over some days (hall/stats/figures.py `Tally.finish`); None: nothing to divide by."""

    paused_by_reason: dict[str, float]  # minutes per pause reason
    waits: int
    median_wait_minutes: float | None
    p90_wait_minutes: float | None
    max_wait_minutes: float | None
    avg_service_minutes: float | None
    open_minutes: float
    busy_minutes: float
    idle_minutes: float
    paused_minutes: float
    dossiers_returned: int
    returned_in_time_pct: float | None


class BoardFigures(BoardCounts):
    code: str | None  # the agency; None for the whole hall
    name: str


class BoardAgency(BoardFigures):
    rank: int | None  # None: nothing to rank today


class DayBoard(Answer):
    """The public board's figures of a day, frozen once the day closed (hall/stats `day_board`)."""

    day: str
    frozen: bool
    agencies: list[BoardAgency]
    hall: BoardFigures | None


class HourFigures(Answer):
    hour: int
    arrivals: int
    served: int
    avg_wait_minutes: float | None


class Hourly(Answer):
    day: str
    hours: list[HourFigures]


class FigureRow(Figures):
    key: str | int | None  # the agency, service, officer (strings), cabin (a number), or None for the hall


class Summary(Answer):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    by: str
    rows: list[FigureRow]


class LevelShare(Answer):
    count: int
    pct: float | None


class Rated(Figures):
    satisfaction: dict[str, LevelShare]  # per rating level


class AgencyEvaluation(Rated):
    code: str
    name: str
    kind: str
    score: float | None
    rank: int


class OfficerEvaluation(Rated):
    username: str
    name: str
    agency: str | None
    cabin: int | None
    score: float | None


class Evaluation(Answer):
    """The evaluation report of a period (hall/reports.py `evaluation`)."""

    period: str
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    hall_name: str
    rating_levels: dict[str, str]  # level -> its name
    hall: Rated | None  # None: nothing happened in the period
    agencies: list[AgencyEvaluation]
    officers: list[OfficerEvaluation]


class ExportTable(Answer):
    name: str
    csv: str
    xlsx: str


class ExportTables(Answer):
    tables: list[ExportTable]


class ProvinceHall(Answer):
    id: str
    name: str
    path: str
    public_url: str


class ProvinceHalls(Answer):
    name: str
    halls: list[ProvinceHall]


class Ranked(Figures):
    score: float | None
    rank: int


class HallRanked(Ranked):
    hall: str
    name: str


class AgencyRanked(Ranked):
    hall: str
    hall_name: str
    code: str
    name: str
    kind: str | None


class ProvinceTotals(Answer):
    """Counts summed over the province's halls (hall/province_report.py COUNTS)."""

    tickets_issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    dossiers_received: int
    dossiers_returned: int
    overdue_pending: int


class ProvinceFigures(Answer):
    """Halls and agencies ranked across the province (hall/province_report.py `province_figures`)."""

    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    totals: ProvinceTotals
    halls: list[HallRanked]
    agencies: list[AgencyRanked]


class HallReport(Evaluation):
    hall_id: str


class ProvinceEvaluation(ProvinceFigures):
    period: str
    hall_reports: list[HallReport]


# ---- devices, the announcer, the audit trail, notifications ------------------------------------


class PrintJobView(Answer):
    """A print job (devices/registry.py `PrintJob.as_dict`); `ticket` is an id: staff only."""

    id: str
    printer: str
    state: PrintJobState
    reason: str | None
    label: str | None
    ticket: str | None
    reprint_of: str | None
    created_at: float
    finished_at: float | None
    bytes: int


class DeviceEntry(Answer):
    """A device of the hall file (devices/registry.py `DeviceRegistry.listing`); printers have more."""

    id: str
    kind: str
    cabin: int | None
    status: Literal["online", "offline"]
    online: bool
    connected: bool
    last_seen: str | None
    last_seen_at: float | None
    faults: list[str]
    printer: str | UnsetType = UNSET  # a kiosk's own printer
    carried_by: str | None | UnsetType = UNSET  # printers only, from here on
    address: str | None | UnsetType = UNSET
    paper: Literal["unknown", "ok", "near_end", "out"] | UnsetType = UNSET
    cover_open: bool | UnsetType = UNSET
    printer_online: bool | None | UnsetType = UNSET
    jobs_printed: int | UnsetType = UNSET
    jobs_failed: int | UnsetType = UNSET
    last_job: PrintJobView | None | UnsetType = UNSET


class Devices(Answer):
    devices: list[DeviceEntry]
    at: float  # the server's clock, epoch seconds


class AnnouncementBrief(Answer):
    id: int
    number: str
    cabin: int
    recall: bool
    text: str


class Announced(AnnouncementBrief):
    outcome: Literal["played", "timed_out"]


class AnnounceFrame(AnnouncementBrief):
    t: Literal["announce"]
    audio: str | None  # None: no voice on this server


class AnnouncerStatus(Answer):
    """What the announcer says and what waits (api/announcer.py `Announcer.status`)."""

    playing: AnnouncementBrief | None
    pending: list[AnnouncementBrief]
    history: list[Announced]
    sent: list[AnnounceFrame]
    listeners: int
    unheard: int
    voice_error: str | None


class AuditEvent(Answer):
    seq: int
    at: str
    type: str
    actor: str | None
    data: dict[str, Any]  # the event's fields (hall/events.py), without personal ones


class AuditTrail(Answer):
    day: str
    events: list[AuditEvent]


class Notification(Answer):
    delivery: str
    sink: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    number: str | None
    service: str | None
    cabin: int | None
    phone: str  # masked: the last three digits, "" without a phone
    last_error: str | None
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None


class Notifications(Answer):
    counts: dict[str, int]  # per status
    notifications: list[Notification]
