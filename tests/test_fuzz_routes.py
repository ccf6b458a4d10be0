"""schemathesis over the whole of /openapi.json: no input makes any route answer a server error.

The document describes every HTTP route (tests/test_openapi.py checks that against the URL map),
so schemathesis reaches all of them: for each operation it generates requests that fit the
declared records (positive) and requests that break them (negative: wrong types, missing fields,
odd path values), and sends them to one real server process as the signed-in floor manager, who
passes every access check and so reaches each handler's own validation. A 5xx fails the test,
except the 503 that /api/v1/health is documented to give (`?role=standby` on an owner).

Bounded: EXAMPLES per operation and mode, failures collected (not shrunk) so one run stays well
under a minute and a half on a 2-core machine. The server is thrown away afterwards: fuzzing the
floor manager's routes closes cabins and the day, and that is fine here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

from simulators.server_process import ServerProcess
from support.waits import HTTP_TIMEOUT

# Per operation and generation mode; HALL_FUZZ_EXAMPLES=200 for a longer hunt by hand.
EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "20"))
DOCUMENTED_503 = {"GET /api/v1/health"}
SIGNS_OUT = "POST /api/v1/auth/logout"  # would end the manager's token: it gets a fresh one each time


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with ServerProcess.hall(tmp_path_factory.mktemp("schemathesis"), "served") as server:
        yield server.url, schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def bearer(url: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/api/v1/auth/login", json={"username": "quanly", "password": "demo"}, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.mark.timeout(max(300, EXAMPLES * 15))  # a longer hunt by hand gets a longer bound
def test_schemathesis_finds_no_server_error_on_any_route(served):
    url, schema = served
    manager = bearer(url)
    operations = [result.ok() for result in schema.get_all_operations()]  # one schemathesis cannot read raises here
    described = {f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item}
    assert {operation.label for operation in operations} == described - {"GET /openapi.json"}  # schemathesis skips its source
    failures: list[str] = []
    started = time.monotonic()
    sent = sum(fuzz(operation, mode, url, manager, failures) for operation in operations for mode in modes_of(operation))
    print(f"schemathesis: {len(operations)} operations of {len(described)}, {sent} requests in {time.monotonic() - started:.1f} s")
    assert sent >= len(operations)
    assert not failures, "\n".join(failures)


def modes_of(operation: Any) -> tuple[GenerationMode, ...]:
    """Requests that fit the declarations, and (when it takes anything) requests that break them."""
    takes = operation.body or operation.query or operation.path_parameters
    return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes else (GenerationMode.POSITIVE,)


def fuzz(operation: Any, mode: GenerationMode, url: str, manager: dict[str, str], failures: list[str]) -> int:
    """Send EXAMPLES generated requests of `operation`; a server error is added to `failures`
    (collected, not raised: hypothesis would spend the time budget shrinking it). Returns how many were sent."""
    sent = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case: Any) -> None:
        nonlocal sent
        headers = bearer(url) if operation.label == SIGNS_OUT else manager
        response = case.call(base_url=url, headers=headers, timeout=HTTP_TIMEOUT)
        sent += 1
        if response.status_code == 503 and operation.label in DOCUMENTED_503:
            return
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except FailureGroup:
            body = "" if case.body is NOT_SET else repr(case.body)[:80]
            failures.append(f"{case.method} {case.formatted_path} {case.query or ''} {body}: {response.status_code} {response.text[:200]}")

    try:
        probe()
    except Unsatisfiable:  # nothing to break in what the operation takes
        assert mode == GenerationMode.NEGATIVE, operation.label
    return sent
