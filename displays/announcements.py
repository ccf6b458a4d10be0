"""The announcement queue: which call the hall's voice speaks next, one at a time.

Theory of operation
-------------------
A pure state machine (no I/O, no trio, time passed in as ``now``), like the engine: the server's
announcer task feeds it calls and asks it what to play; players report when they are done.

* ``enqueue_call`` turns a call (ticket number, cabin) into an :class:`Announcement` with the next
  id and its text computed right there from the ticket number and cabin given — never from any
  other state, so the voice cannot say a number that was not called. A bad ticket number fails
  at enqueue, in the caller's hands, not later in the player.
* Announcements are handed out by ``next_to_play(now)`` strictly in call order, and only one at
  a time: while one is playing, ``next_to_play`` returns ``None``. It stops playing when
  ``mark_played(id)`` is called, or when ``max_duration`` seconds have passed since it was handed
  out (a player that crashed or disconnected must not silence the hall for good).
* A recall is a new announcement of the same ticket and cabin. If that same ticket and cabin is
  still waiting in the queue, the recall joins it instead of queueing a second copy: the citizen
  hears the call once more, not twice in a row.
* ``withdraw(call_id)`` drops the waiting announcements of a call that was undone (ticket
  cancelled or transferred before it was spoken).
* Finished announcements go to a bounded history, newest last.

States of one announcement: pending → playing → played | timed_out, or pending → withdrawn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Hashable, Literal

from displays.vi_numbers import Mode, announcement_text

__all__ = ["Announcement", "AnnouncementError", "AnnouncementQueue", "Finished"]


class AnnouncementError(ValueError):
    """A request the queue refuses; the message names the announcement and its state."""


@dataclass(frozen=True)
class Announcement:
    id: int
    ticket_number: str
    cabin: int
    call_id: Hashable
    recall: bool
    text: str


@dataclass(frozen=True)
class Finished:
    """A history entry: what was played, when it was handed out and how it ended."""

    announcement: Announcement
    started_at: float
    ended_at: float | None  # None: the player did not say when
    outcome: Literal["played", "timed_out"]


class AnnouncementQueue:
    def __init__(self, *, max_duration: float = 30.0, history_size: int = 200,
                 mode: Mode = "number") -> None:
        if max_duration <= 0:
            raise ValueError(f"max_duration must be positive, got {max_duration}")
        if history_size < 0:
            raise ValueError(f"history_size must be >= 0, got {history_size}")
        announcement_text("0", 0, mode)  # validates mode
        self.max_duration = max_duration
        self.mode: Mode = mode
        self._next_id = 1
        self._pending: deque[Announcement] = deque()
        self._playing: Announcement | None = None
        self._playing_since = 0.0
        self._history: deque[Finished] = deque(maxlen=history_size)

    # --- commands -------------------------------------------------------------------------

    def enqueue_call(self, ticket_number: str, cabin: int, call_id: Hashable,
                     recall: bool = False) -> Announcement:
        """Queue the call of ``ticket_number`` to ``cabin``; returns its announcement. A recall
        of a ticket and cabin already waiting in the queue returns that waiting announcement."""
        text = announcement_text(ticket_number, cabin, self.mode)  # raises on a bad number
        if recall:
            for waiting in self._pending:
                if waiting.ticket_number == ticket_number and waiting.cabin == cabin:
                    return waiting
        announcement = Announcement(self._next_id, ticket_number, cabin, call_id, recall, text)
        self._next_id += 1
        self._pending.append(announcement)
        return announcement

    def next_to_play(self, now: float) -> Announcement | None:
        """The next announcement to play, now marked playing; ``None`` if one is still playing
        (not marked played and younger than ``max_duration``) or nothing waits."""
        if self._playing is not None:
            if now < self._playing_since + self.max_duration:
                return None
            self._finish(self._playing_since + self.max_duration, "timed_out")
        if not self._pending:
            return None
        self._playing = self._pending.popleft()
        self._playing_since = now
        return self._playing

    def mark_played(self, announcement_id: int, now: float | None = None) -> bool:
        """The player finished ``announcement_id``. True if that ended the current playback;
        False if it had already ended (timed out, or a duplicate report)."""
        if self._playing is not None and self._playing.id == announcement_id:
            self._finish(now, "played")
            return True
        if any(a.id == announcement_id for a in self._pending):
            raise AnnouncementError(
                f"announcement {announcement_id} is still pending: it was never handed out"
            )
        if not 1 <= announcement_id < self._next_id:
            raise AnnouncementError(f"no announcement {announcement_id} was ever queued")
        return False

    def withdraw(self, call_id: Hashable) -> list[Announcement]:
        """Drop the pending announcements of ``call_id``; returns them. One already playing is
        left to finish."""
        dropped = [a for a in self._pending if a.call_id == call_id]
        if dropped:
            self._pending = deque(a for a in self._pending if a.call_id != call_id)
        return dropped

    # --- queries --------------------------------------------------------------------------

    @property
    def playing(self) -> Announcement | None:
        """The announcement handed out and not yet finished (it may have passed its deadline;
        the next ``next_to_play`` retires it)."""
        return self._playing

    def pending(self) -> list[Announcement]:
        """Announcements waiting to be played, in the order they will play."""
        return list(self._pending)

    def history(self) -> list[Finished]:
        """The most recent finished announcements, oldest first (bounded)."""
        return list(self._history)

    # --- internals ------------------------------------------------------------------------

    def _finish(self, ended_at: float | None, outcome: Literal["played", "timed_out"]) -> None:
        assert self._playing is not None
        self._history.append(Finished(self._playing, self._playing_since, ended_at, outcome))
        self._playing = None
