"""The oracle of `hall simulate oracle` (simulators/oracle.py): the conditional-mean wait by
playing the rest of a kept day forward. Checked where the answer is known by hand: a day
without chance, where the mean over every way the day may go is the wait itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tomllib

import pytest

from hall.config import load_hall
from hall.credentials import hash_password
from hall.dispatch import CabinView, WeightedWait
from hall.journal import Journal
from hall.state import Ticket
from simulators import mmc
from simulators.day import DayOptions, at, day_hall_file, simulate_day
from simulators.oracle import CabinNow, HallNow, Laws, PlannedBreak, _draw_breaks, choose, judge_day, laws_of, play, summary

pytestmark = pytest.mark.timeout(120)

SCENARIO = """
[day]
date = "2027-03-02"
visits = 36
tkq_share = 0.0
priority_share = 0.0
no_show_share = 0.0
walk_seconds = 30
service_cv = 0.0
officers_open = "07:25"

[profile]
"10:00" = 1.0
"10:30" = 1.0
"11:00" = 1.0

[[breaks]]
reason = "Nghỉ trưa"
minutes = 90
from = "12:00"
to = "12:00"
back = "13:30"
"""


def test_on_a_day_without_chance_the_oracle_is_the_wait_itself_also_across_lunch(tmp_path):
    # Two cabins, one queue, visits of exactly 10 minutes after a 30-second walk, nobody with
    # priority, nobody who does not come: citizens who come later cannot change an earlier
    # citizen's wait, so every forward run must give the wait the day gave, to the second.
    hours = 'sessions = [{ start = "07:30", end = "11:30" }, { start = "13:30", end = "17:00" }]\nlast_ticket = "16:30"'
    hall_toml = mmc.hall_file(2, 10.0).replace("accept_tickets_any_hour = true", hours + "\naccept_tickets_any_hour = false")
    hall_toml = hall_toml.replace('number_width = 4', 'number_width = 4\nserve_after_close_minutes = 30')
    hall_toml += f'\n[[users]]\nusername = "quanly"\nname = "Quản lý"\nrole = "manager"\npassword_hash = "{hash_password("demo")}"\n'  # the day reads GET /api/v1/devices
    (tmp_path / "hall.toml").write_text(hall_toml, "utf-8")
    (tmp_path / "day.toml").write_text(SCENARIO, "utf-8")
    db = f"sqlite:///{tmp_path / 'day.db'}"
    options = DayOptions(config=str(tmp_path / "hall.toml"), scenario=str(tmp_path / "day.toml"), seed=3, devices=False, db=db)
    day = simulate_day(options)
    assert day["issued"] >= 25 and day["unserved"] == 0

    config = load_hall(day_hall_file(options, tmp_path, 1.0))
    laws = laws_of(config, tomllib.loads(SCENARIO))
    events = list(Journal(db).load(config.id))
    judged = judge_day(config, laws, events, every=1, samples=3, seed=1)
    assert len(judged) >= 20
    for j in judged:
        assert j.oracle == pytest.approx(j.waited, abs=0.02), j  # within a second
        assert j.oracle_sd == pytest.approx(0.0, abs=0.01)
    lunch = at(dt.date(2027, 3, 2), "13:30")
    crossed = [j for j in judged if j.issued_at + j.waited * 60 >= lunch - 1]
    assert crossed, "the queue was meant to cross lunch"
    assert all(j.after_lunch == 1.0 for j in crossed)
    assert all(j.after_lunch == 0.0 for j in judged if j not in crossed)
    result = summary(judged)
    assert result["oracle"]["relative_rmse"] < 0.01 and result["oracle_vs_naive"] < 0.05


def test_the_oracle_calls_whom_the_hall_s_dispatch_calls():
    laws = Laws(profiles={7: {"A": 1.0, "B": 0.3, "C": 0.4}}, service_seconds={}, arrivals={}, profile=[], breaks=[], walk=0.0,
                recall_every=40.0, recalls=3, cv=0.6, priority_share=0.0, no_show_share=0.0, max_priority_in_row=2)
    policy, rng = WeightedWait(2), random.Random(14)
    for _ in range(500):
        now, tickets, queues = 10_000.0, [], {}
        for n in range(rng.randint(0, 8)):
            code, priority = rng.choice("ABCD"), rng.random() < 0.3
            arrival = now - rng.uniform(0, 5000)
            ticket = Ticket(f"t{n}", f"N{n:03d}", code, "elderly" if priority else None, "kiosk", "2027-03-02", arrival, arrival)
            tickets.append(ticket)
            queues.setdefault(code, ([], []))[1 if priority else 0].append((arrival, ticket.id))
        for queue in queues.values():
            queue[0].sort(), queue[1].sort()
        streak = rng.randint(0, 3)
        view = CabinView(7, "X", laws.profiles[7], streak, {})
        expected = policy.choose([t for t in tickets if t.service in laws.profiles[7]], view, now)
        picked = choose(laws, queues, 7, streak, now)
        got = queues[picked[0]][picked[1]][0][1] if picked else None
        assert got == (expected.id if expected else None)


def test_breaks_still_to_come_are_those_that_have_not_begun():
    morning = PlannedBreak("giải lao", 9.5 * 3600, 10.5 * 3600, 10, 1.0, None)
    lunch = PlannedBreak("trưa", 12 * 3600, 12 * 3600, 90, 1.0, 13.5 * 3600)
    meeting = PlannedBreak("họp", 14.5 * 3600, 15.5 * 3600, 15, 0.2, None)
    laws = Laws(profiles={}, service_seconds={}, arrivals={}, profile=[], breaks=[morning, lunch, meeting], walk=0.0,
                recall_every=40.0, recalls=3, cv=0.6, priority_share=0.0, no_show_share=0.0, max_priority_in_row=2)
    rng = random.Random(2)
    had_it = CabinNow("idle", taken=frozenset({"giải lao"}), last_call=10 * 3600)
    assert [plan.reason for _, plan in _draw_breaks(laws, had_it, 10 * 3600, rng)][0] == "trưa"
    # Still calling at 10:00 without a break: it begins between then and 10:30.
    waiting = CabinNow("idle", last_call=10 * 3600)
    starts = [_draw_breaks(laws, waiting, 10 * 3600, rng)[0] for _ in range(400)]
    assert all(plan is morning and 10 * 3600 <= t <= 10.5 * 3600 for t, plan in starts)
    # Calling at 15:20 without the meeting: a fifth would have had it, only 1/6 of theirs is still to come.
    late = CabinNow("idle", taken=frozenset({"giải lao", "trưa"}), last_call=15 * 3600 + 1200)
    drawn = sum(bool(_draw_breaks(laws, late, late.last_call, rng)) for _ in range(4000)) / 4000
    expected = 0.2 * (1 / 6) / (0.2 * (1 / 6) + 0.8)
    assert drawn == pytest.approx(expected, abs=0.015)
    # Past its window while calling: the officer's plan had none.
    assert _draw_breaks(laws, dataclasses.replace(late, last_call=16 * 3600), 16 * 3600, rng) == []


def test_a_cabin_called_from_idle_does_not_also_answer_its_old_wake_for_a_break():
    # Idle at 09:59 with a break due at 10:00: a citizen who comes at once is called and served
    # for 20 minutes; the break comes after that visit, and only then the next citizen. The
    # wake-up set for the break while idle must not make the busy cabin call a second citizen.
    rest = PlannedBreak("giải lao", 10 * 3600, 10 * 3600, 10, 1.0, None)
    laws = Laws(profiles={1: {"A": 1.0}}, service_seconds={"A": 1200.0}, arrivals={"A": 0.5}, profile=[(9 * 3600 + 59 * 60, 1.0)],
                breaks=[rest], walk=0.0, recall_every=40.0, recalls=3, cv=0.0, priority_share=0.0, no_show_share=0.0,
                max_priority_in_row=2)
    start = HallNow(9 * 3600 + 59 * 60, {}, {1: CabinNow("idle", last_call=9 * 3600)})
    for seed in range(20):
        first = play(laws, start, "~1", random.Random(seed))
        second = play(laws, start, "~2", random.Random(seed))
        assert first is not None and second == pytest.approx(first + 1200 + 600)
