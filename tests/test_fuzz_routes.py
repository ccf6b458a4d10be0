"""schemathesis over the whole of /openapi.json: no input makes any route answer a server error,
every answer fits the record the document shows for it, and what needs a sign-in refuses anyone else.

The document describes every HTTP route (tests/test_openapi.py checks that against the URL map),
so schemathesis reaches all of them: for each operation it generates requests that fit the
declared records (positive) and requests that break them (negative: wrong types, missing fields,
odd path values), and sends them to one real server process in two passes:

* as the signed-in floor manager, who passes every access check and so reaches each handler's own
  validation and its real answers;
* anonymously, with fewer examples: an operation the document says needs a role (`x-roles`) must
  answer 401 to every request that fits it.

In both, a 5xx fails the test (except the 503 that /api/v1/health is documented to give:
`?role=standby` on an owner), and so does an answer that does not fit its documented schema
(schemathesis `response_schema_conformance`: the records of api/answers.py, the error shape): a
record that lies about its view fails here.

Bounded: examples per operation and mode, failures collected (not shrunk) so one run stays well
under a minute and a half on a 2-core machine. The server is thrown away afterwards: fuzzing the
floor manager's routes closes cabins and the day, and that is fine here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
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
from schemathesis.specs.openapi.checks import response_schema_conformance

from simulators.server_process import ServerProcess
from support.waits import HTTP_TIMEOUT

# Per operation and generation mode; HALL_FUZZ_EXAMPLES=200 for a longer hunt by hand.
EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "20"))
ANONYMOUS_EXAMPLES = max(5, EXAMPLES // 4)
DOCUMENTED_503 = {"GET /api/v1/health"}
FAILURES_SHOWN = 3  # per operation and mode: a record that lies would fail every answer
SIGNS_OUT = "POST /api/v1/auth/logout"  # would end the manager's token: it gets a fresh one each time
Expect = Callable[[Any, GenerationMode, Any], str | None]  # a problem with an answer, or None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with ServerProcess.hall(tmp_path_factory.mktemp("schemathesis"), "served") as server:
        yield server.url, schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def bearer(url: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/api/v1/auth/login", json={"username": "quanly", "password": "demo"}, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def all_operations(schema: Any) -> list[Any]:
    """Every operation of the document (one schemathesis cannot read raises here)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    described = {f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item}
    assert {operation.label for operation in operations} == described - {"GET /openapi.json"}  # schemathesis skips its source
    return operations


@pytest.mark.timeout(max(300, EXAMPLES * 15))  # a longer hunt by hand gets a longer bound
def test_signed_in_no_server_error_and_every_answer_fits_its_record(served):
    url, schema = served
    manager = bearer(url)
    operations = all_operations(schema)
    failures: list[str] = []
    started = time.monotonic()
    sent = sum(fuzz(operation, mode, url, EXAMPLES, lambda label: bearer(url) if label == SIGNS_OUT else manager, failures)
               for operation in operations for mode in modes_of(operation))
    print(f"schemathesis as the manager: {len(operations)} operations, {sent} requests in {time.monotonic() - started:.1f} s")
    assert sent >= len(operations)
    assert not failures, "\n".join(failures)


@pytest.mark.timeout(max(300, EXAMPLES * 15))
def test_anonymous_no_server_error_and_signed_in_routes_answer_401(served):
    url, schema = served
    operations = all_operations(schema)
    needs_sign_in = {operation.label for operation in operations if operation.definition.raw.get("x-roles")}
    assert len(needs_sign_in) >= 15
    held: set[str] = set()

    def refused_without_sign_in(operation: Any, mode: GenerationMode, response: Any) -> str | None:
        """A request that fits an operation needing a role gets 401 without a token; one that
        breaks the path may match no route at all (404), so only fitting requests are held to it."""
        if mode != GenerationMode.POSITIVE or operation.label not in needs_sign_in:
            return None
        held.add(operation.label)
        return None if response.status_code == 401 else f"needs a sign-in but answered an anonymous request {response.status_code}"

    failures: list[str] = []
    started = time.monotonic()
    sent = sum(fuzz(operation, mode, url, ANONYMOUS_EXAMPLES, lambda label: {}, failures, refused_without_sign_in)
               for operation in operations for mode in modes_of(operation))
    print(f"schemathesis anonymous: {len(operations)} operations ({len(needs_sign_in)} need a sign-in), "
          f"{sent} requests in {time.monotonic() - started:.1f} s")
    assert held == needs_sign_in
    assert not failures, "\n".join(failures)


def modes_of(operation: Any) -> tuple[GenerationMode, ...]:
    """Requests that fit the declarations, and (when it takes anything) requests that break them."""
    takes = operation.body or operation.query or operation.path_parameters
    return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes else (GenerationMode.POSITIVE,)


def fuzz(operation: Any, mode: GenerationMode, url: str, examples: int, headers_for: Callable[[str], dict[str, str]],
         failures: list[str], expect: Expect | None = None) -> int:
    """Send `examples` generated requests of `operation`; a server error, an answer off its schema
    or what `expect` finds is added to `failures` (collected, not raised: hypothesis would spend
    the time budget shrinking it). Returns how many were sent."""
    sent = 0
    found: list[Any] = []  # the cases reported

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case: Any) -> None:
        nonlocal sent
        response = case.call(base_url=url, headers=headers_for(operation.label), timeout=HTTP_TIMEOUT)
        sent += 1
        documented = response.status_code == 503 and operation.label in DOCUMENTED_503
        checks = [response_schema_conformance] if documented else [not_a_server_error, response_schema_conformance]
        problems = [problem] if expect and (problem := expect(operation, mode, response)) else []
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            problems += [f"{failure.title}: {' '.join(failure.message.split())[:300]}" for failure in group.exceptions]
        if problems and len(found) < FAILURES_SHOWN:
            found.append(case)
            body = "" if case.body is NOT_SET else repr(case.body)[:80]
            failures.append(f"{case.method} {case.formatted_path} {case.query or ''} {body}: {response.status_code} "
                            f"{response.text[:120]}\n    " + "\n    ".join(problems))

    try:
        probe()
    except Unsatisfiable:  # nothing to break in what the operation takes
        assert mode == GenerationMode.NEGATIVE, operation.label
    return sent
