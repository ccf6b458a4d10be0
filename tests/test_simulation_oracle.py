"""The oracle of `hall simulate oracle` (simulators/oracle.py): the conditional-mean wait by
playing the rest of a kept day forward. Checked where the answer is known by hand: a day
without chance, where the mean over every way the day may go is the wait itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import statistics
import tomllib

import pytest

from hall import commands as c
from hall.config import load_hall
from hall.credentials import hash_password
from hall.dispatch import CabinView, WeightedWait
from hall.engine import Engine
from hall.journal import Journal
from hall.state import Ticket
from simulators import mmc
from simulators.citizens import lognormal_seconds
from simulators.day import DayOptions, at, day_hall_file, simulate_day
from simulators.oracle import (CabinNow, HallNow, Laws, PlannedBreak, _arrivals, _draw_breaks, _remaining, choose, hall_now, judge_day, laws_of,
                              play, summary)
from support.clock import local
from support.halls import small_hall

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


def _laws(**changes) -> Laws:
    plain = Laws(profiles={1: {"A": 1.0}}, service_seconds={"A": 600.0}, arrivals={}, profile=[], breaks=[], walk=30.0,
                 recall_every=40.0, recalls=3, cv=0.6, priority_share=0.0, no_show_share=0.0, max_priority_in_row=2)
    return dataclasses.replace(plain, **changes)


def test_a_visit_in_progress_lasts_as_long_as_visits_that_have_lasted_that_long():
    laws, rng = _laws(), random.Random(5)
    # Called 70 s ago and not come (the walk is 30 s): a no-show being recalled, marked at 4 × 40 s.
    assert _remaining(laws, CabinNow("busy", elapsed=70.0, mean=600.0, started=False), rng) == pytest.approx(90.0)
    # Begun 15 minutes ago at a 10-minute mean: the rest of such visits, against rejection sampling.
    cabin = CabinNow("busy", elapsed=900.0, mean=600.0, started=True)
    drawn = statistics.fmean(_remaining(laws, cabin, rng) for _ in range(4000))
    longer = [x for x in (lognormal_seconds(rng, 10.0, 0.6) for _ in range(200_000)) if x > 870.0]
    assert len(longer) > 3000
    assert drawn == pytest.approx(statistics.fmean(x - 870.0 for x in longer), rel=0.05)


def test_citizens_still_to_come_follow_the_profile():
    # 0.01 citizens a second at weight 1: 18 in the first half hour, 36 in the second (weight 2).
    laws, rng = _laws(arrivals={"A": 0.01}, profile=[(0.0, 1.0), (1800.0, 2.0)]), random.Random(8)
    counts = [len(_arrivals(laws, 0.0, rng)) for _ in range(400)]
    assert statistics.fmean(counts) == pytest.approx(54, abs=4 * math.sqrt(54 / 400))
    assert all(0 <= t < 3600 for t, _ in _arrivals(laws, 0.0, rng))


def test_nobody_is_called_once_the_officers_have_left():
    laws = _laws(deadline=1000.0)
    start = HallNow(0.0, {"A": ([(-60.0, "t1")], [])}, {1: CabinNow("busy", elapsed=0.0, mean=3600.0, started=True)})
    assert all(play(dataclasses.replace(laws, cv=0.0), start, "t1", random.Random(n)) is None for n in range(5))
    assert play(dataclasses.replace(laws, cv=0.0, deadline=math.inf), start, "t1", random.Random(1)) == pytest.approx(3630.0)


def test_an_idle_officer_has_not_begun_a_break_yet():
    nine = local("2027-03-01 09:00")
    engine = Engine(small_hall())
    engine.handle(c.OpenCabin(1, "canbo01"), nine)
    laws = _laws(profiles={1: {"TP-TN": 1.0, "CA-TN": 0.25}})
    cabin = hall_now(engine, laws, nine + 3600, {}, {1: nine + 60}).cabins[1]
    assert cabin.kind == "idle" and cabin.last_call == nine + 3600


def test_the_oracle_judges_only_days_of_the_weighted_dispatch():
    fifo = dataclasses.replace(load_hall(None), rules=dataclasses.replace(load_hall(None).rules, dispatch_policy="own-department-fifo"))
    with pytest.raises(ValueError, match="weighted"):
        laws_of(fifo, tomllib.loads(SCENARIO))
