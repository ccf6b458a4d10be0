"""HTTP routes of dossiers, procedures and due dates, and the public dossier lookup page.

Officers record dossiers at their cabin during a visit, move them through their status, return
them at a return-of-results cabin by scanning the barcode, and print receipts and apology
letters. Anyone holding a dossier code (printed as the receipt's barcode and QR code) may look
it up: agency, procedure, status and due date — never the citizen's name or phone.

Reads of finished dossiers come from the `stat_dossiers` read model in SQL, which is written in
the same transaction as the events, so a lookup right after an answer always sees it.
"""

from __future__ import annotations

import datetime as dt
import html
import inspect
import logging
from importlib import resources
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio

from devices.escpos_render import ReceiptPrint, render_receipt
from hall import stats
from hall.config import User
from hall.dossiers import (
    ApologiseDossier,
    ChangeDossierStatus,
    Dossier,
    DossierBook,
    ReceiveDossier,
    ReturnDossier,
    due_for,
)
from hall.events import DossierReceived, DossierReturned

from .context import cabin_user, current_user, field, json_body
from .errors import ApiError, json_response

log = logging.getLogger("hall.dossiers")


def register_dossiers(app: QuartTrio, hall: Any) -> None:
    runtime = hall.runtime
    component = runtime.engine.component(DossierBook)
    config = hall.config

    def staff(user: User, dossier: Dossier) -> None:
        """Personal data (receipt, letter): the floor staff, the agency's officers, the receiving cabin."""
        if user.role in ("manager", "admin") or user.agency == dossier.department or user.cabin == dossier.cabin:
            return
        raise ApiError("forbidden", f"{user.username} does not work for {dossier.department}")

    def may_change(user: User, dossier: Dossier) -> None:
        if user.role in ("manager", "admin") or user.agency == dossier.department:
            return
        raise ApiError("forbidden", f"only {dossier.department} officers or the floor manager change dossier {dossier.code}")

    def officer_view(d: Dossier) -> dict[str, Any]:
        return {
            **public_view(d.code, d.department, d.procedure, d.procedure_name, d.status, d.due.isoformat(),
                          d.new_due.isoformat() if d.new_due else None, d.limit_days, d.limit_hours, d.received_at),
            "citizen_name": d.citizen_name, "citizen_phone": d.citizen_phone,
            "ticket": d.ticket, "cabin": d.cabin, "officer": d.officer,
            "receipt_url": f"/api/v1/dossiers/{d.code}/receipt",
        }

    def public_view(code: str, department: str, procedure: str, name: str, status: str, due: str, new_due: str | None,
                    limit_days: int | None, limit_hours: int | None, received_at: float) -> dict[str, Any]:
        agency = config.departments.get(department)
        return {
            "code": code, "department": department, "department_name": agency.name if agency else department,
            "procedure": procedure, "procedure_name": name, "status": status,
            "received_at": config.local(received_at).isoformat(timespec="minutes"),
            "due": due, "new_due": new_due, "limit_days": limit_days, "limit_hours": limit_hours,
            "lookup_url": f"{config.public_url}/dossier/{code}",
        }

    def receipt_bytes(d: Dossier) -> bytes:
        agency = config.departments.get(d.department)
        return render_receipt(ReceiptPrint(
            centre=config.name, department=agency.name if agency else d.department,
            procedure_code=d.procedure, procedure_name=d.procedure_name, dossier_code=d.code,
            received_at=config.local(d.received_at), due_date=d.due,
            lookup_url=f"{config.public_url}/dossier/{d.code}", citizen_name=d.citizen_name,
        ))

    def printer_for(cabin: int | None, asked: str | None) -> str | None:
        if asked:
            if asked not in config.devices or config.devices[asked].kind != "printer":
                raise ApiError("invalid", f"no printer {asked!r}")
            return asked
        for device in config.devices.values():
            if device.kind == "printer" and cabin is not None and device.cabin == cabin:
                return device.id
        return None

    async def send_to_printer(printer: str | None, data: bytes) -> dict[str, Any]:
        """Print if the device registry is running; a failed print never loses the dossier."""
        registry = app.extensions.get("devices")
        if printer is None or registry is None or not hasattr(registry, "print"):
            return {"printer": printer, "printed": False, "print_error": None if printer else "no printer at this cabin"}
        try:
            result = registry.print(printer, data)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 - paper out, offline: the receipt can be reprinted
            log.warning("receipt to %s failed: %s", printer, exc)
            return {"printer": printer, "printed": False, "print_error": str(exc)}
        return {"printer": printer, "printed": result is not False, "print_error": None}

    # ---- procedures and due dates ----------------------------------------------------------

    @app.get("/api/v1/procedures")
    async def dossiers_procedures() -> Response:
        today = config.business_day(runtime.clock.now())
        out = []
        for code in config.procedures:
            p = config.procedure(code, on=today)
            if p is None:
                continue
            item = {"code": p.code, "name": p.name, "department": p.department,
                    "department_name": config.departments[p.department].name}
            item["limit_days" if p.limit_days is not None else "limit_hours"] = p.limit_days if p.limit_days is not None else p.limit_hours
            out.append(item)
        return json_response({"procedures": out})

    @app.get("/api/v1/calendar/due")
    async def dossiers_due_date() -> Response:
        code = request.args.get("procedure")
        if not code:
            raise ApiError("invalid", "give ?procedure=CODE (and optionally &received=ISO-TIME)")
        raw = request.args.get("received")
        if raw:
            text = raw.replace("Z", "+00:00")
            if " " in text and "T" in text:  # an unencoded "+07:00" arrives as " 07:00"
                text = text.replace(" ", "+")
            try:
                received = dt.datetime.fromisoformat(text)
            except ValueError:
                raise ApiError("invalid", f"received={raw!r} is not an ISO time like 2027-02-03T14:30+07:00") from None
            if received.tzinfo is None:
                received = received.replace(tzinfo=config.tz)  # a wall-clock time in the hall
        else:
            received = config.local(runtime.clock.now())
        try:
            facts = due_for(config, component.calendar, code, received)
        except ValueError as exc:
            raise ApiError("invalid", str(exc)) from None
        return json_response({
            "due": facts["due"].isoformat(),
            "due_at": facts["due_at"].isoformat() if facts["due_at"] else None,
            "procedure": facts["procedure"], "procedure_name": facts["procedure_name"],
            "department": facts["department"], "limit_days": facts["limit_days"], "limit_hours": facts["limit_hours"],
            "received": received.astimezone(config.tz).isoformat(timespec="minutes"),
        })

    # ---- receiving and moving dossiers ---------------------------------------------------

    @app.post("/api/v1/cabins/<int:number>/dossiers")
    async def dossiers_receive(number: int) -> Response:
        user = cabin_user(hall, number)
        body = await json_body()
        command = ReceiveDossier(
            number, field(body, "procedure", str), field(body, "citizen_name", str, required=False),
            field(body, "citizen_phone", str, required=False), actor=user.username,
        )
        events = await runtime.execute(command)
        code = next(e.payload.code for e in events if isinstance(e.payload, DossierReceived))
        dossier = component.open[code]
        answer = officer_view(dossier)
        answer.update(await send_to_printer(printer_for(number, field(body, "printer", str, required=False)), receipt_bytes(dossier)))
        return json_response(answer, 201)

    def open_dossier_for_staff(code: str) -> Dossier:
        """An open dossier the signed-in officer may handle (receipts are reprinted while open)."""
        user = current_user(hall)
        dossier = component.open.get(code)
        if dossier is None:
            raise ApiError("unknown_dossier", f"no open dossier {code!r} (a receipt is reprinted while the dossier is open)")
        staff(user, dossier)
        return dossier

    @app.get("/api/v1/dossiers/<code>/receipt")
    async def dossiers_receipt(code: str) -> Response:
        dossier = open_dossier_for_staff(code)
        return Response(receipt_bytes(dossier), content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{code}.escpos"'})

    @app.post("/api/v1/dossiers/<code>/print")
    async def dossiers_reprint(code: str) -> Response:
        dossier = open_dossier_for_staff(code)
        body = await json_body(required=False)
        printer = printer_for(current_user(hall).cabin, field(body, "printer", str, required=False))
        return json_response({"code": code, **await send_to_printer(printer, receipt_bytes(dossier))})

    @app.post("/api/v1/dossiers/<code>/status")
    async def dossiers_change_status(code: str) -> Response:
        user = current_user(hall)
        dossier = component.dossier(code)
        may_change(user, dossier)
        body = await json_body()
        await runtime.execute(ChangeDossierStatus(code, field(body, "status", str), field(body, "reason", str, required=False), actor=user.username))
        found = await runtime.read(stats.dossier_public, config.id, config, code)
        return json_response(_public(found))

    @app.post("/api/v1/cabins/<int:number>/returns")
    async def dossiers_give_back(number: int) -> Response:
        user = cabin_user(hall, number)
        body = await json_body()
        code = field(body, "code", str).strip()
        events = await runtime.execute(ReturnDossier(number, code, actor=user.username))
        returned = next(e.payload for e in events if isinstance(e.payload, DossierReturned))
        found = await runtime.read(stats.dossier_public, config.id, config, code)
        return json_response({**_public(found), "outcome": returned.outcome})

    @app.post("/api/v1/dossiers/<code>/apology")
    async def dossiers_apologise(code: str) -> Response:
        user = current_user(hall)
        dossier = component.dossier(code)
        may_change(user, dossier)
        body = await json_body()
        try:
            new_due = dt.date.fromisoformat(field(body, "new_due", str))
        except ValueError:
            raise ApiError("invalid", "new_due must be a date like 2027-03-15") from None
        await runtime.execute(ApologiseDossier(code, new_due, field(body, "reason", str), actor=user.username))
        return json_response({**officer_view(dossier), "letter_url": f"/api/v1/dossiers/{code}/apology"})

    @app.get("/api/v1/dossiers/<code>/apology")
    async def dossiers_apology_letter(code: str) -> Response:
        user = current_user(hall)
        dossier = component.open.get(code)
        if dossier is None or dossier.new_due is None:
            raise ApiError("unknown_dossier", f"no apology letter for {code!r}")
        staff(user, dossier)
        return Response(apology_html(config, dossier), content_type="text/html; charset=utf-8")

    # ---- public lookup ----------------------------------------------------------------------

    def _public(found: dict[str, Any] | None) -> dict[str, Any]:
        if found is None:
            raise ApiError("unknown_dossier", "no such dossier")
        view = public_view(found["code"], found["department"], found["procedure"], found["procedure_name"], found["status"],
                           found["due"], found["new_due"], found["limit_days"], found["limit_hours"], 0.0)
        view["received_at"] = found["received_at"]
        view["returned_on"] = found["returned_on"]
        view["outcome"] = found["outcome"]
        today = config.business_day(runtime.clock.now())
        view["overdue"] = found["returned_on"] is None and found["status"] not in ("refused",) and today > dt.date.fromisoformat(found["due"])
        return view

    @app.get("/api/v1/dossiers/<code>")
    async def dossiers_lookup(code: str) -> Response:
        code = code.strip().upper()
        if not code or len(code) > 40:
            raise ApiError("unknown_dossier", "no such dossier")
        found = await runtime.read(stats.dossier_public, config.id, config, code)
        if found is None:
            raise ApiError("unknown_dossier", f"no dossier {code!r}")
        return json_response(_public(found))

    async def page(code: str | None = None) -> Response:
        text = resources.files("displays").joinpath("pages", "dossier.html").read_text("utf-8")
        return Response(text, content_type="text/html; charset=utf-8")

    app.add_url_rule("/dossier", "dossier_page", page, methods=["GET"])
    app.add_url_rule("/dossier/<code>", "dossier_page_code", page, methods=["GET"])


def apology_html(config: Any, d: Dossier) -> str:
    """The printable "phiếu xin lỗi và hẹn lại ngày trả kết quả" (an A4 page)."""
    agency = config.departments.get(d.department)
    e = html.escape
    received = config.local(d.received_at)
    issued = config.local(d.apologised_at or d.received_at)
    return f"""<!doctype html><html lang="vi"><meta charset="utf-8"><title>Phiếu xin lỗi {e(d.code)}</title>
<style>body{{font:13pt/1.5 "DejaVu Serif",serif;max-width:18cm;margin:1.5cm auto}}h1{{font-size:15pt;text-align:center}}
.head{{display:flex;justify-content:space-between;text-align:center}}@media print{{button{{display:none}}}}</style>
<div class="head"><div>{e(config.name.upper())}<br><b>{e(agency.name if agency else d.department)}</b></div>
<div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>Độc lập - Tự do - Hạnh phúc</div></div>
<h1>PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ</h1>
<p>Kính gửi: {e(d.citizen_name or "Ông/Bà")}</p>
<p>Ngày {received:%d/%m/%Y}, {e(agency.name if agency else d.department)} tiếp nhận hồ sơ mã <b>{e(d.code)}</b>
của Ông/Bà, thủ tục <i>{e(d.procedure_name)}</i> ({e(d.procedure)}). Ngày hẹn trả kết quả là {d.due:%d/%m/%Y}.</p>
<p>Tuy nhiên đến nay hồ sơ chưa giải quyết xong, lý do: {e(d.apology_reason or "")}.</p>
<p>Chúng tôi thành thật xin lỗi Ông/Bà và hẹn trả kết quả vào ngày <b>{d.new_due:%d/%m/%Y}</b>.</p>
<p style="text-align:right">Ngày {issued:%d/%m/%Y}<br>Người lập phiếu: {e(d.officer or "")}</p>
<button onclick="print()">In phiếu</button></html>"""


__all__ = ["register_dossiers", "apology_html"]
