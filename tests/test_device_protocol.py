"""The device protocol against hostile input: over a real server and real websockets.

Every bad frame gets an error frame naming the problem and the connection keeps working; a
refused hello can do nothing; no hello closes with 1008; past the transport's limit, 1009;
hypothesis-made frames never crash the server nor change the hall's state.
"""

from __future__ import annotations

import hashlib
import threading
import time
from functools import partial

import msgpack
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect
from websockets.trio.client import connect

from api.server import ServeOptions, run_hall
from devices.protocol import MAX_FRAME_BYTES, FRAMES, Session, hello, pack, unpack, validate, ProtocolError
from hall.config import load_hall
from simulators.devices import device_url
from support.clock import ManualClock
from support.halls import hall_file_with
from support.servers import login, served_hall
from support.stores import sqlite_url
from support.waits import STEPS, WAIT, next_message

ALL_TYPES = sorted(FRAMES) + ["welcome", "error", "print", "bogus", ""]


async def say_hello(ws, device: str, kind: str, token: str | None = None) -> dict:
    await ws.send(pack(hello(device, token or f"demo-{device}", kind)))
    return await next_frame(ws)


async def next_frame(ws) -> dict:
    return unpack(await next_message(ws))


async def test_every_bad_frame_gets_an_error_and_the_connection_keeps_working(hall_server):
    async with connect(device_url(hall_server.url)) as ws:
        assert (await say_hello(ws, "rating-05", "rating"))["t"] == "welcome"
        cases = [
            (b"\xc1\xc1 garbage", "malformed"),
            (b"", "malformed"),
            (msgpack.packb([1, 2, 3]), "malformed"),
            (msgpack.packb({"t": "take", "id": 1, "service": "CA-TN"}), "not_allowed"),
            (msgpack.packb({"t": "rate", "id": 2, "ticket": 5, "levels": {}}), "invalid"),
            (msgpack.packb({"t": "rate", "id": 3, "ticket": "x" * 500, "levels": {}}), "invalid"),
            (msgpack.packb({"t": "rate", "id": 4}), "invalid"),
            (msgpack.packb({"t": "launch", "id": 5}), "unknown_type"),
            (msgpack.packb({"id": 6}), "invalid"),
            (msgpack.packb({"t": "hello", "device": "x", "token": "y", "kind": "kiosk", "proto": 1}), "invalid"),
            (msgpack.packb({"t": "rate", "id": 7, "ticket": "nope", "levels": {"result": "hai_long", "attitude": "hai_long"}}), "unknown_ticket"),
            (msgpack.packb({"t": "printed", "job": "job-1"}), "not_allowed"),
            (b"\x00" * (MAX_FRAME_BYTES + 1), "too_large"),
            (msgpack.packb({1: 2}), "malformed"),  # integer keys refused (strict_map_key)
            (b"\xdd\xff\xff\xff\xff", "malformed"),  # an array claiming 4 billion items
        ]
        for data, code in cases:
            await ws.send(data)
            answer = await next_frame(ws)
            assert answer["t"] == "error" and answer["code"] == code, (data[:40], answer)
            assert answer["message"]
        await ws.send("text is not a frame")
        assert (await next_frame(ws))["code"] == "malformed"
        await ws.send(pack({"t": "ping", "id": "still-here"}))
        assert await next_frame(ws) == {**unpack(pack({"t": "pong", "ref": "still-here"})), "at": pytest.approx(0, abs=1e12)}


async def test_a_refused_hello_can_do_nothing_on_that_socket(hall_server):
    async with connect(device_url(hall_server.url)) as ws:
        refused = await say_hello(ws, "kiosk-01", "kiosk", token="demo-kiosk-02")
        assert refused["code"] == "unauthorized"
        await ws.send(pack(hello("kiosk-01", "demo-kiosk-01", "kiosk")))
        assert (await next_frame(ws))["code"] == "refused"
        await ws.send(pack({"t": "take", "id": 1, "service": "CA-TN"}))
        assert (await next_frame(ws))["code"] == "refused"
    async with connect(device_url(hall_server.url)) as ws:
        assert (await say_hello(ws, "kiosk-01", "rating"))["code"] == "unauthorized"  # wrong kind
    async with connect(device_url(hall_server.url)) as ws:
        await ws.send(pack({**hello("kiosk-01", "demo-kiosk-01", "kiosk"), "proto": 99}))
        assert (await next_frame(ws))["code"] == "unsupported_version"
    async with connect(device_url(hall_server.url)) as ws:
        await ws.send(pack({"t": "take", "id": 1, "service": "CA-TN"}))
        assert (await next_frame(ws))["code"] == "hello_first"
        assert (await say_hello(ws, "kiosk-01", "kiosk"))["t"] == "welcome"  # still possible
    assert hall_server.runtime.engine.state.tickets == {}


