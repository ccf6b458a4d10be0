"""Every key a hall file may hold, as data: a key the server does not know is refused.

A misspelt key used to be ignored in silence (`profil = …` left a cabin with no profile, a
`[rules]` typo left the default in force), so the technician found out from the citizens. Now
`hall check-config` and `hall serve` both refuse it, with its full path and the nearest known key:

    `cabins[3].profil`: unknown key; did you mean `profile`?

`KNOWN_KEYS` maps the path of each table to the keys it may hold. A path ending in `[]` is an
item of an array of tables (`[[cabins]]`); `FREE` marks a table whose keys are data (service
codes of a cabin's profile, rating levels' names), checked by the parser instead. Adding a key
to the hall file is one line here, one in docs/configuration.md (tests/test_config_keys.py fails
when the document misses a key) and the parsing in hall/config.py or the section's owner.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

FREE = None  # the table's keys are data, not names the server knows

KNOWN_KEYS: dict[str, tuple[str, ...] | None] = {
    "": ("hall", "rules", "calendar", "ratings", "retention", "voice", "display", "device_protocol", "limits",
         "priorities", "departments", "services", "procedures", "cabins", "users", "devices",
         "booking", "notify"),
    "hall": ("id", "name", "timezone", "sessions", "working_weekdays", "accept_tickets_any_hour",
             "public_url", "demo_credentials", "last_ticket"),
    "hall.sessions[]": ("start", "end"),
    "rules": ("max_priority_in_row", "recalls_before_no_show", "no_show_rejoin_minutes",
              "rating_window_minutes", "same_day_cutoff", "dispatch_policy", "number_width",
              "serve_after_close_minutes", "pause_minutes", "breaks"),
    "rules.breaks[]": ("from", "to", "minutes", "share"),
    "calendar": ("makeup_workdays", "days_off"),
    "ratings": ("levels", "satisfied", "criteria", "names"),
    "ratings.names": FREE,  # rating level -> label
    "retention": ("personal_data_days", "contact_days"),
    "voice": ("mode",),
    "display": ("notices", "rotate_seconds", "shortcuts"),
    "display.shortcuts": ("call_next", "recall", "start", "finish", "no_show", "pause"),
    "device_protocol": ("heartbeat_seconds", "offline_after_seconds", "hello_timeout_seconds",
                        "rate_per_second", "burst", "job_queue_minutes", "network_print_timeout_seconds"),
    "limits": ("web_tickets_per_address", "web_tickets_window_minutes", "bookings_per_address",
               "bookings_window_minutes", "websockets_per_address",
               "login_failures_per_username", "login_failures_per_address", "login_delay_seconds",
               "login_delay_max_seconds", "password_checks_at_once", "password_checks_waiting", "ipv6_prefix_length"),
    "priorities[]": ("code", "name"),
    "departments[]": ("code", "name", "kind"),
    "services[]": ("code", "department", "name", "prefix", "target_wait_minutes", "mean_service_minutes",
                   "booking", "notify_near"),
    "services[].booking": ("slot_minutes", "capacity", "days_ahead"),
    "booking": ("check_in_early_minutes", "check_in_late_minutes"),
    "notify": ("near", "log", "retry_base_seconds", "retry_max_seconds", "max_attempts", "timeout_seconds",
               "keep_days", "webhooks", "sms"),
    "notify.webhooks[]": ("url", "secret", "events"),
    "notify.sms": ("url", "body", "content_type", "events"),
    "procedures[]": ("code", "name", "department", "limit_days", "limit_hours", "valid_from"),
    "cabins[]": ("number", "department", "profile"),
    "cabins[].profile": FREE,  # service code -> weight
    "users[]": ("username", "name", "role", "agency", "cabin", "password_hash", "title"),
    "devices[]": ("id", "kind", "token_hash", "cabin", "printer", "address"),
}


class UnknownKey(ValueError):
    """A key the hall file may not hold (hall/config.py turns it into a ConfigError)."""


def check_keys(data: dict[str, Any]) -> None:
    """Refuse the first unknown key, or a table written as a value, naming its full path."""
    _check(data, "", "")


def known_paths() -> Iterator[str]:
    """Every known key as a documented path: `hall.public_url`, `cabins[].profile`, …"""
    for table, keys in KNOWN_KEYS.items():
        for key in keys or ():
            yield f"{table}.{key}" if table else key


def _check(table: dict[str, Any], schema: str, shown: str) -> None:
    known = KNOWN_KEYS[schema]
    if known is FREE:
        return
    for key, value in table.items():
        path = f"{shown}.{key}" if shown else key
        if key not in known:
            raise UnknownKey(unknown_key_message(path, key, known))
        inner = f"{schema}.{key}" if schema else key
        if inner in KNOWN_KEYS:
            if not isinstance(value, dict):
                raise UnknownKey(f"`{path}`: expected a table ([{path}]), got {type(value).__name__}")
            _check(value, inner, path)
        elif f"{inner}[]" in KNOWN_KEYS:
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise UnknownKey(f"`{path}`: expected a list of tables ([[{path}]])")
            for i, item in enumerate(value):
                _check(item, f"{inner}[]", f"{path}[{i}]")


def unknown_key_message(path: str, key: str, known: tuple[str, ...]) -> str:
    nearest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if nearest:
        return f"`{path}`: unknown key; did you mean `{nearest[0]}`?"
    return f"`{path}`: unknown key; the keys here are {', '.join(f'`{k}`' for k in known)}"
