"""What the hall's screens show, as JSON-ready view models built from the engine.

A screen gets `snapshot(engine)` tagged with the sequence number it reflects, then for every
durable batch a `delta(engine, events)`: the events themselves (so a screen can show calls in
order) plus the summaries of the queues and cabins those events touched, computed from the
state right after the batch (api/broadcast.py renders it before later commands run). A screen
applies only events whose seq is above the one it already has; a gap means "reconnect and
take a new snapshot".

Everything here goes to anonymous sockets (DESIGN.md principle 8), so it is built from
allow-lists: `PUBLIC_EVENT_FIELDS` per event type, and the summaries below name tickets by their
printed number only — never by id (the id is the citizen's key: it tracks and cancels the ticket)
and never with a citizen's name or phone (those live only in dossier events, which are not listed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall import events as ev
from hall.appointments import AppointmentBook
from hall.engine import Engine
from hall.events import Event, Payload
from hall.ticket_view import ticket_brief

from . import messages
from .screen_settings import screen_settings

RECENT_CALLS = 10
DEFAULT_NOTICES = tuple(messages.text(f"notice.{key}") for key in ("keep_ticket", "priority", "track", "rate"))


def service_summary(engine: Engine, code: str) -> dict[str, Any]:
    service = engine.config.services[code]
    waiting = engine.waiting_count(code)
    estimate = engine.estimate(code, waiting)
    queue = engine.state.waiting.get(code)
    oldest = queue.oldest_arrival() if queue is not None else None
    return {
        "code": code,
        "name": service.name,
        "department": service.department,
        "department_name": engine.config.departments[service.department].name,
        "prefix": service.prefix,
        "waiting": waiting,
        "estimated_wait_minutes": round(estimate.minutes),
        "estimate": estimate.as_dict(),
        "target_wait_minutes": service.target_wait_minutes,
        # Screens compute "waiting for N minutes" against their own (offset-corrected) clock.
        "oldest_waiting_since": oldest,
        "booking": booking_summary(engine, code),
    }


def booking_summary(engine: Engine, code: str) -> dict[str, int] | None:
    """What the booking page needs to offer a service: its slot length and days ahead (None: no booking)."""
    try:
        rules = engine.component(AppointmentBook).rules.get(code)
    except LookupError:  # an engine built without appointments (some tests, simulators)
        return None
    return None if rules is None else {"slot_minutes": rules.slot_minutes, "days_ahead": rules.days_ahead}


def cabin_summary(engine: Engine, number: int) -> dict[str, Any]:
    cabin = engine.state.cabins[number]
    config = engine.config.cabins[number]
    officer = engine.config.users.get(cabin.officer) if cabin.officer else None
    ticket = engine.state.tickets.get(cabin.ticket) if cabin.ticket else None
    return {
        "number": number,
        "state": cabin.state,
        "pause_reason": cabin.pause_reason,
        "department": config.department,
        "department_name": engine.config.departments[config.department].name,
        "officer": cabin.officer,
        "officer_name": officer.name if officer else None,
        "ticket": ticket_brief(ticket, with_id=False) if ticket else None,
        "since": cabin.since,
    }


def recent_calls(engine: Engine) -> list[dict[str, Any]]:
    """Today's latest calls, newest first: tickets called, being served or already done at a
    cabin (the hall display keeps the last several on screen, not only the open ones)."""
    calls = [
        {"number": t.number, "cabin": t.cabin, "service": t.service, "at": t.called_at,
         "recalls": t.recalls, "state": t.state}
        for t in engine.state.tickets.values()
        if t.called_at is not None and t.cabin is not None and t.day == engine.state.day
    ]
    calls.sort(key=lambda c: c["at"] or 0, reverse=True)
    return calls[:RECENT_CALLS]


def snapshot(engine: Engine) -> dict[str, Any]:
    return {
        "t": "snapshot",
        "seq": engine.state.seq,
        "hall": {"id": engine.config.id, "name": engine.config.name, "day": engine.state.day, "day_open": engine.state.day_open},
        "services": [service_summary(engine, code) for code in engine.config.services],
        "cabins": [cabin_summary(engine, n) for n in engine.config.cabins],
        "calls": recent_calls(engine),
        "notices": notices(engine),
        "display": screen_settings(engine.config).as_dict(),
    }


def notices(engine: Engine) -> list[str]:
    """The hall display's line of notices: `[display] notices` in the hall file, or defaults."""
    raw = engine.config.raw.get("display", {}) if isinstance(engine.config.raw, dict) else {}
    configured = raw.get("notices") if isinstance(raw, dict) else None
    if isinstance(configured, list) and all(isinstance(n, str) for n in configured):
        return list(configured)
    return list(DEFAULT_NOTICES)


def delta(engine: Engine, events: Sequence[Event]) -> dict[str, Any]:
    services: set[str] = set()
    cabins: set[int] = set()
    payloads = [event.payload for event in events]
    for p in payloads:
        if p.named_service in engine.config.services:
            services.add(p.named_service)
        cabins.update(n for n in p.cabins if n in engine.config.cabins)
        ticket = engine.state.tickets.get(p.ticket_id) if p.ticket_id else None
        if ticket is not None:
            services.add(ticket.service)
    whole_hall = any(p.WHOLE_HALL for p in payloads)
    if whole_hall or any(p.CAPACITY for p in payloads):
        services = set(engine.config.services)  # cabin capacity changes every estimate
    if whole_hall:
        cabins = set(engine.config.cabins)
    return {
        "t": "delta",
        "seq": events[-1].seq,
        "events": [public_event(engine, e) for e in events],
        "services": [service_summary(engine, code) for code in sorted(services)],
        "cabins": [cabin_summary(engine, n) for n in sorted(cabins)],
    }


# What a public screen may know of each event. An event type not listed here (dossiers, ratings)
# reaches public sockets as its sequence number alone: screens still see that no frame was lost
# (api/broadcast.py: a gap means "take a new snapshot") but nothing of what happened.
PUBLIC_EVENT_FIELDS: dict[type[Payload], tuple[str, ...]] = {
    ev.DayOpened: ("day",),
    ev.DayClosed: ("day",),
    ev.TicketIssued: ("number", "service"),
    ev.TicketCalled: ("number", "cabin", "specific"),
    ev.TicketRecalled: ("number", "cabin", "recalls"),
    ev.TicketStarted: ("cabin",),
    ev.TicketFinished: ("cabin", "service"),
    ev.TicketNoShow: ("cabin",),
    ev.TicketTransferred: ("from_cabin", "service", "to_cabin"),
    ev.TicketCancelled: ("cabin",),
    ev.TicketRejoined: (),
    ev.CabinOpened: ("cabin", "officer"),
    ev.CabinAssigned: ("cabin", "officer"),
    ev.CabinClosed: ("cabin", "officer"),
    ev.CabinPaused: ("cabin", "reason", "officer"),
    ev.CabinResumed: ("cabin", "officer"),
}


def public_event(engine: Engine, event: Event) -> dict[str, Any]:
    """An event as anonymous screens may see it: its allow-listed fields, a ticket by its number."""
    fields = PUBLIC_EVENT_FIELDS.get(type(event.payload))
    if fields is None:
        return {"seq": event.seq}
    data = {name: getattr(event.payload, name) for name in fields}
    ticket_id = event.payload.ticket_id
    ticket = engine.state.tickets.get(ticket_id) if ticket_id else None
    if ticket is not None:
        data["number"] = ticket.number
        data.setdefault("service", ticket.service)
    return {"seq": event.seq, "at": event.at, "type": event.type, "data": data}
