"""Supervision: `hall serve` tells systemd READY=1 after the replay, once it listens, and
STOPPING=1 when it stops; deploy/hall.service passes `systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from simulators.server_process import ROOT, ServerProcess, free_port
from support.stores import sqlite_url
from support.waits import HTTP_TIMEOUT, STEPS
from support.devices import KIOSK

UNIT = ROOT / "deploy" / "hall.service"


def receive(sock: socket.socket, timeout: float = STEPS) -> str:
    sock.settimeout(timeout)
    return sock.recv(4096).decode()


def start_and_wait_ready(db: str, log: Path, notify_socket: str, sock: socket.socket) -> tuple[subprocess.Popen, str]:
    """Start `hall serve` by hand (not ServerProcess: no health polling may come first) and
    wait for its READY=1; the process and its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--db", db]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "NOTIFY_SOCKET": notify_socket})
    try:
        message = receive(sock)
    except TimeoutError:
        proc.kill()
        raise
    assert message.startswith("READY=1\n") and "STATUS=serving on" in message, message
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("namespace", ["path", "abstract"])
def test_ready_comes_after_the_replay_once_it_listens_and_stopping_at_stop(tmp_path, namespace):
    db = sqlite_url(tmp_path)
    with ServerProcess.hall(tmp_path, "first", db=db) as first, httpx.Client(base_url=first.url, timeout=HTTP_TIMEOUT) as http:
        for _ in range(40):
            assert http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK).status_code == 201
        written = http.get("/api/v1/health").json()["seq"]
    first.stop()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if namespace == "path":
        address = str(tmp_path / "notify.sock")
        sock.bind(address)
    else:
        address = f"@hall-test-{uuid.uuid4().hex}"
        sock.bind("\0" + address[1:])
    with sock:
        proc, url = start_and_wait_ready(db, tmp_path / "second.log", address, sock)
        try:
            # The moment READY arrives the hall answers, with the whole journal replayed.
            health = httpx.get(f"{url}/api/v1/health", timeout=HTTP_TIMEOUT).json()
            assert health["replayed_events"] == written and health["seq"] >= written
            proc.send_signal(signal.SIGTERM)
            assert receive(sock) == "STOPPING=1"
            assert proc.wait(timeout=STEPS) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=STEPS)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed here")
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    """The unit as shipped, with ExecStart pointed at this checkout's `hall` (verify checks that
    the program exists)."""
    text = UNIT.read_text("utf-8")
    for needed in ("Type=notify", "User=hall", "Restart=on-failure", "--data /srv/hall", "ExecStart=/opt/hall/bin/hall serve"):
        assert needed in text
    unit = tmp_path / "hall.service"
    unit.write_text(text.replace("/opt/hall/bin/hall", str(Path(sys.executable).parent / "hall")), "utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "hall.service" not in done.stdout + done.stderr, done.stdout + done.stderr
