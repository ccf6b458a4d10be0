"""Several halls in one server (`hall serve --province FILE`): the sample province of the repo.

Each hall keeps its own numbering, journal stream, devices, sign-ins, screens and statistics;
the first hall also answers at the root, and the province's figures rank halls and agencies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.clock import ManualClock
from support.servers import login, served_hall
from support.waits import WAIT, next_message
from websockets.trio.client import connect

from api import cli
from api.server import ServeOptions, load_served_halls, serve_paths
from devices.protocol import hello, pack, unpack
from hall.config import ConfigError
from hall.journal import Journal
from hall.province import load_province

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "deploy" / "province" / "province.toml"
DISTRICTS = ("dien-ban", "hoi-an")


def ws_url(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


async def issue(client, prefix: str, service: str) -> dict:
    answer = await client.post(f"{prefix}/api/v1/tickets", json={"service": service, "priority": None})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_sample_province_lists_the_default_hall_and_two_districts():
    province = load_province(SAMPLE)
    assert [hall.id for hall in province.halls] == ["qnam", *DISTRICTS]
    served = load_served_halls(ServeOptions(province=str(SAMPLE)), serve_paths(ServeOptions(province=str(SAMPLE), db="sqlite://")))
    assert [c.id for c in served.configs] == ["qnam", *DISTRICTS]
    assert served.configs[1].public_url.endswith("/h/dien-ban")


@pytest.mark.parametrize("text, message", [
    ("", "halls: list at least one hall"),
    ('[[halls]]\nid = "a"\nfile = "a.toml"\ncolour = "red"\n', "halls[0]: unknown key 'colour'"),
    ('[[halls]]\nid = "A b"\nfile = "a.toml"\n', "halls[0].id: expected lower-case letters"),
    ('[[halls]]\nid = "a"\nfile = "missing.toml"\n', "halls[0].file:"),
    ('[[halls]]\nid = "a"\nfile = "a.toml"\n[[halls]]\nid = "a"\nfile = "a.toml"\n', "halls[1].id: 'a' is listed twice"),
    ('[province]\nname = "x"\nregion = "y"\n[[halls]]\nid = "a"\nfile = "a.toml"\n', "province: unknown key 'region'"),
])
def test_a_province_file_is_strict(tmp_path, text, message):
    (tmp_path / "a.toml").write_text((ROOT / "deploy" / "province" / "hoi-an.toml").read_text("utf-8"), "utf-8")
    path = tmp_path / "province.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_province(path)


def test_a_hall_listed_under_another_id_is_refused_by_serve_and_check_config(tmp_path, capsys):
    path = tmp_path / "province.toml"
    path.write_text(f'[[halls]]\nid = "hoian"\nfile = "{ROOT / "deploy" / "province" / "hoi-an.toml"}"\n', "utf-8")
    options = ServeOptions(province=str(path), db="sqlite://")
    message = "halls\\[0\\].id is 'hoian' but .* says hall.id = 'hoi-an'"
    with pytest.raises(ConfigError, match=message):
        load_served_halls(options, serve_paths(options))
    assert cli.main(["check-config", "--province", str(path)]) == 2
    assert "halls[0].id is 'hoian'" in capsys.readouterr().err
    assert cli.main(["check-config", "--province", str(SAMPLE)]) == 0
    printed = capsys.readouterr().out
    assert "3 halls" in printed and "Bộ phận Một cửa thành phố Hội An: 4 departments" in printed


async def test_each_hall_numbers_its_own_tickets_and_keeps_its_own_journal(store_url):
    async with served_hall(store_url, province=str(SAMPLE)) as (server, client):
        first = await issue(client, "/h/dien-ban", "CA-TN")
        other = await issue(client, "/h/hoi-an", "CA-TN")
        second = await issue(client, "/h/dien-ban", "CA-TN")
        root = await issue(client, "", "CA-TN")
        assert (first["number"], second["number"], other["number"]) == ("D001", "D002", "D001")
        assert root["number"] == "W001" and root["department_name"] == "Công an tỉnh"
        # the unprefixed routes and /h/qnam/ are the same hall
        assert (await client.get(f"/h/qnam/api/v1/tickets/{root['id']}")).json()["number"] == "W001"
        # a ticket of one hall is unknown to another
        assert (await client.get(f"/h/hoi-an/api/v1/tickets/{first['id']}")).status_code == 404
        assert (await client.get(f"/api/v1/tickets/{first['id']}")).status_code == 404
        for hall, runtime in server.halls.items():
            health = (await client.get(f"/h/{hall}/api/v1/health")).json()
            assert health["hall"] == hall and health["durable_seq"] == runtime.durable_seq
        journal = Journal(store_url)
        try:
            issued = {hall: [e.payload.number for e in journal.load(hall) if e.type == "ticket_issued"]
                      for hall in server.halls}
        finally:
            journal.close()
        assert issued == {"qnam": ["W001"], "dien-ban": ["D001", "D002"], "hoi-an": ["D001"]}


async def test_a_sign_in_or_a_device_of_one_hall_opens_nothing_in_another(tmp_path):
    async with served_hall(f"sqlite:///{tmp_path / 'p.db'}", province=str(SAMPLE)) as (server, client):
        dien_ban = await login_at(client, "/h/dien-ban", "canbo01")
        assert (await client.post("/h/dien-ban/api/v1/cabins/1/open", headers=dien_ban)).status_code == 200
        for prefix in ("/h/hoi-an", "", "/h/qnam"):  # same username, same password, another hall
            refused = await client.post(f"{prefix}/api/v1/cabins/1/open", headers=dien_ban)
            assert refused.status_code == 401, (prefix, refused.text)
        assert (await client.get("/h/hoi-an/api/v1/cabins/1")).json()["state"] == "closed"
        # keypad-40 exists in the provincial centre only
        async with connect(ws_url(server.url, "/h/dien-ban/ws/device")) as ws:
            await ws.send(pack(hello("keypad-40", "demo-keypad-40", "keypad")))
            assert unpack(await next_message(ws))["code"] == "unauthorized"
        async with connect(ws_url(server.url, "/ws/device")) as ws:
            await ws.send(pack(hello("keypad-40", "demo-keypad-40", "keypad")))
            assert unpack(await next_message(ws))["t"] == "welcome"


async def login_at(client, prefix: str, username: str) -> dict[str, str]:
    answer = await client.post(f"{prefix}/api/v1/auth/login", json={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def test_a_hall_screen_sees_its_own_hall_only(tmp_path):
    async with served_hall(f"sqlite:///{tmp_path / 'p.db'}", province=str(SAMPLE)) as (server, client):
        page = await client.get("/h/hoi-an/display/hall")
        assert page.status_code == 200 and "/static/hall.js" in page.text
        async with connect(ws_url(server.url, "/h/hoi-an/ws/display/hall"), max_size=None) as ws:
            snap = await receive(ws)
            assert snap["t"] == "snapshot" and snap["seq"] == server.halls["hoi-an"].durable_seq
            assert snap["hall"]["id"] == "hoi-an" and {s["code"] for s in snap["services"]} >= {"CA-TN", "TNMT-TN"}
            await issue(client, "/h/dien-ban", "TNMT-TN")  # another hall: no delta here
            await issue(client, "", "STP-TN")
            mine = await issue(client, "/h/hoi-an", "TNMT-TN")
            delta = await receive(ws)
            assert delta["t"] == "delta"
            assert [e["data"]["number"] for e in delta["events"] if e["type"] == "ticket_issued"] == [mine["number"]]


async def receive(ws) -> dict:
    return json.loads(await next_message(ws, WAIT))


async def test_statistics_never_mix_and_the_province_ranks_halls_and_agencies(tmp_path):
    clock = ManualClock()
    async with served_hall(f"sqlite:///{tmp_path / 'p.db'}", clock=clock, province=str(SAMPLE)) as (server, client):
        for _ in range(3):
            await issue(client, "/h/dien-ban", "TP-TN")
        await issue(client, "/h/hoi-an", "CA-TN")
        officer = await login_at(client, "/h/dien-ban", "canbo01")
        await client.post("/h/dien-ban/api/v1/cabins/1/open", headers=officer)
        called = (await client.post("/h/dien-ban/api/v1/cabins/1/call-next", headers=officer)).json()
        assert called["number"] == "A001"
        clock.advance(5)
        await client.post("/h/dien-ban/api/v1/cabins/1/start", headers=officer)
        await client.post("/h/dien-ban/api/v1/cabins/1/finish", headers=officer)

        boards = {hall: (await client.get(f"/h/{hall}/api/v1/stats/today")).json()["hall"] for hall in server.halls}
        assert {hall: board["tickets_issued"] for hall, board in boards.items()} == {"qnam": 0, "dien-ban": 3, "hoi-an": 1}

        manager = await login_at(client, "", "quanly")  # the provincial centre's floor manager
        assert (await client.get("/api/v1/province/stats")).status_code == 401
        district_manager = await login_at(client, "/h/dien-ban", "quanly")
        assert (await client.get("/api/v1/province/stats", headers=district_manager)).status_code == 401
        assert (await client.get("/api/v1/province/stats", headers=await login_at(client, "", "canbo01"))).status_code == 403
        figures = (await client.get("/api/v1/province/stats", headers=manager)).json()
        assert figures["totals"]["tickets_issued"] == 4 and figures["totals"]["served"] == 1
        halls = {row["hall"]: row for row in figures["halls"]}
        assert halls["dien-ban"]["served"] == 1 and halls["dien-ban"]["within_target_pct"] == 100.0
        assert halls["dien-ban"]["rank"] == 1 and figures["halls"][0]["hall"] == "dien-ban"
        assert halls["hoi-an"]["served"] == 0 and halls["qnam"]["tickets_issued"] == 0
        agencies = {(row["hall"], row["code"]): row for row in figures["agencies"]}
        assert agencies[("dien-ban", "TP")]["tickets_issued"] == 3 and agencies[("dien-ban", "TP")]["rank"] == 1
        assert agencies[("hoi-an", "CA")]["tickets_issued"] == 1 and ("qnam", "CA") not in agencies

        report = (await client.get("/api/v1/province/report?period=2027-03", headers=manager)).json()
        assert report["period"] == "2027-03" and [r["hall_id"] for r in report["hall_reports"]] == ["qnam", *DISTRICTS]
        assert report["halls"][0]["hall"] == "dien-ban" and report["totals"]["tickets_issued"] == 4
        assert (await client.get("/api/v1/province/report?period=soon", headers=manager)).status_code == 422
        listed = (await client.get("/api/v1/province")).json()
        assert [h["path"] for h in listed["halls"]] == ["/h/qnam/", "/h/dien-ban/", "/h/hoi-an/"]
