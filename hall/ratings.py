"""Citizen satisfaction ratings: one per finished visit, bound to its ticket, cabin and officer.

An engine component (see `hall.engine.Component`), made from the engine it belongs to:
`Engine(config, [RatingBook])`; the device layer finds it with `engine.component(RatingBook)`.
A rating pad at a cabin asks for `RecordRating`; the handler checks the rules of the hall file
and emits one `hall.events.RatingRecorded`.

Rules (each refusal has its own code):
- the ticket exists (``unknown_ticket``) and is finished (``not_finished``);
- it was finished at the rating pad's cabin (``wrong_cabin``);
- it has no rating yet (``already_rated``);
- the rating comes within ``rules.rating_window_minutes`` of the finish (``rating_window_passed``);
- every criterion of ``[ratings] criteria`` gets one of ``[ratings] levels`` and nothing else
  (``invalid_rating``).

The officer is taken from the ticket (who served it), never from the device, so a rating cannot
be pinned on someone else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .commands import Command
from .events import Event, Payload, RatingRecorded
from .lifecycle import CommandRefused, TicketState
from .state import Ticket

if TYPE_CHECKING:
    from .engine import Engine

KEEP_DAYS = 2  # ratings only matter for the rules within minutes; the journal keeps them all


@dataclass(frozen=True)
class RecordRating(Command):
    ticket: str  # ticket id
    cabin: int  # the cabin whose rating pad sent it
    levels: dict[str, str] = field(default_factory=dict)


@dataclass
class RatingsSnapshot:
    """What a snapshot keeps of the ratings (hall/snapshots.py)."""

    rated: dict[str, RatingRecorded]
    days: dict[str, list[str]]


class RatingBook:
    """The ratings component; its rules read the tickets of the engine it is made from."""

    SNAPSHOT_TYPE = RatingsSnapshot

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = engine.config
        self.rated: dict[str, RatingRecorded] = {}  # ticket id -> its rating
        self._days: dict[str, list[str]] = {}  # business day -> ticket ids rated that day

    def handlers(self) -> Mapping[type[Command], Any]:
        return {RecordRating: self._record}

    def appliers(self) -> Mapping[type[Payload], Any]:
        return {RatingRecorded: self._on_recorded}

    def snapshot(self) -> RatingsSnapshot:
        return RatingsSnapshot(self.rated, self._days)

    def restore(self, saved: RatingsSnapshot) -> None:
        self.rated, self._days = saved.rated, saved.days

    # ---- queries ----------------------------------------------------------------------------

    def rating_of(self, ticket_id: str) -> RatingRecorded | None:
        return self.rated.get(ticket_id)

    def open_for(self, cabin: int, now: float) -> Ticket | None:
        """The ticket a cabin's rating pad should offer now (the last one finished there, still
        inside the window and unrated), or None."""
        window = self.config.rules.rating_window_minutes * 60
        finished = [t for t in self.engine.state.tickets.values()
                    if t.cabin == cabin and t.state == TicketState.DONE and t.finished_at is not None]
        if not finished:
            return None
        last = max(finished, key=lambda t: t.finished_at)
        if last.id in self.rated or last.finished_at is None or now - last.finished_at > window:
            return None
        return last

    # ---- the command ------------------------------------------------------------------------

    def _record(self, cmd: RecordRating, now: float) -> list[Payload]:
        ticket = self.engine.state.tickets.get(cmd.ticket)
        if ticket is None:
            raise CommandRefused("unknown_ticket", f"no ticket {cmd.ticket!r}")
        if ticket.state != TicketState.DONE:
            raise CommandRefused("not_finished", f"ticket {ticket.number} is {ticket.state.replace('_', '-')}; only a finished visit is rated")
        if ticket.cabin != cmd.cabin:
            raise CommandRefused("wrong_cabin", f"ticket {ticket.number} was served at cabin {ticket.cabin}, not cabin {cmd.cabin}")
        if ticket.id in self.rated:
            raise CommandRefused("already_rated", f"ticket {ticket.number} has been rated already; one rating per visit")
        window = self.config.rules.rating_window_minutes
        if ticket.finished_at is None or now - ticket.finished_at > window * 60:
            raise CommandRefused("rating_window_passed", f"ticket {ticket.number} finished more than {window} minutes ago; ratings close {window} minutes after the visit")
        levels = self._check_levels(cmd.levels)
        service = self.config.services.get(ticket.service)
        assert ticket.cabin is not None  # a finished ticket was served at a cabin
        return [RatingRecorded(
            ticket=ticket.id, number=ticket.number, cabin=ticket.cabin, officer=ticket.officer,
            service=ticket.service, department=service.department if service else None, levels=levels,
        )]

    def _check_levels(self, levels: Any) -> dict[str, str]:
        criteria, allowed = self.config.rating_criteria, self.config.rating_levels
        if not isinstance(levels, dict):
            raise CommandRefused("invalid_rating", "levels must map each criterion to a level")
        unknown = [str(k)[:40] for k in levels if k not in criteria]
        if unknown:
            raise CommandRefused("invalid_rating", f"unknown criteria {', '.join(unknown)}; the criteria are {', '.join(criteria)}")
        missing = [c for c in criteria if c not in levels]
        if missing:
            raise CommandRefused("invalid_rating", f"rate every criterion; missing {', '.join(missing)}")
        for criterion in criteria:
            if levels[criterion] not in allowed:
                raise CommandRefused("invalid_rating", f"{criterion}: {str(levels[criterion])[:40]!r} is not a level; one of {', '.join(allowed)}")
        return {c: levels[c] for c in criteria}

    # ---- the event --------------------------------------------------------------------------

    def _on_recorded(self, event: Event[RatingRecorded]) -> None:
        rating = event.payload
        self.rated[rating.ticket] = rating
        day = self.config.business_day(event.at).isoformat()
        if day not in self._days:
            self._days[day] = []
            for old in sorted(self._days)[:-KEEP_DAYS]:
                for ticket_id in self._days.pop(old):
                    self.rated.pop(ticket_id, None)
        self._days[day].append(rating.ticket)
