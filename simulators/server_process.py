"""A server as its own process on a free port: one helper for `hall bench` and the tests.

`ServerProcess.hall(...)` runs `hall serve` (any store URL: a SQLite file or PostgreSQL); the
constructor runs any other server module that takes `--port` (the inline-commit baseline, the bare
stack of simulators/stack.py). Every wait is bounded:

* `start(timeout)` (plain code) and `await astart(timeout)` (trio code) return once the server
  answers its health route, or raise `ServerFailed` naming the log file and quoting its tail;
* `stop(sig, timeout)` asks it to stop and returns its exit code; a server that does not stop in
  time is killed and `ServerFailed` is raised (a graceful-shutdown test must fail, not hang);
* `terminate(timeout)` stops it whatever it takes (SIGTERM, then SIGKILL) and never raises:
  for `finally` blocks and the context managers;
* `kill()` is SIGKILL now (crash tests).

The child runs in `workdir` (its default `./var` and voice cache go there, never into the
checkout), writes stdout and stderr to `workdir/NAME.log` (appended, so a restart on the same
name keeps the first run's log) and finds this checkout's packages through PYTHONPATH.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import trio

ROOT = Path(__file__).resolve().parent.parent
HALL_SERVE = ("-m", "api.cli", "serve")
HEALTH_PATH = "/api/v1/health"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    """The server did not start, or did not stop, in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def store_url(db: str | Path) -> str:
    """A store URL as given (`sqlite:///…`, `postgresql+psycopg://…`), or a SQLite file's path."""
    return f"sqlite:///{db}" if isinstance(db, Path) else db


class ServerProcess:
    """One server process on 127.0.0.1 and a free (or given) port; see the module docstring."""

    def __init__(self, workdir: Path, name: str, module_args: Sequence[str], *, port: int | None = None,
                 env: Mapping[str, str] | None = None, health_path: str = HEALTH_PATH) -> None:
        self.workdir = Path(workdir)
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / f"{name}.log"
        self.health_path = health_path
        self.cmd = [sys.executable, *module_args, "--port", str(self.port)]
        self.env = {
            **os.environ, "PYTHONUNBUFFERED": "1", "HALL_VOICE_DIR": str(self.workdir / "voice"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None  # seconds from spawning to the first healthy answer
        self.db_url: str | None = None  # set by `hall()`: the store the server keeps

    @classmethod
    def hall(cls, workdir: Path, name: str = "hall", *, db: str | Path | None = None, data: Path | None = None,
             port: int | None = None, extra: Sequence[str] = (), serve: Sequence[str] = HALL_SERVE,
             env: Mapping[str, str] | None = None) -> "ServerProcess":
        """`hall serve` on a hall directory (`data`: `--data DIR`) or on a store (`db`; default: the
        SQLite file `workdir/NAME.db`), with extra options."""
        url = None if data is not None else store_url(db if db is not None else Path(workdir) / f"{name}.db")
        store = ["--data", str(data)] if data is not None else ["--db", str(url)]
        server = cls(workdir, name, [*serve, *store, *extra], port=port, env=env)
        server.db_url = url
        return server

    # ---- starting ------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """Spawn the process and wait until its health route answers 200."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            spawned = time.monotonic()
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log, cwd=self.workdir, env=self.env)
        deadline = spawned + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.proc.returncode}{self._log_tail()}")
            if self._healthy():
                self.started_in = time.monotonic() - spawned
                return self
            time.sleep(0.01)
        self.terminate()
        raise ServerFailed(f"{self.name} did not answer within {timeout:.0f} s{self._log_tail()}")

    async def astart(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """`start` from trio code: the bounded wait runs in a worker thread, trio keeps running."""
        return await trio.to_thread.run_sync(self.start, timeout)

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            connection.request("GET", self.health_path)
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    # ---- stopping ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` and return the exit code; past `timeout` the process is killed and
        `ServerFailed` raised."""
        proc = self._proc()
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerFailed(f"{self.name} did not stop within {timeout:.0f} s of {signal.Signals(sig).name}{self._log_tail()}") from None

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop it whatever it takes (SIGTERM, SIGKILL after `timeout`); never raises."""
        if self.proc is None:
            return None
        try:
            return self.stop(signal.SIGTERM, timeout)
        except (ServerFailed, subprocess.TimeoutExpired):
            return self.proc.returncode

    def kill(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGKILL now, as a crash would; waits (bounded) until the process is gone."""
        proc = self._proc()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=timeout)

    def _proc(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            raise ServerFailed(f"{self.name} was never started")
        return self.proc

    # ---- what the server costs -----------------------------------------------------------

    def cpu_seconds(self) -> float:
        """User + system CPU of the whole process (every thread) so far, from /proc/PID/stat."""
        stat = Path(f"/proc/{self._proc().pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self._proc().pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise ServerFailed("no VmRSS in /proc")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"; no log at {self.log_path}"
        return f"; see {self.log_path}:\n" + "\n".join(tail)

    # ---- context managers ----------------------------------------------------------------

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    async def __aenter__(self) -> "ServerProcess":
        return await self.astart()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await trio.to_thread.run_sync(self.terminate)