@pytest.mark.slow
async def test_no_hello_closes_with_policy_violation(hall_server):
    async with connect(device_url(hall_server.url)) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await next_message(ws)
    assert closed.value.rcvd.code == 1008


async def test_a_frame_past_the_transport_limit_closes_with_1009(hall_server):
    async with connect(device_url(hall_server.url), max_size=None) as ws:
        await say_hello(ws, "keypad-02", "keypad")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.send(b"\x00" * (1024 * 1024 + 1))
            await next_message(ws)
    assert closed.value.rcvd.code == 1009


async def test_a_flood_is_rate_limited_per_device(tmp_path):
    # The limiter reads the hall's clock. Held still, it gives no token back during the flood,
    # however slowly the pings arrive: exactly the burst is answered, then the device is told.
    burst, sent = 20, 60
    config = hall_file_with(tmp_path, f"[device_protocol]\nburst = {burst}\n")
    async with served_hall(sqlite_url(tmp_path), ManualClock(), config) as (server, _http), \
            connect(device_url(server.url)) as ws:
        await say_hello(ws, "keypad-03", "keypad")
        for i in range(sent):
            await ws.send(pack({"t": "ping", "id": i}))
        pongs, limited = 0, 0

        def count(frame: dict) -> None:
            nonlocal pongs, limited
            pongs += frame["t"] == "pong"
            limited += frame.get("code") == "rate_limited"

        while not limited and pongs < sent:
            count(await next_frame(ws))
        with trio.move_on_after(1):  # whatever of the flood is still arriving is dropped silently
            while True:
                count(await next_frame(ws))
    assert pongs == burst
    # Dropped frames are not answered one by one: the device is told, not flooded back.
    assert limited == 1


@pytest.mark.slow
async def test_a_silent_device_is_marked_offline(tmp_path):
    config = hall_file_with(tmp_path, "[device_protocol]\nheartbeat_seconds = 0.2\noffline_after_seconds = 0.5\n")
    async with served_hall(sqlite_url(tmp_path), config=config) as (server, http):
        manager = await login(http, "quanly")  # the listing is for staff (signed in first: the device has 0.5 s)
        async with connect(device_url(server.url)) as ws:
            welcome = await say_hello(ws, "keypad-07", "keypad")
            assert welcome["offline_after_seconds"] == 0.5
            listed = {d["id"]: d for d in (await http.get("/api/v1/devices", headers=manager)).json()["devices"]}
            assert listed["keypad-07"]["status"] == "online" and listed["keypad-07"]["last_seen"]
            # The device stops sending; the server's heartbeats still arrive until it gives up.
            # The bound only keeps a broken watchdog from hanging the suite; it asserts no timing.
            with pytest.raises(ConnectionClosed) as closed, trio.fail_after(STEPS):
                while True:
                    assert (await next_frame(ws))["t"] == "heartbeat"
            assert closed.value.rcvd.code == 4000
            listed = {d["id"]: d for d in (await http.get("/api/v1/devices", headers=manager)).json()["devices"]}
            assert listed["keypad-07"]["status"] == "offline" and "offline" in listed["keypad-07"]["faults"]
            assert listed["keypad-07"]["last_seen"] is not None


# ---- the session alone (no I/O) ---------------------------------------------------------------


