"""Debian's nginx in the foreground, configured in a test's folder (deploy/nginx/*.conf tests)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.tls import Certificate
from support.waits import STEPS, WAIT

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def shipped_site(path: Path, folder: Path, tls: Certificate, changes: dict[str, str]) -> str:
    """A site file of deploy/nginx/ with `changes` (ports, upstreams) and the test's certificate
    and log paths; fails if the file no longer has a line the test changes."""
    text = path.read_text("utf-8")
    for old, new in {
        **changes,
        "/etc/letsencrypt/live/hcc.example.gov.vn/fullchain.pem": str(tls.certfile),
        "/etc/letsencrypt/live/hcc.example.gov.vn/privkey.pem": str(tls.keyfile),
        "/var/log/nginx/hall.access.log": str(folder / "hall.access.log"),
    }.items():
        assert old in text, f"{path.relative_to(path.parents[2])} no longer has {old!r}"
        text = text.replace(old, new)
    return text


@contextmanager
def running_nginx(folder: Path, site_text: str, port: int) -> Iterator[None]:
    """nginx in the foreground with everything under `folder`, until the block ends."""
    assert NGINX is not None, "nginx is required here (HALL_REQUIRE_NGINX=1) but not installed"
    (folder / "hall.conf").write_text(site_text, "utf-8")
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root root;" if os.geteuid() == 0 else ""  # workers must reach the temp folders
    (folder / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
{user}
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temp['body']}; proxy_temp_path {temp['proxy']}; fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']}; scgi_temp_path {temp['scgi']};
    access_log off;
    include {folder}/hall.conf;
}}
""", "utf-8")
    with open(folder / "nginx.out", "wb") as out:
        proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            assert proc.poll() is None, (folder / "nginx.out").read_text() + (folder / "error.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STEPS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STEPS)
