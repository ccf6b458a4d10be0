"""A first look at the HTTP contract through a real server."""

from support.servers import login
from support.devices import KIOSK


async def test_take_a_ticket_and_call_it(client):
    health = await client.get("/api/v1/health")
    assert health.json()["status"] == "ok"
    taken = await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    assert taken.status_code == 201
    ticket = taken.json()
    assert ticket["number"] == "W001" and ticket["ahead"] == 0
    auth = await login(client, "canbo33")
    cabin = (await client.get("/api/v1/cabins/33")).json()
    assert cabin["department"] == "CA"
    assert (await client.post("/api/v1/cabins/33/open", headers=auth)).status_code == 200
    called = await client.post("/api/v1/cabins/33/call-next", headers=auth)
    assert called.status_code == 200, called.text
    assert called.json()["number"] == "W001"
    assert (await client.get(f"/api/v1/tickets/{ticket['id']}")).json()["state"] == "called"
    assert (await client.post("/api/v1/cabins/33/call-next", headers=auth)).status_code == 409
    await client.post("/api/v1/cabins/33/finish", headers=auth)
    assert (await client.post("/api/v1/cabins/33/call-next", headers=auth)).status_code == 204
