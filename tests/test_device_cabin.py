"""Cabin devices over the real device socket: the officer keypad and the rating pad."""

from __future__ import annotations

import pytest

from hall import commands as c
from hall.config import load_hall
from hall.components import build_engine
from hall.engine import Engine
from hall.events import RatingRecorded
from hall.lifecycle import CommandRefused
from hall.ratings import RatingBook, RecordRating
from simulators.devices import DeviceError, SimulatedKeypad, SimulatedRatingPad
from support.devices import KIOSK, bounded_device
from support.servers import login

GOOD = {"result": "rat_hai_long", "attitude": "hai_long"}


async def test_keypad_runs_a_visit_and_shows_the_current_number(hall_server, client):
    taken = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
    async with bounded_device(hall_server.url, SimulatedKeypad("keypad-33")) as pad:
        assert pad.cabin["state"] == "closed" and pad.cabin["current_number"] is None
        opened = await pad.press("open")
        assert opened["cabin"]["state"] == "open" and opened["cabin"]["officer"] == "canbo33"
        called = await pad.press("call-next")
        assert called["ticket"]["number"] == taken["number"] == pad.cabin["current_number"]
        await pad.press("start")
        finished = await pad.press("finish")
        assert finished["cabin"]["current_number"] is None
        nobody = await pad.press("call-next")
        assert nobody["ticket"] is None

        # A change made elsewhere (the officer's console over HTTP) is pushed to the keypad.
        again = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
        auth = await login(client, "canbo33")
        assert (await client.post("/api/v1/cabins/33/call-next", headers=auth)).status_code == 200
        pushed = await pad.wait_for(lambda f: f["t"] == "cabin_state" and f["cabin"]["current_number"] == again["number"])
        assert pushed["cabin"]["ticket"]["state"] == "called"
    state = (await client.get(f"/api/v1/tickets/{taken['id']}")).json()
    assert state["state"] == "done" and state["cabin"] == 33


async def test_keypad_follows_the_same_rules_as_the_http_cabin_actions(hall_server, client):
    await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    async with bounded_device(hall_server.url, SimulatedKeypad("keypad-34")) as pad:
        with pytest.raises(DeviceError) as refused:
            await pad.press("call-next")
        assert refused.value.code == "illegal_transition" and "cabin 34 is closed" in refused.value.message
        await pad.press("open")
        await pad.press("call-next")
        with pytest.raises(DeviceError) as refused:
            await pad.press("no-show")
        assert refused.value.code == "recall_first"
        with pytest.raises(DeviceError) as refused:
            await pad.press("pause", reason="họp")
        assert refused.value.code == "cabin_busy"
        with pytest.raises(DeviceError) as refused:
            await pad.press("finish", cabin=35)
        assert refused.value.code == "not_your_cabin"
        moved = await pad.press("transfer", to_cabin=35)
        assert moved["cabin"]["current_number"] is None
        await pad.press("pause", reason="họp giao ban")
        assert pad.cabin["state"] == "paused" and pad.cabin["pause_reason"] == "họp giao ban"
        await pad.press("resume")
        # A repeated request id is answered again, not carried out twice.
        first = await pad.request({"t": "action", "action": "pause", "reason": "nghỉ"}, request_id="p-1")
        second = await pad.request({"t": "action", "action": "pause", "reason": "nghỉ"}, request_id="p-1")
        assert first == second


async def visit(client, pad: SimulatedKeypad) -> dict:
    """One citizen served at the keypad's cabin (the longest waiting); returns the ticket."""
    await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
    if pad.cabin["state"] == "closed":
        await pad.press("open")
    called = await pad.press("call-next")
    await pad.press("finish")
    return called["ticket"]


