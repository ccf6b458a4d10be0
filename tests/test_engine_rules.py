"""The hall's rules, command by command, under a clock moved by hand (golden tables)."""

from __future__ import annotations

import datetime as dt

import pytest

from hall import commands as c
from hall.engine import Engine, replay
from hall.lifecycle import TICKET_TRANSITIONS, CommandRefused, ticket_next
from support.clock import MONDAY_0800, TZ, ManualClock
from support.halls import small_hall, state_digest


def make(**rules):
    clock = ManualClock()
    engine = Engine(small_hall(**rules))
    return engine, clock


def issue(engine, clock, service, tid, priority=None, channel="kiosk"):
    events = engine.handle(c.IssueTicket(tid, service, priority, channel), clock.now())
    return engine.state.tickets[tid], events


def open_all(engine, clock):
    for n in (1, 2, 3):
        engine.handle(c.OpenCabin(n, f"canbo0{n}"), clock.now())


def call(engine, clock, cabin):
    events = engine.handle(c.CallNext(cabin), clock.now())
    called = [e for e in events if e.type == "ticket_called"]
    return engine.state.tickets[called[0].payload.id].number if called else None


def test_numbers_run_per_service_and_restart_each_day():
    engine, clock = make()
    assert [issue(engine, clock, "CA-TN", f"w{i}")[0].number for i in range(3)] == ["W001", "W002", "W003"]
    assert issue(engine, clock, "TP-TN", "b1")[0].number == "B001"
    clock.t = dt.datetime(2027, 3, 2, 8, 0, tzinfo=TZ).timestamp()
    ticket, events = issue(engine, clock, "CA-TN", "next-day")
    assert ticket.number == "W001"
    assert [e.type for e in events] == ["day_closed", "day_opened", "ticket_issued"]
    # Closing the day closed yesterday's unserved tickets, each remembering its state.
    assert engine.state.tickets["w0"].state == "closed" and engine.state.tickets["w0"].closed_from == "waiting"


def test_kiosk_refuses_outside_opening_hours_but_staff_may_issue():
    engine, clock = make()
    clock.t = dt.datetime(2027, 3, 1, 12, 15, tzinfo=TZ).timestamp()  # lunch break
    with pytest.raises(CommandRefused) as refused:
        issue(engine, clock, "CA-TN", "lunch")
    assert refused.value.code == "hall_closed" and "07:30–11:30" in refused.value.message
    assert issue(engine, clock, "CA-TN", "staff", channel="staff")[0].number == "W001"
    clock.t = dt.datetime(2027, 3, 6, 9, 0, tzinfo=TZ).timestamp()  # Saturday
    with pytest.raises(CommandRefused):
        issue(engine, clock, "CA-TN", "saturday")


# Golden dispatch table: (arrivals as (minute, service, priority)), cabin calling, expected order.
DISPATCH_GOLDEN = [
    # First come, first served inside one queue.
    ([(0, "CA-TN", None), (1, "CA-TN", None), (2, "CA-TN", None)], 2, ["W001", "W002", "W003"]),
    # Priority goes first but at most two in a row while normal tickets wait.
    ([(0, "CA-TN", None), (1, "CA-TN", "elderly"), (2, "CA-TN", "elderly"), (3, "CA-TN", "elderly"), (4, "CA-TN", None)],
     2, ["W002", "W003", "W001", "W004", "W005"]),
    # Cabin 1 serves its own queue first; the police queue (weight 0.25) only once its wait is 4x longer.
    ([(0, "CA-TN", None), (10, "TP-TN", None), (12, "TP-TN", None)], 1, ["B001", "B002", "W001"]),
    ([(0, "CA-TN", None), (55, "TP-TN", None)], 1, ["W001", "B001"]),
    # A cabin with two queues at equal weight takes the longest wait across both.
    ([(0, "TKQ", None), (1, "CA-TN", None), (2, "TKQ", None)], 3, ["Z001", "W001", "Z002"]),
]


