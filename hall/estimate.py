"""Wait estimates: the queue-length predictor of DESIGN.md, fed with what the hall knows now.

Theory of operation. A citizen with `ahead` people before them in a queue is called at the
`ahead + 1`-th "departure" of that queue: the moment a cabin serving it becomes free for it.
Each cabin that serves the queue contributes departures as a fluid count (`CabinOutlook`):

- its *share* of its capacity for this queue, from its dispatch weights and the current queue
  lengths (`cabin_share`): the return-of-results queue that all 61 cabins help with at weight
  0.4 gets a little of each, an agency's own queue most of its cabins' (all of it while no
  backup queue has waited long enough for the weighted dispatch to call it);
- its officer's mean time per ticket, learned from the day (`ServiceRates`: the configured mean
  time as prior, each officer's observed times pulling it towards their own pace);
- when it can next call: a free cabin now, a busy one after the expected *remaining* time of the
  visit in progress given how long it has already lasted (`residual_minutes`, from the learned
  spread of service times: an exponential visit has a whole mean left however long it has run,
  a regular one less and less), a paused one when its pause is expected to end (the lunch break
  ends with the next session); in a pool, a busy cabin's first departure counts partly by the
  chance that its visit has ended (`ended_curve`, `pooled`), since a pool's departures are the
  order statistics of its cabins' ends.

A citizen without priority also waits for the priority citizens who will come while they wait
(`ServiceRates.overtake_rate`: the day's share of priority tickets × the queue's arrivals so far).

Time runs in *working* seconds (hall/day_capacity.py: sessions plus the time officers serve past
them, and the spans of the officers' routine breaks counted at the part of their time that
serves), so a citizen who takes a ticket at 11:20 is told the wait through lunch; after lunch
every officer comes back to a free cabin and calls at once, so the afternoon's calls come the
visits in progress' mean remainder sooner than the count carried over lunch says
(`restart_seconds`). In M/M/c with
all cabins busy the count is exactly the predictor (n+1)/(cμ), whose relative RMSE √(1−ρ) is
the best possible under Poisson arrivals. The range is one standard deviation of an Erlang wait.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

PACE_ERROR = 0.1  # a configured mean is expected within about 10 % of the hall's true pace (the hall-wide pace's prior)
PRIOR_SPREAD = 0.01  # officers' paces are expected to differ by about 10 % (variance of their ratios)...
PRIOR_OFFICERS = 5.0  # ...as if this many officers had shown it; the day's officers then say how much they differ
PRIOR_CV2 = 1.0  # before the day has taught the spread: exponential service
PRIOR_VISITS = 20.0  # ...weighing like this many visits
PRIOR_CALLS = 10.0  # the calibration starts at 0 as if this many tickets had been predicted right
CALIBRATION_LIMIT = 10.0  # minutes: it never shifts the estimate by more than this, either way
PRIOR_TICKETS = 20.0  # the share of priority tickets starts at 0 as if this many tickets without priority had come
MIN_WORKED_SECONDS = 1800.0  # a queue's arrival rate is counted over at least half an hour of the day
CAP_FACTOR = 4.0  # one visit longer than 4× its mean (a forgotten finish) counts as 4× in the learned pace
SPREAD_CAP_FACTOR = 8.0  # ...and as 8× in the learned spread: capped at 4× an exponential visit's cv² would read 0.58, not 1


@dataclass(frozen=True)
class Estimate:
    minutes: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"minutes": round(self.minutes, 1), "low": round(self.low, 1), "high": round(self.high, 1)}

    def rounded(self) -> Estimate:
        """To a tenth of a minute: what is told, printed and kept in the journal."""
        return Estimate(round(self.minutes, 1), round(self.low, 1), round(self.high, 1))


@dataclass(frozen=True)
class CabinOutlook:
    """One cabin as the estimate of one queue sees it (times in working seconds from now).

    Its expected count of the queue's departures is `share` times: 0 until `ready`, then 1 at
    `ready` (a free or returning cabin calls at once; a busy one ramps up to it over `ramp`
    seconds, the uncertainty of when its visit ends: with exponential service ramp = ready = one
    mean, the plain fluid count τ/m of the M/M/c predictor), then the renewal count of later
    visits: `lag` seconds flat, then one every `seconds`. The lag is the renewal theorem's
    offset m(1 − cv²)/2 — regular visits come later than a straight line from the first
    departure would say, so a pool of busy cabins departs at c/m from now, whatever the spread.
    A pool's lag is scaled to its size (`pooled`): one cabin alone has none.
    """

    share: float  # part of its capacity that goes to the queue
    seconds: float  # its officer's mean time per ticket of the queue
    ready: float  # when it can next call: 0 now, or the end of a visit or a pause
    ramp: float = 0.0  # a busy cabin: how long before `ready` its departure may come
    lag: float = 0.0  # after `ready`, before later departures count (negative: they count early)
    ended: tuple[tuple[float, float], ...] = ()  # a busy cabin: (τ, chance its visit has ended by τ)
    expected: bool = False  # count by `ended` (the cabin's exact expectation) instead of the ramp


def pooled(cabins: list[CabinOutlook]) -> list[CabinOutlook]:
    """The queue's cabins with the renewal lag scaled to their pool: m(1 − cv²)/2 × (1 − 1/c),
    c the cabins' summed share. The lag is the offset of c cabins whose visits end together
    (regular visits: c departures, then c more a whole visit later); one cabin alone has none,
    its k-th departure comes exactly k − 1 visits after its first, so without this scaling a
    single-cabin agency's queue was told 4 minutes too many at CV 0.6.

    A busy cabin's first departure counts, for (1 − 1/c)² of its share, by the chance that its
    visit has ended (`ended`) rather than the ramp to its expected end. The ramp gives one cabin's
    k-th departure exactly, but a pool's departures are the order statistics of its cabins' ends,
    which spread both ways: against the exact expectation (Monte Carlo of gamma visits at CV 0.6,
    10 cabins) the ramp told the 4th–10th departure 12–25 % early, whether the cabins' visits had
    begun together or at random; counted this way, within 5 % from the 4th on (the first one or
    two 10–25 % late, where the ramp was 30–50 % late). One cabin alone keeps the ramp (its k-th
    departure is its expected end plus k − 1 visits), exponential visits count t ÷ m either way."""
    pool = sum(c.share for c in cabins)
    scale = max(0.0, 1 - 1 / pool) if pool > 0 else 0.0
    spread = scale * scale
    out = []
    for cabin in cabins:
        cabin = replace(cabin, lag=cabin.lag * scale)
        if cabin.ended and spread > 0:
            out += [replace(cabin, share=cabin.share * (1 - spread)), replace(cabin, share=cabin.share * spread, expected=True)]
        else:
            out.append(cabin)
    return out


def _expected_breakpoints(cabin: CabinOutlook) -> list[tuple[float, float, float]]:
    """(τ, jump, change of slope) of a busy cabin's exact expected departure count: the chance
    F(τ) that its visit has ended, plus the later visits' renewal count ∫F(x)dx ÷ m from `lag`
    after the end (piecewise linear through the points of `ended`, then one every mean)."""
    times = [t for t, _ in cabin.ended]
    points = sorted({0.0, *times, *(t + cabin.lag for t in times if t + cabin.lag > 0)})
    areas = _ended_areas(cabin.ended)
    values = [cabin.share * (_ended_at(cabin.ended, times, t) + _ended_area(cabin.ended, times, areas, t - cabin.lag) / cabin.seconds)
              for t in points]
    out, slope = [(points[0], values[0], 0.0)], 0.0
    for a, b, va, vb in zip(points, points[1:], values, values[1:]):
        new = (vb - va) / (b - a)
        out.append((a, 0.0, new - slope))
        slope = new
    out.append((points[-1], 0.0, cabin.share / cabin.seconds - slope))
    return out


def _ended_areas(ended: tuple[tuple[float, float], ...]) -> list[float]:
    """∫₀^τ F at each point of `ended` (F linear between them, from 0 at τ = 0)."""
    out, area, prev_t, prev_f = [], 0.0, 0.0, 0.0
    for at, f in ended:
        area += (prev_f + f) / 2 * (at - prev_t)
        out.append(area)
        prev_t, prev_f = at, f
    return out


def _ended_at(ended: tuple[tuple[float, float], ...], times: list[float], t: float) -> float:
    """F(t), linear between the points of `ended` (from 0 at τ = 0; 1 past the last)."""
    i = bisect.bisect_left(times, t)
    if t <= 0 or i == len(times):
        return 0.0 if t <= 0 else 1.0
    prev_t, prev_f = ended[i - 1] if i else (0.0, 0.0)
    at, f = ended[i]
    return prev_f + (f - prev_f) * (t - prev_t) / (at - prev_t)


def _ended_area(ended: tuple[tuple[float, float], ...], times: list[float], areas: list[float], t: float) -> float:
    """∫₀ᵗ F(x) dx for the F of `_ended_at` (the later visits' clock)."""
    if t <= 0:
        return 0.0
    i = bisect.bisect_left(times, t)
    if i == len(times):
        return areas[-1] + (t - times[-1])
    prev_t, prev_f = ended[i - 1] if i else (0.0, 0.0)
    before = areas[i - 1] if i else 0.0
    slope = (ended[i][1] - prev_f) / (ended[i][0] - prev_t)
    d = t - prev_t
    return before + prev_f * d + slope * d * d / 2


def _breakpoints(cabin: CabinOutlook) -> list[tuple[float, float, float]]:
    """(τ, jump, change of slope) of one cabin's expected departure count."""
    if cabin.expected:
        return _expected_breakpoints(cabin)
    share, rate = cabin.share, cabin.share / cabin.seconds
    after = [(cabin.ready + cabin.lag, 0.0, rate)] if cabin.lag > 0 else []
    early = share * -cabin.lag / cabin.seconds if cabin.lag < 0 else 0.0
    line = 0.0 if cabin.lag > 0 else rate
    if cabin.ramp <= 0:
        return [(cabin.ready, share + early, line), *after]
    begin = max(cabin.ready - cabin.ramp, 0.0)
    ramp_rate = share / cabin.ramp
    at_begin = share - ramp_rate * (cabin.ready - begin)
    return [(begin, at_begin, ramp_rate), (cabin.ready, early, line - ramp_rate), *after]


def wait_seconds(ahead: int, cabins: Sequence[CabinOutlook], overtake: float = 0.0) -> tuple[float, float] | None:
    """Working seconds until the `ahead + 1`-th departure, and how many departures are still
    needed beyond what the cabins give at once; None if no cabin serves the queue.

    `overtake` (per working second) is the rate of citizens expected to arrive later and be
    served first (priority tickets, for a citizen without priority): the departures needed grow
    by it while the citizen waits, so the count is walked net of it (at most half the cabins'
    rate, so that a wait always ends).

    The total count is piecewise linear: walk its breakpoints in order.
    """
    need = ahead + 1.0
    points = sorted(p for c in cabins if c.share > 0 and c.seconds > 0 for p in _breakpoints(c))
    if not points:
        return None
    overtake = min(overtake, 0.5 * sum(c.share / c.seconds for c in cabins if c.share > 0 and c.seconds > 0))
    if overtake > 0:
        points.insert(0, (0.0, 0.0, -overtake))
    value = slope = at_once = 0.0
    here = 0.0
    for i, (at, jump, change) in enumerate(points):
        value += slope * (at - here)
        here = at
        value += jump
        slope += change
        if at <= 0:
            at_once = value
        if value >= need:
            return at, max(need + overtake * at - at_once, 0.0)
        end = points[i + 1][0] if i + 1 < len(points) else math.inf
        if slope > 0 and here + (need - value) / slope < end:
            at = here + (need - value) / slope
            return at, max(need + overtake * at - at_once, 0.0)
    return None  # the last cabin's line never ends: unreachable


def restart_seconds(cabins: Sequence[CabinOutlook], cv2: float, gap_at: float) -> float:
    """How much sooner than the working-time count says the queue's calls come after a break
    between sessions (lunch) `gap_at` working seconds away: every officer comes back to a free
    cabin and calls at once, where the count goes on as if each visit in progress at the break had
    carried over. A visit in progress has m(1 + cv²)/2 left on average (the renewal theorem's
    residual), so each cabin that carries one (it can call before the break: not one paused into
    it, nor a backup whose turn comes after it, whose count starts afresh anyway) gives
    (1 + cv²)/2 departures more when the session starts: the pool's calls come that many
    departures ÷ its rate sooner. Exponential visits (M/M/c): a whole mean."""
    live = [c for c in cabins if c.share > 0 and c.seconds > 0]
    rate = sum(c.share / c.seconds for c in live)
    carried = sum(c.share for c in live if c.ready < gap_at)
    return (1 + cv2) / 2 * carried / rate if rate > 0 else 0.0


def estimate_from(ahead: int, cabins: Sequence[CabinOutlook], to_wall: "WallClock", calibration: float = 0.0,
                  overtake: float = 0.0, cv2: float = 1.0) -> Estimate | None:
    """The estimate in wall-clock minutes (lunch and the night counted), or None if no cabin serves.
    `calibration` (minutes, ServiceRates.calibration) shifts the working time of a citizen who waits;
    `overtake` as for `wait_seconds`; `cv2` is the visits' spread (`restart_seconds`)."""
    found = wait_seconds(ahead, cabins, overtake)
    if found is None:
        return None
    working, departures = found
    if working <= 0:
        return Estimate(0.0, 0.0, 0.0)
    working = max(working + calibration * 60, 0.0)
    spread = working / math.sqrt(max(departures, 1.0))  # one standard deviation of an Erlang wait
    live = [c for c in cabins if c.share > 0 and c.seconds > 0]
    restart = restart_seconds(live, cv2, to_wall.first_gap())
    earliest = min(max(c.ready - c.ramp, 0.0) for c in live)  # no call comes sooner (a pause into lunch: after it)
    mean = to_wall.expected(working, spread, restart, earliest) / 60
    return Estimate(mean, to_wall(max(working - spread, 0.0), restart, earliest) / 60,
                    to_wall(working + spread, restart, earliest) / 60)


class WallClock:
    """Working seconds from `now` to wall seconds, skipping the hours cabins do not work.

    `slow` spans (start, end, part) are hours in which only `part` of the officers' time serves
    (routine breaks each officer takes at a time of their own, hall/day_capacity.py
    `break_spans`): a working second there takes 1 ÷ part wall seconds."""

    def __init__(self, now: float, windows: Sequence[tuple[float, float]],
                 slow: Sequence[tuple[float, float, float]] = ()) -> None:
        self.now = now
        self.windows = [(max(a, now), b) for a, b in windows if b > now]
        self.segments = _segments(self.windows, slow)  # (start, end, part) in order
        # the wall seconds of break after each segment before the next (lunch), 0 where none
        self.gaps = [after[0] - seg[1] for seg, after in zip(self.segments, self.segments[1:])] + [0.0] * bool(self.segments)

    def __call__(self, working: float, restart: float = 0.0, earliest: float = 0.0) -> float:
        """Wall seconds from now to a call `working` seconds of work away; a call past a break
        between windows comes up to `restart` working seconds sooner (`restart_seconds`), but not
        before the break ends; one at the break's edge comes after it if no call can come before
        `earliest` (every cabin paused into the break)."""
        left, position = working, 0.0
        for i, (start, end, part) in enumerate(self.segments):
            capacity = (end - start) * part
            gap = self.gaps[i] > 0
            if left < capacity or (left == capacity and not (gap and earliest >= position + capacity)):
                return start + left / part - self.now
            left, position = left - capacity, position + capacity
            if gap:
                left = max(left - restart, 0.0)
        last = self.segments[-1][1] if self.segments else self.now
        return last + left - self.now  # past the day's last window: as if it went on

    def expected(self, working: float, spread: float, restart: float = 0.0, earliest: float = 0.0) -> float:
        """The expected wall time of a call `working` ± `spread` working seconds away (normal):
        each break between windows (lunch) counts with the chance that the call falls after it
        (certain if no call can come before `earliest`), so a citizen near the edge of lunch is
        told neither the morning's wait nor lunch added whole; a call after it comes up to
        `restart` sooner (`__call__`), by its expectation E[min(restart, W − position)⁺]."""
        if not self.segments:
            return working
        wall = self.segments[0][0] - self.now  # a break we are in now is certain
        position, left = 0.0, working
        for i, (start, end, part) in enumerate(self.segments):
            capacity = (end - start) * part
            done = min(left, capacity)
            wall, left, position = wall + done / part, left - done, position + capacity
            gap = self.gaps[i]
            if gap > 0:
                chance = 1.0 if earliest >= position else _beyond(working, spread, position)
                wall += gap * chance - _sooner(working, spread, position, restart)
        return wall + left

    def first_gap(self) -> float:
        """Working seconds from now to the first break between windows (lunch); infinity if none."""
        position = 0.0
        for (start, end, part), gap in zip(self.segments, self.gaps):
            position += (end - start) * part
            if gap > 0:
                return position
        return math.inf

    @staticmethod
    def worked(windows: Sequence[tuple[float, float]], now: float) -> float:
        """Working seconds of the day's `windows` already past at `now`."""
        return sum(max(0.0, min(b, now) - a) for a, b in windows)

    def working(self, wall_at: float) -> float:
        """Working seconds from now until the wall-clock instant `wall_at` (0 if it has passed)."""
        return sum((min(end, wall_at) - start) * part for start, end, part in self.segments if start < wall_at)


def _beyond(mean: float, spread: float, position: float) -> float:
    """P(W > position) for W normal (`mean`, `spread`)."""
    if spread <= 0:
        return float(mean > position)
    return 0.5 * math.erfc((position - mean) / (spread * math.sqrt(2)))


def _sooner(mean: float, spread: float, position: float, restart: float) -> float:
    """E[min(restart, W − position)⁺] for W normal (`mean`, `spread`): ∫₀^restart P(W > position + x) dx,
    in closed form with G(z) = z·Q(z) − φ(z), the antiderivative of the normal tail Q."""
    if restart <= 0:
        return 0.0
    if spread <= 0:
        return min(restart, max(mean - position, 0.0))

    def g(z: float) -> float:
        return z * 0.5 * math.erfc(z / math.sqrt(2)) - math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    return spread * (g((position + restart - mean) / spread) - g((position - mean) / spread))


def _segments(windows: Sequence[tuple[float, float]], slow: Sequence[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """The windows cut at the edges of the slow spans, each piece with the part of time that serves."""
    out = []
    for start, end in windows:
        cuts = sorted({start, end, *(t for a, b, _ in slow for t in (a, b) if start < t < end)})
        for a, b in zip(cuts, cuts[1:]):
            part = 1.0
            for s_start, s_end, s_part in slow:
                if s_start <= a and b <= s_end:
                    part *= s_part
            out.append((a, b, part))
    return out


def cabin_share(service: str, profile: dict[str, float], load: dict[str, float]) -> float:
    """The part of one cabin's capacity that goes to `service`.

    `load` is each queue's length per cabin serving it: a cabin gives its queues capacity in
    proportion to weight × load, since the weighted-wait dispatch calls a backup queue once its
    wait × weight passes the own queue's. The queue being estimated counts at least one person,
    the one asking.
    """
    weight = profile.get(service, 0.0)
    if weight == 0:
        return 0.0
    own = weight * max(load.get(service, 0.0), 1.0)
    others = sum(w * load.get(code, 0.0) for code, w in profile.items() if code != service)
    return own / (own + others)


@dataclass
class ServiceRates:
    """Each officer's pace, learned from the day's visits with the configured means as prior.

    A visit's occupancy (call to finish, no-show or transfer) is compared with its service's
    configured mean: the hall-wide ratio (observed ÷ configured minutes) starts at 1, weighing
    as many visits as it takes the day's own mean to be as sure as the prior (`hall_factor`); each officer's own ratio is shrunk towards it as far as the day
    shows officers to differ (`factor`), so a new officer is expected at the hall's pace and a
    slow one among steady ones is found out within a few visits. The spread (squared
    coefficient of variation) is learned from 1 (exponential), weighing `PRIOR_VISITS` visits.
    """

    observed: dict[str, float] = field(default_factory=dict)  # officer -> observed minutes
    configured: dict[str, float] = field(default_factory=dict)  # officer -> configured minutes of the same visits
    counts: dict[str, int] = field(default_factory=dict)  # officer -> visits learned from
    hall_observed: float = 0.0
    hall_configured: float = 0.0
    visits: float = 0.0
    squares: float = 0.0  # Σ (observed ÷ configured)²
    ratios: float = 0.0  # Σ observed ÷ configured
    issued: dict[str, int] = field(default_factory=dict)  # service -> tickets issued today
    issued_priority: int = 0  # of them with priority, every queue
    told: float = 0.0  # Σ minutes the model predicted for the tickets called so far (before calibration)
    waited: float = 0.0  # Σ minutes those tickets actually waited
    calls: int = 0

    def learn(self, officer: str | None, observed_minutes: float, configured_minutes: float) -> None:
        if configured_minutes <= 0:
            return
        observed = min(max(observed_minutes, 0.0), CAP_FACTOR * configured_minutes)
        self.hall_observed += observed
        self.hall_configured += configured_minutes
        ratio = min(max(observed_minutes, 0.0) / configured_minutes, SPREAD_CAP_FACTOR)
        self.visits += 1
        self.squares += ratio * ratio
        self.ratios += ratio
        if officer is not None:
            self.observed[officer] = self.observed.get(officer, 0.0) + observed
            self.configured[officer] = self.configured.get(officer, 0.0) + configured_minutes
            self.counts[officer] = self.counts.get(officer, 0) + 1

    def took(self, service: str, priority: bool) -> None:
        """A ticket was issued: the day's arrivals teach how often a later citizen overtakes."""
        self.issued[service] = self.issued.get(service, 0) + 1
        self.issued_priority += priority

    def overtake_rate(self, service: str, worked_seconds: float) -> float:
        """Priority citizens expected per working second in `service`, who will be served before
        a citizen without priority: the day's share of priority tickets so far (from none, as if
        `PRIOR_TICKETS` tickets without priority had come first) × the queue's arrivals per
        working second so far (over at least `MIN_WORKED_SECONDS`)."""
        share = self.issued_priority / (PRIOR_TICKETS + sum(self.issued.values()))
        return share * self.issued.get(service, 0) / max(worked_seconds, MIN_WORKED_SECONDS)

    def hall_factor(self) -> float:
        """The hall's time per visit ÷ the configured mean: the day's ratio after n visits has
        sampling variance cv²/n, the configured mean is off by about `PACE_ERROR`, so the prior
        weighs cv² ÷ PACE_ERROR² visits (the posterior mean of a normal prior): 36 visits at the
        day's CV 0.6, 100 for exponential visits. Measured in minutes (180 of them) it had weighed
        36 five-minute visits and 15 twelve-minute ones."""
        if self.visits == 0:
            return 1.0
        prior = self.cv2() / PACE_ERROR**2 * self.hall_configured / self.visits  # those visits' configured minutes
        return (prior + self.hall_observed) / (prior + self.hall_configured)

    def factor(self, officer: str | None) -> float:
        """The officer's time per visit ÷ the configured mean (the hall's when unknown).

        Shrunk towards the hall's pace by how much the day's officers really differ (empirical
        Bayes): an officer's own ratio over k visits carries noise cv²/k; the spread between
        officers beyond that noise is the variance of their true paces. Where officers work
        alike (M/M/c, the simulated day) each one's few visits are mostly noise and the hall's
        pace is used; a slow officer among steady ones makes the spread, and their own pace
        counts (measured in docs/simulation.md: per-officer learning with a fixed prior added
        a quarter to the error of M/M/c's estimate at ρ = 0.95)."""
        hall = self.hall_factor()
        visits = self.counts.get(officer or "", 0)
        if officer is None or visits == 0:
            return hall
        own = self.observed[officer] / self.configured[officer]
        spread = self.between()
        weight = spread / (spread + self.cv2() / visits)
        return hall + weight * (own - hall)

    def between(self) -> float:
        """Variance of the officers' true paces: the spread of their ratios beyond their noise."""
        # Memoised per number of visits learned (every cabin's outlook asks), outside the
        # dataclass's fields: the state holds what the journal says, and a replay that never
        # estimated must equal the live engine, snapshots included.
        memo = self.__dict__.get("_between_memo")
        if memo is not None and memo[0] == self.visits:
            return memo[1]
        hall, cv2, n = self.hall_factor(), self.cv2(), len(self.counts)
        # DerSimonian–Laird: each officer's ratio weighs by their visits (its noise is cv²/k), so
        # one long first visit does not read as a slow officer (weighing officers alike, one
        # 37-minute first visit made the hall's spread 0.19 at 08:51 and a 12-minute queue 105).
        weights = {o: k / cv2 for o, k in self.counts.items()}
        total = sum(weights.values())
        q = sum(w * (self.observed[o] / self.configured[o] - hall) ** 2 for o, w in weights.items())
        scale = total - sum(w * w for w in weights.values()) / total if total > 0 else 0.0
        tau2 = max((q - (n - 1)) / scale, 0.0) if n > 1 and scale > 0 else 0.0
        between = max((PRIOR_OFFICERS * PRIOR_SPREAD + n * tau2) / (PRIOR_OFFICERS + n), 1e-4)
        self.__dict__["_between_memo"] = (self.visits, between)
        return between

    def called(self, predicted_minutes: float, waited_minutes: float) -> None:
        """A ticket was called: what the model had predicted at issue against what it waited."""
        if predicted_minutes <= 0:
            return  # the shift applies to citizens told they would wait: it learns from them
        self.told += predicted_minutes
        self.waited += max(waited_minutes, 0.0)
        self.calls += 1

    def calibration(self) -> float:
        """Minutes to add to the model's prediction: the day's mean of (waited − predicted) so far,
        0 to start with. What the model cannot see — breaks to come, citizens with priority who
        will arrive, a backup queue that waits for its turn — shows as a steady bias, and the
        estimate is shifted to remove it."""
        shift = (self.waited - self.told) / (PRIOR_CALLS + self.calls)
        return min(max(shift, -CALIBRATION_LIMIT), CALIBRATION_LIMIT)

    def cv2(self) -> float:
        """Squared coefficient of variation of a visit's occupancy."""
        n = PRIOR_VISITS + self.visits
        mean = (PRIOR_VISITS + self.ratios) / n
        second = (PRIOR_VISITS * (1 + PRIOR_CV2) + self.squares) / n
        return min(max(second / (mean * mean) - 1, 0.05), 4.0)


ENDED_GRID = (0.15, 0.35, 0.6, 0.85, 1.1, 1.45, 1.9, 2.6, 3.6, 6.0)  # × the expected time left


def ended_curve(mean: float, cv2: float, elapsed: float) -> tuple[tuple[float, float], ...]:
    """Points (τ, P(the visit has ended within τ)) of a visit in progress for `elapsed`, its
    length gamma distributed with this mean and squared CV (times in any one unit), on a grid
    scaled to the expected time left."""
    left = residual_minutes(mean, cv2, elapsed)
    if left <= 0:
        return ()
    if abs(cv2 - 1.0) < 1e-9:
        return tuple((left * g, 1 - math.exp(-left * g / mean)) for g in ENDED_GRID)
    shape = 1.0 / cv2
    scale = mean / shape
    alive = _upper_gamma(shape, max(elapsed, 0.0) / scale)
    if alive < 1e-12:  # far in the tail: what is left is about exponential with the gamma's scale
        return tuple((left * g, 1 - math.exp(-left * g / scale)) for g in ENDED_GRID)
    return tuple((left * g, 1 - _upper_gamma(shape, (max(elapsed, 0.0) + left * g) / scale) / alive) for g in ENDED_GRID)


def residual_minutes(mean: float, cv2: float, elapsed: float) -> float:
    """Expected time left of a visit that has lasted `elapsed` minutes, its length being gamma
    distributed with this mean and squared CV (exponential at cv2 = 1: a whole mean is left)."""
    if mean <= 0:
        return 0.0
    if abs(cv2 - 1.0) < 1e-9 or elapsed <= 0:
        return mean  # memoryless, or not begun: a whole mean is left
    shape = 1.0 / cv2
    scale = mean / shape
    x = elapsed / scale
    upper = _upper_gamma(shape, x)  # Q(k, x) = P(S > elapsed)
    if upper < 1e-12:
        return scale  # far in the tail the gamma's residual tends to its scale
    tail = math.exp(shape * math.log(x) - x - math.lgamma(shape))
    return max(mean - elapsed + scale * tail / upper, 0.0)


def _upper_gamma(a: float, x: float) -> float:
    """The regularised upper incomplete gamma Q(a, x): a series below a + 1, a continued
    fraction above (Numerical Recipes, gser and gcf)."""
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(200):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-12:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 200):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-12:
            break
    return math.exp(log_front) * h