async def test_one_rating_per_visit_bound_to_the_officer_who_served(hall_server, client):
    async with bounded_device(hall_server.url, SimulatedKeypad("keypad-33")) as keys, \
            bounded_device(hall_server.url, SimulatedRatingPad("rating-33")) as pad, \
            bounded_device(hall_server.url, SimulatedRatingPad("rating-34")) as neighbour:
        assert pad.welcome["snapshot"]["criteria"] == ["result", "attitude"]
        ticket = await visit(client, keys)
        offered = await pad.wait_for(lambda f: f["t"] == "rating_open")
        assert offered["ticket"]["id"] == ticket["id"] and offered["ticket"]["officer"] == "canbo33"
        assert offered["levels"] == ["rat_hai_long", "hai_long", "khong_hai_long"]

        rating = await pad.rate(ticket["id"], GOOD)
        assert rating == {"ticket": ticket["id"], "number": ticket["number"], "cabin": 33, "officer": "canbo33",
                          "service": "CA-TN", "department": "CA", "levels": GOOD}
        await pad.wait_for(lambda f: f["t"] == "rating_closed" and f["ticket"] == ticket["id"])

        with pytest.raises(DeviceError) as refused:
            await pad.rate(ticket["id"], GOOD)
        assert refused.value.code == "already_rated"
        with pytest.raises(DeviceError) as refused:
            await neighbour.rate(ticket["id"], GOOD)
        assert refused.value.code == "wrong_cabin"

        waiting = (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
        with pytest.raises(DeviceError) as refused:
            await pad.rate(waiting["id"], GOOD)
        assert refused.value.code == "not_finished"
        with pytest.raises(DeviceError) as refused:
            await pad.rate("no-such-ticket", GOOD)
        assert refused.value.code == "unknown_ticket"

        second = await visit(client, keys)
        for levels in ({"result": "rat_hai_long"}, {**GOOD, "speed": "hai_long"}, {**GOOD, "result": "10/10"}):
            with pytest.raises(DeviceError) as refused:
                await pad.rate(second["id"], levels)
            assert refused.value.code == "invalid_rating"
        with pytest.raises(DeviceError) as refused:
            await pad.request({"t": "action", "action": "call-next"})
        assert refused.value.code == "not_allowed"

    recorded = [e for e in hall_server.runtime.journal.load(hall_server.runtime.config.id) if e.type == "rating_recorded"]
    assert [e.payload.ticket for e in recorded] == [ticket["id"]]


async def test_a_rating_pad_that_reconnects_is_offered_the_open_visit_again(hall_server, client):
    async with bounded_device(hall_server.url, SimulatedKeypad("keypad-40")) as keys:
        ticket = await visit(client, keys)
    async with bounded_device(hall_server.url, SimulatedRatingPad("rating-40")) as pad:
        assert pad.offered["ticket"]["id"] == ticket["id"]
        await pad.rate(ticket["id"], GOOD)
    async with bounded_device(hall_server.url, SimulatedRatingPad("rating-40")) as pad:
        assert pad.offered is None


# ---- the rules at the engine, with the clock in hand ------------------------------------------

T0 = 1_790_000_000.0  # a Tuesday morning in Asia/Ho_Chi_Minh


def served_engine() -> tuple[Engine, str, float]:
    engine = build_engine(load_hall())
    engine.handle(c.IssueTicket(ticket_id="t1", service="CA-TN"), T0)
    engine.handle(c.OpenCabin(33, "canbo33"), T0 + 1)
    engine.handle(c.CallNext(33), T0 + 2)
    [finished] = engine.handle(c.FinishService(33), T0 + 300)
    return engine, "t1", finished.at


def test_a_rating_after_the_window_is_refused():
    engine, ticket, finished = served_engine()
    window = engine.config.rules.rating_window_minutes * 60
    with pytest.raises(CommandRefused) as refused:
        engine.handle(RecordRating(ticket=ticket, cabin=33, levels=GOOD), finished + window + 1)
    assert refused.value.code == "rating_window_passed"
    [event] = engine.handle(RecordRating(ticket=ticket, cabin=33, levels=GOOD), finished + window)
    assert isinstance(event.payload, RatingRecorded) and event.payload.officer == "canbo33"


def test_ratings_replay_to_the_same_refusals():
    engine, ticket, finished = served_engine()
    events = engine.handle(RecordRating(ticket=ticket, cabin=33, levels=GOOD), finished + 5)
    replayed = build_engine(engine.config)
    for event in [*_journal(engine), *events]:
        replayed.apply(event)
    rating = replayed.component(RatingBook).rating_of(ticket)
    assert rating is not None and rating.levels == GOOD
    with pytest.raises(CommandRefused, match="already_rated"):
        replayed.handle(RecordRating(ticket=ticket, cabin=33, levels=GOOD), finished + 6)


def _journal(engine: Engine) -> list:
    # Rebuild the events that led here by handling the same commands on a fresh engine.
    fresh = build_engine(engine.config)
    out = fresh.handle(c.IssueTicket(ticket_id="t1", service="CA-TN"), T0)
    out += fresh.handle(c.OpenCabin(33, "canbo33"), T0 + 1)
    out += fresh.handle(c.CallNext(33), T0 + 2)
    out += fresh.handle(c.FinishService(33), T0 + 300)
    return out
