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

from simulators.server_process import ServerProcess
from support.waits import HTTP_TIMEOUT

EXAMPLES = 20  # per operation and generation mode
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


@pytest.mark.timeout(300)
def test_schemathesis_finds_no_server_error_on_any_route(served):
    url, schema = served
    manager = bearer(url)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results]  # an operation schemathesis cannot read raises here
    assert len(operations) >= 60
    failures: list[str] = []
    sent = 0
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
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
                except Exception as exc:  # a 5xx: collected, not shrunk, so the run stays bounded
                    failures.append(f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:80]}: "
                                    f"{response.status_code} {response.text[:200]} ({type(exc).__name__})")

            try:
                probe()
            except Unsatisfiable:  # negative mode of an operation that takes nothing: nothing to break
                assert mode == GenerationMode.NEGATIVE, operation.label
    elapsed = time.monotonic() - started
    print(f"schemathesis: {len(operations)} operations of {sum(len(item) for item in schema.raw_schema['paths'].values())}, {sent} requests in {elapsed:.1f} s")
    assert sent >= len(operations)
    assert not failures, "\n".join(failures)