@pytest.mark.parametrize(("arrivals", "cabin", "expected"), DISPATCH_GOLDEN)
def test_dispatch_golden_orders(arrivals, cabin, expected):
    engine, clock = make()
    start = clock.t
    for i, (minute, service, priority) in enumerate(arrivals):
        clock.t = start + minute * 60
        issue(engine, clock, service, f"t{i}", priority)
    clock.t = start + 60 * 60
    engine.handle(c.OpenCabin(cabin, f"canbo0{cabin}"), clock.now())
    order = []
    while (number := call(engine, clock, cabin)) is not None:
        order.append(number)
        engine.handle(c.FinishService(cabin), clock.now())
    assert order == expected


def test_two_cabins_never_get_the_same_ticket():
    engine, clock = make()
    for i in range(3):
        issue(engine, clock, "CA-TN", f"t{i}")
    open_all(engine, clock)
    got = [call(engine, clock, n) for n in (2, 3, 1)]
    assert sorted(got) == ["W001", "W002", "W003"]
    holders = [engine.state.cabins[n].ticket for n in (1, 2, 3)]
    assert len(set(holders)) == 3 and all(engine.state.tickets[t].cabin == n for n, t in zip((1, 2, 3), holders))
    engine.handle(c.FinishService(2), clock.now())
    assert call(engine, clock, 2) is None  # nothing left: every ticket was called exactly once

def test_calling_while_holding_a_ticket_is_refused_with_the_ticket_named():
    engine, clock = make()
    issue(engine, clock, "CA-TN", "a")
    issue(engine, clock, "CA-TN", "b")
    open_all(engine, clock)
    call(engine, clock, 2)
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.CallNext(2), clock.now())
    assert refused.value.code == "cabin_busy" and "W001" in refused.value.message


def test_no_show_needs_the_recalls_then_rejoins_within_the_window():
    engine, clock = make()
    issue(engine, clock, "CA-TN", "a")
    open_all(engine, clock)
    call(engine, clock, 2)
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.NoShow(2), clock.now())
    assert refused.value.code == "recall_first"
    engine.handle(c.Recall(2), clock.now())
    engine.handle(c.NoShow(2), clock.now())
    assert engine.state.tickets["a"].state == "no_show"
    clock.advance(10)
    engine.handle(c.Rejoin("a"), clock.now())
    assert engine.state.tickets["a"].state == "waiting"
    assert call(engine, clock, 3) == "W001"


def test_rejoin_after_the_window_is_refused():
    engine, clock = make()
    issue(engine, clock, "CA-TN", "a")
    open_all(engine, clock)
    call(engine, clock, 2)
    engine.handle(c.Recall(2), clock.now())
    engine.handle(c.NoShow(2), clock.now())
    clock.advance(31)
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.Rejoin("a"), clock.now())
    assert refused.value.code == "rejoin_window_passed"


def test_transfer_keeps_the_original_arrival_and_number():
    engine, clock = make()
    issue(engine, clock, "TP-TN", "early")
    clock.advance(5)
    issue(engine, clock, "CA-TN", "later")
    open_all(engine, clock)
    assert call(engine, clock, 1) == "B001"
    clock.advance(3)
    engine.handle(c.Transfer(1, service="CA-TN"), clock.now())
    moved = engine.state.tickets["early"]
    assert (moved.state, moved.service, moved.number, moved.arrival) == ("waiting", "CA-TN", "B001", MONDAY_0800)
    assert call(engine, clock, 2) == "B001"  # earlier arrival than W001


def test_transfer_to_a_cabin_is_called_only_there():
    engine, clock = make()
    issue(engine, clock, "CA-TN", "a")
    open_all(engine, clock)
    call(engine, clock, 2)
    engine.handle(c.Transfer(2, to_cabin=3), clock.now())
    assert call(engine, clock, 2) is None
    assert call(engine, clock, 3) == "W001"


def test_pause_needs_a_reason_and_a_free_cabin():
    engine, clock = make()
    open_all(engine, clock)
    with pytest.raises(CommandRefused):
        engine.handle(c.Pause(2, "  "), clock.now())
    engine.handle(c.Pause(2, "họp giao ban"), clock.now())
    assert engine.state.cabins[2].pause_reason == "họp giao ban"
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.CallNext(2), clock.now())
    assert "paused" in refused.value.message
    engine.handle(c.Resume(2), clock.now())
    assert engine.state.cabins[2].state == "open"


def test_an_officer_cannot_sit_at_two_cabins():
    engine, clock = make()
    engine.handle(c.OpenCabin(2, "canbo02"), clock.now())
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.OpenCabin(3, "canbo02"), clock.now())
    assert refused.value.code == "officer_busy"


