"""The HTTP contract through the real server: answers, errors that change nothing, permissions."""

from __future__ import annotations

import httpx
import pytest
import trio

from support.servers import login
from support.stores import BACKENDS
from support.waits import HTTP_TIMEOUT, STEPS
from support.devices import KIOSK

pytestmark = pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)  # every test on SQLite and PostgreSQL


async def snapshot_state(client) -> tuple:
    health = (await client.get("/api/v1/health")).json()
    services = (await client.get("/api/v1/services")).json()["services"]
    return health["seq"], [s["waiting"] for s in services]


async def test_ticket_answer_has_the_contract_fields(client):
    kiosk = {"Authorization": "Device kiosk-01 demo-kiosk-01"}  # priorities are given at a kiosk or by staff
    answer = await client.post("/api/v1/tickets", json={"service": "STP-TN", "priority": "elderly", "channel": "kiosk"}, headers=kiosk)
    assert answer.status_code == 201
    body = answer.json()
    assert {"id", "number", "service", "ahead", "estimated_wait_minutes"} <= body.keys()
    assert body["service"] == "STP-TN" and body["priority"] == "elderly" and body["number"] == "B001"
    again = await client.get(f"/api/v1/tickets/{body['id']}")
    assert again.json()["number"] == "B001" and again.json()["state"] == "waiting"
    second = (await client.post("/api/v1/tickets", json={"service": "STP-TN", "priority": None}, headers=KIOSK)).json()
    assert second["number"] == "B002" and second["ahead"] == 1


async def test_services_list_waiting_and_estimates(client):
    for _ in range(3):
        await client.post("/api/v1/tickets", json={"service": "BHXH-TN"}, headers=KIOSK)
    services = {s["code"]: s for s in (await client.get("/api/v1/services")).json()["services"]}
    assert len(services) == 24
    assert services["BHXH-TN"]["waiting"] == 3 and services["BHXH-TN"]["estimated_wait_minutes"] >= 0
    assert services["CA-TN"]["waiting"] == 0


BAD_TICKET_BODIES = [
    (b"{not json", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b"", 400, "invalid_json"),
    (b'{"service": 12}', 422, "invalid"),
    (b'{"priority": "elderly"}', 422, "invalid"),
    (b'{"service": "NOPE", "phone": "0912345678"}', 422, "unknown_service"),
    (b'{"service": "CA-TN"}', 422, "invalid_phone"),  # a web ticket needs the citizen's mobile number
    (b'{"service": "CA-TN", "phone": "12345"}', 422, "invalid_phone"),
    (b'{"service": "CA-TN", "priority": "vip"}', 403, "forbidden"),  # the web claims no priority at all
    (b'{"service": "CA-TN", "channel": "kiosk"}', 401, "unauthorized"),  # only a kiosk device
    (b'{"service": "CA-TN", "channel": "staff"}', 401, "unauthorized"),
    ('{"service": "CA-TN\u0000\ud800"}'.encode("utf-8", "surrogatepass"), 400, "invalid_json"),
]


async def test_bad_ticket_requests_get_a_clear_error_and_change_nothing(client):
    before = await snapshot_state(client)
    for body, status, code in BAD_TICKET_BODIES:
        answer = await client.post("/api/v1/tickets", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert error["code"] == code and error["message"], body
    assert await snapshot_state(client) == before


async def test_unknown_things_are_404_with_the_json_error_shape(client):
    auth = await login(client, "quanly")
    for method, path in [("GET", "/api/v1/tickets/nope"), ("GET", "/api/v1/cabins/99"), ("POST", "/api/v1/cabins/99/open"),
                         ("GET", "/api/v1/nothing-here"), ("POST", "/api/v1/cabins/1/dance")]:
        answer = await client.request(method, path, headers=auth)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] in ("unknown_ticket", "unknown_cabin", "not_found")


