"""What the tests share: one clock, one way to serve a hall, one printer, one way to wait.

- `clock`: `ManualClock` (the hall's "now", moved by hand) and `local()` for hall-local times.
- `halls`: `small_hall()` (a hall file small enough to reason about by hand), `hall_file_with()`
  (the default hall plus extra TOML), `state_digest()`.
- `servers`: `served_hall()` (the real server in the test's trio run on an ephemeral port),
  `login()`.
- server processes (crash, signal, backup tests) come from `simulators.server_process`, shared with `hall bench`.
- `stores`: throwaway store URLs on SQLite and PostgreSQL.
- `waits`: the bounds every wait in a test runs under.
- `tls`: `throwaway_certificate()`, a trustme authority and server certificate for HTTPS tests.
- `fixtures`: the pytest fixtures, registered for every test by tests/conftest.py.

Tests import these as `from support.clock import ManualClock` (pyproject's `pythonpath = ["tests"]`).
"""
