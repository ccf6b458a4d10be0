"""The hall's working day as the wait estimate and the ticket cut-off see it.

A hall that keeps its hours (`hall.accept_tickets_any_hour = false`) issues kiosk and web tickets
during its sessions and until `hall.last_ticket`; its officers work each session and go on
serving the queue for `rules.serve_after_close_minutes` past its end (then lunch, or home). The
day-capacity cut-off refuses a ticket whose estimated call comes after closing (the end of the
day's last session), or whose call could come after the officers leave (the estimate's late end):
a citizen told at 16:40 that they would be called at 17:20 is better told "day_full" at the kiosk
than sent home unserved at 17:30. One function, `day_full`, decides it,
so the kiosk, the web and the HTTP API refuse alike. A hall open at any hour (the demo, M/M/c)
has one window over the whole day and no cut-off.
"""

from __future__ import annotations

import datetime as dt
import math

from .config import HallConfig
from .estimate import Estimate
from .lifecycle import CommandRefused

Window = tuple[float, float]  # [start, end) in seconds since the epoch
Span = tuple[float, float, float]  # [start, end) and the part of the officers' time that serves in it


def closing_at(config: HallConfig, now: float) -> float:
    """The end of the last session of `now`'s local day."""
    return config.epoch(config.business_day(now), max(s.end for s in config.sessions))


def last_ticket_at(config: HallConfig, now: float) -> float:
    """When kiosks and the web stop issuing on `now`'s day: `hall.last_ticket`, else closing."""
    if config.last_ticket is None:
        return closing_at(config, now)
    return config.epoch(config.business_day(now), config.last_ticket)


def issuing_ends(config: HallConfig, now: float) -> float:
    """When kiosks and the web next stop issuing, from `now`: the end of the session `now` is in
    (or `hall.last_ticket`, if sooner); `now` itself outside the sessions. A hall open at any hour
    never stops (infinity). The estimate foresees a queue's citizens yet to come until then, not
    the next session's: counting the afternoon's too was no better on the replayed default days."""
    if config.accept_tickets_any_hour:
        return math.inf
    if not config.in_session(now):
        return now
    day, moment = config.business_day(now), config.local(now).time()
    end = min(config.epoch(day, s.end) for s in config.sessions if s.start <= moment < s.end)
    return min(end, last_ticket_at(config, now))


def working_windows(config: HallConfig, now: float) -> list[Window]:
    """When cabins serve on `now`'s day: each session, plus the time officers serve past its end."""
    day = config.business_day(now)
    if config.accept_tickets_any_hour:
        start = config.epoch(day, dt.time(0, 0))
        return [(start, start + 86400.0)]
    grace = config.rules.serve_after_close_minutes * 60
    windows: list[Window] = []
    for session in sorted(config.sessions, key=lambda s: s.start):
        start, end = config.epoch(day, session.start), config.epoch(day, session.end) + grace
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows


def break_spans(config: HallConfig, now: float) -> list[Span]:
    """The spans of `now`'s day in which the officers' routine breaks (`rules.breaks`) take part of
    their time: each officer takes their break at a time of their own in the span, so on average a
    `share × minutes ÷ span` part of the hall's capacity is away throughout it. Halls open at any
    hour have no routine."""
    if config.accept_tickets_any_hour:
        return []
    day = config.business_day(now)
    spans = []
    for item in config.rules.breaks:
        start, end = config.epoch(day, item.start), config.epoch(day, item.end)
        spans.append((start, end, 1 - item.share * item.minutes * 60 / (end - start)))
    return sorted(spans)


def day_full(config: HallConfig, now: float, estimate: Estimate) -> CommandRefused | None:
    """The refusal for a ticket the hall could not call by closing, or None if it can.

    `estimate` is the wait the hall would print on the ticket (hall/estimate.py). A ticket is
    refused if its expected call comes after closing, or if the late end of its range (one
    standard deviation longer) comes after the officers leave (`rules.serve_after_close_minutes`
    past closing): a citizen in a one-cabin queue told 16:57 at 16:08 may well not be called by
    17:30, two visits of CV 0.6 being that uncertain. Halls open at any hour refuse nothing here.
    """
    if config.accept_tickets_any_hour:
        return None
    closing = closing_at(config, now)
    leave = closing + config.rules.serve_after_close_minutes * 60
    called, late = now + estimate.minutes * 60, now + estimate.high * 60
    if called <= closing and late <= leave:
        return None
    why = (f"the estimated call would be at {config.local(called):%H:%M}" if called > closing
           else f"the call could come as late as {config.local(late):%H:%M}, after the officers leave at {config.local(leave):%H:%M}")
    return CommandRefused(
        "day_full",
        f"the hall cannot call a new ticket before it closes at {config.local(closing):%H:%M} "
        f"({why}); please come back on the next working day",
    )


def past_last_ticket(config: HallConfig, now: float) -> CommandRefused | None:
    """The refusal for a kiosk or web ticket after `hall.last_ticket`, or None."""
    if config.accept_tickets_any_hour or config.last_ticket is None or now < last_ticket_at(config, now):
        return None
    return CommandRefused(
        "hall_closed",
        f"the last ticket today was at {config.last_ticket:%H:%M}; please come back on the next working day",
    )
