"""`hall simulate devices` against a real server: tickets taken, printed, served and rated."""

from __future__ import annotations

import pytest
import trio

from simulators.cli import main as simulate
from simulators.devices import run_devices
from support.waits import STEPS


@pytest.mark.slow
async def test_simulated_devices_run_the_hall(hall_server, client, tmp_path):
    with trio.fail_after(STEPS):  # runs 3 s, then stops its devices
        counts = await run_devices(
            hall_server.url, kiosks=2, cabins=[33, 34], paper_dir=str(tmp_path), printer_port=0,
            take_every=0.1, serve_seconds=0.05, duration=3.0, services=["CA-TN"], seed=1,
        )
    assert counts["tickets"] > 0 and counts["served"] > 0 and counts["printed"] > 0
    assert counts["print_failed"] == 0
    assert list(tmp_path.glob("printer-01/receipt-*.png")) or list(tmp_path.glob("printer-02/receipt-*.png"))
    ratings = [e for e in hall_server.runtime.journal.load(hall_server.runtime.config.id) if e.type == "rating_recorded"]
    assert len(ratings) >= counts["rated"] > 0  # the last answer may be cut by the stop
    assert {e.payload.officer for e in ratings} <= {"canbo33", "canbo34"}


def test_hall_simulate_lists_the_devices_subcommand(capsys):
    assert simulate([]) == 2
    assert "devices" in capsys.readouterr().err
