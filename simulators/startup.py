"""Start-up time against the length of history: `startup_seconds_short`, `startup_seconds_long`
and `startup_growth` of `hall bench`.

One history is generated (simulators/feed.py: the real engine and the real journal, a snapshot
at every day close as the server saves one; not the statistics tables, which start-up never
reads and which add a fifth to the time to write it); when its first `short_days` are in the
store, a copy is taken with SQLite's backup API, so the short and the long store share their
first month. The history ends as the bench runs, its last day (eight hours of visits up to now)
left open, as a restart during opening hours finds it: start-up loads the snapshot of the last
day's close and replays that day, with no day to roll.

Start-up is timed from spawning `hall serve` to the first 200 from `/api/v1/health`
(simulators/server_process.py), on a fresh copy of each store every round (a start-up that rolls
the day or replays much saves a snapshot of its own, which would shorten the next one), the two
stores in turn; the median of the rounds is kept.
"""

from __future__ import annotations

import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .feed import write_busy_days
from .server_process import ServerProcess

DAY = 86_400.0
WORKING_DAY = 8 * 3600.0  # the span of a generated day's visits (simulators/feed.py)


@dataclass(frozen=True)
class StartupSettings:
    short_days: int = 30
    long_days: int = 360
    visits: int = 2000  # a busy day of the default hall
    rounds: int = 3


def write_histories(workdir: Path, settings: StartupSettings) -> dict[str, Any]:
    """The long store and its copy after `short_days`; events and the generation rate."""
    from hall.backup import backup

    long_db, short_copy = workdir / "startup-long.db", workdir / "startup-short.db"
    start = time.time() - (settings.long_days - 1) * DAY - WORKING_DAY - 60  # the last visit a minute ago

    def copy_short(days: int) -> None:
        if days == settings.short_days:
            backup(f"sqlite:///{long_db}", short_copy)

    began = time.perf_counter()
    events = write_busy_days(f"sqlite:///{long_db}", settings.long_days, settings.visits, start=start,
                             snapshots=True, statistics=False, after_day=copy_short)
    seconds = time.perf_counter() - began
    return {"events": events, "seconds": round(seconds, 1), "events_per_s": round(events / seconds, 1),
            "short": short_copy, "long": long_db}


def time_startups(workdir: Path, stores: dict[str, Path], rounds: int) -> dict[str, list[float]]:
    """Seconds from spawning `hall serve` to health answering, per store, fresh copies in turn."""
    times: dict[str, list[float]] = {name: [] for name in stores}
    for round_ in range(rounds):
        for name, store in stores.items():
            copy = workdir / f"{store.stem}-{round_}.db"
            shutil.copyfile(store, copy)  # closed and checkpointed: the file is the whole store
            server = ServerProcess.hall(workdir, f"startup-{name}-{round_}", db=copy)
            try:
                server.start()
                assert server.started_in is not None
                times[name].append(server.started_in)
            finally:
                server.terminate()
            for leftover in workdir.glob(f"{copy.name}*"):
                leftover.unlink()
    return times


def measure_startup(workdir: Path, settings: StartupSettings) -> dict[str, Any]:
    history = write_histories(workdir, settings)
    stores = {"short": history.pop("short"), "long": history.pop("long")}
    times = time_startups(workdir, stores, settings.rounds)
    short, long = statistics.median(times["short"]), statistics.median(times["long"])
    return {
        "short_days": settings.short_days, "long_days": settings.long_days, "history": history,
        "runs_s": {name: [round(t, 3) for t in runs] for name, runs in times.items()},
        "short_s": short, "long_s": long, "growth": long / short,
    }