def test_refused_commands_change_nothing():
    engine, clock = make()
    issue(engine, clock, "CA-TN", "a")
    before = engine.state.seq
    for command in (c.IssueTicket("x", "NOPE"), c.CallNext(99), c.FinishService(2), c.Resume(1), c.CancelTicket("zzz"),
                    c.IssueTicket("y", "CA-TN", priority="vip")):
        with pytest.raises(CommandRefused):
            engine.handle(command, clock.now())
    assert engine.state.seq == before


def test_retried_request_issues_one_ticket():
    engine, clock = make()
    first = engine.handle(c.IssueTicket("a", "CA-TN", request="kiosk-01:7"), clock.now())
    again = engine.handle(c.IssueTicket("b", "CA-TN", request="kiosk-01:7"), clock.now())
    assert [e.type for e in first][-1] == "ticket_issued" and again == []
    assert engine.state.requests["kiosk-01:7"] == "a" and "b" not in engine.state.tickets


def test_wait_estimate_follows_the_queue_length_predictor():
    engine, clock = make()
    open_all(engine, clock)
    # Cabins 2 and 3 serve CA-TN fully; cabin 1 at weight 0.25 but only while its own queue is empty.
    for i in range(6):
        issue(engine, clock, "CA-TN", f"t{i}")
    for n in (1, 2, 3):
        call(engine, clock, n)
    ticket, events = issue(engine, clock, "CA-TN", "me")
    estimate = events[-1].payload.estimate
    # 3 waiting ahead, 3 cabins busy serving the queue at 10 minutes: (3+1) x 10 / 3.
    assert events[-1].payload.ahead == 3
    assert estimate.minutes == pytest.approx(40 / 3, abs=0.1)


def test_every_table_transition_is_reachable_only_through_its_action():
    for state, moves in TICKET_TRANSITIONS.items():
        for action in ("call", "recall", "start", "finish", "no_show", "transfer", "cancel", "rejoin", "close_day"):
            if action not in moves:
                with pytest.raises(CommandRefused):
                    ticket_next("X1", state, action)


def test_replay_rebuilds_the_same_hall():
    engine, clock = make()
    events = []
    for i in range(4):
        events += issue(engine, clock, "CA-TN", f"t{i}")[1]
    for n in (2, 3):
        events += engine.handle(c.OpenCabin(n, f"canbo0{n}"), clock.now())
        events += engine.handle(c.CallNext(n), clock.now())
    clock.advance(12)
    events += engine.handle(c.FinishService(2), clock.now())
    events += engine.handle(c.Transfer(3, service="TKQ"), clock.now())
    rebuilt = replay(engine.config, events)
    assert state_digest(rebuilt) == state_digest(engine)


def test_the_floor_manager_seats_another_officer_and_the_change_replays():
    engine, clock = make()
    events = engine.handle(c.OpenCabin(2, "canbo02"), clock.now())
    with pytest.raises(CommandRefused) as refused:
        engine.handle(c.AssignCabin(2, "canbo03"), clock.now())
    assert "close it" in refused.value.message
    events += engine.handle(c.CloseCabin(2), clock.now())
    events += engine.handle(c.AssignCabin(2, "canbo03", actor="quanly"), clock.now())
    assert engine.assigned_officer(2) == "canbo03" and engine.assigned_officer(3) is None
    events += engine.handle(c.AssignCabin(1, "canbo03", actor="quanly"), clock.now())
    assert engine.assigned_officer(1) == "canbo03" and engine.state.assignments == {1: "canbo03"}
    assert state_digest(replay(engine.config, events)) == state_digest(engine)


def test_kiosks_refuse_on_a_public_holiday_like_the_due_date_rules():
    engine, clock = make()
    clock.t = dt.datetime(2027, 2, 8, 9, 0, tzinfo=TZ).timestamp()  # Monday, Tết holiday
    with pytest.raises(CommandRefused) as refused:
        issue(engine, clock, "CA-TN", "tet")
    assert refused.value.code == "hall_closed"
    clock.t = dt.datetime(2027, 2, 11, 9, 0, tzinfo=TZ).timestamp()  # Thursday after Tết
    assert issue(engine, clock, "CA-TN", "after")[0].number == "W001"
