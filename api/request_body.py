"""Request bodies: the JSON object of a request, read into a small typed record.

Every route that takes a body declares it as a frozen dataclass beside its handler and reads it
with `parse_body(Record)`: one place turns JSON into typed values and names what is wrong with
it (`invalid_json` 400, `invalid` 422). A schema library (quart-schema or similar, which also
writes /openapi.json) can later take over by validating the same records.

Fields are read in declaration order, under their own name or the JSON key given as
`field(metadata={"key": …})`; a field typed `X | None` is optional; `dt.date` is sent as an ISO
date string.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from typing import Any, TypeVar

from quart import request

from hall.text import control_character

from .errors import ApiError

R = TypeVar("R")


async def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object, or an ApiError naming what is wrong with it."""
    raw = await request.get_data(as_text=False)
    if not raw.strip():
        if required:
            raise ApiError("invalid_json", "the request needs a JSON object body")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # "[[[[…" deeper than the parser's stack: was a 500
        raise ApiError("invalid_json", "the body's JSON is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", f"expected a JSON object, got {type(body).__name__}")
    return body


def field(body: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    """`body[key]` if it has the type `kind`; None when absent and optional; else ApiError."""
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError("invalid", f"field {key!r} is required")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ApiError("invalid", f"field {key!r} must be a {names}, got {_shown(value)}")
    if isinstance(value, str) and (bad := control_character(value)):
        raise ApiError("invalid", f"field {key!r} holds the character {bad} (a control character or a lone surrogate); free text must be printable")
    return value


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)[:40]
    except RecursionError:
        return "a deeply nested value"


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str  # the record's attribute
    key: str  # the JSON key
    kind: type
    optional: bool


async def parse_body(record: type[R], *, required: bool = True) -> R:
    """The request's JSON body as `record`; `required=False` accepts an empty body (all fields optional)."""
    body = await json_body(required=required)
    values = {}
    for f in _fields(record):
        values[f.name] = _convert(f.key, f.kind, field(body, f.key, str if f.kind is dt.date else f.kind, required=not f.optional))
    return record(**values)


@functools.cache
def _fields(record: type) -> tuple[_Field, ...]:
    """A record's fields, resolved once (annotations are strings under `from __future__ import annotations`)."""
    hints = typing.get_type_hints(record)
    out = []
    for item in dataclasses.fields(record):
        hint, optional = hints[item.name], False
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            present = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            hint, optional = present[0], len(present) < len(typing.get_args(hint))
        out.append(_Field(item.name, item.metadata.get("key", item.name), hint, optional))
    return tuple(out)


def _convert(key: str, kind: type, value: Any) -> Any:
    if kind is dt.date and value is not None:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ApiError("invalid", f"{key} must be a date like 2027-03-15") from None
    return value