async def test_wrong_password_and_wrong_token_are_refused(client):
    assert (await client.post("/api/v1/auth/login", json={"username": "canbo01", "password": "nope"})).status_code == 401
    assert (await client.post("/api/v1/auth/login", json={"username": "ghost", "password": "demo"})).status_code == 401
    answer = await client.post("/api/v1/cabins/1/open", headers={"Authorization": "Bearer canbo01.9999999999.forged"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert (await client.post("/api/v1/cabins/1/open")).status_code == 401
    assert (await client.get("/api/v1/cabins/1")).json()["state"] == "closed"


async def test_an_officer_acts_only_on_their_own_cabin_and_the_manager_on_any(client):
    officer = await login(client, "canbo01")
    answer = await client.post("/api/v1/cabins/2/open", headers=officer)
    assert answer.status_code == 403 and "cabin 2" in answer.json()["error"]["message"]
    assert (await client.get("/api/v1/cabins/2")).json()["state"] == "closed"
    manager = await login(client, "quanly")
    opened = await client.post("/api/v1/cabins/2/open", headers=manager)
    assert opened.status_code == 200 and opened.json()["cabin_state"]["officer"] == "canbo02"
    assert (await client.post("/api/v1/cabins/2/pause", headers=manager, json={"reason": "họp"})).status_code == 200


async def test_illegal_transitions_are_409_and_name_the_state(client):
    auth = await login(client, "canbo33")
    answer = await client.post("/api/v1/cabins/33/finish", headers=auth)
    assert answer.status_code == 409 and "cabin 33" in answer.json()["error"]["message"]
    await client.post("/api/v1/cabins/33/open", headers=auth)
    await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    await client.post("/api/v1/cabins/33/call-next", headers=auth)
    closing = await client.post("/api/v1/cabins/33/close", headers=auth)
    assert closing.status_code == 409 and "W001" in closing.json()["error"]["message"]
    assert (await client.post("/api/v1/cabins/33/pause", headers=auth, json={})).status_code == 422


async def test_a_full_visit_with_transfer_and_no_show(client):
    auth33, auth1 = await login(client, "canbo33"), await login(client, "canbo01")
    ticket = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
    other = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
    await client.post("/api/v1/cabins/33/open", headers=auth33)
    await client.post("/api/v1/cabins/1/open", headers=auth1)
    assert (await client.post("/api/v1/cabins/33/call-next", headers=auth33)).json()["id"] == ticket["id"]
    await client.post("/api/v1/cabins/33/start", headers=auth33)
    moved = await client.post("/api/v1/cabins/33/transfer", headers=auth33, json={"cabin": 1})
    assert moved.status_code == 200 and moved.json()["state"] == "waiting"
    assert (await client.post("/api/v1/cabins/1/call-next", headers=auth1)).json()["number"] == ticket["number"]
    await client.post("/api/v1/cabins/1/finish", headers=auth1)
    assert (await client.get(f"/api/v1/tickets/{ticket['id']}")).json()["state"] == "done"
    assert (await client.post("/api/v1/cabins/33/call-next", headers=auth33)).json()["id"] == other["id"]
    assert (await client.post("/api/v1/cabins/33/no-show", headers=auth33)).status_code == 409  # recall first
    for _ in range(3):
        assert (await client.post("/api/v1/cabins/33/recall", headers=auth33)).status_code == 200
    assert (await client.post("/api/v1/cabins/33/no-show", headers=auth33)).json()["state"] == "no_show"


async def test_sixty_one_cabins_pressing_call_next_together_never_share_a_ticket(client, hall_server):
    manager = await login(client, "quanly")
    # One queue served by every cabin at once: every cabin has TKQ (return of results) in its profile.
    for n in range(1, 62):
        assert (await client.post(f"/api/v1/cabins/{n}/open", headers=manager)).status_code == 200
    tickets = []
    for _ in range(150):
        tickets.append((await client.post("/api/v1/tickets", json={"service": "TKQ"}, headers=KIOSK)).json()["number"])
    called: list[str] = []

    async def cabin_loop(n: int) -> None:
        async with httpx.AsyncClient(base_url=hall_server.url, timeout=HTTP_TIMEOUT) as own:
            for _ in range(len(tickets) + 1):  # a cabin can call each ticket at most once, then hears 204
                answer = await own.post(f"/api/v1/cabins/{n}/call-next", headers=manager)
                if answer.status_code == 204:
                    return
                assert answer.status_code == 200, answer.text
                called.append(answer.json()["number"])
                assert (await own.post(f"/api/v1/cabins/{n}/finish", headers=manager)).status_code == 200
            raise AssertionError(f"cabin {n} kept calling past the queue's end")

    with trio.fail_after(STEPS):
        async with trio.open_nursery() as nursery:
            for n in range(1, 62):
                nursery.start_soon(cabin_loop, n)
    assert len(called) == len(set(called)), "a ticket was called twice"
    assert sorted(called) == sorted(tickets), "a ticket was skipped"


async def test_a_replaced_officer_loses_the_cabin_and_the_new_one_gets_it(client):
    manager, old, new = await login(client, "quanly"), await login(client, "canbo33"), await login(client, "canbo05")
    assert (await client.post("/api/v1/cabins/33/assign", headers=old, json={"officer": "canbo05"})).status_code == 403
    assert (await client.post("/api/v1/cabins/33/assign", headers=manager, json={"officer": "canbo05"})).status_code == 200
    assert (await client.post("/api/v1/cabins/33/open", headers=old)).status_code == 403
    opened = await client.post("/api/v1/cabins/33/open", headers=new)
    assert opened.status_code == 200 and opened.json()["cabin_state"]["officer"] == "canbo05"
    assert (await client.post("/api/v1/cabins/5/open", headers=new)).status_code == 403  # one seat per officer


async def test_the_audit_trail_attributes_every_officer_action(client):
    officer, manager = await login(client, "canbo33"), await login(client, "quanly")
    await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    await client.post("/api/v1/cabins/33/open", headers=officer)
    await client.post("/api/v1/cabins/33/call-next", headers=officer)
    await client.post("/api/v1/cabins/33/pause", headers=officer, json={"reason": "x"})  # refused: busy
    assert (await client.get("/api/v1/audit", headers=officer)).status_code == 403
    trail = (await client.get("/api/v1/audit", params={"officer": "canbo33"}, headers=manager)).json()["events"]
    assert [(e["type"], e["actor"]) for e in trail] == [("cabin_opened", "canbo33"), ("ticket_called", "canbo33")]
    by_cabin = (await client.get("/api/v1/audit", params={"cabin": 33}, headers=manager)).json()["events"]
    assert [e["type"] for e in by_cabin] == ["cabin_opened", "ticket_called"]
    assert (await client.get("/api/v1/audit", params={"day": "tomorrow"}, headers=manager)).status_code == 422
