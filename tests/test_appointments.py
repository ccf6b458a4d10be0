"""Booking a time through the real server: slots cut from the sessions of open days, places never
oversold under concurrent booking (SQLite and PostgreSQL), cancelling with the phone, check-in
inside its window giving an appointment ticket that is called first, a missed booking counted as
a no-show, and everything still there after a restart."""

from __future__ import annotations

import httpx
import pytest
import trio

from support.clock import ManualClock
from support.servers import login, served_hall
from support.stores import BACKENDS
from support.devices import KIOSK

pytestmark = pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)

TUESDAY = "2027-03-02"  # the clock starts on Monday 2027-03-01 08:00 (support/clock.py)


def booking(phone: str = "0912345678", start: str = "07:50", service: str = "CA-TN", day: str = TUESDAY) -> dict:
    return {"service": service, "date": day, "start": start, "phone": phone, "name": "Nguyễn Văn An"}


async def slots(http: httpx.AsyncClient, service: str, day: str) -> list[dict]:
    answer = await http.get(f"/api/v1/services/{service}/slots", params={"date": day})
    assert answer.status_code == 200, answer.text
    return answer.json()["slots"]


async def test_slots_come_from_the_sessions_of_open_days_only(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        tuesday = await slots(http, "STP-TN", TUESDAY)
        assert tuesday[0] == {"start": "07:30", "end": "07:45", "capacity": 4, "free": 4}
        starts = [s["start"] for s in tuesday]
        assert "11:15" in starts and "11:30" not in starts and "12:00" not in starts and "13:30" in starts
        assert starts[-1] == "16:45" and len(starts) == 16 + 14
        today = [s["start"] for s in await slots(http, "STP-TN", "2027-03-01")]
        assert today[0] == "08:15"  # 08:00 has begun
        assert await slots(http, "STP-TN", "2027-03-06") == []  # a Saturday
        assert await slots(http, "STP-TN", "2027-04-30") == []  # Reunification Day
        assert await slots(http, "STP-TN", "2027-03-29") == []  # beyond 14 days ahead
        assert await slots(http, "SNV-TN", TUESDAY) == []  # a service that takes no bookings
        bad = await http.get("/api/v1/services/STP-TN/slots", params={"date": "tomorrow"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"


async def test_booking_answers_a_code_and_a_full_slot_is_refused(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        codes = set()
        for i in range(5):
            answer = await http.post("/api/v1/appointments", json=booking(f"09123456{i:02d}"))
            assert answer.status_code == 201, answer.text
            body = answer.json()
            assert body["check_in_url"].endswith(f"/book/{body['code']}") and body["state"] == "booked"
            assert body["phone"] == f"*******6{i:02d}"
            codes.add(body["code"])
        assert len(codes) == 5
        full = await http.post("/api/v1/appointments", json=booking("0987654321"))
        assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
        assert (await slots(http, "CA-TN", TUESDAY))[1] == {"start": "07:50", "end": "08:10", "capacity": 5, "free": 0}
        for body, code in [
            (booking("0912345600", start="08:10"), "already_booked"),
            (booking("0212345678", start="08:10"), "invalid_phone"),
            (booking(start="08:05"), "no_such_slot"),
            (booking(day="2027-03-06"), "outside_booking_window"),
            (booking(service="SNV-TN"), "booking_not_offered"),
            ({**booking("0911111111"), "name": "  "}, "invalid"),
        ]:
            answer = await http.post("/api/v1/appointments", json=body)
            assert answer.json()["error"]["code"] == code, (body, answer.text)
            assert answer.status_code in (403, 404, 409, 422)


async def test_fifty_concurrent_bookings_for_a_slot_of_five_give_exactly_five(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        statuses: list[int] = []

        async def book(i: int) -> None:
            answer = await http.post("/api/v1/appointments", json=booking(f"+84 90 {i:07d}", start="13:30"))
            statuses.append(answer.status_code)
            assert answer.status_code == 201 or answer.json()["error"]["code"] == "slot_full", answer.text

        async with trio.open_nursery() as nursery:
            for i in range(50):
                nursery.start_soon(book, i)
        assert sorted(statuses).count(201) == 5 and statuses.count(409) == 45
        slot = next(s for s in await slots(http, "CA-TN", TUESDAY) if s["start"] == "13:30")
        assert slot["free"] == 0


async def test_cancelling_needs_the_phone_and_frees_the_place(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        code = (await http.post("/api/v1/appointments", json=booking("0912 345 678"))).json()["code"]
        wrong = await http.post(f"/api/v1/appointments/{code}/cancel", json={"phone": "0987654321"})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_phone"
        assert (await slots(http, "CA-TN", TUESDAY))[1]["free"] == 4
        done = await http.post(f"/api/v1/appointments/{code}/cancel", json={"phone": "+84912345678"})
        assert done.status_code == 200 and done.json()["state"] == "cancelled"
        assert (await slots(http, "CA-TN", TUESDAY))[1]["free"] == 5
        again = await http.post(f"/api/v1/appointments/{code}/cancel", json={"phone": "0912345678"})
        assert again.status_code == 409
        assert (await http.post("/api/v1/appointments/NOPE/cancel", json={"phone": "0912345678"})).status_code == 404


async def test_check_in_inside_the_window_gives_an_appointment_ticket_called_first(hall_db):
    clock = ManualClock()
    async with served_hall(hall_db, clock) as (_, http):
        code = (await http.post("/api/v1/appointments", json=booking(start="09:10", day="2027-03-01"))).json()["code"]
        early = await http.post(f"/api/v1/appointments/{code}/check-in")
        assert early.status_code == 409 and early.json()["error"]["code"] == "too_early"
        assert "08:40" in early.json()["error"]["message"]
        walk_in = (await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
        clock.set("2027-03-01 08:45")
        ticket = await http.post(f"/api/v1/appointments/{code.lower()}/check-in")
        assert ticket.status_code == 201, ticket.text
        assert ticket.json()["channel"] == "appointment" and ticket.json()["service"] == "CA-TN"
        view = (await http.get(f"/api/v1/appointments/{code}")).json()
        assert view["state"] == "checked_in" and view["ticket"] == ticket.json()["id"]
        again = await http.post(f"/api/v1/appointments/{code}/check-in")
        assert again.status_code == 409
        auth = await login(http, "canbo33")
        assert (await http.post("/api/v1/cabins/33/open", headers=auth)).status_code == 200
        clock.set("2027-03-01 09:10")  # the slot has come: the appointment goes before the walk-in
        called = await http.post("/api/v1/cabins/33/call-next", headers=auth)
        assert called.json()["ticket"]["number"] == ticket.json()["number"] != walk_in["number"]


async def test_too_late_is_refused_and_a_missed_booking_is_a_no_show(hall_db):
    clock = ManualClock()
    async with served_hall(hall_db, clock) as (_, http):
        code = (await http.post("/api/v1/appointments", json=booking(start="08:10", day="2027-03-01"))).json()["code"]
        clock.set("2027-03-01 08:26")
        late = await http.post(f"/api/v1/appointments/{code}/check-in")
        assert late.status_code == 409 and late.json()["error"]["code"] == "too_late"
        before = (await http.get("/api/v1/stats/today")).json()["hall"]
        auth = await login(http, "quanly")
        assert (await http.post("/api/v1/day/close", headers=auth)).status_code == 200
        after = (await http.get("/api/v1/stats/today", params={"day": "2027-03-01"})).json()["hall"]
        assert after["no_show"] == before["no_show"] + 1
        assert after["tickets_issued"] == before["tickets_issued"]
        assert (await http.get(f"/api/v1/appointments/{code}")).json()["state"] == "missed"


async def test_bookings_survive_a_restart(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        code = (await http.post("/api/v1/appointments", json=booking())).json()["code"]
    async with served_hall(hall_db, ManualClock()) as (_, http):
        assert (await http.get(f"/api/v1/appointments/{code}")).json()["state"] == "booked"
        assert (await slots(http, "CA-TN", TUESDAY))[1]["free"] == 4


async def test_the_openapi_document_describes_the_online_routes(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        paths = (await http.get("/openapi.json")).json()["paths"]
        for path in ("/api/v1/services/{code}/slots", "/api/v1/appointments", "/api/v1/appointments/{code}/cancel",
                     "/api/v1/appointments/{code}/check-in", "/api/v1/notifications"):
            assert path in paths, path
        booking = paths["/api/v1/appointments"]["post"]
        assert booking["requestBody"]["content"]["application/json"]["schema"]["required"] == ["service", "date", "start", "phone", "name"]
