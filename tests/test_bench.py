"""`hall bench --json` runs end to end in a tiny configuration and emits every named figure;
the server-process helper it shares with the tests starts, measures and stops a server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulators.bench import JSON_KEYS, RATIO_TARGETS, STACK_SERVE
from simulators.server_process import ServerFailed, ServerProcess

ROOT = Path(__file__).resolve().parent.parent
STACK_KEYS = ("stack_requests_per_s", "issue_vs_stack", "stack_fanout_p99_ms", "fanout_vs_stack", "issue_queue_growth")


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_bench_json_names_every_figure(tmp_path):
    cmd = [sys.executable, "-m", "api.cli", "bench", "--json", "--tickets", "60", "--connections", "4",
           "--screens", "5", "--calls", "3", "--replay-days", "1", "--day-scale", "0.02", "--day-hours", "1",
           "--queue-length", "200", "--queue-tickets", "40", "--startup-days", "2", "4", "--startup-visits", "60",
           "--startup-rounds", "1", "--workdir", str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    for key in JSON_KEYS:
        assert key in figures, key
        assert figures[key] is not None and figures[key] > 0, (key, figures[key])
    for key in STACK_KEYS:
        assert key in JSON_KEYS and isinstance(figures[key], (int, float)) and figures[key] > 0, (key, figures.get(key))
    assert set(RATIO_TARGETS) <= set(STACK_KEYS)
    assert figures["screens"] == 5
    details = figures["details"]
    assert details["call_to_screen"]["missed"] == 0
    assert details["stack_fanout"]["missed"] == 0 and details["stack_fanout"]["screens"] == 5
    assert details["stack_requests"]["requests"] == details["issue"]["requests"] == 60
    growth = details["queue_growth"]
    assert growth["long"]["waiting_before"] == 200 and growth["empty"]["waiting_before"] == 0
    startup = details["startup"]
    assert (startup["short_days"], startup["long_days"]) == (2, 4) and startup["history"]["events"] > 0
    assert figures["startup_growth"] == pytest.approx(figures["startup_seconds_long"] / figures["startup_seconds_short"], rel=0.01)
    assert figures["issue_queue_growth"] == pytest.approx(
        growth["long"]["server_cpu_ms_per_ticket"] / growth["empty"]["server_cpu_ms_per_ticket"], rel=0.01)


def test_server_process_starts_measures_and_stops_within_bounds(tmp_path):
    server = ServerProcess(tmp_path, "stack", STACK_SERVE)
    with pytest.raises(ServerFailed, match="never started"):
        server.stop()
    with server:
        assert server.running and server.cpu_seconds() > 0 and server.rss_mb() > 10
        assert server.stop(signal.SIGTERM, timeout=30) == 0
    assert not server.running and server.log_path.exists()
    broken = ServerProcess.hall(tmp_path, "broken", db="nosuchscheme://x")
    with pytest.raises(ServerFailed, match="exited"):
        broken.start(timeout=60)
    assert broken.db_url == "nosuchscheme://x" and not broken.running
