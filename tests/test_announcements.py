"""The announcement queue: one call at a time, in call order, always the number that was called."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from displays.announcements import AnnouncementError, AnnouncementQueue
from displays.vi_numbers import announcement_text


def play_all(queue, now=0.0, step=1.0):
    """Drain the queue like a well-behaved player; returns what was spoken, in order."""
    spoken = []
    while (a := queue.next_to_play(now)) is not None:
        spoken.append(a)
        now += step
        assert queue.mark_played(a.id, now)
    return spoken


def test_simultaneous_calls_from_several_cabins_are_announced_one_by_one_in_call_order():
    q = AnnouncementQueue()
    calls = [("A001", 3), ("B017", 12), ("1023", 61), ("KH105", 7)]
    for i, (ticket, cabin) in enumerate(calls):
        q.enqueue_call(ticket, cabin, call_id=f"call-{i}", recall=False)

    first = q.next_to_play(now=100.0)
    assert (first.ticket_number, first.cabin) == ("A001", 3)
    assert q.next_to_play(now=100.5) is None  # the hall hears one voice at a time
    q.mark_played(first.id, now=104.0)
    rest = play_all(q, now=104.0)

    spoken = [first, *rest]
    assert [(a.ticket_number, a.cabin) for a in spoken] == calls
    assert [a.call_id for a in spoken] == ["call-0", "call-1", "call-2", "call-3"]
    for a, (ticket, cabin) in zip(spoken, calls):
        assert a.text == announcement_text(ticket, cabin)
    assert [a.id for a in spoken] == sorted(a.id for a in spoken)
    assert q.pending() == [] and q.playing is None


def test_pending_lists_the_waiting_calls_in_order():
    q = AnnouncementQueue()
    a = q.enqueue_call("A001", 1, "c1", False)
    b = q.enqueue_call("A002", 2, "c2", False)
    assert q.pending() == [a, b]
    assert q.next_to_play(0.0) == a
    assert q.pending() == [b]


def test_the_text_is_the_called_number_and_cabin():
    q = AnnouncementQueue()
    a = q.enqueue_call("1023", 12, "c", False)
    assert a.text == (
        "Mời ông bà có số thứ tự một nghìn không trăm hai mươi ba, đến quầy số mười hai"
    )


def test_digits_mode_reads_the_ticket_digit_by_digit():
    q = AnnouncementQueue(mode="digits")
    assert q.enqueue_call("1023", 2, "c", False).text == (
        "Mời ông bà có số thứ tự một không hai ba, đến quầy số hai"
    )


def test_a_malformed_ticket_number_fails_when_called_not_when_played():
    q = AnnouncementQueue()
    with pytest.raises(ValueError):
        q.enqueue_call("A-?", 1, "c", False)
    assert q.pending() == []


def test_recall_repeats_the_same_ticket_and_cabin_as_a_new_announcement():
    q = AnnouncementQueue()
    first = q.enqueue_call("A023", 5, "call-1", recall=False)
    play_all(q)
    again = q.enqueue_call("A023", 5, "call-1", recall=True)
    assert again.id > first.id
    assert (again.ticket_number, again.cabin, again.text) == (
        first.ticket_number, first.cabin, first.text,
    )
    assert again.recall
    assert play_all(q, now=50.0) == [again]
    assert [f.announcement for f in q.history()] == [first, again]


def test_a_recall_of_a_call_still_waiting_is_not_queued_twice():
    q = AnnouncementQueue()
    q.enqueue_call("B001", 1, "x", False)  # keeps the queue busy
    waiting = q.enqueue_call("A023", 5, "call-1", recall=False)
    assert q.enqueue_call("A023", 5, "call-1", recall=True) == waiting
    assert len(q.pending()) == 2


def test_recall_while_its_call_is_playing_plays_again_afterwards():
    q = AnnouncementQueue()
    first = q.enqueue_call("A023", 5, "call-1", recall=False)
    assert q.next_to_play(0.0) == first
    again = q.enqueue_call("A023", 5, "call-1", recall=True)
    assert again.id != first.id
    assert q.next_to_play(1.0) is None
    q.mark_played(first.id, 2.0)
    assert q.next_to_play(2.0) == again


def test_a_player_that_never_reports_does_not_silence_the_hall():
    q = AnnouncementQueue(max_duration=20.0)
    a = q.enqueue_call("A001", 1, "c1", False)
    b = q.enqueue_call("A002", 2, "c2", False)
    assert q.next_to_play(0.0) == a
    assert q.next_to_play(19.9) is None
    assert q.next_to_play(20.0) == b
    assert q.history()[-1].outcome == "timed_out"
    assert q.mark_played(a.id, 21.0) is False  # late report: already over, changes nothing
    assert q.playing == b


def test_mark_played_refuses_what_was_never_handed_out():
    q = AnnouncementQueue()
    a = q.enqueue_call("A001", 1, "c1", False)
    with pytest.raises(AnnouncementError, match="pending"):
        q.mark_played(a.id)
    with pytest.raises(AnnouncementError, match="ever queued"):
        q.mark_played(99)


def test_withdrawn_call_is_not_announced():
    q = AnnouncementQueue()
    q.enqueue_call("A001", 1, "c1", False)
    q.enqueue_call("A002", 2, "c2", False)
    q.enqueue_call("A003", 3, "c3", False)
    assert [a.ticket_number for a in q.withdraw("c2")] == ["A002"]
    assert [a.ticket_number for a in play_all(q)] == ["A001", "A003"]


def test_history_is_bounded_and_keeps_the_latest():
    q = AnnouncementQueue(history_size=3)
    for i in range(10):
        q.enqueue_call(f"A{i:03}", 1, i, False)
    play_all(q)
    assert [f.announcement.ticket_number for f in q.history()] == ["A007", "A008", "A009"]


# --- whatever players and cabins do, nothing overlaps and nothing is misnumbered -----------

actions = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.integers(1, 61), st.integers(0, 2000), st.booleans()),
        st.tuples(st.just("tick"), st.floats(0.0, 15.0)),
        st.tuples(st.just("done"), st.floats(0.0, 15.0)),
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(actions)
def test_announcements_never_overlap_and_keep_call_order(steps):
    q = AnnouncementQueue(max_duration=10.0)
    now = 0.0
    intervals = []  # (start, end) of each announcement while it held the voice
    called = {}  # id -> (ticket, cabin)
    handed_out = []
    current = None
    for step in steps:
        if step[0] == "call":
            _, cabin, n, recall = step
            ticket = f"A{n:03}"
            a = q.enqueue_call(ticket, cabin, (cabin, n), recall)
            called.setdefault(a.id, (ticket, cabin))
            assert called[a.id] == (ticket, cabin)
            continue
        now += step[1]
        if step[0] == "done" and current is not None:
            ended = now if q.mark_played(current[0].id, now) else current[1] + q.max_duration
            intervals.append((current[1], ended))
            current = None
        a = q.next_to_play(now)
        if a is not None:
            if current is not None:  # the previous one timed out
                intervals.append((current[1], current[1] + q.max_duration))
            assert q.playing == a
            current = (a, now)
            handed_out.append(a)
            assert (a.ticket_number, a.cabin) == called[a.id]
            assert a.text == announcement_text(a.ticket_number, a.cabin)
    for (s1, e1), (s2, _) in zip(intervals, intervals[1:]):
        assert e1 <= s2, "two announcements overlapped"
    ids = [a.id for a in handed_out]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
