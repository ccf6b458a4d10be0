"""Health latency while clients send wrong passwords: the sign-in must not slow the hall.

`health_under_wrong_passwords(url)` measures `GET /api/v1/health` p99 on a quiet server, then
again while `guessers` clients send wrong passwords as fast as the server answers them — each
guess for a fresh username, so no per-username delay stops them, and from the hall's own
machine unless `forwarded_for` is given, so no per-address delay stops them either: every guess
costs a real password check. The figure is `ratio` = loaded p99 ÷ quiet p99 (1 is flat).
Before api/signin.py the checks ran on the trio thread: p99 went from about 2 to 300 ms.

Every loop is bounded in count and in time (this machine only: the URL is the test's or the
bench's own server on loopback).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import trio

from .wire import RawHttp

HEALTH = "/api/v1/health"


@dataclass(frozen=True)
class HealthUnderLoad:
    quiet_p99_ms: float
    loaded_p99_ms: float
    guesses: int  # wrong passwords answered while health was measured
    refused: int  # of those, answered 429

    @property
    def ratio(self) -> float:
        return self.loaded_p99_ms / max(self.quiet_p99_ms, 1e-3)


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def health_p99_ms(url: str, requests: int) -> float:
    http = RawHttp(url)
    try:
        await http.json("GET", HEALTH)  # the connection is open before timing
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            status, _body = await http.json("GET", HEALTH)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"GET {HEALTH}: {status}")
            await trio.sleep(0.005)  # a screen's pace, not a flood
    finally:
        await http.aclose()
    return p99(times)


async def health_under_wrong_passwords(url: str, *, requests: int = 300, guessers: int = 4,
                                       forwarded_for: str | None = None, seconds: float = 60.0) -> HealthUnderLoad:
    quiet = await health_p99_ms(url, requests)
    counts = {"guesses": 0, "refused": 0}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None

    async def guess(worker: int) -> None:
        http = RawHttp(url)
        try:
            for attempt in range(100_000):
                status, _ = await http.json("POST", "/api/v1/auth/login",
                                            {"username": f"guess-{worker}-{attempt}", "password": "wrong"}, headers)
                counts["guesses"] += 1
                counts["refused"] += status == 429
                if status == 429:
                    await trio.sleep(0.01)
        finally:
            await http.aclose()

    with trio.fail_after(seconds):
        async with trio.open_nursery() as nursery:
            for worker in range(guessers):
                nursery.start_soon(guess, worker)
            await trio.sleep(0.5)  # the guessers are at full speed
            loaded = await health_p99_ms(url, requests)
            nursery.cancel_scope.cancel()
    return HealthUnderLoad(quiet, loaded, counts["guesses"], counts["refused"])
