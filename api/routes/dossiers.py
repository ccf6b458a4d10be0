"""Dossiers: procedures and due dates, receiving and moving dossiers, receipts and apology
letters, and the public lookup (API and page).

A dossier's code ends with a random check part (hall/dossiers.py), so holding a code is what lets
someone look the dossier up: the next citizen's code cannot be guessed from one's own.

Officers record dossiers at their cabin during a visit, move them through their status, return
them at a return-of-results cabin by scanning the barcode, and print receipts and apology
letters. Anyone holding a dossier code (printed as the receipt's barcode and QR code) may look
it up: its status and dates only (`PUBLIC_LOOKUP_FIELDS`) — never the citizen's name or phone,
nor the agency and procedure. Who may do what: api/access.py.

Reads of finished dossiers come from the `stat_dossiers` read model in SQL, which is written in
the same transaction as the events, so a lookup right after an answer always sees it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from displays import documents
from hall import stats
from hall.dossier_view import officer_view, public_view
from hall.dossiers import (ApologiseDossier, ChangeDossierStatus, Dossier, DossierBook, ReceiveDossier, ReturnDossier, due_for,
                           new_check)
from hall.events import DossierReceived, DossierReturned

from ..access import current_user, may_change_dossier, may_receive_procedure, may_see_dossier
from ..answers import (Apologised, DossierLookup, DossierPrinted, DossierStanding, DueDate, Procedures,
                       ReceivedDossier)
from ..context import current_hall
from ..errors import ApiError, json_response
from ..openapi import document_file
from ..request_body import validate_body

bp = Blueprint("dossiers", __name__)
LONGEST_CODE = 40
# What anyone holding a code sees: where the dossier stands and its dates, nothing of whose it is
# or what it is about (the staff's answers below carry the agency and the procedure too).
PUBLIC_LOOKUP_FIELDS = ("code", "status", "received_at", "due", "new_due", "returned_on", "outcome", "overdue", "lookup_url")


@dataclass(frozen=True)
class Intake:
    procedure: str
    citizen_name: str | None = None
    citizen_phone: str | None = None
    printer: str | None = None  # else the cabin's own printer


@dataclass(frozen=True)
class DueQuery:
    procedure: str | None = None  # required: the procedure's code
    received: str | None = None  # an ISO time; now when absent


@dataclass(frozen=True)
class PrinterChoice:
    printer: str | None = None


@dataclass(frozen=True)
class StatusChange:
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class Handback:
    code: str


@dataclass(frozen=True)
class Apology:
    new_due: dt.date
    reason: str


# ---- procedures and due dates ----------------------------------------------------------------


@bp.get("/api/v1/procedures")
@document_response(Procedures)
async def procedures() -> Response:
    """The procedures in force today, with their time limits."""
    hall = current_hall()
    config = hall.config
    today = config.business_day(hall.runtime.clock.now())
    out = []
    for code in config.procedures:
        p = config.procedure(code, on=today)
        if p is None:
            continue
        item = {"code": p.code, "name": p.name, "department": p.department, "department_name": config.departments[p.department].name}
        item["limit_days" if p.limit_days is not None else "limit_hours"] = p.limit_days if p.limit_days is not None else p.limit_hours
        out.append(item)
    return json_response({"procedures": out})


@bp.get("/api/v1/calendar/due")
@validate_querystring(DueQuery)
@document_response(DueDate)
async def due_date(query_args: DueQuery) -> Response:
    """When a dossier of a procedure received at a time is due (working days, holidays)."""
    hall = current_hall()
    config = hall.config
    code = query_args.procedure
    if not code:
        raise ApiError("invalid", "give ?procedure=CODE (and optionally &received=ISO-TIME)")
    received = _received_arg(query_args.received) or config.local(hall.runtime.clock.now())
    try:
        facts = due_for(config, book().calendar, code, received)
    except ValueError as exc:
        raise ApiError("invalid", str(exc)) from None
    return json_response({
        "due": facts["due"].isoformat(),
        "due_at": facts["due_at"].isoformat() if facts["due_at"] else None,
        "procedure": facts["procedure"], "procedure_name": facts["procedure_name"],
        "department": facts["department"], "limit_days": facts["limit_days"], "limit_hours": facts["limit_hours"],
        "received": received.astimezone(config.tz).isoformat(timespec="minutes"),
    })


def _received_arg(raw: str | None) -> dt.datetime | None:
    """`?received=` as an aware time; a time without an offset is a wall-clock time in the hall."""
    if not raw:
        return None
    text = raw.replace("Z", "+00:00")
    if " " in text and "T" in text:  # an unencoded "+07:00" arrives as " 07:00"
        text = text.replace(" ", "+")
    try:
        received = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ApiError("invalid", f"received={raw!r} is not an ISO time like 2027-02-03T14:30+07:00") from None
    return received if received.tzinfo is not None else received.replace(tzinfo=current_hall().config.tz)


# ---- receiving and moving dossiers -------------------------------------------------------


@bp.post("/api/v1/cabins/<int:number>/dossiers")
@document_response(ReceivedDossier, 201)
@validate_body(Intake)
async def receive(number: int, data: Intake) -> Response:
    """Record a dossier received at the cabin and print its receipt."""
    hall, user = current_hall(), current_user()
    may_receive_procedure(user, hall.config, number, data.procedure)
    printer = hall.printing.printer_for(number, data.printer)  # a wrong printer refuses before anything is kept
    command = ReceiveDossier(number, data.procedure, data.citizen_name, data.citizen_phone, new_check(), actor=user.username)
    events = await hall.runtime.execute(command)
    code = next(e.payload.code for e in events if isinstance(e.payload, DossierReceived))
    dossier = book().open[code]
    printed = await hall.printing.receipt(printer, dossier)
    return json_response({**officer_view(hall.config, dossier), **printed.as_dict()}, 201)


@bp.get("/api/v1/dossiers/<code>/receipt")
@document_file("application/octet-stream", "the receipt as ESC/POS bytes")
async def receipt(code: str) -> Response:
    """An open dossier's receipt as printer bytes (staff of its agency or cabin)."""
    data = await current_hall().printing.receipt_bytes(open_dossier_for_staff(code))
    return Response(data, content_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{code}.escpos"'})


@bp.post("/api/v1/dossiers/<code>/print")
@document_response(DossierPrinted)
@validate_body(PrinterChoice, required=False)
async def reprint(code: str, data: PrinterChoice) -> Response:
    """Print an open dossier's receipt again."""
    hall = current_hall()
    dossier = open_dossier_for_staff(code)
    printed = await hall.printing.receipt(hall.printing.printer_for(current_user().cabin, data.printer), dossier)
    return json_response({"code": code, **printed.as_dict()})


@bp.post("/api/v1/dossiers/<code>/status")
@document_response(DossierStanding)
@validate_body(StatusChange)
async def change_status(code: str, data: StatusChange) -> Response:
    """Move a dossier to another status (its agency or the floor)."""
    hall, user = current_hall(), current_user()
    may_change_dossier(user, book().dossier(code))
    await hall.runtime.execute(ChangeDossierStatus(code, data.status, data.reason, actor=user.username))
    return json_response(await lookup_view(code))


@bp.post("/api/v1/cabins/<int:number>/returns")
@document_response(DossierStanding)
@validate_body(Handback)
async def give_back(number: int, data: Handback) -> Response:
    """Return a dossier's result at the cabin (the code scanned from its receipt)."""
    hall, user = current_hall(), current_user()
    code = data.code.strip()
    events = await hall.runtime.execute(ReturnDossier(number, code, actor=user.username))
    returned = next(e.payload for e in events if isinstance(e.payload, DossierReturned))
    return json_response({**await lookup_view(code), "outcome": returned.outcome})


@bp.post("/api/v1/dossiers/<code>/apology")
@document_response(Apologised)
@validate_body(Apology)
async def apologise(code: str, data: Apology) -> Response:
    """Set a new due date with the reason: the apology letter."""
    hall, user = current_hall(), current_user()
    dossier = book().dossier(code)
    may_change_dossier(user, dossier)
    await hall.runtime.execute(ApologiseDossier(code, data.new_due, data.reason, actor=user.username))
    return json_response({**officer_view(hall.config, dossier), "letter_url": f"/api/v1/dossiers/{code}/apology"})


@bp.get("/api/v1/dossiers/<code>/apology")
@document_file("text/html", "the apology letter, to print")
async def apology_letter(code: str) -> Response:
    """The apology letter of an overdue dossier, as a page to print."""
    hall, user = current_hall(), current_user()
    dossier = book().open.get(code)
    if dossier is None or dossier.new_due is None:
        raise ApiError("unknown_dossier", f"no apology letter for {code!r}")
    may_see_dossier(user, dossier)
    page = await hall.runtime.offload(documents.apology_letter, hall.config, dossier)
    return Response(page, content_type="text/html; charset=utf-8")


# ---- public lookup ---------------------------------------------------------------------------


@bp.get("/api/v1/dossiers/<code>")
@document_response(DossierLookup)
async def lookup(code: str) -> Response:
    """Where a dossier stands, for the holder of its code: status and dates only."""
    code = code.strip().upper()
    if not code or len(code) > LONGEST_CODE:
        raise ApiError("unknown_dossier", "no such dossier")
    view = await lookup_view(code, f"no dossier {code!r}")
    return json_response({key: view[key] for key in PUBLIC_LOOKUP_FIELDS})


@bp.get("/dossier")
@document_file("text/html", "the lookup page")
async def page() -> Response:
    """The dossier lookup page."""
    return _lookup_page()


@bp.get("/dossier/<code>")
@document_file("text/html", "the lookup page")
async def page_for_code(code: str) -> Response:
    """The dossier lookup page, for one code."""
    return _lookup_page()


def _lookup_page() -> Response:
    text = resources.files("displays").joinpath("pages", "dossier.html").read_text("utf-8")
    return Response(text, content_type="text/html; charset=utf-8")


# ---- helpers -----------------------------------------------------------------------------------


def book() -> DossierBook:
    return current_hall().engine.component(DossierBook)


def open_dossier_for_staff(code: str) -> Dossier:
    """An open dossier the signed-in officer may handle (receipts are reprinted while open)."""
    user = current_user()
    dossier = book().open.get(code)
    if dossier is None:
        raise ApiError("unknown_dossier", f"no open dossier {code!r} (a receipt is reprinted while the dossier is open)")
    may_see_dossier(user, dossier)
    return dossier


async def lookup_view(code: str, missing: str = "no such dossier") -> dict[str, Any]:
    """The public view of a dossier from the read model (it includes returned and finished ones)."""
    hall = current_hall()
    config = hall.config
    found = await hall.runtime.read(stats.dossier_public, config.id, config, code)
    if found is None:
        raise ApiError("unknown_dossier", missing)
    return public_view(config, found, config.business_day(hall.runtime.clock.now()))
