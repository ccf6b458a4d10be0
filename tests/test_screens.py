"""Screens and voice through the real server: pages, the display socket, tracking, announcements."""

from __future__ import annotations

import io
import json
import wave

import httpx
import pytest
import trio
from websockets.exceptions import ConnectionClosed
from websockets.trio.client import connect

from support.servers import login
from support.waits import STEPS, WAIT, next_message
from support.devices import KIOSK

PAGES = ["/display/hall", "/display/cabin/12", "/board", "/dashboard", "/officer", "/kiosk", "/track/anything"]


def ws_url(server, kind: str) -> str:
    return server.url.replace("http://", "ws://") + f"/ws/display/{kind}"


async def receive_json(ws) -> dict:
    return json.loads(await next_message(ws))


async def open_cabin(client: httpx.AsyncClient, number: int) -> dict[str, str]:
    auth = await login(client, f"canbo{number:02d}")
    answer = await client.post(f"/api/v1/cabins/{number}/open", headers=auth)
    assert answer.status_code == 200, answer.text
    return auth


async def test_every_page_is_served_as_vietnamese_html(client):
    for path in PAGES:
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/html; charset=utf-8")
        assert '<html lang="vi"' in answer.text and "/static/screens.css" in answer.text
    assert (await client.get("/static/live.js")).headers["content-type"].startswith("text/javascript")
    assert (await client.get("/static/..%2Fvoice.py")).status_code == 404
    assert (await client.get("/static/nothing.js")).status_code == 404


async def test_a_screen_gets_a_snapshot_then_the_call_as_a_delta(hall_server, client):
    await client.post("/api/v1/tickets", json={"service": "STP-TN"}, headers=KIOSK)
    auth = await open_cabin(client, 2)
    async with connect(ws_url(hall_server, "cabin/2")) as ws:
        snap = await receive_json(ws)
        assert snap["t"] == "snapshot" and snap["seq"] == hall_server.runtime.durable_seq
        assert next(c for c in snap["cabins"] if c["number"] == 2)["state"] == "open"
        called = (await client.post("/api/v1/cabins/2/call-next", headers=auth)).json()
        delta = await receive_json(ws)
        assert delta["t"] == "delta" and delta["seq"] > snap["seq"]
        assert delta["events"][0]["seq"] == snap["seq"] + 1
        event = next(e for e in delta["events"] if e["type"] == "ticket_called")
        assert (event["data"]["number"], event["data"]["cabin"]) == (called["number"], 2)
        cabin = next(c for c in delta["cabins"] if c["number"] == 2)
        assert cabin["ticket"]["number"] == called["number"]


async def test_the_hall_snapshot_keeps_finished_calls_newest_first(hall_server, client):
    auth = await open_cabin(client, 2)
    for _ in range(2):
        await client.post("/api/v1/tickets", json={"service": "STP-TN"}, headers=KIOSK)
    first = (await client.post("/api/v1/cabins/2/call-next", headers=auth)).json()
    await client.post("/api/v1/cabins/2/finish", headers=auth)
    second = (await client.post("/api/v1/cabins/2/call-next", headers=auth)).json()
    async with connect(ws_url(hall_server, "hall")) as ws:
        snap = await receive_json(ws)
    assert [c["number"] for c in snap["calls"]] == [second["number"], first["number"]]
    assert snap["notices"] and all(isinstance(n, str) for n in snap["notices"])


async def test_tracking_shows_only_that_ticket_and_says_when_it_is_called(hall_server, client):
    mine = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
    other = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
    auth = await open_cabin(client, 33)
    async with connect(ws_url(hall_server, f"track/{other['id']}")) as ws:
        snap = await receive_json(ws)
        assert snap["ticket"]["number"] == other["number"] and snap["ticket"]["ahead"] == 1
        assert mine["id"] not in json.dumps(snap)
        await client.post("/api/v1/cabins/33/call-next", headers=auth)  # calls `mine`, the older one
        update = await receive_json(ws)
        assert update["t"] == "ticket" and update["ticket"]["ahead"] == 0
        assert mine["id"] not in json.dumps(update) and mine["number"] not in json.dumps(update)
        await client.post("/api/v1/cabins/33/finish", headers=auth)
        await client.post("/api/v1/cabins/33/call-next", headers=auth)
        with trio.fail_after(WAIT):
            while (update := await receive_json(ws))["ticket"]["state"] != "called":
                pass
        assert update["ticket"]["cabin"] == 33


async def test_unknown_ticket_or_screen_is_refused(hall_server):
    for kind in ("track/not-a-ticket", "cabin/999", "nonsense"):
        async with connect(ws_url(hall_server, kind)) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive_json(ws)
            assert closed.value.rcvd.code == 4404


