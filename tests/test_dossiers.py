"""Dossiers through the real server: receipt and due date, status, return at TKQ, lookup."""

from __future__ import annotations

import re

import pytest

from hall.dossiers import DossierBook
from support.clock import ManualClock, local
from support.halls import hall_file_with
from support.servers import login, served_hall
from support.devices import KIOSK


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(local("2027-03-01 07:00"))


async def visit(http, auth, cabin: int, service: str) -> dict:
    """A citizen takes a ticket and the cabin calls it (the cabin is opened if needed)."""
    ticket = (await http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK)).json()
    await http.post(f"/api/v1/cabins/{cabin}/open", headers=auth)
    called = await http.post(f"/api/v1/cabins/{cabin}/call", headers=auth, json={"ticket": ticket["id"]})
    assert called.status_code == 200, called.text
    return ticket


async def receive(http, auth, cabin: int, procedure: str, **extra) -> dict:
    answer = await http.post(f"/api/v1/cabins/{cabin}/dossiers", headers=auth, json={"procedure": procedure, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def make_ready(http, auth, code: str) -> None:
    for status in ("processing", "ready"):
        moved = await http.post(f"/api/v1/dossiers/{code}/status", headers=auth, json={"status": status})
        assert moved.status_code == 200, moved.text


async def return_at_tkq(http, auth, cabin: int, code: str) -> dict:
    auth = await login(http, f"canbo{cabin:02d}")  # the clock moved: a fresh sign-in
    await http.post(f"/api/v1/cabins/{cabin}/finish", headers=auth)
    await visit(http, auth, cabin, "TKQ")
    answer = await http.post(f"/api/v1/cabins/{cabin}/returns", headers=auth, json={"code": code})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_received_dossier_gets_a_code_a_due_date_and_a_receipt(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        clock.set("2027-03-01 08:00")
        await visit(http, auth, 33, "CA-TN")
        dossier = await receive(http, auth, 33, "CA-HC", citizen_name="Nguyễn Văn An", citizen_phone="0905 123 456")
        assert re.fullmatch(r"CA-270301-0001-[A-HJ-NP-Z2-9]{6}", dossier["code"])  # counter, then a random check part
        assert dossier["due"] == "2027-03-11"  # 8 working days counted from Tuesday 2 March
        assert dossier["citizen_name"] == "Nguyễn Văn An"
        assert dossier["printed"] is False and dossier["print_error"] == "no printer at this cabin"
        receipt = await http.get(dossier["receipt_url"], headers=auth)
        assert receipt.status_code == 200
        assert receipt.content.startswith(b"\x1b@")
        assert b"\x1dk" in receipt.content and b"{B" + dossier["code"].encode() in receipt.content  # native CODE128
        second = await receive(http, auth, 33, "CA-HC")
        assert second["code"].startswith("CA-270301-0002-") and second["code"][-6:] != dossier["code"][-6:]


async def test_the_audit_trail_shows_no_citizen_names_or_phones(tmp_path, clock):
    """The audit trail is for the floor manager and inspectors, who hold no dossier: the name
    and phone reach only the agency's staff (GET /api/v1/dossiers/{code})."""
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        await visit(http, auth, 33, "CA-TN")
        await receive(http, auth, 33, "CA-HC", citizen_name="Lê Thị Kiều Oanh", citizen_phone="0905 777 321")
        for reader in ("quanly", "thanhtra"):
            trail = await http.get("/api/v1/audit", headers=await login(http, reader))
            assert trail.status_code == 200 and "dossier_received" in trail.text
            assert "Kiều Oanh" not in trail.text and "777" not in trail.text


async def test_the_public_lookup_shows_no_personal_data(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        await visit(http, auth, 33, "CA-TN")
        code = (await receive(http, auth, 33, "CA-HC", citizen_name="Nguyễn Văn An", citizen_phone="0905123456"))["code"]
        found = await http.get(f"/api/v1/dossiers/{code}")
        assert found.status_code == 200
        body = found.json()
        assert body["status"] == "received" and body["due"] == "2027-03-11"
        assert set(body) <= {"code", "status", "received_at", "due", "new_due", "returned_on", "outcome", "overdue", "lookup_url"}
        assert "Nguyễn" not in found.text and "0905123456" not in found.text and "hộ chiếu" not in found.text
        assert (await http.get("/api/v1/dossiers/CA-270301-9999")).status_code == 404
        for guess in (code.rsplit("-", 1)[0], code[:-1] + ("A" if code[-1] != "A" else "B")):  # no check part, a wrong one
            assert (await http.get(f"/api/v1/dossiers/{guess}")).status_code == 404
        assert (await http.get(f"/api/v1/dossiers/{code}/receipt")).status_code == 401
        page = await http.get(f"/dossier/{code}")
        assert page.status_code == 200 and "Tra cứu hồ sơ" in page.text


async def test_a_dossier_is_received_only_during_a_visit(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        await http.post("/api/v1/cabins/33/open", headers=auth)
        refused = await http.post("/api/v1/cabins/33/dossiers", headers=auth, json={"procedure": "CA-HC"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_current_ticket"
        await visit(http, auth, 33, "CA-TN")
        unknown = await http.post("/api/v1/cabins/33/dossiers", headers=auth, json={"procedure": "NOPE"})
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_procedure"


async def test_status_moves_and_illegal_moves_are_refused(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        await visit(http, auth, 33, "CA-TN")
        code = (await receive(http, auth, 33, "CA-HC"))["code"]
        early = await http.post(f"/api/v1/dossiers/{code}/status", headers=auth, json={"status": "ready"})
        assert early.status_code == 409 and "received" in early.json()["error"]["message"]
        no_reason = await http.post(f"/api/v1/dossiers/{code}/status", headers=auth, json={"status": "supplement_requested"})
        assert no_reason.status_code == 422
        asked = await http.post(f"/api/v1/dossiers/{code}/status", headers=auth, json={"status": "supplement_requested", "reason": "Thiếu ảnh 4x6"})
        assert asked.json()["status"] == "supplement_requested"
        other_agency = await login(http, "canbo43")
        forbidden = await http.post(f"/api/v1/dossiers/{code}/status", headers=other_agency, json={"status": "processing"})
        assert forbidden.status_code == 403
        await make_ready(http, auth, code)
        not_tkq = await http.post("/api/v1/cabins/33/returns", headers=auth, json={"code": code})
        assert not_tkq.status_code == 409 and not_tkq.json()["error"]["code"] == "not_return_service"


# -- early / on time / late at the boundaries, through the API ----------------------------------


@pytest.mark.parametrize(
    ("returned_at", "outcome"),
    [
        ("2027-03-10 16:59", "early"),
        ("2027-03-11 00:00", "on_time"),  # the due day itself, from its first minute
        ("2027-03-11 23:59", "on_time"),  # ... to its last
        ("2027-03-12 00:00", "late"),  # one minute after the due day ended
    ],
)
async def test_returns_are_classified_against_the_due_day(tmp_path, clock, returned_at, outcome):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        clock.set("2027-03-01 08:00")
        await visit(http, auth, 33, "CA-TN")
        code = (await receive(http, auth, 33, "CA-HC"))["code"]
        await make_ready(http, auth, code)
        clock.set(returned_at)
        returned = await return_at_tkq(http, auth, 33, code)
        assert returned["status"] == "returned"
        assert returned["outcome"] == outcome
        assert returned["returned_on"] == returned_at[:10]
        again = await http.post("/api/v1/cabins/33/returns", headers=await login(http, "canbo33"), json={"code": code})
        assert again.status_code == 409


async def test_a_late_dossier_gets_an_apology_letter_with_a_new_date(tmp_path, clock, default_hall):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        auth = await login(http, "canbo33")
        clock.set("2027-03-01 08:00")
        await visit(http, auth, 33, "CA-TN")
        code = (await receive(http, auth, 33, "CA-HC", citizen_name="Trần Thị Bình"))["code"]
        clock.set("2027-03-12 09:00")
        auth = await login(http, "canbo33")
        assert (await http.get(f"/api/v1/dossiers/{code}")).json()["overdue"] is True
        weekend = await http.post(f"/api/v1/dossiers/{code}/apology", headers=auth, json={"new_due": "2027-03-13", "reason": "Chờ xác minh"})
        assert weekend.status_code == 422  # a Saturday
        colleague = await login(http, "canbo34")  # another officer of the agency writes the letter
        letter = await http.post(f"/api/v1/dossiers/{code}/apology", headers=colleague, json={"new_due": "2027-03-16", "reason": "Chờ xác minh nhân thân"})
        assert letter.status_code == 200, letter.text
        page = await http.get(letter.json()["letter_url"], headers=auth)
        assert "PHIẾU XIN LỖI" in page.text and "16/03/2027" in page.text and "Trần Thị Bình" in page.text
        officer = default_hall.users["canbo34"]  # signed by who wrote it, with name and title, not the username
        assert f'<b class="signer">{officer.name}</b>' in page.text and f"<br>{officer.title}" in page.text
        assert "canbo34" not in page.text and default_hall.users["canbo33"].name not in page.text
        public = (await http.get(f"/api/v1/dossiers/{code}")).json()
        assert public["due"] == "2027-03-11" and public["new_due"] == "2027-03-16"
        await make_ready(http, auth, code)
        clock.set("2027-03-16 10:00")
        auth = await login(http, "canbo33")
        assert (await return_at_tkq(http, auth, 33, code))["outcome"] == "late"  # the apology does not excuse it


# -- the rules in force at receipt stay with the dossier ----------------------------------------


def hall_file_with_new_passport_rule(tmp_path) -> str:
    return hall_file_with(tmp_path, '[[procedures]]\ncode = "CA-HC"\nname = "Cấp hộ chiếu phổ thông"\ndepartment = "CA"\n'
                                    'limit_days = 15\nvalid_from = "2027-03-02"\n')


async def test_a_procedure_change_after_receipt_keeps_the_due_date(tmp_path, clock):
    db, config = f"sqlite:///{tmp_path / 'h.db'}", hall_file_with_new_passport_rule(tmp_path)
    async with served_hall(db, clock, config) as (_server, http):
        auth = await login(http, "canbo33")
        clock.set("2027-03-01 16:00")
        await visit(http, auth, 33, "CA-TN")
        before = await receive(http, auth, 33, "CA-HC")
        assert (before["limit_days"], before["due"]) == (8, "2027-03-11")
        clock.set("2027-03-02 08:00")
        auth = await login(http, "canbo33")
        await visit(http, auth, 33, "CA-TN")
        after = await receive(http, auth, 33, "CA-HC")
        assert (after["limit_days"], after["due"]) == (15, "2027-03-23")
        assert (await http.get(f"/api/v1/dossiers/{before['code']}")).json()["due"] == "2027-03-11"
        quoted = (await http.get("/api/v1/calendar/due", params={"procedure": "CA-HC", "received": "2027-03-01T16:00+07:00"})).json()
        assert quoted["due"] == "2027-03-11" and quoted["limit_days"] == 8
    async with served_hall(db, clock, config) as (server, http):  # restart: replay keeps both dates
        assert server.runtime.engine.component(DossierBook).open[before["code"]].due.isoformat() == "2027-03-11"
        assert (await http.get(f"/api/v1/dossiers/{before['code']}")).json()["due"] == "2027-03-11"
        assert (await http.get(f"/api/v1/dossiers/{after['code']}")).json()["due"] == "2027-03-23"


# -- procedures and the due-date calculator for the kiosk ---------------------------------------


async def test_procedures_list_their_time_limits(tmp_path, clock):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        procedures = {p["code"]: p for p in (await http.get("/api/v1/procedures")).json()["procedures"]}
        assert procedures["CA-HC"] == {"code": "CA-HC", "name": "Cấp hộ chiếu phổ thông", "department": "CA", "department_name": "Công an tỉnh", "limit_days": 8}
        assert procedures["GDDT-VB"]["limit_hours"] == 8 and "limit_days" not in procedures["GDDT-VB"]


@pytest.mark.parametrize(
    ("procedure", "received", "due"),
    [
        ("TP-CTBS", "2027-03-01T15:00+07:00", "2027-03-01"),  # same day up to the 15:00 cut-off
        ("TP-CTBS", "2027-03-01T15:01+07:00", "2027-03-02"),  # after it: the next working day
        ("TP-CTBS", "2027-03-01T08:01:00Z", "2027-03-02"),  # 15:01 in the hall, given in UTC
        ("KHDT-DKDN", "2027-02-03T10:00", "2027-02-15"),  # Tết 2027 (4–10 Feb) is skipped
        ("CA-HC", "2027-08-31T09:00", "2027-09-14"),  # 1 Sep, then 6–14 Sep: National Day 2–3 Sep skipped
        ("GDDT-VB", "2027-03-01T16:00", "2027-03-02"),  # 8 working hours: 1 h Monday, 7 h Tuesday
    ],
)
async def test_the_kiosk_can_ask_when_a_result_would_be_due(tmp_path, clock, procedure, received, due):
    async with served_hall(f"sqlite:///{tmp_path / 'h.db'}", clock) as (_server, http):
        answer = await http.get("/api/v1/calendar/due", params={"procedure": procedure, "received": received})
        assert answer.status_code == 200, answer.text
        assert answer.json()["due"] == due
        bad = await http.get("/api/v1/calendar/due", params={"procedure": procedure, "received": "yesterday"})
        assert bad.status_code == 422