def test_session_answers_a_repeated_request_from_its_cache():
    config = load_hall()
    session = Session(config.devices.get, {})
    assert session.receive(pack(hello("kiosk-01", "demo-kiosk-01", "kiosk")), 0).hello
    first = session.receive(pack({"t": "take", "id": "a", "service": "CA-TN"}), 1)
    assert first.frame is not None
    session.answered("a", [{"t": "ticket", "ref": "a"}])
    again = session.receive(pack({"t": "take", "id": "a", "service": "CA-TN"}), 2)
    assert again.frame is None and again.replay == [{"t": "ticket", "ref": "a"}]
    assert session.receive(pack({"t": "take", "id": 1, "service": "CA-TN"}), 3).frame is not None  # 1 is not "a"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["t", "id", "service", "levels", "job", "paper", "action", "proto"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=80),
                                 st.binary(max_size=80), st.lists(st.integers(), max_size=5),
                                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), st.sampled_from(ALL_TYPES))))
def test_validation_refuses_with_a_named_problem_or_accepts(frame):
    try:
        validate(frame)
    except ProtocolError as exc:
        assert exc.code in ("invalid", "unknown_type") and exc.message


# ---- hypothesis against a live server ---------------------------------------------------------


@pytest.fixture(scope="module")
def live_hall(tmp_path_factory):
    """A hall served from a thread of its own, so hypothesis can drive it from sync code."""
    folder = tmp_path_factory.mktemp("hostile")
    # The flood limit is tested on its own above; here it would drop the probe pings.
    config = hall_file_with(folder, "[device_protocol]\nrate_per_second = 100000\nburst = 100000\n")
    options = ServeOptions(config=config, db=sqlite_url(folder), port=0)
    started: dict = {}
    ready = threading.Event()

    async def main() -> None:
        stop = trio.Event()
        started["stop"], started["token"] = stop, trio.lowlevel.current_trio_token()
        async with trio.open_nursery() as nursery:
            started["server"] = await nursery.start(partial(run_hall, options, shutdown_trigger=stop.wait))
            ready.set()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    assert ready.wait(WAIT), "the hall did not start"
    yield started
    trio.from_thread.run_sync(started["stop"].set, trio_token=started["token"])
    thread.join(WAIT)
    assert not thread.is_alive(), "the hall did not stop"


def state_digest(engine) -> tuple[int, str]:
    s = engine.state
    text = repr((s.day, s.day_open, sorted((t.id, t.state, t.number) for t in s.tickets.values()),
                 sorted((n, x.state, x.ticket, x.officer) for n, x in s.cabins.items()), s.counters))
    return s.seq, hashlib.sha256(text.encode()).hexdigest()


hostile_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.floats(), st.text(max_size=40),
    st.binary(max_size=40), st.lists(st.integers(-(2**63), 2**63 - 1), max_size=4),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4),
)
hostile_frames = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(["t", "id", "service", "priority", "ticket", "levels", "job", "reason", "action",
                                     "paper", "cabin", "to_cabin", "device", "token", "kind", "proto"]),
                    hostile_values, max_size=8).map(lambda d: msgpack.packb(d, use_bin_type=True)),
    st.builds(lambda t, d: msgpack.packb({**d, "t": t}, use_bin_type=True), st.sampled_from(ALL_TYPES),
              st.dictionaries(st.text(max_size=10), hostile_values, max_size=6)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=hostile_frames, as_kind=st.sampled_from([("rating-09", "rating"), ("printer-02", "printer")]))
def test_hostile_frames_never_crash_the_server_nor_change_the_hall(live_hall, data, as_kind):
    server = live_hall["server"]
    engine = server.runtime.engine
    before = trio.from_thread.run_sync(state_digest, engine, trio_token=live_hall["token"])
    device, kind = as_kind
    with sync_connect(device_url(server.url), max_size=None) as ws:
        ws.send(pack(hello(device, f"demo-{device}", kind)))
        assert unpack(ws.recv(timeout=WAIT))["t"] == "welcome"
        ws.send(data)
        ws.send(pack({"t": "ping", "id": "probe"}))
        deadline = time.monotonic() + WAIT
        while True:
            frame = unpack(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            if frame.get("t") == "pong":
                break
            assert frame["t"] in ("error", "heartbeat"), frame
            if frame["t"] == "error":
                assert frame["code"] and frame["message"]
    after = trio.from_thread.run_sync(state_digest, engine, trio_token=live_hall["token"])
    assert after == before
