"""The hall's voice at run time: durable calls in, one announcement at a time out to the hall TVs.

Theory of operation
-------------------
* Input: the hub topic "announcer" renders each durable batch into the calls and recalls it holds
  (and the undone calls: a ticket transferred or cancelled before it was spoken). A call is
  announced only after it is durable, like every broadcast.
* The sequencing is `displays.announcements.AnnouncementQueue` (pure): ids, call order, never two
  at once, recall coalescing, a deadline for players that never answer.
* Output: when the queue hands one out, its WAV is made (or found) by `displays.voice.VoiceCache`
  in a worker thread, and one `announce` frame — id, number, cabin, text, audio URL — goes to
  every connected hall display through its own bounded channel (`send_nowait`; a display that is
  not reading is dropped, never awaited). The display plays it and answers `played`; the next one
  is handed out only then, or after `max_duration`. The hall TV is anonymous, so anyone may
  send `played`: a report that comes before the announcement could have been heard (most of its
  clip, or of the page's silent pause when it cannot play sound) is ignored, so a stranger cannot
  hurry the calls along nor keep a cancelled call from being withdrawn before it is spoken.
* With no hall display connected nobody can hear it: the announcement is retired at once
  ("unheard"), so a TV switched on later does not replay a backlog of stale calls.
* If the speech engine is unavailable the frame still goes out with `audio: null`; the display
  shows the call and reports it played after a pause.
"""

from __future__ import annotations

import json
import logging
import math
import os
import wave
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from displays.announcements import AnnouncementQueue
from displays.voice import VoiceCache, VoiceSettings, VoiceUnavailable
from hall.events import Event, TicketCalled, TicketCancelled, TicketRecalled, TicketTransferred

log = logging.getLogger("hall.announcer")

UNDO_EVENTS = (TicketTransferred, TicketCancelled)  # a call undone before it was spoken
LISTENER_LIMIT = 16
MAX_DURATION = 30.0  # seconds a display may take to play one announcement before the next goes
SILENT_PLAY_SECONDS = 6.0  # how long the hall TV shows a call it cannot play (displays/static/hall.js SILENT_PLAY_MS)
HEARD_SHARE = 0.8  # of the clip (or the silent pause) that must have passed before `played` counts


def default_voice_dir() -> Path:
    return Path(os.environ.get("HALL_VOICE_DIR") or Path.cwd() / "var" / "voice")


