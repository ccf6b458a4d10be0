"""A simulated day through the real server: reproducible, consistent displays, real statistics,
tickets taken at the kiosks (with paper running out) and visits rated on the pads."""

from __future__ import annotations

import datetime as dt
import random
import re
import tomllib
from collections import Counter

import pytest

from hall.config import load_hall
from hall.journal import Journal
from simulators.citizens import Visit
from simulators.day import DayOptions, at, error_breakdown, idle_while_overdue, plan_officers, scenario_path, simulate_day

pytestmark = pytest.mark.timeout(300)  # a simulated day takes 30-50 s on a quiet 2-core machine


def test_a_small_day_is_the_same_day_for_the_same_seed_and_the_displays_agree(tmp_path):
    # A roll of 12 tickets: every kiosk runs out of paper during the small day.
    options = DayOptions(seed=5, scale=0.05, paper_roll=12)
    kept = DayOptions(seed=5, scale=0.05, paper_roll=12, db=f"sqlite:///{tmp_path / 'day.db'}")
    first, second = simulate_day(kept), simulate_day(options)
    for result in (first, second):
        result.pop("wall_seconds"), result.pop("speedup")
    assert first == second
    assert first["issued"] > 50
    assert first["served"] + first["no_shows"] == first["issued"] and first["unserved"] == 0
    assert first["no_shows"] > 0 and first["pauses"] > 0 and first["dossiers"] > 0
    assert first["display"]["consistent"] and first["display"]["gaps"] == 0
    assert first["refusals"] == [] and first["refused"] == 0
    assert re.fullmatch(r"\d\d:\d\d", first["last_call"]) and first["last_call"] <= "17:00"
    assert first["dispatch"]["idle_while_overdue_minutes"] == 0
    agencies = first["stats_today"]["agencies"]
    assert sum(a["tickets_issued"] for a in agencies) == first["issued"]
    assert sum(a["dossiers_received"] for a in agencies) == first["dossiers"]

    # Every ticket came from a kiosk over the device socket, each with its device request key.
    config = load_hall(None)
    events = list(Journal(kept.db).load(config.id))
    issued = [e.payload for e in events if e.type == "ticket_issued"]
    assert len(issued) == first["issued"]
    assert {t.channel for t in issued} == {"kiosk"}
    kiosk_of = Counter(t.request.split(":")[0] for t in issued)
    devices = first["devices"]
    assert kiosk_of == Counter(devices["by_kiosk"]) and set(kiosk_of) == {"kiosk-01", "kiosk-02", "kiosk-03", "kiosk-04"}

    # The printers: every ticket's job reached the registry, and paper ran out.
    printers = first["printers"]
    reprints = devices["reprinted"] + devices["reprint_failed"]
    assert sum(p["jobs_printed"] + p["jobs_failed"] for p in printers.values()) == devices["kiosk_tickets"] + reprints
    assert sum(p["jobs_printed"] for p in printers.values()) == sum(devices["receipts"].values())
    assert devices["paper_outs"] >= 1 and devices["refills"] >= 1
    assert all("paper_out" in seen["faults"] for seen in devices["faults_seen"])  # as GET /api/v1/devices showed it
    # A ticket that did not print is still a ticket: its citizen read the number or got a reprint, and was served.
    assert devices["numbers_read_from_screen"] + devices["reprinted"] == devices["print_failures"] >= devices["paper_outs"]
    ended = {e.payload.id for e in events if e.type in ("ticket_finished", "ticket_no_show")}
    assert {t.id for t in issued} <= ended

    # The ratings the pads sent are the ratings in the server's statistics.
    criteria = len(config.rating_criteria)
    recorded = [e for e in events if e.type == "rating_recorded"]
    hall_row = first["stats_today"]["hall"]
    assert devices["ratings_sent"] == len(recorded) > 0
    assert hall_row["ratings"] == devices["rating_answers"]
    assert sum(hall_row["ratings"].values()) == criteria * devices["ratings_sent"]
    assert hall_row["satisfaction_pct"] == pytest.approx(devices["satisfaction_pct"], abs=0.1)
    assert devices["ratings_refused"] == [] and devices["rating_not_offered"] == 0
    # About 70 % of the served citizens rate (the scenario's share).
    assert 0.5 < devices["ratings_sent"] / first["served"] < 0.9


