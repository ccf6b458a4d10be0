"""The hall engine: commands in, events out, no I/O (the way h11 separates protocol from I/O).

Theory of operation: `handle(command, now)` first rolls the business day if the hall's local date
has changed, then asks the command's handler for event *drafts* — the handler only reads state
and refuses with `CommandRefused` — and finally stamps each draft with the next sequence number
and applies it. `apply(event)` is the only code that mutates state, and replaying the journal
calls exactly that, so the replayed hall equals the live one. Everything is synchronous and
deterministic given the commands and the `now` values, so under trio a command is atomic: two
cabins pressing "next" at the same instant can never get the same ticket.

Other parts of the domain (ratings, dossiers) are components the engine is built with: each is
made from the engine (`factory(engine)`, so its rules may read tickets and cabins), brings
handlers for its commands and appliers for its events, and keeps its own state beside the
core's. Code that needs one asks for it by type: `engine.component(DossierBook)`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from . import commands as c
from . import events as ev
from .config import HallConfig
from .day_capacity import break_spans, day_full, issuing_ends, past_last_ticket, working_windows
from .dispatch import CabinView, DispatchPolicy, make_policy
from .estimate import (MIN_WORKED_SECONDS, CabinOutlook, Estimate, WallClock, cabin_share, ended_curve, estimate_from, pooled,
                       residual_minutes)
from .events import Event, Payload
from .lifecycle import FINAL_TICKET_STATES, CabinStatus, CommandRefused, TicketState, cabin_next, ticket_next
from .estimate import ServiceRates
from .state import CabinState, HallState, Queue, Ticket
from .text import text_problem

Handler = Callable[[Any, float], list[Payload]]
Applier = Callable[[Event[Any]], None]
C = TypeVar("C")

WALK_IN_CHANNELS = ("kiosk", "web")  # the last-ticket time and the day-capacity cut-off apply to these
KEEP_DAYS = 2  # tickets of older days leave memory at day roll; the journal keeps them
TURN_HORIZON_SECONDS = 8 * 3600.0  # a backup's turn further than this (and than today's work) counts as this far
TURN_STEPS = 64  # rival calls looked at one by one before the walk strides (a queue of 10,000 costs what one of 200 does)


class Component(Protocol):
    """A part of the domain the engine is built with (ratings, dossiers, appointments).

    It may also have `closing(day) -> list[Payload]`: what it adds when a day closes, before
    `DayClosed` (the appointments nobody came for).
    """

    def handlers(self) -> Mapping[type[c.Command], Handler]: ...

    def appliers(self) -> Mapping[type[Payload], Applier]: ...


ComponentFactory = Callable[["Engine"], Component]


class Engine:
    def __init__(
        self,
        config: HallConfig,
        components: Sequence[ComponentFactory] = (),
        policy: DispatchPolicy | None = None,
    ) -> None:
        self.config = config
        self._factories = tuple(components)
        self.policy = policy or make_policy(config.rules.dispatch_policy, config.rules.max_priority_in_row)
        self.state = HallState(cabins={n: CabinState(n) for n in config.cabins})
        self._departments_of = {code: s.department for code, s in config.services.items()}
        self._now = 0.0  # the latest instant the engine has seen: views that give no time use it
        self._memo_key: tuple[int, float] = (-1, 0.0)  # outlooks are memoised per (seq, now): screens ask for all queues at once
        self._memo: dict[tuple[str, bool], list[CabinOutlook]] = {}
        self._memo_clock = WallClock(0.0, [])
        self._memo_worked = 0.0  # working seconds of the day already past
        self._memo_load: dict[str, float] = {}
        self._memo_serving: dict[str, int] = {}  # queue -> cabins at work that serve it
        self._memo_ended: dict[int, tuple[tuple[float, float], ...]] = {}  # busy cabin -> its visit's chance of having ended
        self._memo_age: dict[str, float] = {}  # queue -> how long its longest-waiting ticket has waited
        self._memo_drain: dict[str, float] = {}  # queue -> calls per second the cabins serving it give it
        self._memo_issuing = 0.0  # working seconds until kiosks and the web stop issuing
        self._memo_horizon = TURN_HORIZON_SECONDS  # working seconds a backup's turn is foreseen within
        self._memo_working: set[int] = set()  # cabins at work (all of them before opening)
        self._memo_turns: dict[tuple[str, float, float, float], float] = {}  # _overtakes' answers
        # cabin -> the queues its calls come from, with the weights the dispatch policy gives them
        self._serves = {n: self.policy.weights(cab.profile, cab.department, self._departments_of) for n, cab in config.cabins.items()}
        self._cabins_for = {code: [n for n, served in self._serves.items() if code in served] for code in config.services}
        self._handlers: dict[type[c.Command], Handler] = {
            c.IssueTicket: self._issue,
            c.OpenCabin: self._open_cabin,
            c.AssignCabin: self._assign_cabin,
            c.CloseCabin: self._close_cabin,
            c.CallNext: self._call_next,
            c.CallTicket: self._call_ticket,
            c.Recall: self._recall,
            c.StartService: self._start,
            c.FinishService: self._finish,
            c.NoShow: self._no_show,
            c.Transfer: self._transfer,
            c.Pause: self._pause,
            c.Resume: self._resume,
            c.CancelTicket: self._cancel,
            c.Rejoin: self._rejoin,
            c.OpenDay: self._open_day,
            c.CloseDay: self._close_day,
        }
        self._appliers: dict[type[Payload], Applier] = {
            ev.DayOpened: self._on_day_opened,
            ev.DayClosed: self._on_day_closed,
            ev.TicketIssued: self._on_issued,
            ev.CabinOpened: self._on_cabin_opened,
            ev.CabinAssigned: self._on_cabin_assigned,
            ev.CabinClosed: self._on_cabin_closed,
            ev.CabinPaused: self._on_cabin_paused,
            ev.CabinResumed: self._on_cabin_resumed,
            ev.TicketCalled: self._on_called,
            ev.TicketRecalled: self._on_recalled,
            ev.TicketStarted: self._on_started,
            ev.TicketFinished: self._on_finished,
            ev.TicketNoShow: self._on_no_show,
            ev.TicketTransferred: self._on_transferred,
            ev.TicketCancelled: self._on_cancelled,
            ev.TicketRejoined: self._on_rejoined,
        }
        self._components: dict[type, Component] = {}
        for factory in components:
            component = factory(self)
            self._components[type(component)] = component
            self._handlers.update(component.handlers())
            self._appliers.update(component.appliers())

    def reset(self) -> None:
        """Forget every event, keeping this object (screens' topics hold it): a node that lost
        its hall rebuilds it by applying the journal again."""
        self.__init__(self.config, self._factories, self.policy)  # type: ignore[misc]

    # ---- the two entry points -------------------------------------------------------------

    def handle(self, command: c.Command, now: float) -> list[Event[Any]]:
        """Carry out one command at `now`; returns the events it caused (already applied).

        A day roll that is due comes first (`tick`). A refused command raises `CommandRefused`
        and changes nothing else; callers that must keep every event call `tick` themselves
        before `handle`, so a refusal never leaves a rolled day behind unseen.
        """
        problem = text_problem(command)
        if problem is not None:
            raise CommandRefused("invalid", problem)  # hall/text.py: NUL once stopped the hall
        rolled = self.tick(now)
        self._now = max(self._now, now)
        handler = self._handlers.get(type(command))
        if handler is None:
            raise CommandRefused("unknown_command", f"unknown command {type(command).__name__}")
        return rolled + self._emit(handler(command, now), now, command.actor)

    def apply(self, event: Event[Any]) -> None:
        """Apply one event; the only place state changes. Used live and by replay."""
        if event.seq != self.state.seq + 1:
            raise ValueError(f"event {event.seq} out of order: the hall is at {self.state.seq}")
        applier = self._appliers.get(type(event.payload))
        if applier is None:
            raise ValueError(f"no applier for {event.type!r} at seq {event.seq}")
        self.state.seq = event.seq
        self._now = max(self._now, event.at)
        self.state.latest_at = max(self.state.latest_at, event.at)
        applier(event)

    def personal_refs(self) -> set[str]:
        """The personal_data refs whose fields the state holds (a ticket's phone, a booking's)."""
        held = {f"{ev.CONTACT_TICKET}{t.id}" for t in self.state.tickets.values() if t.phone is not None}
        for component in self._components.values():
            holding = getattr(component, "personal_refs", None)
            if holding is not None:
                held |= holding()
        return held

    def forget(self, refs: Collection[str]) -> None:
        """Clear the personal data retention deleted from the store (hall/retention.py), in the
        state and every component that has a `forget(refs)`: the state a replay now gives, so no
        later snapshot of it brings a phone back."""
        for ref in refs:
            if ref.startswith(ev.CONTACT_TICKET) and (ticket := self.state.tickets.get(ref.removeprefix(ev.CONTACT_TICKET))):
                ticket.phone = None
        for component in self._components.values():
            forget = getattr(component, "forget", None)
            if forget is not None:
                forget(refs)

    def restore_state(self, state: HallState) -> None:
        """Take a saved state as this engine's (hall/snapshots.py); only for a fresh engine."""
        if self.state.seq != 0:
            raise ValueError(f"a snapshot goes into a fresh engine; this one is at {self.state.seq}")
        self.state = state
        self._now = state.latest_at
        self._memo_key = (-1, 0.0)

    @property
    def components(self) -> tuple[Component, ...]:
        return tuple(self._components.values())

    def component(self, kind: type[C]) -> C:
        """The component of this type the engine was built with."""
        try:
            return self._components[kind]  # type: ignore[return-value]
        except KeyError:
            raise LookupError(f"this engine was built without a {kind.__name__}") from None

    def tick(self, now: float) -> list[Event[Any]]:
        """Roll the business day if the local date changed; the runtime calls it on a timer."""
        return self._emit(self._roll_day(now), now, None)

    def _emit(self, payloads: Iterable[Payload], now: float, actor: str | None) -> list[Event[Any]]:
        events = []
        for payload in payloads:
            event = Event(self.state.seq + 1, now, payload, actor)
            self.apply(event)
            events.append(event)
        return events

    # ---- queries ------------------------------------------------------------------------

    def ticket(self, ref: str) -> Ticket:
        """A ticket by id, or by today's printed number."""
        ticket = self.state.tickets.get(ref)
        if ticket is None and ref in self.state.by_number:
            ticket = self.state.tickets[self.state.by_number[ref]]
        if ticket is None:
            raise CommandRefused("unknown_ticket", f"no ticket {ref!r}")
        return ticket

    def cabin(self, number: int) -> CabinState:
        cabin = self.state.cabins.get(number)
        if cabin is None:
            raise CommandRefused("unknown_cabin", f"no cabin {number}")
        return cabin

    def waiting_tickets(self) -> Iterator[Ticket]:
        for ids in self.state.waiting.values():
            for ticket_id in ids:
                yield self.state.tickets[ticket_id]
        for ids in self.state.targeted.values():
            for ticket_id in ids:
                yield self.state.tickets[ticket_id]

    def waiting_for(self, cabin: int) -> int:
        """How many wait for the queues a cabin serves (its profile and tickets sent to it)."""
        queues = [self.state.waiting.get(code, ()) for code in self.config.cabins[cabin].profile]
        return sum(len(q) for q in queues) + len(self.state.targeted.get(cabin, ()))

    def candidates_for(self, cabin: int) -> list[Ticket]:
        """Waiting tickets the cabin may call: its profile's queues and tickets sent to it."""
        profile = self.config.cabins[cabin].profile
        out = [self.state.tickets[i] for code in profile for i in self.state.waiting.get(code, ())]
        out += [self.state.tickets[i] for i in self.state.targeted.get(cabin, ())]
        return out

    def wait_for(self, ticket: Ticket, now: float | None = None) -> tuple[int, Estimate | None]:
        """People ahead of a ticket and its wait estimate (None once it has been called)."""
        if ticket.state != TicketState.WAITING:
            return 0, None
        ahead = self.ahead_of(ticket)
        return ahead, self.estimate(ticket.service, ahead, now, priority=ticket.priority is not None, joining=False)

    def ahead_of(self, ticket: Ticket) -> int:
        """Tickets of the same queue expected to be served before this one."""
        if ticket.state != TicketState.WAITING:
            return 0
        queue = self.state.waiting.get(ticket.service) if ticket.target_cabin is None else self.state.targeted.get(ticket.target_cabin)
        return queue.ahead_of(ticket.queue_key) if queue is not None else 0

    def estimate(self, service: str, ahead: int, now: float | None = None, priority: bool = False, joining: bool = True) -> Estimate:
        """Expected wait for someone with `ahead` people before them in `service` (hall/estimate.py),
        at `now` (default: the latest instant the engine has seen); without `priority`, citizens
        with priority who will come later are served first. `joining`: the citizen is not in the
        queue yet (the kiosk's menu, the board, the ticket being issued), so the queue they see is
        one longer than it is: they are told what their ticket will then say."""
        outlook, clock = self._outlook(service, self._now if now is None else now, joining)
        rates = self.state.rates
        overtake = 0.0 if priority else rates.overtake_rate(service, self._memo_worked)
        found = estimate_from(ahead, outlook, clock, rates.calibration(), overtake, rates.cv2())
        if found is None:  # a queue no cabin serves: one imaginary cabin at the configured pace
            minutes = (ahead + 1) * self.config.services[service].mean_service_minutes if service in self.config.services else 0.0
            return Estimate(minutes, 0.0, 2 * minutes)
        return found

    def _outlook(self, service: str, now: float, joining: bool) -> tuple[list[CabinOutlook], WallClock]:
        """The cabins serving `service` as the estimate sees them at `now`, memoised per hall state."""
        if self._memo_key != (self.state.seq, now):
            self._memo_key, self._memo, self._memo_ended = (self.state.seq, now), {}, {}
            windows = working_windows(self.config, now)
            self._memo_clock = WallClock(now, windows, break_spans(self.config, now))
            self._memo_worked = WallClock.worked(windows, now)
            working = [n for n, cabin in self.state.cabins.items() if cabin.state != CabinStatus.CLOSED]
            self._memo_working = set(working or self.config.cabins)  # before opening: all will open
            serving: dict[str, int] = {}
            for number in self._memo_working:
                for code in self._serves[number]:
                    serving[code] = serving.get(code, 0) + 1
            self._memo_serving = serving
            self._memo_drain, self._memo_turns = {}, {}
            self._memo_issuing = self._memo_clock.working(issuing_ends(self.config, now))  # working seconds left to issue in
            # how far ahead a backup's turn is foreseen: the rest of today's work, at least a working day's
            self._memo_horizon = max(self._memo_clock.working(math.inf), TURN_HORIZON_SECONDS)
            self._memo_load = {code: len(ids) / serving.get(code, 1) for code, ids in self.state.waiting.items()}
            self._memo_age = {code: now - oldest for code, q in self.state.waiting.items() if (oldest := q.oldest_arrival()) is not None}
        if (service, joining) not in self._memo:
            load = self._memo_load
            if joining:
                load = {**load, service: load.get(service, 0.0) + 1 / self._memo_serving.get(service, 1)}
            outlook = [o for n in self._cabins_for.get(service, ()) if (o := self._cabin_outlook(n, service, now, load)) is not None]
            if not outlook:  # nobody at work on this queue now: its cabins come back (next session)
                outlook = [self._cabin_outlook(n, service, now, load, assume_open=True) for n in self._cabins_for.get(service, ())]
            self._memo[service, joining] = pooled([o for o in outlook if o is not None])
        return self._memo[service, joining], self._memo_clock

    def _same_window(self, first: float, second: float) -> bool:
        """Whether two instants fall in one working window of the day (no lunch between them)."""
        return any(a <= first and second < b for a, b in working_windows(self.config, first))

    def _share(self, profile: dict[str, float], service: str, load: dict[str, float]) -> float:
        """The part of a cabin's capacity that goes to `service` (hall/estimate.py `cabin_share`).
        For the cabin's own queue, a backup queue counts only while its head's wait × weight passes
        the own queue's: until then the weighted-wait dispatch does not call it at all (on six
        replayed default days the queues with backups had 1.35× the naive predictor's error,
        1.15× with this and the newcomer counted)."""
        weight, ages = profile.get(service, 0.0), self._memo_age
        if weight < max(profile.values()):
            return cabin_share(service, profile, load)
        mine = weight * ages.get(service, 0.0)
        rivals = {code: n for code, n in load.items() if code == service or profile.get(code, 0.0) >= weight or profile.get(code, 0.0) * ages.get(code, 0.0) > mine}
        return cabin_share(service, profile, rivals)

    def _turn(self, profile: dict[str, float], service: str) -> float:
        """Seconds until the weighted-wait dispatch lets a cabin call `service` at all: its longest
        wait × weight must pass every other queue's the cabin serves at another weight, so a cabin
        that helps this queue at weight 0.3 beside its own at 1.0 comes only once this queue's head
        has waited 3.3 times as long as its own queue's head then (`_overtakes`), and a newcomer to
        the cabin's own queue waits while a backup queue's head has waited more than 3.3 times as
        long as they have. Queues at the same weight alternate by age, which the share counts."""
        weight = profile.get(service, 0.0)
        if weight <= 0:
            return 0.0
        age = self._memo_age.get(service, 0.0)
        return max((self._overtakes(code, w, weight, age) for code, w in profile.items() if w != weight), default=0.0)

    def _overtakes(self, rival: str, rival_weight: float, weight: float, age: float) -> float:
        """Seconds until a queue whose head has waited `age` at `weight` passes `rival` at
        `rival_weight` on one cabin's weighted wait. Both heads' waits grow while they wait; the
        rival's falls back each time its head is called, to the next ticket's, at the pace all
        the cabins serving it give it (`_drain`), and its citizens go on coming at the day's rate
        so far. Taking the rival head's wait as it stood told a queue helped at weight 0.3 beside
        an own queue of 40 minutes that its backups would come in 2 hours; as the own queue
        emptied before lunch they came within the hour."""
        key = (rival, rival_weight, weight, age)
        if key not in self._memo_turns:
            self._memo_turns[key] = self._foresee_turn(rival, rival_weight, weight, age)
        return self._memo_turns[key]

    def _foresee_turn(self, rival: str, rival_weight: float, weight: float, age: float) -> float:
        """`_overtakes`, computed: the rival's calls walked one by one, then in strides of √n
        (the first call that lets this queue pass is found to within a stride)."""
        queue, horizon = self.state.waiting.get(rival), self._memo_horizon
        if not queue:
            return 0.0
        pace = self._drain(rival)
        if pace <= 0:  # nobody calls the rival: its head only grows older
            found = self._passes(queue, 0, math.inf, rival_weight, weight, age)
            return min(found, horizon) if found is not None else horizon
        gap, waiting = 1 / pace, len(queue)
        calls = min(waiting, math.ceil(horizon / gap))
        stride = 1 if calls <= TURN_STEPS else math.isqrt(calls)
        checked = -1
        for k in [*range(0, calls - 1, stride), calls - 1]:
            if stride == 1 or self._passes(queue, k, gap, rival_weight, weight, age) is not None:
                for j in range(checked + 1, k + 1):
                    found = self._passes(queue, j, gap, rival_weight, weight, age)
                    if found is not None:
                        return found
            checked = k
        if calls < waiting:
            return horizon
        # All called: the head after k ≥ len calls is the (k − len + 1)-th citizen yet to come, at
        # the day's rate so far; its wait at the k-th call is k·gap − (k − len + 1)/rate, linear in k.
        rate = self.state.rates.issued.get(rival, 0) / max(self._memo_worked, MIN_WORKED_SECONDS)
        emptied = (waiting + math.floor(rate * self._memo_issuing)) * gap  # then nobody waits there: this cabin calls
        if rate <= 0:
            return min(emptied, horizon)
        slope = weight * gap - rival_weight * (gap - 1 / rate)
        need = rival_weight * (waiting - 1) / rate - weight * age
        if need <= slope * waiting:
            return min(waiting * gap, horizon)
        return min(math.ceil(need / slope) * gap if slope > 0 else horizon, emptied, horizon)

    def _passes(self, queue: Queue, k: int, gap: float, rival_weight: float, weight: float, age: float) -> float | None:
        """When, between the rival's k-th call and its next, this queue's head passes the rival's
        on weighted wait, or None: both heads' waits grow while they wait, and the rival's head is
        then the oldest left after k calls."""
        start = k * gap if k else 0.0  # (no calls at all: gap is infinite)
        since = self._memo_key[1] - queue.oldest_after(k)
        if weight * (age + start) >= rival_weight * (since + start):
            return start
        if weight > rival_weight:  # catching up while that head waits
            at = (rival_weight * since - weight * age) / (weight - rival_weight)
            if at < start + gap:
                return max(at, start)
        return None

    def _drain(self, code: str) -> float:
        """Calls per second that `code` gets from the cabins at work that serve it (all of them before
        opening), each at its share."""
        if code not in self._memo_drain:
            self._memo_drain[code] = sum(self._share(self._serves[n], code, self._memo_load) / self._seconds(code)
                                         for n in self._cabins_for.get(code, ()) if n in self._memo_working)
        return self._memo_drain[code]

    def _seconds(self, code: str) -> float:
        """The hall's time per ticket of `code` today."""
        minutes = self.config.services[code].mean_service_minutes if code in self.config.services else 10.0
        return minutes * 60 * self.state.rates.hall_factor()

    def _cabin_outlook(self, number: int, service: str, now: float, load: dict[str, float], assume_open: bool = False) -> CabinOutlook | None:
        cabin, clock, rates = self.state.cabins[number], self._memo_clock, self.state.rates
        profile = self._serves[number]
        share = self._share(profile, service, load)
        turn = self._turn(profile, service)
        officer = cabin.officer or self.assigned_officer(number)
        factor = rates.factor(officer)
        seconds = self.config.services[service].mean_service_minutes * 60 * factor
        cv2 = rates.cv2()
        lag = seconds * (1 - cv2) / 2
        if assume_open or cabin.state == CabinStatus.OPEN and cabin.ticket is None:
            return CabinOutlook(share, seconds, turn, lag=lag)
        if cabin.state == CabinStatus.PAUSED:
            back = max(cabin.since + self.config.rules.pause_minutes * 60, now + 60)
            return CabinOutlook(share, seconds, max(clock.working(back), turn), lag=lag)  # a pause into the lunch gap ends with the session
        if cabin.state != CabinStatus.OPEN or cabin.ticket is None:
            return None
        current = self.state.tickets[cabin.ticket]
        mean = self.config.services[current.service].mean_service_minutes * factor
        began = current.called_at if current.called_at is not None else cabin.since
        left = residual_minutes(mean, cv2, max(now - began, 0.0) / 60) * 60
        if turn > left:  # free before the dispatch gives this queue its turn: it calls then
            return CabinOutlook(share, seconds, turn, lag=lag)
        if number not in self._memo_ended:  # the same visit for every queue the cabin serves
            self._memo_ended[number] = ended_curve(mean * 60, cv2, max(now - began, 0.0))
        return CabinOutlook(share, seconds, left, ramp=min(left, mean * 60 * math.sqrt(cv2)), lag=lag, ended=self._memo_ended[number])

    def assigned_officer(self, cabin: int) -> str | None:
        """Who sits at a cabin: the floor manager's latest assignment, else the hall file's."""
        if cabin in self.state.assignments:
            return self.state.assignments[cabin]
        user = self.config.officer_of(cabin)
        if user is None or user.username in self.state.assignments.values():
            return None  # nobody, or the hall file's officer now sits elsewhere
        return user.username

    def waiting_count(self, service: str) -> int:
        return len(self.state.waiting.get(service, ()))

    # ---- day ----------------------------------------------------------------------------

    def _roll_day(self, now: float) -> list[Payload]:
        today = self.config.business_day(now).isoformat()
        if self.state.day == today:
            return []
        payloads: list[Payload] = []
        if self.state.day is not None and self.state.day_open:
            payloads += self._closing(self.state.day)
        payloads.append(ev.DayOpened(today))
        return payloads

    def _open_day(self, cmd: c.OpenDay, now: float) -> list[Payload]:
        day = cmd.day.isoformat()
        if self.state.day_open and self.state.day == day:
            raise CommandRefused("illegal_transition", f"day {day} is already open")
        payloads: list[Payload] = []
        if self.state.day_open and self.state.day is not None:
            payloads += self._closing(self.state.day)
        payloads.append(ev.DayOpened(day))
        return payloads

    def _close_day(self, cmd: c.CloseDay, now: float) -> list[Payload]:
        if not self.state.day_open or self.state.day is None:
            raise CommandRefused("illegal_transition", f"day {self.state.day} is already closed")
        return self._closing(self.state.day)

    def _closing(self, day: str) -> list[Payload]:
        """Closing a day: what components close with it (a component's `closing(day)`, such as
        missed appointments), then `DayClosed`."""
        payloads: list[Payload] = []
        for component in self._components.values():
            closing = getattr(component, "closing", None)
            if closing is not None:
                payloads += closing(day)
        return [*payloads, ev.DayClosed(day)]

    def _on_day_opened(self, event: Event[ev.DayOpened]) -> None:
        s = self.state
        s.day, s.day_open = event.payload.day, True
        s.counters.clear()
        s.by_number.clear()
        s.rates = ServiceRates()  # each day learns its officers' pace afresh from the configured means
        s.requests.clear()
        oldest = (dt.date.fromisoformat(s.day) - dt.timedelta(days=KEEP_DAYS - 1)).isoformat()
        s.tickets = {k: t for k, t in s.tickets.items() if t.day >= oldest}

    def _on_day_closed(self, event: Event[ev.DayClosed]) -> None:
        s = self.state
        for ticket in s.tickets.values():
            if ticket.day <= event.payload.day and ticket.state not in FINAL_TICKET_STATES and ticket.state != TicketState.NO_SHOW:
                ticket.closed_from = ticket.state
                ticket.state = ticket_next(ticket.number, ticket.state, "close_day")
                ticket.ended_at = event.at
        s.waiting.clear()
        s.targeted.clear()
        for cabin in s.cabins.values():
            cabin.state, cabin.ticket, cabin.officer, cabin.pause_reason = CabinStatus.CLOSED, None, None, None
            cabin.priority_streak, cabin.since = 0, event.at
        s.day_open = False

    # ---- tickets --------------------------------------------------------------------------

    def _issue(self, cmd: c.IssueTicket, now: float) -> list[Payload]:
        s = self.state
        if cmd.request is not None and cmd.request in s.requests:
            return []  # a retried request: the caller answers with the ticket already issued
        service = self.config.services.get(cmd.service)
        if service is None:
            raise CommandRefused("unknown_service", f"no service {cmd.service!r}")
        if cmd.priority is not None and cmd.priority not in self.config.priorities:
            raise CommandRefused("unknown_priority", f"no priority category {cmd.priority!r}")
        if cmd.channel not in ("kiosk", "web", "appointment", "staff"):
            raise CommandRefused("invalid", f"unknown channel {cmd.channel!r}")
        if not s.day_open:
            raise CommandRefused("day_closed", f"the queue for {s.day} is closed; come back on the next working day")
        # An appointment's check-in window may open before the session does (hall/appointments.py).
        if cmd.channel not in ("staff", "appointment") and not self.config.accept_tickets_any_hour and not self.config.in_session(now):
            hours = ", ".join(f"{x.start:%H:%M}–{x.end:%H:%M}" for x in self.config.sessions)
            raise CommandRefused("hall_closed", f"tickets are issued during opening hours only ({hours}, Monday to Friday)")
        walk_in = cmd.channel in WALK_IN_CHANNELS
        late = past_last_ticket(self.config, now) if walk_in else None
        if late is not None:
            raise late
        if cmd.ticket_id in s.tickets:
            raise CommandRefused("invalid", f"ticket id {cmd.ticket_id!r} already exists")
        if cmd.channel == "web" and cmd.phone is None:
            raise CommandRefused("invalid", "a web ticket needs the citizen's mobile phone number")
        if cmd.phone is not None and cmd.channel == "web":
            self._refuse_second_ticket(service.code, cmd.phone)
        seq = s.counters.get(service.code, 0) + 1
        number = f"{service.prefix}{seq:0{self.config.rules.number_width}d}"
        queue = s.waiting.get(service.code)
        ahead = 0 if queue is None else queue.priority_count() if cmd.priority else len(queue)
        estimate = self.estimate(service.code, ahead, priority=cmd.priority is not None).rounded()
        full = day_full(self.config, now, estimate) if walk_in else None
        if full is not None:
            raise full
        return [ev.TicketIssued(
            id=cmd.ticket_id, number=number, seq=seq, service=service.code, priority=cmd.priority,
            channel=cmd.channel, day=s.day or "", request=cmd.request, appointment_at=cmd.appointment_at,
            ahead=ahead, estimate=estimate, phone=cmd.phone,
        )]

    def draft_ticket(self, cmd: c.IssueTicket, now: float) -> list[Payload]:
        """The payloads issuing a ticket would emit, for a component whose command issues one
        (an appointment's check-in); refusals as for `IssueTicket`."""
        return self._issue(cmd, now)

    def _refuse_second_ticket(self, service: str, phone: str) -> None:
        """One waiting ticket per phone and service: a web client cannot fill a queue."""
        for ticket_id in self.state.waiting.get(service, ()):
            ticket = self.state.tickets[ticket_id]
            if ticket.phone == phone:
                raise CommandRefused("already_waiting", f"this phone already holds ticket {ticket.number}, waiting for {service}")

    def _on_issued(self, event: Event[ev.TicketIssued]) -> None:
        p, s = event.payload, self.state
        ticket = Ticket(
            id=p.id, number=p.number, service=p.service, priority=p.priority,
            channel=p.channel, day=p.day, issued_at=event.at, arrival=event.at,
            appointment_at=p.appointment_at, request=p.request, estimate_minutes=p.estimate.minutes,
            estimate_calibration=s.rates.calibration(),
            issued_seq=event.seq, phone=p.phone,
        )
        s.tickets[ticket.id] = ticket
        s.by_number[ticket.number] = ticket.id
        s.counters[ticket.service] = p.seq
        s.rates.took(ticket.service, ticket.priority is not None)
        self._enter_queue(ticket)
        if ticket.request is not None:
            s.requests[ticket.request] = ticket.id

    def _cancel(self, cmd: c.CancelTicket, now: float) -> list[Payload]:
        ticket = self.ticket(cmd.ticket)
        ticket_next(ticket.number, ticket.state, "cancel")
        return [ev.TicketCancelled(ticket.id, ticket.cabin if ticket.state == TicketState.CALLED else None)]

    def _on_cancelled(self, event: Event[ev.TicketCancelled]) -> None:
        ticket = self.state.tickets[event.payload.id]
        self._leave_queue(ticket)
        self._release_cabin(ticket)
        ticket.state, ticket.ended_at = ticket_next(ticket.number, ticket.state, "cancel"), event.at

    def _rejoin(self, cmd: c.Rejoin, now: float) -> list[Payload]:
        ticket = self.ticket(cmd.ticket)
        ticket_next(ticket.number, ticket.state, "rejoin")
        window = self.config.rules.no_show_rejoin_minutes * 60
        if ticket.ended_at is not None and now - ticket.ended_at > window:
            raise CommandRefused(
                "rejoin_window_passed",
                f"ticket {ticket.number} missed its call more than {self.config.rules.no_show_rejoin_minutes} minutes ago; take a new ticket",
            )
        return [ev.TicketRejoined(ticket.id)]

    def _on_rejoined(self, event: Event[ev.TicketRejoined]) -> None:
        ticket = self.state.tickets[event.payload.id]
        ticket.state = ticket_next(ticket.number, ticket.state, "rejoin")
        ticket.cabin = ticket.officer = None
        ticket.ended_at = None
        self._enter_queue(ticket)

    # ---- cabins ---------------------------------------------------------------------------

    def _officer(self, username: str) -> str:
        user = self.config.users.get(username)
        if user is None or user.role != "officer":
            raise CommandRefused("unknown_officer", f"no officer {username!r}")
        return user.username

    def _open_cabin(self, cmd: c.OpenCabin, now: float) -> list[Payload]:
        cabin = self.cabin(cmd.cabin)
        officer = self._officer(cmd.officer)
        cabin_next(cabin.number, cabin.state, "open")
        for other in self.state.cabins.values():
            if other.officer == officer and other.state != CabinStatus.CLOSED:
                raise CommandRefused("officer_busy", f"{officer} is signed in at cabin {other.number}; close it first")
        return [ev.CabinOpened(cabin.number, officer)]

    def _on_cabin_opened(self, event: Event[ev.CabinOpened]) -> None:
        cabin = self.state.cabins[event.payload.cabin]
        cabin.state = cabin_next(cabin.number, cabin.state, "open")
        cabin.officer, cabin.since, cabin.priority_streak = event.payload.officer, event.at, 0

    def _assign_cabin(self, cmd: c.AssignCabin, now: float) -> list[Payload]:
        cabin = self.cabin(cmd.cabin)
        officer = self._officer(cmd.officer)
        if cabin.state != CabinStatus.CLOSED:
            raise CommandRefused("illegal_transition", f"cabin {cabin.number} is {cabin.state}; close it before seating another officer")
        return [ev.CabinAssigned(cabin.number, officer, self.assigned_officer(cabin.number))]

    def _on_cabin_assigned(self, event: Event[ev.CabinAssigned]) -> None:
        p = event.payload
        for number, officer in list(self.state.assignments.items()):
            if officer == p.officer:
                del self.state.assignments[number]  # one seat per officer
        self.state.assignments[p.cabin] = p.officer

    def _close_cabin(self, cmd: c.CloseCabin, now: float) -> list[Payload]:
        cabin = self._idle_cabin(cmd.cabin, "close")
        return [ev.CabinClosed(cabin.number, cabin.officer)]

    def _on_cabin_closed(self, event: Event[ev.CabinClosed]) -> None:
        cabin = self.state.cabins[event.payload.cabin]
        cabin.state = cabin_next(cabin.number, cabin.state, "close")
        cabin.officer = cabin.pause_reason = None
        cabin.since = event.at

    def _pause(self, cmd: c.Pause, now: float) -> list[Payload]:
        reason = cmd.reason.strip()
        if not reason:
            raise CommandRefused("invalid", "a pause needs a reason")
        cabin = self._idle_cabin(cmd.cabin, "pause")
        return [ev.CabinPaused(cabin.number, reason[:200], cabin.officer)]

    def _on_cabin_paused(self, event: Event[ev.CabinPaused]) -> None:
        cabin = self.state.cabins[event.payload.cabin]
        cabin.state = cabin_next(cabin.number, cabin.state, "pause")
        cabin.pause_reason, cabin.since = event.payload.reason, event.at

    def _resume(self, cmd: c.Resume, now: float) -> list[Payload]:
        cabin = self.cabin(cmd.cabin)
        cabin_next(cabin.number, cabin.state, "resume")
        return [ev.CabinResumed(cabin.number, cabin.officer)]

    def _on_cabin_resumed(self, event: Event[ev.CabinResumed]) -> None:
        cabin = self.state.cabins[event.payload.cabin]
        cabin.state = cabin_next(cabin.number, cabin.state, "resume")
        cabin.pause_reason, cabin.since = None, event.at

    def _idle_cabin(self, number: int, action: str) -> CabinState:
        cabin = self.cabin(number)
        cabin_next(cabin.number, cabin.state, action)
        if cabin.ticket is not None:
            current = self.state.tickets[cabin.ticket]
            raise CommandRefused(
                "cabin_busy",
                f"cabin {number} still has ticket {current.number} ({current.state}); finish, mark no-show or transfer it before you {action}",
            )
        return cabin

    # ---- calling and serving --------------------------------------------------------------

    def _ready_to_call(self, number: int) -> CabinState:
        cabin = self.cabin(number)
        cabin_next(cabin.number, cabin.state, "call")
        if cabin.ticket is not None:
            current = self.state.tickets[cabin.ticket]
            raise CommandRefused(
                "cabin_busy",
                f"cabin {number} still has ticket {current.number} ({current.state}); finish, mark no-show or transfer it first",
            )
        return cabin

    def _call_next(self, cmd: c.CallNext, now: float) -> list[Payload]:
        cabin = self._ready_to_call(cmd.cabin)
        config = self.config.cabins[cabin.number]
        view = CabinView(cabin.number, config.department, config.profile, cabin.priority_streak, self._departments_of)
        chosen = self.policy.choose(self.candidates_for(cabin.number), view, now)
        if chosen is None:
            return []
        return [ev.TicketCalled(chosen.id, chosen.number, cabin.number, cabin.officer, specific=False)]

    def _call_ticket(self, cmd: c.CallTicket, now: float) -> list[Payload]:
        cabin = self._ready_to_call(cmd.cabin)
        ticket = self.ticket(cmd.ticket)
        if ticket.state != TicketState.WAITING:
            ticket_next(ticket.number, ticket.state, "call")
        if ticket.target_cabin not in (None, cabin.number):
            raise CommandRefused("not_served_here", f"ticket {ticket.number} was sent to cabin {ticket.target_cabin}")
        return [ev.TicketCalled(ticket.id, ticket.number, cabin.number, cabin.officer, specific=True)]

    def _on_called(self, event: Event[ev.TicketCalled]) -> None:
        p = event.payload
        ticket, cabin = self.state.tickets[p.id], self.state.cabins[p.cabin]
        if ticket.called_at is None and ticket.transfers == 0 and ticket.estimate_minutes is not None and self._same_window(ticket.issued_at, event.at):
            # a wait through lunch would teach the calibration lunch's length, which the model already knows
            self.state.rates.called(ticket.estimate_minutes - ticket.estimate_calibration, (event.at - ticket.issued_at) / 60)
        self._leave_queue(ticket)
        ticket.state = ticket_next(ticket.number, ticket.state, "call")
        ticket.cabin, ticket.officer, ticket.called_at = cabin.number, p.officer, event.at
        ticket.started_at = None
        ticket.target_cabin = None
        cabin.ticket = ticket.id
        cabin.priority_streak = cabin.priority_streak + 1 if ticket.priority else 0

    def _current(self, number: int, action: str) -> Ticket:
        cabin = self.cabin(number)
        if cabin.ticket is None:
            raise CommandRefused("no_current_ticket", f"cabin {number} has no ticket to {action.replace('_', '-')}")
        ticket = self.state.tickets[cabin.ticket]
        ticket_next(ticket.number, ticket.state, action)
        return ticket

    def _recall(self, cmd: c.Recall, now: float) -> list[Payload]:
        ticket = self._current(cmd.cabin, "recall")
        return [ev.TicketRecalled(ticket.id, ticket.number, cmd.cabin, ticket.recalls + 1)]

    def _on_recalled(self, event: Event[ev.TicketRecalled]) -> None:
        ticket = self.state.tickets[event.payload.id]
        ticket.state = ticket_next(ticket.number, ticket.state, "recall")
        ticket.recalls = event.payload.recalls

    def _start(self, cmd: c.StartService, now: float) -> list[Payload]:
        ticket = self._current(cmd.cabin, "start")
        return [ev.TicketStarted(ticket.id, cmd.cabin)]

    def _on_started(self, event: Event[ev.TicketStarted]) -> None:
        ticket = self.state.tickets[event.payload.id]
        ticket.state, ticket.started_at = ticket_next(ticket.number, ticket.state, "start"), event.at

    def _finish(self, cmd: c.FinishService, now: float) -> list[Payload]:
        ticket = self._current(cmd.cabin, "finish")
        return [ev.TicketFinished(ticket.id, cmd.cabin, ticket.officer, ticket.service)]

    def _on_finished(self, event: Event[ev.TicketFinished]) -> None:
        ticket = self.state.tickets[event.payload.id]
        ticket.state, ticket.finished_at = ticket_next(ticket.number, ticket.state, "finish"), event.at
        self._release_cabin(ticket)

    def _no_show(self, cmd: c.NoShow, now: float) -> list[Payload]:
        ticket = self._current(cmd.cabin, "no_show")
        needed = self.config.rules.recalls_before_no_show
        if ticket.recalls < needed:
            raise CommandRefused(
                "recall_first",
                f"recall ticket {ticket.number} first: {ticket.recalls} of {needed} recalls made before a no-show",
            )
        return [ev.TicketNoShow(ticket.id, cmd.cabin)]

    def _on_no_show(self, event: Event[ev.TicketNoShow]) -> None:
        ticket = self.state.tickets[event.payload.id]
        ticket.state, ticket.ended_at = ticket_next(ticket.number, ticket.state, "no_show"), event.at
        self._release_cabin(ticket)

    def _transfer(self, cmd: c.Transfer, now: float) -> list[Payload]:
        ticket = self._current(cmd.cabin, "transfer")
        if cmd.service is None and cmd.to_cabin is None:
            raise CommandRefused("invalid", "a transfer names a service or a cabin")
        if cmd.service is not None and cmd.service not in self.config.services:
            raise CommandRefused("unknown_service", f"no service {cmd.service!r}")
        if cmd.to_cabin is not None:
            self.cabin(cmd.to_cabin)
            if cmd.to_cabin == cmd.cabin:
                raise CommandRefused("invalid", f"ticket {ticket.number} is already at cabin {cmd.cabin}")
        return [ev.TicketTransferred(ticket.id, cmd.cabin, cmd.service or ticket.service, cmd.to_cabin)]

    def _on_transferred(self, event: Event[ev.TicketTransferred]) -> None:
        p = event.payload
        ticket = self.state.tickets[p.id]
        ticket.state = ticket_next(ticket.number, ticket.state, "transfer")
        self._release_cabin(ticket)
        ticket.service, ticket.target_cabin = p.service, p.to_cabin
        ticket.cabin = ticket.officer = ticket.called_at = ticket.started_at = None
        ticket.transfers += 1
        self._enter_queue(ticket)

    # ---- queue bookkeeping ----------------------------------------------------------------

    def _enter_queue(self, ticket: Ticket) -> None:
        if ticket.target_cabin is None:
            self.state.waiting.setdefault(ticket.service, Queue()).add(ticket)
        else:
            self.state.targeted.setdefault(ticket.target_cabin, Queue()).add(ticket)

    def _leave_queue(self, ticket: Ticket) -> None:
        if ticket.service in self.state.waiting:
            self.state.waiting[ticket.service].discard(ticket.id)
        if ticket.target_cabin is not None and ticket.target_cabin in self.state.targeted:
            self.state.targeted[ticket.target_cabin].discard(ticket.id)

    def _release_cabin(self, ticket: Ticket) -> None:
        if ticket.cabin is not None:
            cabin = self.state.cabins[ticket.cabin]
            if cabin.ticket == ticket.id:
                cabin.ticket = None
                self._learn_pace(ticket)

    def _learn_pace(self, ticket: Ticket) -> None:
        """The cabin was taken from the call until now (finish, no-show, transfer, cancel): the
        officer's pace learns from it (hall/estimate.py, ServiceRates)."""
        service = self.config.services.get(ticket.service)
        if ticket.called_at is None or service is None:
            return
        self.state.rates.learn(ticket.officer, (self.state.latest_at - ticket.called_at) / 60, service.mean_service_minutes)


def replay(config: HallConfig, events: Iterable[Event[Any]], components: Sequence[ComponentFactory] = ()) -> Engine:
    """Rebuild a hall from its journal."""
    engine = Engine(config, components)
    for event in events:
        engine.apply(event)
    return engine
