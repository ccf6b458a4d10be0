"""`hall serve` as a real separate process (crash, signal and shutdown tests).

Every wait is bounded: start-up by `start(timeout)`, a stop by `stop(timeout)`, a kill by
`KILL_WAIT`. The store is any URL `hall serve --db` takes (a SQLite file or a PostgreSQL schema).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from simulators.bench import free_port

ROOT = Path(__file__).resolve().parents[2]
KILL_WAIT = 30.0


class ServerProcess:
    def __init__(self, db: str, log: Path, port: int | None = None, *extra: str) -> None:
        self.db, self.log = db, log
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), "--db", self.db, *self.extra]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hall serve exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"hall serve did not answer within {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or close anything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=KILL_WAIT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send `sig` and return the exit code; a server still running after `timeout` s fails."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
