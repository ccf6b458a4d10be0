"""`hall bench --json` runs end to end in a tiny configuration and emits every named figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulators.bench import JSON_KEYS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_bench_json_names_every_figure(tmp_path):
    cmd = [sys.executable, "-m", "api.cli", "bench", "--json", "--tickets", "60", "--connections", "4",
           "--screens", "5", "--calls", "3", "--replay-days", "1", "--day-scale", "0.02", "--day-hours", "1",
           "--workdir", str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    for key in JSON_KEYS:
        assert key in figures, key
        assert figures[key] is not None and figures[key] > 0, (key, figures[key])
    assert figures["screens"] == 5
    assert figures["details"]["call_to_screen"]["missed"] == 0
