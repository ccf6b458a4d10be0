"""The hall's day as tickets see it: the last-ticket time and the day-capacity cut-off.

A hall that keeps its hours refuses a kiosk or web ticket the estimate says it could not call
before closing (`day_full`), and any kiosk or web ticket after `hall.last_ticket`; staff may
still issue, and a hall open at any hour refuses neither.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from hall import commands as c
from hall.day_capacity import closing_at, day_full, issuing_ends, working_windows
from hall.engine import Engine
from hall.estimate import Estimate
from hall.lifecycle import CommandRefused
from simulators.devices import DeviceError, SimulatedKiosk
from support.clock import ManualClock, local
from support.devices import bounded_device
from support.halls import small_hall
from support.servers import served_hall
from support.stores import sqlite_url


def test_the_ticket_the_hall_could_not_call_by_closing_is_refused_and_changes_nothing():
    engine = Engine(small_hall())
    now = local("2027-03-01 16:00")
    engine.handle(c.OpenCabin(1, "canbo01"), now)
    issued = []
    with pytest.raises(CommandRefused) as refused:
        for i in range(40):
            issued += engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "kiosk"), now)
    assert refused.value.code == "day_full" and "17:00" in refused.value.message
    # Every ticket issued is called by closing by its own estimate; the refused one would not be.
    closing = closing_at(engine.config, now)
    last = issued[-1].payload
    assert now + last.estimate.minutes * 60 <= closing
    seq = engine.state.seq
    ahead = engine.waiting_count("TP-TN")
    assert now + engine.estimate("TP-TN", ahead).minutes * 60 > closing
    assert engine.state.seq == seq and len(issued) == ahead  # the refusal wrote nothing
    # Staff may still issue (a citizen the floor manager decides to serve), web may not.
    assert engine.handle(c.IssueTicket("staff", "TP-TN", None, "staff"), now)
    with pytest.raises(CommandRefused) as web:
        engine.handle(c.IssueTicket("web", "TP-TN", None, "web", phone="0905123456"), now)
    assert web.value.code == "day_full"


def test_day_full_is_one_function_of_the_estimate_and_closing():
    config = small_hall()
    now = local("2027-03-01 16:30")
    assert day_full(config, now, Estimate(30.0, 20.0, 40.0)) is None  # called at 17:00 sharp
    refusal = day_full(config, now, Estimate(31.0, 20.0, 40.0))
    assert refusal is not None and refusal.code == "day_full" and "17:01" in refusal.message
    assert day_full(small_hall(any_hour=True), now, Estimate(600.0, 500.0, 700.0)) is None  # no closing at any hour


def test_a_ticket_whose_call_could_come_after_the_officers_leave_is_refused():
    # Expected at 16:50, but as late as 17:35 at one standard deviation: the officers leave at
    # 17:30 (closing + rules.serve_after_close_minutes), so the citizen could be sent home unserved.
    config = small_hall()
    now = local("2027-03-01 16:00")
    leave = closing_at(config, now) + config.rules.serve_after_close_minutes * 60
    assert day_full(config, now, Estimate(50.0, 20.0, (leave - now) / 60)) is None
    refusal = day_full(config, now, Estimate(50.0, 20.0, 95.0))
    assert refusal is not None and refusal.code == "day_full" and "17:35" in refusal.message


def test_issuing_stops_at_the_end_of_the_session_or_the_last_ticket():
    # What the estimate counts on when it foresees a queue's citizens yet to come.
    config = dataclasses.replace(small_hall(), last_ticket=dt.time(16, 30))
    assert issuing_ends(config, local("2027-03-01 10:00")) == local("2027-03-01 11:30")
    assert issuing_ends(config, local("2027-03-01 15:00")) == local("2027-03-01 16:30")  # the last ticket, before 17:00
    assert issuing_ends(config, local("2027-03-01 12:10")) == local("2027-03-01 12:10")  # lunch: none now
    assert issuing_ends(small_hall(any_hour=True), local("2027-03-01 12:10")) == float("inf")


def test_kiosks_stop_at_the_last_ticket_time_but_staff_may_issue():
    engine = Engine(dataclasses.replace(small_hall(), last_ticket=dt.time(16, 30)))
    assert engine.handle(c.IssueTicket("early", "CA-TN", None, "kiosk"), local("2027-03-01 16:29"))
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.IssueTicket("late", "CA-TN", None, "kiosk"), local("2027-03-01 16:31"))
    assert refused.value.code == "hall_closed" and "16:30" in refused.value.message
    assert engine.handle(c.IssueTicket("staff", "CA-TN", None, "staff"), local("2027-03-01 16:31"))


def test_cabins_work_each_session_and_the_grace_after_it():
    config = small_hall(serve_after_close_minutes=30)
    windows = working_windows(config, local("2027-03-01 09:00"))
    assert windows == [(local("2027-03-01 07:30"), local("2027-03-01 12:00")),
                       (local("2027-03-01 13:30"), local("2027-03-01 17:30"))]



KIOSK = {"Authorization": "Device kiosk-01 demo-kiosk-01"}  # the touch kiosk's own credentials (demo token)


def hall_with_hours(folder: Path) -> str:
    """The shipped default hall keeping its hours (it ships open at any hour, a demo setting)."""
    text = resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")
    path = folder / "hall.toml"
    path.write_text(text.replace("accept_tickets_any_hour = true", "accept_tickets_any_hour = false"), "utf-8")
    return str(path)


async def test_http_and_kiosk_refuse_a_ticket_past_the_days_capacity_with_409_day_full(tmp_path):
    clock = ManualClock(local("2027-03-01 16:20"))  # forty minutes before closing, no cabin open
    async with served_hall(sqlite_url(tmp_path), clock, hall_with_hours(tmp_path)) as (server, http):
        for _ in range(100):  # the queue fills until the hall could not call one more by 17:00
            answer = await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "kiosk"}, headers=KIOSK)
            if answer.status_code != 201:
                break
            assert answer.json()["estimate"]["minutes"] <= 40
        seq = server.runtime.engine.state.seq
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "day_full" and "17:00" in error["message"]
        async with bounded_device(server.url, SimulatedKiosk("kiosk-01")) as kiosk:
            shown = {s["code"]: s for s in kiosk.welcome["snapshot"]["services"]}
            assert shown["CA-TN"]["day_full"] is True  # the kiosk greys the queue out
            with pytest.raises(DeviceError) as refused:
                await kiosk.take("CA-TN")
            assert refused.value.frame["code"] == "day_full"
        assert server.runtime.engine.state.seq == seq  # nothing issued
        clock.t = local("2027-03-01 09:00")  # in the morning the same queue takes tickets
        answer = await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "kiosk"}, headers=KIOSK)
        assert answer.status_code == 201, answer.text
