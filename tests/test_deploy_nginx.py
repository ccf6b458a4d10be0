"""deploy/nginx/hall.conf, as shipped, with Debian's nginx in front of a real hall: HTTPS, the
websocket upgrades of screens and devices, the client's address trusted from nginx only, and
an access log without ids or addresses. Only ports, certificate and log paths are changed."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from devices.protocol import hello, pack, unpack
from simulators.bench import free_port
from simulators.server_process import ROOT, ServerProcess
from support.nginx import NGINX, running_nginx, shipped_site
from support.tls import Certificate, throwaway_certificate
from support.waits import HTTP_TIMEOUT, WAIT

SITE = ROOT / "deploy" / "nginx" / "hall.conf"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(NGINX is None and os.environ.get("HALL_REQUIRE_NGINX") != "1", reason="nginx is not installed"),
]


def lan_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None on loopback only."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    hosts = ["127.0.0.1", "localhost", *filter(None, [lan_address()])]
    return throwaway_certificate(tmp_path_factory.mktemp("nginx-tls"), *hosts)


def site(folder: Path, hall_port: int, https_port: int, http_port: int, tls: Certificate) -> str:
    return shipped_site(SITE, folder, tls, {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl;": f"listen 0.0.0.0:{https_port} ssl;",
        "listen [::]:443 ssl;": "",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{hall_port};",
    })


def test_the_hall_behind_nginx(tmp_path, tls):
    context = tls.client
    https_port, http_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}"
    with ServerProcess.hall(tmp_path, extra=["--trusted-proxy", "127.0.0.1", "--public-url", public]) as hall, \
            running_nginx(tmp_path, site(tmp_path, hall.port, https_port, http_port, tls), https_port), \
            httpx.Client(base_url=public, verify=context, timeout=HTTP_TIMEOUT) as http:
        assert http.get("/api/v1/health").json()["status"] == "ok"
        moved = httpx.get(f"http://127.0.0.1:{http_port}/kiosk", timeout=HTTP_TIMEOUT)
        assert moved.status_code == 301 and moved.headers["location"].startswith("https://")

        # Screens: the upgrade passes, the snapshot and then a live delta arrive over WSS.
        with connect(public.replace("https", "wss") + "/ws/display/hall", ssl=context, open_timeout=WAIT) as screen:
            snapshot = json.loads(screen.recv(timeout=WAIT))
            ticket = http.post("/api/v1/tickets", json={"service": "CA-TN"}).json()
            assert ticket["track_url"] == f"{public}/track/{ticket['id']}"
            delta = json.loads(screen.recv(timeout=WAIT))
            assert snapshot["t"] == "snapshot" and delta["t"] == "delta" and delta["seq"] > snapshot["seq"]
        # Devices: binary msgpack frames both ways.
        with connect(public.replace("https", "wss") + "/ws/device", ssl=context, open_timeout=WAIT) as kiosk:
            kiosk.send(pack(hello("kiosk-01", "demo-kiosk-01", "kiosk")))
            assert unpack(kiosk.recv(timeout=WAIT))["t"] == "welcome"

        # The client nginx names is believed: this machine's own client through nginx is local…
        assert http.get("/metrics").status_code == 200
        lan = lan_address()
        if lan is not None:  # …and one from the network is not, whatever nginx's own address.
            transport = httpx.HTTPTransport(local_address=lan, verify=context)
            with httpx.Client(base_url=f"https://{lan}:{https_port}", transport=transport, timeout=HTTP_TIMEOUT) as remote:
                assert remote.get("/metrics").status_code == 401
                token = remote.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"}).json()["token"]
                assert remote.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
                forged = remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
                assert forged.status_code == 401  # nginx replaces the header: it cannot be forged

    logged = (tmp_path / "hall.access.log").read_text("utf-8")
    assert logged.count("\n") >= 5 and ticket["id"] not in logged and "127.0.0.1" not in logged
    assert lan is None or lan not in logged
