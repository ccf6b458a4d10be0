"""Fan-out of durable events to screens and devices without ever awaiting a client.

Each topic renders a batch of events once (one encoding, the same bytes to every client) and
hands the frame to every subscriber with `send_nowait` into that subscriber's bounded channel.

Rendering and delivery are two steps. `prepare(events)` renders a batch from the engine's state
as it is right after the batch's last event — the runtime calls it when it closes a batch for
the journal, before any later command runs — and `deliver(prepared)` hands the frames out once
the batch is durable. So what a screen sees (waiting counts, estimates) never includes events
that are not durable yet.
A subscriber that falls behind (its channel is full) is cut off: its channel is closed, its
connection ends, and the client reconnects and takes a fresh snapshot. So a screen that stops
reading can never block a broadcast, another client or shutdown (STACK-NOTES.md, hazard 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from hall.events import Event

Frame = tuple[int, Any]  # (highest event seq in the frame, encoded frame)
Renderer = Callable[[Sequence[Event]], list[Any]]

QUEUE_LIMIT = 256


@dataclass(eq=False)
class Subscriber:
    send: trio.MemorySendChannel[Frame]
    receive: trio.MemoryReceiveChannel[Frame]
    dropped: bool = False


@dataclass
class Topic:
    render: Renderer
    subscribers: set[Subscriber] = field(default_factory=set)


@dataclass(frozen=True)
class Prepared:
    """A batch rendered for every topic that had subscribers, waiting to be delivered."""

    last_seq: int
    frames: dict[str, list[Any]]


class Hub:
    def __init__(self) -> None:
        self.topics: dict[str, Topic] = {}
        self.dropped_total = 0

    def add_topic(self, name: str, render: Renderer) -> None:
        self.topics[name] = Topic(render)

    def subscribe(self, name: str, limit: int = QUEUE_LIMIT) -> Subscriber:
        send, receive = trio.open_memory_channel[Frame](limit)
        subscriber = Subscriber(send, receive)
        self.topics[name].subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, name: str, subscriber: Subscriber) -> None:
        self.topics[name].subscribers.discard(subscriber)
        subscriber.send.close()

    def prepare(self, events: Sequence[Event]) -> Prepared:
        """Render a batch for every topic with subscribers, from the engine's state now."""
        frames = {name: topic.render(events) for name, topic in self.topics.items() if topic.subscribers and events}
        return Prepared(events[-1].seq if events else 0, frames)

    def deliver(self, prepared: Prepared) -> None:
        """Hand a prepared (now durable) batch to every subscriber; never blocks."""
        for name, frames in prepared.frames.items():
            topic = self.topics[name]
            if not frames:
                continue
            for subscriber in list(topic.subscribers):
                self._offer(topic, subscriber, [(prepared.last_seq, frame) for frame in frames])

    def drop_all(self) -> None:
        """Cut off every subscriber (the hall's state was rebuilt): each reconnects for a snapshot."""
        for topic in self.topics.values():
            for subscriber in list(topic.subscribers):
                subscriber.dropped = True
                subscriber.send.close()
            topic.subscribers.clear()

    def _offer(self, topic: Topic, subscriber: Subscriber, frames: list[Frame]) -> None:
        try:
            for frame in frames:
                subscriber.send.send_nowait(frame)
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            subscriber.dropped = True
            topic.subscribers.discard(subscriber)
            subscriber.send.close()
            self.dropped_total += 1
