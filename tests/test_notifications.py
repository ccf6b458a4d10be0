"""Notifications to citizens who left a phone, through the real server and a real receiver:
signed webhooks, the SMS gateway's template, retries with a growing wait, the floor manager's
view of the outbox, and nothing lost when the server is killed while the receiver is down."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import trio

from simulators.server_process import ServerProcess, free_port
from support.clock import ManualClock
from support.servers import login, served_hall
from support.stores import BACKENDS
from support.halls import hall_file_with
from support.waits import STEPS, WAIT
from support.webhooks import Receiver
from support.devices import KIOSK

pytestmark = pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)

SECRET = "a-long-shared-secret-0123456789"


def notify_toml(port: int, *, base: float = 0.2) -> str:
    return f"""
[notify]
log = true
retry_base_seconds = {base}
retry_max_seconds = 1.0
timeout_seconds = 5

[[notify.webhooks]]
url = "http://127.0.0.1:{port}/hook"
secret = "{SECRET}"

[notify.sms]
url = "http://127.0.0.1:{port}/sms"
body = '{{"to": "{{phone}}", "text": "{{message}}", "ref": "{{delivery}}"}}'
events = ["ticket.called"]
"""


async def web_ticket(http: httpx.AsyncClient, phone: str) -> dict:
    answer = await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "web", "phone": phone})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_near_and_called_go_out_signed_and_the_sms_gateway_gets_its_template(hall_db, tmp_path: Path, nursery):
    receiver = Receiver()
    port = await nursery.start(receiver.serve)
    config = hall_file_with(tmp_path, notify_toml(port))
    async with served_hall(hall_db, ManualClock(), config=config) as (_, http):
        tickets = [await web_ticket(http, f"09123450{i:02d}") for i in range(5)]
        await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)  # no phone: nobody to tell
        manager = await login(http, "quanly")
        await receiver.wait_for(4, WAIT, "/hook")  # 0 to 3 ahead: near at once
        officer = await login(http, "canbo33")
        await http.post("/api/v1/cabins/33/open", headers=officer)
        called = (await http.post("/api/v1/cabins/33/call-next", headers=officer)).json()["ticket"]
        assert called["number"] == tickets[0]["number"]
        await receiver.wait_for(6, WAIT, "/hook")  # the fifth is near now, the first is called
        hooks = list(receiver.deliveries("/hook").values())
        assert all(r.signed_with(SECRET) for r in hooks)
        assert all(r.headers["x-hall-timestamp"].isdigit() and r.json["delivery"] == r.headers["x-hall-delivery"] for r in hooks)
        near = sorted((r.json for r in hooks if r.json["event"] == "ticket.near"), key=lambda b: b["number"])
        assert [b["number"] for b in near] == [t["number"] for t in tickets]
        assert [b["phone"] for b in near] == [f"09123450{i:02d}" for i in range(5)]
        assert all(b["service"] == "CA-TN" for b in near)
        call = next(r.json for r in hooks if r.json["event"] == "ticket.called")
        assert call["number"] == tickets[0]["number"] and call["cabin"] == 33 and call["phone"] == "0912345000"
        with trio.fail_after(WAIT):
            while not [r for r in receiver.received if r.path == "/sms"]:
                await receiver.next_request()
        sms = next(r for r in receiver.received if r.path == "/sms")
        assert sms.json["to"] == "0912345000" and tickets[0]["number"] in sms.json["text"] and "33" in sms.json["text"]
        assert "x-hall-signature" not in sms.headers
        with trio.fail_after(WAIT):
            while (await http.get("/api/v1/notifications", headers=manager)).json()["counts"]["pending"]:
                await trio.sleep(0.05)
        outbox = (await http.get("/api/v1/notifications", params={"status": "delivered"}, headers=manager)).json()
        assert outbox["counts"] == {"pending": 0, "delivered": 6 + 1 + 6, "failed": 0}  # webhook, sms, log
        assert all(n["phone"].startswith("*******") for n in outbox["notifications"])
        assert (await http.get("/api/v1/notifications", headers=officer)).status_code == 403
        assert (await http.get("/api/v1/notifications", params={"status": "lost"}, headers=manager)).status_code == 422


async def test_a_failing_receiver_is_retried_with_a_growing_wait_and_the_same_delivery_id(hall_db, tmp_path: Path, nursery):
    receiver = Receiver(failing=True)
    port = await nursery.start(receiver.serve)
    config = hall_file_with(tmp_path, notify_toml(port, base=0.3))
    async with served_hall(hall_db, ManualClock(), config=config) as (_, http):
        await web_ticket(http, "0987654321")
        with trio.fail_after(STEPS):
            while len(receiver.refused) < 3:
                await receiver.next_request()
        manager = await login(http, "quanly")
        pending = (await http.get("/api/v1/notifications", headers=manager)).json()["notifications"]
        hook = next(n for n in pending if n["sink"].startswith("webhook:"))
        assert hook["status"] == "pending" and hook["attempts"] >= 3 and hook["last_error"] == "HTTP 503"
        receiver.failing = False
        await receiver.wait_for(1, WAIT, "/hook")
        ids = {r.headers["x-hall-delivery"] for _, r in receiver.refused} | set(receiver.deliveries("/hook"))
        assert ids == {hook["delivery"]}
        times = [at for at, _ in receiver.refused[:3]]
        assert times[1] - times[0] >= 0.3 * 0.9 and times[2] - times[1] >= 0.6 * 0.9  # doubled each time


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_notifications_written_while_the_receiver_was_down_survive_a_kill(hall_db, tmp_path: Path):
    receiver = Receiver()
    port = free_port()  # nobody listens there until the receiver comes back
    server = ServerProcess.hall(tmp_path, db=hall_db, extra=["--config", hall_file_with(tmp_path, notify_toml(port))])
    assert server.port != port
    await trio.to_thread.run_sync(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
            tickets = [await web_ticket(http, f"03987650{i:02d}") for i in range(6)]
            officer = await login(http, "canbo33")
            await http.post("/api/v1/cabins/33/open", headers=officer)
            for _ in range(2):
                await http.post("/api/v1/cabins/33/call-next", headers=officer)
                await http.post("/api/v1/cabins/33/finish", headers=officer)
            manager = await login(http, "quanly")
            with trio.fail_after(WAIT):  # at least one attempt failed: the receiver is down
                while not all(n["attempts"] for n in (await http.get("/api/v1/notifications", headers=manager)).json()["notifications"]
                              if n["sink"] != "log"):
                    await trio.sleep(0.1)
            pending = (await http.get("/api/v1/notifications", headers=manager)).json()["notifications"]
        hooks = {n["delivery"] for n in pending if n["sink"].startswith("webhook:")}
        assert len(hooks) == 6 + 2  # six near, two called
        await trio.to_thread.run_sync(server.kill)
        async with trio.open_nursery() as nursery:
            await nursery.start(receiver.serve, port)
            await trio.to_thread.run_sync(server.start)
            await receiver.wait_for(len(hooks), STEPS, "/hook")
            nursery.cancel_scope.cancel()
        got = receiver.deliveries("/hook")
        assert hooks <= set(got)
        assert all(r.signed_with(SECRET) for r in got.values())
        events = sorted((r.json["event"], r.json["number"]) for r in got.values())
        assert [e for e in events if e[0] == "ticket.called"] == [("ticket.called", t["number"]) for t in tickets[:2]]
        assert len([e for e in events if e[0] == "ticket.near"]) == 6
    finally:
        await trio.to_thread.run_sync(server.kill)


async def test_a_booking_is_reminded_the_day_before_once(hall_db, tmp_path: Path, nursery):
    receiver = Receiver()
    port = await nursery.start(receiver.serve)
    clock = ManualClock()  # Monday 2027-03-01 08:00
    async with served_hall(hall_db, clock, config=hall_file_with(tmp_path, notify_toml(port))) as (_, http):
        booked = {}
        for day, phone in (("2027-03-02", "0912000001"), ("2027-03-03", "0912000002")):
            answer = await http.post("/api/v1/appointments", json={"service": "CA-TN", "date": day, "start": "09:10",
                                                                   "phone": phone, "name": "Trần Thị Bình"})
            booked[day] = answer.json()["code"]
        await receiver.wait_for(1, WAIT, "/hook")  # tomorrow's booking: reminded at once
        first = next(iter(receiver.deliveries("/hook").values())).json
        assert first["event"] == "appointment.reminder" and first["code"] == booked["2027-03-02"]
        assert first["phone"] == "0912000001" and first["start"] == "09:10" and first["number"] == first["code"]
        clock.set("2027-03-02 07:00")
        await http.post("/api/v1/tickets", json={"service": "STP-TN"}, headers=KIOSK)  # the hall's first act of the day opens it
        await receiver.wait_for(2, WAIT, "/hook")
        reminders = sorted(r.json["code"] for r in receiver.deliveries("/hook").values())
        assert reminders == sorted(booked.values())
        await http.post("/api/v1/tickets", json={"service": "STP-TN"}, headers=KIOSK)
        await trio.sleep(0.5)
        assert len(receiver.deliveries("/hook")) == 2


def test_done_notifications_leave_the_outbox_after_keep_days_and_pending_ones_stay(hall_db):
    from sqlalchemy import select

    from hall import outbox
    from hall.journal import Journal
    from hall.notices import Notice, NotifySettings, Webhook

    journal = Journal(hall_db)
    settings = NotifySettings(webhooks=(Webhook("http://127.0.0.1:9/hook", SECRET),))
    notices = [Notice("ticket.called", f"t{i}:called", {"event": "ticket.called", "phone": "0912345678"}) for i in range(3)]
    old, new = outbox.rows_for("h", notices[:2], settings, 1000.0), outbox.rows_for("h", notices[2:], settings, 9000.0)
    with journal.engine.begin() as conn:
        conn.execute(outbox.TABLE.insert(), old + new)
        for row, error in zip(outbox.due(conn, "h", 1000.0), (None, "HTTP 503")):
            outbox.record_attempt(conn, "h", row, error, 1000.0, settings)  # one delivered, one pending with a retry
        assert outbox.purge(conn, "h", before=5000.0) == 1  # the old delivered row
        left = {r.key: r.status for r in conn.execute(select(outbox.TABLE))}
    assert left == {"t1:called": "pending", "t2:called": "pending"}
    journal.close()
