"""Whatever officers and citizens do, in whatever order, the hall's invariants hold."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hall import commands as c
from hall.components import STANDARD_COMPONENTS, build_engine
from hall.dossiers import ApologiseDossier, ChangeDossierStatus, DossierBook, ReceiveDossier, ReturnDossier
from hall.engine import Engine, replay
from hall.events import Event, decode, encode
from hall.lifecycle import TICKET_TRANSITIONS, CommandRefused
from hall.ratings import RecordRating
from support.clock import ManualClock
from support.halls import small_hall, state_digest

HALL = small_hall(any_hour=True)
SERVICES = ["TP-TN", "CA-TN", "TKQ", "NOPE"]
CABINS = [1, 2, 3, 7]
LEGAL = {(state, to) for state, moves in TICKET_TRANSITIONS.items() for to in moves.values()}


GOOD = {"result": "hai_long", "attitude": "rat_hai_long"}


def dossier_code(engine: Engine, i: int) -> str:
    """The i-th dossier the hall knows (open or finished), or a code it never issued."""
    book = engine.component(DossierBook)
    codes = sorted([*book.open, *book.closed])
    return codes[i % len(codes)] if codes else "TP-000000-0000"


def last_finished(engine: Engine) -> str:
    done = [t for t in engine.state.tickets.values() if t.finished_at is not None]
    return max(done, key=lambda t: t.finished_at).id if done else "none"


def dossier_strategy():
    """Dossier commands; the code is picked from the hall's own dossiers when the step runs."""
    cabin = st.sampled_from(CABINS)
    index = st.integers(0, 5)
    status = st.sampled_from(["processing", "ready", "supplement_requested", "refused", "returned", "nope"])
    return st.one_of(
        st.builds(lambda n, p, name: ReceiveDossier(n, p, name, "0905 123 456"), cabin, st.sampled_from(["TP-01", "CA-01", "XX"]),
                  st.sampled_from([None, "Nguyễn Thị Hồng"])),
        st.builds(lambda i, s: lambda e: ChangeDossierStatus(dossier_code(e, i), s, "thiếu giấy tờ"), index, status),
        st.builds(lambda n, i: lambda e: ReturnDossier(n, dossier_code(e, i)), cabin, index),
        st.builds(lambda i, days: lambda e: ApologiseDossier(dossier_code(e, i), dt.date(2027, 3, 1) + dt.timedelta(days=days), "quá tải"),
                  index, st.integers(0, 40)),
    )


def command_strategy():
    cabin = st.sampled_from(CABINS)
    ticket_ref = st.one_of(st.integers(0, 7).map(lambda i: f"p{i}"), st.integers(0, 40).map(lambda i: f"t{i}"))
    return st.one_of(
        dossier_strategy(),
        st.builds(lambda t, n, levels: RecordRating(t, n, levels), ticket_ref, cabin, st.sampled_from([GOOD, {"result": "hai_long"}])),
        st.builds(lambda n, levels: lambda e: RecordRating(last_finished(e), n, levels), cabin, st.sampled_from([GOOD, {"result": "x"}])),
        st.builds(lambda s, p, i: c.IssueTicket(f"t{i}", s, p), st.sampled_from(SERVICES), st.sampled_from([None, "elderly"]), st.integers(0, 40)),
        st.builds(lambda n: c.OpenCabin(n, f"canbo0{n}" if n < 4 else "nobody"), cabin),
        st.builds(c.CallNext, cabin),
        st.builds(c.CallNext, cabin),
        st.builds(c.CallNext, cabin),
        st.builds(c.FinishService, cabin),
        st.builds(c.CallTicket, cabin, ticket_ref),
        st.builds(c.Recall, cabin),
        st.builds(c.StartService, cabin),
        st.builds(c.FinishService, cabin),
        st.builds(c.NoShow, cabin),
        st.builds(lambda n, s, to: c.Transfer(n, service=s, to_cabin=to), cabin, st.sampled_from([None, "CA-TN", "TKQ"]), st.sampled_from([None, 1, 2, 3])),
        st.builds(c.Pause, cabin, st.sampled_from(["nghỉ giải lao", ""])),
        st.builds(c.Resume, cabin),
        st.builds(c.CloseCabin, cabin),
        st.builds(c.CancelTicket, ticket_ref),
        st.builds(c.Rejoin, ticket_ref),
        st.just(c.CloseDay()),
    )