@pytest.mark.slow
async def test_simultaneous_calls_are_announced_one_by_one_in_call_order(hall_server, client):
    cabins = [2, 33, 43, 52, 3]
    services = {2: "STP-TN", 33: "CA-TN", 43: "CT-TN", 52: "BHXH-TN", 3: "SKHDT-TN"}
    auths = {}
    for n in cabins:
        auths[n] = await open_cabin(client, n)
        await client.post("/api/v1/tickets", json={"service": services[n]}, headers=KIOSK)
        await client.post("/api/v1/tickets", json={"service": services[n]}, headers=KIOSK)
    async with connect(ws_url(hall_server, "hall?audio=1"), max_size=None) as ws:
        snap = await receive_json(ws)
        called: dict[str, dict] = {}

        async def call(n: int) -> None:
            answer = await client.post(f"/api/v1/cabins/{n}/call-next", headers=auths[n])
            assert answer.status_code == 200, answer.text
            called[answer.json()["number"]] = {"cabin": n}

        async with trio.open_nursery() as nursery:  # every cabin presses "next" at once
            for n in cabins:
                nursery.start_soon(call, n)

        call_order: list[tuple[str, int]] = []
        announced: list[dict] = []
        deadline = trio.current_time() + STEPS
        while len(announced) < len(cabins) + 1:
            assert trio.current_time() < deadline, f"only {len(announced)} announcements came"
            frame = await receive_json(ws)
            if frame["t"] == "delta":
                call_order += [(e["data"]["number"], e["data"]["cabin"]) for e in frame["events"]
                               if e["type"] in ("ticket_called", "ticket_recalled")]
                continue
            assert frame["t"] == "announce", frame
            announced.append(frame)
            handed_out = trio.current_time()
            if len(announced) == 1:
                # The cabin being announced recalls: a new announcement after the others.
                recall = await client.post(f"/api/v1/cabins/{frame['cabin']}/recall", headers=auths[frame["cabin"]])
                assert recall.status_code == 200, recall.text
            # While this one plays nothing else is announced: the next frame can only come
            # after it is reported played (deltas may still arrive meanwhile).
            with trio.move_on_after(0.5):
                while True:
                    other = await receive_json(ws)
                    assert other["t"] != "announce", f"{other} announced while {frame['id']} still played"
                    call_order += [(e["data"]["number"], e["data"]["cabin"]) for e in other.get("events", [])
                                   if e["type"] in ("ticket_called", "ticket_recalled")]
            audio = await client.get(frame["audio"])
            assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
            with wave.open(io.BytesIO(audio.content)) as wav:
                assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
                seconds = wav.getnframes() / wav.getframerate()
                assert seconds > 2.0  # chime and speech, not empty
            await trio.sleep_until(handed_out + seconds)  # as the hall TV does: played once heard
            await ws.send(json.dumps({"t": "played", "id": frame["id"]}))

    assert snap["seq"] < hall_server.runtime.durable_seq
    assert [(a["number"], a["cabin"]) for a in announced] == call_order
    assert [a["id"] for a in announced] == sorted(a["id"] for a in announced)
    assert {a["number"]: a["cabin"] for a in announced} == {k: v["cabin"] for k, v in called.items()}
    assert announced[-1]["recall"] is True
    assert (announced[-1]["number"], announced[-1]["cabin"]) == (announced[0]["number"], announced[0]["cabin"])
    for a in announced:
        assert a["text"].startswith("Mời ông bà có số thứ tự") and "đến quầy số" in a["text"]
    status = (await client.get("/api/v1/announcements")).json()
    assert [h["outcome"] for h in status["history"]][-len(announced):] == ["played"] * len(announced)


async def test_without_a_hall_display_calls_are_not_kept_for_later(hall_server, client):
    auth = await open_cabin(client, 2)
    await client.post("/api/v1/tickets", json={"service": "STP-TN"}, headers=KIOSK)
    async with connect(ws_url(hall_server, "hall"), max_size=None) as muted:  # a TV without ?audio=1
        await receive_json(muted)
        await client.post("/api/v1/cabins/2/call-next", headers=auth)
        with trio.fail_after(WAIT):
            while (await client.get("/api/v1/announcements")).json()["unheard"] < 1:
                await trio.sleep(0.05)
        frame = await receive_json(muted)
        assert frame["t"] == "delta" and frame["events"][0]["type"] == "ticket_called"  # shown, not spoken
    status = (await client.get("/api/v1/announcements")).json()
    assert status["pending"] == [] and status["playing"] is None


async def test_a_stranger_cannot_hurry_the_voice_by_reporting_calls_played(hall_server, client):
    """The hall TV is anonymous, so anyone may open its sound socket. A `played` report that
    comes before the announcement could have been heard is ignored: a stranger cannot skip the
    hall's calls ahead, nor stop a cancelled call being withdrawn before it is spoken."""
    auth = await open_cabin(client, 33)
    for _ in range(2):
        await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    async with connect(ws_url(hall_server, "hall?audio=1"), max_size=None) as ws:
        await receive_json(ws)  # the snapshot
        await client.post("/api/v1/cabins/33/call-next", headers=auth)
        first = await receive_json(ws)
        with trio.fail_after(WAIT):
            while first["t"] != "announce":
                first = await receive_json(ws)
        await ws.send(json.dumps({"t": "played", "id": first["id"]}))  # at once: nobody heard it yet
        await client.post("/api/v1/cabins/33/finish", headers=auth)
        second = await client.post("/api/v1/cabins/33/call-next", headers=auth)
        assert second.status_code == 200, second.text
        with trio.move_on_after(1.0):
            while True:
                frame = await receive_json(ws)
                assert frame["t"] != "announce", "the next call went out on a stranger's word"
        status = (await client.get("/api/v1/announcements")).json()
        assert status["playing"]["number"] == first["number"]