class Announcer:
    """Owns the hall's announcement queue; `run` is its task, `listen` a hall display's feed."""

    def __init__(self, runtime: Any, directory: Path | None = None, settings: VoiceSettings = VoiceSettings(),
                 max_duration: float = MAX_DURATION) -> None:
        voice = runtime.config.raw.get("voice", {}) if isinstance(runtime.config.raw, dict) else {}
        self.runtime = runtime
        self.queue = AnnouncementQueue(max_duration=max_duration, mode=voice.get("mode", "number"))
        self.cache = VoiceCache(directory or default_voice_dir(), settings)
        self.listeners: set[trio.MemorySendChannel[str]] = set()
        self.unheard = 0
        self.voice_error: str | None = None
        self.sent: deque[dict[str, Any]] = deque(maxlen=50)  # the frames handed out, newest last
        self._wake = trio.Event()
        self._heard_at = 0.0  # trio time before which a `played` report is too early to be true
        self._scope: trio.CancelScope | None = None
        runtime.hub.add_topic("announcer", _calls_of)

    # --- the task ---------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Feed the queue from durable calls and hand announcements out until `stop`."""
        with trio.CancelScope() as self._scope:
            subscriber = self.runtime.hub.subscribe("announcer", limit=4096)
            task_status.started()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._feed, subscriber)
                nursery.start_soon(self._hand_out)

    def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def _feed(self, subscriber: Any) -> None:
        while True:
            async for _seq, calls in subscriber.receive:
                for call in calls:
                    if isinstance(call, UNDO_EVENTS):
                        self.queue.withdraw(call.id)
                        continue
                    number, cabin = call.number, call.cabin
                    try:
                        self.queue.enqueue_call(number, cabin, call.id, recall=isinstance(call, TicketRecalled))
                    except ValueError as exc:  # a number the voice cannot read: shown, not spoken
                        log.warning("cannot announce %s at cabin %s: %s", number, cabin, exc)
                self._wake.set()
            # Dropped by the hub (4096 batches behind): take the topic again.
            log.warning("the announcer fell behind the hall's events; some calls may not be spoken")
            subscriber = self.runtime.hub.subscribe("announcer", limit=4096)

    async def _hand_out(self) -> None:
        deadline = math.inf
        while True:
            self._wake = trio.Event()
            announcement = self.queue.next_to_play(trio.current_time())
            if announcement is None:
                if self.queue.playing is None:
                    deadline = math.inf
                with trio.move_on_at(deadline):
                    await self._wake.wait()
                continue
            audio, seconds = await self._audio(announcement.text)
            frame = {"t": "announce", "id": announcement.id, "number": announcement.ticket_number,
                     "cabin": announcement.cabin, "recall": announcement.recall, "text": announcement.text,
                     "audio": audio}
            self._heard_at = trio.current_time() + HEARD_SHARE * min(seconds, SILENT_PLAY_SECONDS)
            if not self.listeners:
                self.unheard += 1
                self.queue.mark_played(announcement.id)
                continue
            deadline = trio.current_time() + self.queue.max_duration + 0.01
            self.sent.append(frame)
            encoded = json.dumps(frame, ensure_ascii=False)
            for listener in list(self.listeners):
                try:
                    listener.send_nowait(encoded)
                except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                    self.unlisten(listener)

    async def _audio(self, text: str) -> tuple[str | None, float]:
        """The announcement's audio URL and the clip's length in seconds (None and the silent
        pause without a voice)."""
        try:
            path, seconds = await trio.to_thread.run_sync(self._clip, text)
        except VoiceUnavailable as exc:
            if self.voice_error is None:
                log.error("no voice: %s", exc)
            self.voice_error = str(exc)
            return None, SILENT_PLAY_SECONDS
        return f"/voice/{path.stem}.wav", seconds

    def _clip(self, text: str) -> tuple[Path, float]:
        path = self.cache.announcement_wav(text)
        with wave.open(str(path)) as clip:
            return path, clip.getnframes() / clip.getframerate()

    # --- the displays -----------------------------------------------------------------------

    def listen(self) -> tuple[trio.MemorySendChannel[str], trio.MemoryReceiveChannel[str]]:
        """A hall display's feed of `announce` frames (bounded; dropped if it stops reading)."""
        send, receive = trio.open_memory_channel[str](LISTENER_LIMIT)
        self.listeners.add(send)
        return send, receive

    def unlisten(self, send: trio.MemorySendChannel[str]) -> None:
        self.listeners.discard(send)
        send.close()

    def played(self, announcement_id: int) -> None:
        """A display finished playing `announcement_id`; late, early or unknown reports are ignored."""
        if trio.current_time() < self._heard_at:
            log.info("ignored a report that announcement %d was played before it could have been heard", announcement_id)
            return
        try:
            if self.queue.mark_played(announcement_id):
                self._wake.set()
        except ValueError:
            pass

    def status(self) -> dict[str, Any]:
        playing = self.queue.playing
        return {
            "playing": _brief(playing) if playing else None,
            "pending": [_brief(a) for a in self.queue.pending()],
            "history": [dict(_brief(f.announcement), outcome=f.outcome) for f in self.queue.history()[-20:]],
            "sent": list(self.sent),
            "listeners": len(self.listeners),
            "unheard": self.unheard,
            "voice_error": self.voice_error,
        }


def _brief(a: Any) -> dict[str, Any]:
    return {"id": a.id, "number": a.ticket_number, "cabin": a.cabin, "recall": a.recall, "text": a.text}


def _calls_of(events: Sequence[Event]) -> list[list[Any]]:
    """The calls, recalls and undone calls of a durable batch, in event order."""
    calls = [e.payload for e in events if isinstance(e.payload, (TicketCalled, TicketRecalled, *UNDO_EVENTS))]
    return [calls] if calls else []
