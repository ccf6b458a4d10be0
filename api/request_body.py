"""Request bodies and query strings: read into small typed records that are also the contract.

Every route that takes a JSON body declares it beside its handler as a frozen dataclass and says
so with `@validate_body(Record)`; a route with query arguments declares them with quart-schema's
`@validate_querystring(Record)`. The same record both validates the request and describes it in
/openapi.json (quart-schema reads the declaration, api/openapi.py), so the document cannot drift
from what the server accepts.

Why not quart-schema's own `validate_request`: it reads the body with `request.get_json()`, so an
absent body (a cabin button carries none) could not mean "all fields absent", and a body that is
not a JSON object could not be told from a wrong field. Here the body is read once with the
error contract of the API: `400 invalid_json` when it is not JSON, not an object or nested too
deeply (a RecursionError was a 500), then msgspec converts the object to the record (strictly: a
number is not a string) and a wrong field is `422 invalid` naming it. Free text is checked for
control characters and lone surrogates (hall/text.py), also `422` naming the field.

A field typed `X | None` is optional; `dt.date` is sent as an ISO date string.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from quart import request
from quart_schema import RequestSchemaValidationError, document_request

from hall.text import text_problem

from .errors import ApiError

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def validate_body(record: type, *, required: bool = True) -> Callable[[F], F]:
    """The handler gets the request's JSON body as `record` (keyword `data`), documented as its
    request body; `required=False` accepts an empty body (every field of `record` optional)."""

    def decorator(handler: F) -> F:
        @functools.wraps(handler)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await handler(*args, data=await parse_body(record, required=required), **kwargs)

        return document_request(record)(wrapper)  # type: ignore[return-value]

    return decorator


async def parse_body(record: type[R], *, required: bool = True) -> R:
    """The request's JSON body as `record`, or an error in the API's shape."""
    body = await json_body(required=required)
    try:
        asked = msgspec.convert(body, record)
    except msgspec.ValidationError as exc:
        raise RequestSchemaValidationError(exc) from None
    if problem := text_problem(asked):
        raise ApiError("invalid", problem)
    return asked


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

