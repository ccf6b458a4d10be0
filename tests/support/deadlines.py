"""Every trio test runs under a trio deadline a little shorter than its pytest-timeout.

pytest-timeout's signal method raises wherever the main thread is; in a trio test that is
usually inside trio's I/O wait, so the exception escapes `trio.run` without unwinding it, and
the next trio test fails with "Attempted to call run() from inside a run()" (seen in this suite:
a hung device test took the next test down with it). A trio deadline around the test
cancels it the trio way instead: fixtures tear down, servers stop, the run ends, the next test
starts clean. pytest-timeout stays the backstop for what trio cannot cancel (blocking calls on
the trio thread) and for tests outside trio.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import trio

ROOT = Path(__file__).resolve().parents[2]
SHARE = 0.9  # of the test's pytest-timeout: the rest is left for teardown and for the backstop


def timeout_of(item: pytest.Item) -> float | None:
    """The test's pytest-timeout in seconds (its own mark, else the ini's), or None for none."""
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    else:
        value = item.config.getini("timeout")
    return float(value) if value else None


def bounded_run(seconds: float) -> Callable[..., Any]:
    """A `trio.run` for pytest-trio's `trio(run=…)` mark that fails the test after `seconds`,
    naming the lines of this project where its tasks were waiting."""

    def run(fn: Callable[[], Awaitable[Any]], *, clock: trio.abc.Clock | None = None,
            instruments: Sequence[trio.abc.Instrument] = ()) -> Any:
        if clock is not None:  # a virtual clock's deadline would not be wall time
            return trio.run(fn, clock=clock, instruments=instruments)

        async def bounded() -> None:
            hung: list[str] = []
            error: BaseException | None = None
            async with trio.open_nursery() as nursery:

                async def watchdog() -> None:
                    await trio.sleep(seconds)
                    hung.extend(waiting_lines(trio.lowlevel.current_root_task()) or ["(no line of this project)"])
                    nursery.cancel_scope.cancel()

                nursery.start_soon(watchdog)
                try:
                    await fn()
                except BaseException as exc:  # noqa: BLE001 - re-raised below, outside the nursery
                    error = exc
                nursery.cancel_scope.cancel()
            if hung:
                # pytest-trio reports a cancelled fixture as "cancelled the test but didn't raise"
                pytest.fail(f"the test did not finish within {seconds:g} s (trio deadline); waiting at:\n  "
                            + "\n  ".join(hung[:20]), pytrace=False)
            if error is not None:
                raise error

        return trio.run(bounded, instruments=instruments)

    return run


def waiting_lines(task: trio.lowlevel.Task) -> list[str]:
    """Where each task under `task` is suspended, as 'file:line function', this project's code only."""
    lines = [f"{Path(frame.f_code.co_filename).relative_to(ROOT)}:{lineno} {frame.f_code.co_name}"
             for frame, lineno in task.iter_await_frames() if mine(frame.f_code.co_filename)]
    for nursery in task.child_nurseries:
        for child in nursery.child_tasks:
            lines += waiting_lines(child)
    return lines


def mine(filename: str) -> bool:
    path = Path(filename)
    return path.is_relative_to(ROOT) and ".venv" not in path.parts and "support" not in path.parts


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("trio") is None:
            continue
        limit = timeout_of(item)
        if limit:
            item.add_marker(pytest.mark.trio(run=bounded_run(limit * SHARE)), append=False)