# Mostly minutes between clicks; one step in 30 jumps past the night (the day rolls over).
minutes = st.integers(0, 29).map(lambda i: 1440.0 if i == 0 else float(i % 15))
steps = st.lists(st.tuples(command_strategy(), minutes), min_size=5, max_size=80)
# Most interesting days start with cabins open and people waiting.
PRELUDE = [(c.OpenCabin(n, f"canbo0{n}"), 0.0) for n in (1, 2, 3)] + [
    (c.IssueTicket(f"p{i}", SERVICES[i % 3], "elderly" if i % 4 == 0 else None), 1.0) for i in range(8)
] + [  # one visit with a dossier and a rating, so replay always covers both components
    (c.CallNext(1), 1.0), (ReceiveDossier(1, "TP-01", "Trần Văn An", "0905 111 222"), 2.0),
    (c.FinishService(1), 3.0), (lambda e: RecordRating(last_finished(e), 1, GOOD), 1.0),
    (lambda e: ChangeDossierStatus(dossier_code(e, 0), "processing"), 1.0),
    (lambda e: ChangeDossierStatus(dossier_code(e, 0), "ready"), 1.0),
    (c.IssueTicket("back", "TKQ"), 1.0), (c.CallTicket(3, "back"), 1.0),
    (lambda e: ReturnDossier(3, dossier_code(e, 0)), 1.0), (c.FinishService(3), 1.0),
]


def check_invariants(engine: Engine) -> None:
    state = engine.state
    today = [t for t in state.tickets.values() if t.day == state.day]
    assert all(n == 1 for n in Counter(t.number for t in today).values()), "a number was issued twice today"
    holders = [cab.ticket for cab in state.cabins.values() if cab.ticket is not None]
    assert len(holders) == len(set(holders)), "one ticket at two cabins"
    for cab in state.cabins.values():
        if cab.ticket is not None:
            ticket = state.tickets[cab.ticket]
            assert ticket.cabin == cab.number and ticket.state in ("called", "serving")
            assert cab.state in ("open", "paused")
    for ticket in state.tickets.values():
        if ticket.state in ("called", "serving"):
            assert state.cabins[ticket.cabin].ticket == ticket.id, f"{ticket.number} is {ticket.state} but no cabin holds it"
        in_queue = ticket.id in state.waiting.get(ticket.service, ()) or any(ticket.id in ids for ids in state.targeted.values())
        assert in_queue == (ticket.state == "waiting"), f"{ticket.number} {ticket.state} queue membership wrong"


def through_the_journal(event: Event) -> Event:
    """An event as replay reads it back: encoded the way the journal stores it, then decoded."""
    return Event(event.seq, event.at, decode(event.type, encode(event.payload)), event.actor)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_days_keep_every_invariant_and_replay_to_the_same_state(script):
    script = PRELUDE + script
    clock = ManualClock()
    engine = build_engine(HALL)
    journal = []
    seen_state: dict[tuple[str, float], str] = {}
    for step, minutes in script:
        clock.advance(minutes)
        before = engine.state.seq
        events = engine.tick(clock.now())  # as the runtime does: a refusal never hides a rolled day
        command = step(engine) if callable(step) else step
        try:
            events += engine.handle(command, clock.now())
        except CommandRefused:
            pass
        assert [e.seq for e in events] == list(range(before + 1, before + 1 + len(events)))
        journal += events
        for ticket in engine.state.tickets.values():
            key = (ticket.id, ticket.issued_at)  # ids of pruned old days may come back in this test
            previous = seen_state.get(key)
            if previous is not None and previous != ticket.state:
                assert (previous, ticket.state) in LEGAL, f"{ticket.number}: {previous} -> {ticket.state}"
            seen_state[key] = ticket.state
        check_invariants(engine)
    assert state_digest(replay(HALL, [through_the_journal(e) for e in journal], STANDARD_COMPONENTS)) == state_digest(engine)
    event(f"calls: {min(sum(e.type == 'ticket_called' for e in journal), 3)}")
    event(f"ratings: {min(sum(e.type == 'rating_recorded' for e in journal), 1)}")
    event(f"dossiers: {min(sum(e.type == 'dossier_received' for e in journal), 2)}, "
          f"returned: {min(sum(e.type == 'dossier_returned' for e in journal), 1)}")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 600)), min_size=1, max_size=30))
def test_a_queues_oldest_arrival_after_k_calls_is_the_oldest_of_those_left(tickets):
    # What the estimate reads when it foresees a rival queue's head (hall/engine.py `_overtakes`),
    # with no walk over the queue: against the walk, for tickets with and without priority that
    # come in any order.
    engine = Engine(HALL)
    start = ManualClock().now()
    for i, (priority, second) in enumerate(tickets):
        engine.handle(c.IssueTicket(f"t{i}", "TP-TN", "elderly" if priority else None, "staff"), start + second)
    queue = engine.state.waiting["TP-TN"]
    arrivals = [key[1] for key, _ in queue.order]  # in the order they will be called
    for k in range(len(arrivals)):
        assert queue.oldest_after(k) == min(arrivals[k:])
    assert queue.oldest_arrival() == min(arrivals)