@pytest.mark.slow
def test_the_baseline_dispatch_policy_runs_the_same_citizens():
    weighted = simulate_day(DayOptions(seed=2, scale=0.05))
    fifo = simulate_day(DayOptions(seed=2, scale=0.05, policy="own-department-fifo"))
    assert fifo["policy"] == "own-department-fifo" and weighted["policy"] == "weighted"
    assert fifo["issued"] == weighted["issued"]


@pytest.mark.slow
def test_a_day_without_devices_takes_the_same_citizens_over_http():
    with_devices = simulate_day(DayOptions(seed=3, scale=0.03))
    plain = simulate_day(DayOptions(seed=3, scale=0.03, devices=False))
    assert plain["devices"] is None and plain["printers"] == {}
    assert plain["issued"] == with_devices["issued"] == with_devices["devices"]["kiosk_tickets"]
    assert sum(plain["stats_today"]["hall"]["ratings"].values()) == 0


def test_idle_while_overdue_counts_an_idle_cabin_only_while_a_citizen_it_serves_is_overdue():
    config = load_hall(None)
    target = config.services["CA-TN"].target_wait_minutes * 60
    late = Visit("a", "W001", "CA-TN", None, 0.0, 0, 0.0)
    late.called_at = 2 * target + 600  # overdue for the last ten minutes of its wait
    other = Visit("b", "B001", "STP-TN", None, 0.0, 0, 0.0)  # overdue too, but no CA cabin serves it
    other.called_at = 2 * config.services["STP-TN"].target_wait_minutes * 60 + 600
    ca_cabin = next(n for n, cab in config.cabins.items() if "CA-TN" in cab.profile and "STP-TN" not in cab.profile)
    idle = {ca_cabin: [(0.0, 2 * target + 300)]}  # idle from the start until five minutes into the overdue time
    assert idle_while_overdue(config, [late, other], idle) == 300
    assert idle_while_overdue(config, [late, other], {ca_cabin: [(0.0, 2 * target)]}) == 0


def test_the_error_breakdown_says_which_group_the_squared_error_comes_from():
    def visit(service: str, told: float, waited: float) -> Visit:
        return Visit("id", "A001", service, None, 0.0, 1, told, called_at=waited * 60)
    waited = [visit("A", 10, 20), visit("A", 10, 10), visit("B", 5, 4)]
    rows = error_breakdown(waited, lambda v: v.service)
    assert list(rows) == ["A", "B"]  # A's 10-minute miss is nearly all of the squared error
    assert rows["A"]["mean_error_minutes"] == -5.0 and rows["A"]["waited"] == 2
    assert rows["A"]["share_of_squared_error"] == pytest.approx(100 / 101, abs=1e-3)
    assert sum(r["share_of_squared_error"] for r in rows.values()) == pytest.approx(1.0, abs=2e-3)


def test_lunch_ends_with_the_afternoon_session_however_late_the_morning_ended():
    # An officer whose last morning visit ran to 12:08 is back at 13:30 like the others, while a
    # coffee break lasts its minutes from whenever it begins.
    config = load_hall(None)
    scenario = tomllib.loads(scenario_path(None).read_text("utf-8"))
    day = dt.date.fromisoformat(str(scenario["day"]["date"]))
    plans = plan_officers(config, scenario, random.Random(1), day)
    lunch = [b for plan in plans for b in plan.breaks if b.reason == "Nghỉ trưa"]
    assert len(lunch) == len(plans)
    assert {b.ends(at(day, "12:08")) for b in lunch} == {at(day, "13:30")}
    coffee = next(b for b in plans[0].breaks if b.reason == "Nghỉ giải lao")
    assert coffee.ends(coffee.start + 300) == coffee.start + 300 + 10 * 60
