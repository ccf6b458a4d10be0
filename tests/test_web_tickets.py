"""Tickets taken from home: a Vietnamese mobile number is required and kept in one form, one
waiting ticket per phone and service, and none outside the opening sessions of a real hall."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clock import ManualClock
from support.servers import login, served_hall
from support.stores import BACKENDS

pytestmark = pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)


def web(phone: str | None, service: str = "CA-TN") -> dict:
    body = {"service": service, "channel": "web"}
    return body if phone is None else {**body, "phone": phone}


async def test_a_web_ticket_needs_a_valid_mobile_number(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        for phone in (None, "0212345678", "012345678", "09123456789", "+1 415 555 0100", "091234567a"):
            answer = await http.post("/api/v1/tickets", json=web(phone))
            assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_phone", (phone, answer.text)
        assert (await http.get("/api/v1/services")).json()["services"][0]["waiting"] == 0
        answer = await http.post("/api/v1/tickets", json=web("+84 912.345.678"))
        assert answer.status_code == 201 and answer.json()["channel"] == "web"


async def test_one_waiting_ticket_per_phone_and_service(hall_db):
    async with served_hall(hall_db, ManualClock()) as (_, http):
        first = await http.post("/api/v1/tickets", json=web("0912345678"))
        assert first.status_code == 201
        second = await http.post("/api/v1/tickets", json=web("+84912345678"))
        assert second.status_code == 409 and second.json()["error"]["code"] == "already_waiting"
        assert first.json()["number"] in second.json()["error"]["message"]
        other_service = await http.post("/api/v1/tickets", json=web("0912345678", "STP-TN"))
        assert other_service.status_code == 201
        other_phone = await http.post("/api/v1/tickets", json=web("0987654321"))
        assert other_phone.status_code == 201
        cancelled = await http.post(f"/api/v1/tickets/{first.json()['id']}/cancel")
        assert cancelled.status_code == 200
        assert (await http.post("/api/v1/tickets", json=web("0912345678"))).status_code == 201


async def test_web_tickets_are_refused_outside_the_sessions(hall_db, tmp_path: Path):
    text = Path(__file__).parents[1].joinpath("hall", "default_hall.toml").read_text("utf-8")
    real = tmp_path / "hall.toml"
    real.write_text(text.replace("accept_tickets_any_hour = true", "accept_tickets_any_hour = false"), "utf-8")
    clock = ManualClock()
    clock.set("2027-03-01 12:00")  # the lunch break
    async with served_hall(hall_db, clock, config=str(real)) as (_, http):
        answer = await http.post("/api/v1/tickets", json=web("0912345678"))
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "hall_closed"
        clock.set("2027-03-01 13:30")
        assert (await http.post("/api/v1/tickets", json=web("0912345678"))).status_code == 201


async def test_a_web_ticket_that_could_not_be_called_today_is_day_full_and_points_to_booking(hall_db, tmp_path: Path):
    text = Path(__file__).parents[1].joinpath("hall", "default_hall.toml").read_text("utf-8")
    real = tmp_path / "hall.toml"
    real.write_text(text.replace("accept_tickets_any_hour = true", "accept_tickets_any_hour = false"), "utf-8")
    clock = ManualClock()
    clock.set("2027-03-01 16:00")  # before the last ticket (16:30), an hour before closing
    async with served_hall(hall_db, clock, config=str(real)) as (_, http):
        manager = await login(http, "quanly")
        for _ in range(80):  # a long queue the floor let in (staff tickets are not cut off)
            assert (await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "staff"}, headers=manager)).status_code == 201
        before = (await http.get("/api/v1/health")).json()["seq"]
        answer = await http.post("/api/v1/tickets", json=web("0912345678"))
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "day_full"
        assert answer.json()["error"]["book_url"] == "http://127.0.0.1:8080/book"
        assert "/book" in answer.json()["error"]["message"]
        no_booking = await http.post("/api/v1/tickets", json=web("0912345678", "CT-TN"))
        assert no_booking.status_code in (201, 409) and "book_url" not in no_booking.json().get("error", {})
        assert (await http.get("/api/v1/health")).json()["seq"] == before + (no_booking.status_code == 201)
