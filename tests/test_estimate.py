"""The wait estimate's parts (hall/estimate.py) and the engine feeding them what the hall knows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from hall import commands as c
from hall.config import Cabin, RoutineBreak
from hall.dispatch import OwnDepartmentFifo, WeightedWait
from hall.engine import Engine
from hall.estimate import (CabinOutlook, ServiceRates, WallClock, ended_curve, estimate_from, pooled, residual_minutes, restart_seconds,
                           wait_seconds)
from support.clock import local
from support.halls import small_hall

MINUTE = 60.0


def test_busy_cabins_with_exponential_service_give_the_mmc_predictor():
    # c busy cabins, exponential service (ramp = ready = one mean): the (n+1)/(cμ) predictor.
    cabins = [CabinOutlook(1.0, 10 * MINUTE, 10 * MINUTE, ramp=10 * MINUTE) for _ in range(3)]
    for ahead in (0, 2, 7):
        found = wait_seconds(ahead, cabins)
        assert found is not None
        assert found[0] == pytest.approx((ahead + 1) * 10 * MINUTE / 3)


def test_a_free_cabin_calls_at_once_and_a_paused_one_when_it_returns():
    free = CabinOutlook(1.0, 10 * MINUTE, 0.0)
    paused = CabinOutlook(1.0, 10 * MINUTE, 7 * MINUTE)
    assert wait_seconds(0, [free])[0] == 0.0
    assert wait_seconds(0, [paused])[0] == pytest.approx(7 * MINUTE)
    assert wait_seconds(1, [free, paused])[0] == pytest.approx(7 * MINUTE)  # the second departure: the return
    assert wait_seconds(0, [CabinOutlook(0.0, 10 * MINUTE, 0.0)]) is None  # nobody serves the queue


def test_regular_visits_come_later_than_a_straight_line_from_the_first_departure():
    # With little spread (cv² = 0.2) one cabin's next visit after the current one ends (at 4 min)
    # lasts a whole mean: the lag keeps the second departure near 4 + 10, not 4 + 10 × (1 − 0.4).
    lag = 10 * MINUTE * (1 - 0.2) / 2
    cabin = CabinOutlook(1.0, 10 * MINUTE, 4 * MINUTE, ramp=2 * MINUTE, lag=lag)
    second = wait_seconds(1, [cabin])[0]
    assert second == pytest.approx(4 * MINUTE + lag + 10 * MINUTE)


def test_residual_time_forgets_for_exponential_and_shrinks_for_regular_visits():
    assert residual_minutes(10, 1.0, 25) == pytest.approx(10)
    rng = random.Random(1)
    k = 1 / 0.36
    draws = [rng.gammavariate(k, 10 / k) for _ in range(100_000)]
    for elapsed in (3, 8, 15):
        left = [x - elapsed for x in draws if x > elapsed]
        assert residual_minutes(10, 0.36, elapsed) == pytest.approx(sum(left) / len(left), rel=0.03)


def test_an_officer_who_works_slowly_is_expected_slower_and_the_spread_is_learned():
    rates = ServiceRates()
    for _ in range(30):
        rates.learn("slow", 20.0, 10.0)
        rates.learn("steady", 10.0, 10.0)
    assert rates.factor("slow") > 1.5 > rates.factor("steady") > 0.9
    assert rates.factor("new") == pytest.approx(rates.hall_factor())
    assert rates.cv2() < 0.5  # observed times vary little around each officer's pace


def test_lunch_counts_with_the_chance_that_the_call_falls_after_it():
    now = local("2027-03-01 11:00")
    clock = WallClock(now, [(local("2027-03-01 07:30"), local("2027-03-01 12:00")),
                            (local("2027-03-01 13:30"), local("2027-03-01 17:30"))])
    assert clock(30 * MINUTE) == 30 * MINUTE
    assert clock(90 * MINUTE) == 180 * MINUTE  # an hour before lunch, lunch, half an hour after
    assert clock.expected(60 * MINUTE, 1.0) == pytest.approx(60 * MINUTE + 45 * MINUTE, rel=0.01)  # on the edge: half of lunch
    assert clock.expected(20 * MINUTE, 5 * MINUTE) == pytest.approx(20 * MINUTE, abs=1)
    assert clock.working(local("2027-03-01 14:00")) == 90 * MINUTE


def test_a_ticket_taken_before_lunch_is_told_the_wait_through_lunch():
    engine = Engine(small_hall())
    now = local("2027-03-01 11:20")
    engine.handle(c.OpenCabin(1, "canbo01"), now)
    for i in range(8):  # cabin 1 alone serves TP-TN at 10 minutes: 8 ahead end well after 12:00
        engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "staff"), now)
    estimate = engine.estimate("TP-TN", 8, now)
    assert estimate.minutes > 90 + 60  # the 90-minute lunch is in it


def test_a_busy_cabin_near_the_end_of_a_long_visit_frees_sooner_than_one_just_begun():
    engine = Engine(small_hall())
    start = local("2027-03-01 09:00")
    engine.handle(c.OpenCabin(2, "canbo02"), start)
    engine.handle(c.IssueTicket("w0", "CA-TN", None, "staff"), start)
    engine.handle(c.CallNext(2), start)
    for _ in range(40):  # the day has taught a small spread: visits of about 10 minutes
        engine.state.rates.learn("canbo02", 10.0, 10.0)
    fresh = engine.estimate("CA-TN", 0, start + 30)
    late = engine.estimate("CA-TN", 0, start + 9 * MINUTE)
    assert fresh.minutes == pytest.approx(10, abs=0.6) and late.minutes < 0.6 * fresh.minutes


def test_a_backup_cabin_counts_only_once_the_weighted_dispatch_gives_the_queue_its_turn():
    # Cabin 1 serves TP-TN at 1.0 and CA-TN at 0.25: a CA-TN ticket is called there only once its
    # wait × 0.25 passes the TP-TN head's wait × 1.0. The TP-TN head's wait falls back each time
    # cabin 1 calls it (every 10 minutes): six TP-TN citizens came 4 minutes apart, and more come
    # at the morning's rate (6 in the 110 minutes since 07:30), so after k calls the TP-TN head
    # has waited k·10 − (k − 5)·18.3 minutes. A CA-TN newcomer passes it at the 9th call.
    nine = local("2027-03-01 09:00")
    later = nine + 20 * MINUTE
    engine = Engine(small_hall())
    engine.handle(c.OpenCabin(1, "canbo01"), nine)
    for i in range(6):
        engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "staff"), nine + 4 * i * MINUTE)
    engine.handle(c.IssueTicket("w0", "CA-TN", None, "staff"), later)
    assert engine.estimate("CA-TN", 0, later).minutes >= 90
    assert engine._turn(engine.config.cabins[1].profile, "CA-TN") == pytest.approx(90 * MINUTE)
    assert engine.estimate("TP-TN", 0, later).minutes < 5  # its own queue, a free cabin: no turn to wait for


def test_a_backup_cabins_turn_comes_as_its_own_queue_is_called():
    # One TP-TN citizen has waited 20 minutes at cabin 1: taking that wait as it stands, a CA-TN
    # newcomer's turn (wait × 0.25 > 20) would come after 80 minutes; but cabin 1 calls the TP-TN
    # citizen now, and ten minutes later no TP-TN citizen waits (one comes every 110 minutes).
    nine = local("2027-03-01 09:00")
    later = nine + 20 * MINUTE
    engine = Engine(small_hall())
    engine.handle(c.OpenCabin(1, "canbo01"), nine)
    engine.handle(c.IssueTicket("b0", "TP-TN", None, "staff"), nine)
    engine.handle(c.IssueTicket("w0", "CA-TN", None, "staff"), later)
    assert 10 <= engine.estimate("CA-TN", 0, later).minutes < 60
    assert engine._turn(engine.config.cabins[1].profile, "CA-TN") == pytest.approx(10 * MINUTE)


def test_before_the_cabins_open_a_queue_served_only_by_backups_is_told_its_turn():
    # The return-of-results queue is every cabin's backup (0.4) and no cabin's own. At 07:20 no
    # cabin is open; at 07:30 they open to a TP-TN and two CA-TN citizens and call them first, and
    # ten minutes later the two TKQ citizens. Counting only open cabins as calling the rival
    # queues, the estimate read "not today" (as long as the rest of the day).
    hall = dataclasses.replace(small_hall(), cabins={
        1: Cabin(1, "TP", {"TP-TN": 1.0, "TKQ": 0.4}),
        2: Cabin(2, "CA", {"CA-TN": 1.0, "TKQ": 0.4}),
        3: Cabin(3, "CA", {"CA-TN": 1.0, "TKQ": 0.4}),
    })
    engine = Engine(hall)
    early = local("2027-03-01 07:20")
    for ticket, service in (("b0", "TP-TN"), ("w0", "CA-TN"), ("w1", "CA-TN")):
        engine.handle(c.IssueTicket(ticket, service, None, "staff"), early - 10 * MINUTE)
    for ticket in ("z0", "z1"):
        engine.handle(c.IssueTicket(ticket, "TKQ", None, "staff"), early)
    assert engine.estimate("TKQ", 1, early).minutes < 45


def test_citizens_who_will_come_with_priority_are_waited_for():
    # One free cabin at 10 minutes a visit: with 4 ahead the 5th departure is at 40 minutes; if a
    # priority citizen overtakes every 50 minutes the count net of them is 1 + τ/10 − τ/50 = 5 at 50.
    cabin = CabinOutlook(1.0, 10 * MINUTE, 0.0)
    assert wait_seconds(4, [cabin])[0] == pytest.approx(40 * MINUTE)
    assert wait_seconds(4, [cabin], overtake=1 / (50 * MINUTE))[0] == pytest.approx(50 * MINUTE)
    # never more than half the cabins' rate, so that a wait always ends
    assert wait_seconds(4, [cabin], overtake=1.0)[0] == pytest.approx(80 * MINUTE)


def test_the_day_teaches_how_often_priority_tickets_overtake_and_only_those_without_priority_wait_for_them():
    engine = Engine(small_hall())
    nine = local("2027-03-01 09:00")
    engine.handle(c.OpenCabin(1, "canbo01"), local("2027-03-01 07:30"))
    for i in range(30):  # the first 90 minutes bring 30 TP-TN tickets, a third of them with priority
        engine.handle(c.IssueTicket(f"t{i}", "TP-TN", "elderly" if i % 3 == 0 else None, "staff"), nine)
    rates = engine.state.rates
    assert rates.overtake_rate("TP-TN", 90 * MINUTE) == pytest.approx(10 / (20 + 30) * 30 / (90 * MINUTE))
    plain, first = engine.estimate("TP-TN", 20, nine), engine.estimate("TP-TN", 20, nine, priority=True)
    assert plain.minutes > first.minutes


def test_one_cabin_alone_has_no_renewal_lag_and_a_pool_has_most_of_it():
    # One cabin with regular visits: the 3rd departure comes two visits after its first, exactly.
    lag = 10 * MINUTE * (1 - 0.2) / 2
    alone = pooled([CabinOutlook(1.0, 10 * MINUTE, 4 * MINUTE, ramp=2 * MINUTE, lag=lag)])
    assert wait_seconds(2, alone)[0] == pytest.approx(24 * MINUTE)
    three = pooled([CabinOutlook(1.0, 10 * MINUTE, 0.0, lag=lag) for _ in range(3)])
    assert all(c.lag == pytest.approx(lag * 2 / 3) for c in three)


def test_exponential_visits_are_learned_as_exponential():
    # Capping visits at 4× their mean (against forgotten finishes) would read an exponential
    # visit's cv² as 0.58 and shorten the expected rest of every long visit; the spread is capped at 8×.
    rng = random.Random(3)
    rates = ServiceRates()
    for _ in range(4000):
        rates.learn("canbo01", rng.expovariate(1 / 5.0), 5.0)
    assert rates.cv2() == pytest.approx(1.0, abs=0.1)
    assert rates.factor("canbo01") == pytest.approx(1.0, abs=0.05)


def test_officers_who_work_alike_are_expected_at_the_halls_pace():
    # Ten officers with the same exponential visits: each one's 20 visits say ±22 % by chance
    # alone, and the spread between them is no more than that, so none is told apart.
    rng = random.Random(5)
    rates = ServiceRates()
    for officer in range(10):
        for _ in range(20):
            rates.learn(f"canbo{officer:02d}", rng.expovariate(1 / 5.0), 5.0)
    hall = rates.hall_factor()
    assert max(abs(rates.factor(f"canbo{officer:02d}") - hall) for officer in range(10)) < 0.05


def _mmc_through_the_engine(cabins: int, rho: float, hours: float, seed: int) -> tuple[list[float], list[float], list[float]]:
    """M/M/c on the engine alone (no server, no clock): Poisson tickets, exponential visits of one
    minute, every free cabin calls at once. Returns, for each citizen who waited, the hall's
    estimate at issue, the exact M/M/c predictor (ahead + 1)·S/c and the wait, in minutes."""
    import heapq
    import tomllib

    from hall.config import parse_hall
    from simulators.mmc import START, hall_file

    engine = Engine(parse_hall(tomllib.loads(hall_file(cabins, 1.0))))
    rng = random.Random(seed)
    now = START.timestamp()
    for n in range(1, cabins + 1):
        engine.handle(c.OpenCabin(n, f"canbo{n:02d}"), now)
    free, told, ideal, waited = set(range(1, cabins + 1)), {}, [], []
    finishes: list[tuple[float, int]] = []
    arrival, end, count = now, now + hours * 3600, 0

    def call(cabin: int, at: float) -> None:
        events = engine.handle(c.CallNext(cabin), at)
        if not events:
            free.add(cabin)
            return
        free.discard(cabin)
        ticket = events[0].payload.id
        engine.handle(c.StartService(cabin), at)
        heapq.heappush(finishes, (at + rng.expovariate(1 / 60), cabin))
        if ticket in told:
            estimate, predictor, issued = told.pop(ticket)
            if at > issued:
                ideal.append((predictor, estimate, (at - issued) / 60))

    while True:
        arrival += rng.expovariate(rho * cabins / 60)
        while finishes and finishes[0][0] <= arrival:
            at, cabin = heapq.heappop(finishes)
            engine.handle(c.FinishService(cabin), at)
            call(cabin, at)
        if arrival > end:
            break
        count += 1
        issued = engine.handle(c.IssueTicket(f"m{count}", "MMC", None, "staff"), arrival)[0].payload
        told[issued.id] = (issued.estimate.minutes, (issued.ahead + 1) / cabins, arrival)
        if free:
            call(min(free), arrival)
    return [e for _, e, _ in ideal], [p for p, _, _ in ideal], [w for _, _, w in ideal]


def test_on_mmc_the_estimate_is_nearly_the_exact_predictor():
    # 12 hours at ρ = 0.8 on 3 cabins (about 1,700 citizens, a second or two): the ticket's
    # estimate is within 15 % of the exact M/M/c predictor's relative RMSE on the same citizens.
    told, best, waits = _mmc_through_the_engine(3, 0.8, 12, seed=2)
    assert len(waits) > 500
    mean = sum(waits) / len(waits)
    def rrmse(predicted: list[float]) -> float:
        return (sum((p - w) ** 2 for p, w in zip(predicted, waits)) / len(waits)) ** 0.5 / mean
    assert rrmse(told) <= 1.15 * rrmse(best)
    assert abs(sum(t - w for t, w in zip(told, waits)) / len(waits)) < 0.15 * mean


def test_routine_breaks_slow_the_working_time_of_their_span():
    # 07:30–12:00 and 13:30–17:30; every officer takes 10 minutes somewhere in 09:30–10:30, so
    # that hour serves 50 working minutes.
    now = local("2027-03-01 09:00")
    windows = [(local("2027-03-01 07:30"), local("2027-03-01 12:00")), (local("2027-03-01 13:30"), local("2027-03-01 17:30"))]
    slow = [(local("2027-03-01 09:30"), local("2027-03-01 10:30"), 5 / 6)]
    clock, plain = WallClock(now, windows, slow), WallClock(now, windows)
    assert clock(20 * MINUTE) == pytest.approx(20 * MINUTE)  # before the span: as without breaks
    assert clock(80 * MINUTE) == pytest.approx(90 * MINUTE)  # 30 before it + the span's 50
    assert clock(100 * MINUTE) == pytest.approx(110 * MINUTE) and plain(100 * MINUTE) == pytest.approx(100 * MINUTE)
    assert clock.working(local("2027-03-01 10:30")) == pytest.approx(80 * MINUTE)
    assert clock(180 * MINUTE) == pytest.approx(280 * MINUTE)  # 170 working minutes to 12:00, lunch, 10 more
    assert clock.expected(170 * MINUTE, 1.0) == pytest.approx(180 * MINUTE + 45 * MINUTE, rel=0.01)  # on lunch's edge


def test_a_hall_whose_officers_take_routine_breaks_tells_a_longer_wait_across_them():
    hall = small_hall()
    breaks = (RoutineBreak(dt.time(9, 30), dt.time(10, 30), 10.0),)
    with_breaks = dataclasses.replace(hall, rules=dataclasses.replace(hall.rules, breaks=breaks))
    now = local("2027-03-01 09:20")
    told = []
    for config in (hall, with_breaks):
        engine = Engine(config)
        engine.handle(c.OpenCabin(1, "canbo01"), now)
        for i in range(6):  # cabin 1 alone serves TP-TN at 10 minutes: 6 ahead wait through the break span
            engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "staff"), now)
        told.append(engine.estimate("TP-TN", 6, now).minutes)
    assert told[1] > told[0] + 8  # about 10 minutes of the span's 60 are away on break


def test_the_halls_pace_trusts_the_day_sooner_when_visits_vary_little():
    # The day's mean ratio after n visits has sampling variance cv²/n, so its prior (a configured
    # mean off by about 10 %) weighs cv² ÷ 0.01 visits: 40 visits of 13 minutes (configured 10)
    # move the pace further than 40 whose mean is 13 but that vary from 1 to 25 minutes.
    steady, varied = ServiceRates(), ServiceRates()
    for i in range(40):
        steady.learn("a", 13.0, 10.0)
        varied.learn("a", 1.0 if i % 2 else 25.0, 10.0)
    assert steady.hall_observed == varied.hall_observed
    assert 1.3 > steady.hall_factor() > varied.hall_factor() + 0.05 > 1.05
    assert ServiceRates().hall_factor() == 1.0


def test_an_own_queue_keeps_its_cabin_while_the_backup_queue_has_not_waited_long_enough():
    # Cabin 1 serves TP-TN at 1.0 and helps CA-TN at 0.25. Twelve CA-TN citizens who just came
    # weigh 0.25 × a minute against the TP-TN head's 20 minutes: the weighted dispatch keeps
    # calling TP-TN, so a TP-TN citizen with 3 ahead is called at about the 4th visit, not later
    # for a share of the cabin that goes to CA-TN only once its wait is 4 times TP-TN's.
    engine = Engine(small_hall())
    nine = local("2027-03-01 09:00")
    engine.handle(c.OpenCabin(1, "canbo01"), nine)
    for i in range(3):
        engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "staff"), nine)
    later = nine + 20 * MINUTE
    for i in range(12):
        engine.handle(c.IssueTicket(f"w{i}", "CA-TN", None, "staff"), later - MINUTE)
    told = engine.estimate("TP-TN", 3, later).minutes
    assert told == pytest.approx(3 * 10 * 1.05, rel=0.15)  # three visits (and the renewal lag) from a free cabin


def test_one_long_first_visit_does_not_make_the_officers_look_different():
    # Twenty officers alike (visits of 6 and 14 minutes against 10 configured) and one whose
    # only visit so far was 37 minutes: one visit says little, so the spread between officers
    # stays small and that officer is expected at nearly the hall's pace.
    rates = ServiceRates()
    for n in range(20):
        for minutes in (6.0, 14.0, 6.0, 14.0, 10.0):
            rates.learn(f"o{n}", minutes, 10.0)
    rates.learn("unlucky", 37.0, 10.0)
    assert rates.between() < 0.02
    assert rates.factor("unlucky") < 1.25


def test_the_wait_shown_before_a_ticket_is_taken_is_the_wait_its_ticket_says():
    # The kiosk's menu and the board show the wait of a citizen about to join; the queue they
    # join is then one longer, which moves the shares of cabins serving several queues.
    engine = Engine(small_hall())
    nine = local("2027-03-01 09:00")
    for cabin in (1, 2):
        engine.handle(c.OpenCabin(cabin, f"canbo0{cabin}"), nine)
    later = nine + 30 * MINUTE
    for i in range(3):
        engine.handle(c.IssueTicket(f"w{i}", "CA-TN", None, "staff"), nine)
        engine.handle(c.IssueTicket(f"b{i}", "TP-TN", None, "staff"), later - MINUTE)
    shown = engine.estimate("CA-TN", engine.waiting_count("CA-TN"), later)
    engine.handle(c.IssueTicket("mine", "CA-TN", None, "staff"), later)
    ahead, told = engine.wait_for(engine.state.tickets["mine"], later)
    assert ahead == 3 and told is not None
    assert told.minutes == pytest.approx(shown.minutes, abs=0.05)


def _visit_left(rng: random.Random, elapsed: float, mean: float, shape: float) -> float:
    """What is left of a gamma visit that has already lasted `elapsed` (drawn given that it has)."""
    length = rng.gammavariate(shape, mean / shape)
    while length <= elapsed:
        length = rng.gammavariate(shape, mean / shape)
    return length - elapsed


def _pool_departures(elapsed: list[float], mean: float, cv2: float, count: int, samples: int = 3000) -> list[float]:
    """The expected k-th departure (k = 1..count) of busy cabins whose visits have lasted
    `elapsed`, gamma visits: Monte Carlo, the truth the fluid count is held to."""
    rng = random.Random(11)
    shape = 1 / cv2
    sums = [0.0] * count
    for _ in range(samples):
        ends = []
        for e in elapsed:
            t = _visit_left(rng, e, mean, shape)
            for _ in range(count):
                ends.append(t)
                t += rng.gammavariate(shape, mean / shape)
        ends.sort()
        for k in range(count):
            sums[k] += ends[k]
    return [x / samples for x in sums]


@pytest.mark.parametrize("elapsed", [[0.0] * 10, [1.2 * i for i in range(10)]], ids=["begun together", "begun apart"])
def test_a_pool_of_busy_cabins_departs_as_its_cabins_ends_spread(elapsed):
    # Ten cabins with regular visits (CV 0.6): their first departures are the order statistics of
    # ten visit ends, which spread both ways. Counting each cabin as departing by its expected end
    # told the 4th–10th departure up to a quarter early; each is now within 8 % of the truth.
    mean, cv2 = 12.0, 0.36
    lag = mean * (1 - cv2) / 2
    cabins = pooled([CabinOutlook(1.0, mean, residual_minutes(mean, cv2, e), ramp=min(residual_minutes(mean, cv2, e), mean * 0.6),
                                  lag=lag, ended=ended_curve(mean, cv2, e)) for e in elapsed])
    truth = _pool_departures(elapsed, mean, cv2, 14)
    told = [wait_seconds(k, cabins)[0] for k in range(14)]
    assert all(abs(t / x - 1) < 0.08 for t, x in list(zip(told, truth))[3:])
    assert all(abs(t / x - 1) < 0.25 for t, x in zip(told, truth))  # the first ones later: a fluid count is not an order statistic


def _calls_through_lunch(elapsed: list[float], mean: float, cv2: float, morning: float, lunch: float, k: int,
                         samples: int = 3000) -> float:
    """The expected wall time of the k-th call of busy cabins (gamma visits) with `morning` minutes
    left before lunch: no call after it, the visits in progress end during it, and every officer
    calls at once when it ends. Monte Carlo, the truth the estimate is held to."""
    rng = random.Random(5)
    shape = 1 / cv2
    total = 0.0
    for _ in range(samples):
        calls = []
        for e in elapsed:
            t = _visit_left(rng, e, mean, shape)
            while t < morning:
                calls.append(t)
                t += rng.gammavariate(shape, mean / shape)
            t = morning + lunch  # back to a free cabin
            while t < morning + lunch + 600:
                calls.append(t)
                t += rng.gammavariate(shape, mean / shape)
        calls.sort()
        total += calls[k - 1]
    return total / samples


def test_after_lunch_every_officer_calls_at_once_so_the_afternoons_calls_come_sooner():
    # Three busy cabins at 11:00 (CV 0.6 visits of 12 minutes), lunch from 12:00 to 13:30. The
    # working-time count carries each visit in progress over lunch: the afternoon's calls came
    # m(1 + cv²)/2 ≈ 8 minutes later than they do (the officers come back to free cabins).
    mean, cv2 = 12.0, 0.36
    cabins = pooled([CabinOutlook(1.0, mean * MINUTE, residual_minutes(mean, cv2, e) * MINUTE,
                                  ramp=min(residual_minutes(mean, cv2, e), 0.6 * mean) * MINUTE, lag=mean * (1 - cv2) / 2 * MINUTE,
                                  ended=ended_curve(mean * MINUTE, cv2, e * MINUTE)) for e in (2.0, 6.0, 9.0)])
    now = local("2027-03-01 11:00")
    clock = WallClock(now, [(local("2027-03-01 07:30"), local("2027-03-01 12:00")),
                            (local("2027-03-01 13:30"), local("2027-03-01 17:30"))])
    assert restart_seconds(cabins, cv2, clock.first_gap()) == pytest.approx((1 + cv2) / 2 * mean * MINUTE)
    for ahead in (24, 28, 32):  # called 15–45 minutes after lunch
        truth = _calls_through_lunch([2.0, 6.0, 9.0], mean, cv2, 60.0, 90.0, ahead + 1)
        assert estimate_from(ahead, cabins, clock, cv2=cv2).minutes == pytest.approx(truth, abs=2.5)


def test_cabins_paused_into_lunch_call_when_it_ends_and_carry_no_visit_over_it():
    # Two cabins paused at 11:55 (exponential 10-minute visits) are back at 13:30, 95 minutes on:
    # the citizen first in line is called then, not told half of lunch; with 9 ahead the 10th
    # call is 8 visits ÷ 2 cabins later, at 14:10, with no visit in progress to come back from.
    now = local("2027-03-01 11:55")
    clock = WallClock(now, [(local("2027-03-01 07:30"), local("2027-03-01 12:00")),
                            (local("2027-03-01 13:30"), local("2027-03-01 17:30"))])
    back = clock.working(local("2027-03-01 12:05"))
    assert back == clock.first_gap()
    cabins = [CabinOutlook(1.0, 10 * MINUTE, back) for _ in range(2)]
    assert estimate_from(0, cabins, clock, cv2=1.0).minutes == pytest.approx(95, abs=0.5)
    assert estimate_from(9, cabins, clock, cv2=1.0).minutes == pytest.approx(135, abs=1)


def test_under_own_department_fifo_a_cabin_counts_only_for_its_own_departments_queues():
    # Cabin 1 (TP) helps CA-TN at weight 0.25 under the weighted dispatch, never under FIFO:
    # there the CA-TN queue is cabin 2's alone, and the estimate (and the cut-off on it) says so.
    nine = local("2027-03-01 09:00")
    told = {}
    for policy in (WeightedWait(), OwnDepartmentFifo()):
        engine = Engine(small_hall(), policy=policy)
        for cabin in (1, 2):
            engine.handle(c.OpenCabin(cabin, f"canbo0{cabin}"), nine)
        for i in range(3):
            engine.handle(c.IssueTicket(f"w{i}", "CA-TN", None, "staff"), nine)
        told[policy.name] = engine.estimate("CA-TN", 3, nine + MINUTE).minutes
    assert told["own-department-fifo"] > 1.5 * told["weighted"]
