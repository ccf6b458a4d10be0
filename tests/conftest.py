"""Registers the shared fixtures (tests/support/fixtures.py) and the hypothesis profiles.

Real parts, not mocks: `hall_server` is the real application (hypercorn, quart-trio, the journal
writer thread) on 127.0.0.1:0; `store_url` is a throwaway store on SQLite and on PostgreSQL
(127.0.0.1:5432, a database per test run). HALL_REQUIRE_POSTGRES=1 (as .ci/run sets it) makes an
unreachable PostgreSQL a failure instead of a skip.

Hypothesis: the "ci" profile (the default) has no per-example deadline, since hypothesis's 200 ms
deadline fails on a slow or busy machine, and does not fail a test for slow data generation;
HYPOTHESIS_PROFILE=dev brings hypothesis's own defaults back.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["support.fixtures", "support.deadlines", "support.browser"]

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
