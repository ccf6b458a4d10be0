"""deploy/nginx/two-nodes.conf, as shipped, with Debian's nginx in front of two `hall serve --node`
processes: kiosks and a hall screen know only nginx's address. SIGKILL the owner: nginx passes
the refused requests on, the standby takes over, nothing acknowledged is lost and the screen
resumes. Only ports, certificate and log paths are changed in the file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
import trio
from support.nginx import NGINX, running_nginx, shipped_site
from support.nodes import Balancer, Screen, assert_kept_and_numbered, node, role, wait_for_role
from support.stores import new_schema
from support.tls import Certificate, throwaway_certificate

from simulators.bench import free_port
from simulators.server_process import ROOT

SITE = ROOT / "deploy" / "nginx" / "two-nodes.conf"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(NGINX is None and os.environ.get("HALL_REQUIRE_NGINX") != "1", reason="nginx is not installed"),
]


def site(folder: Path, ports: tuple[int, int], https_port: int, http_port: int, tls: Certificate) -> str:
    return shipped_site(SITE, folder, tls, {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "server 10.0.0.11:8080": f"server 127.0.0.1:{ports[0]}",
        "server 10.0.0.12:8080": f"server 127.0.0.1:{ports[1]}",
    })


async def test_two_nodes_behind_nginx_fail_over_without_the_clients_knowing(tmp_path, postgres_url):
    tls = throwaway_certificate(tmp_path, "127.0.0.1", "localhost")
    url = new_schema(postgres_url)
    a = node(tmp_path, url, "a", "--trusted-proxy", "127.0.0.1")
    b = node(tmp_path, url, "b", "--trusted-proxy", "127.0.0.1")
    https_port, http_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}"
    async with a, b, httpx.AsyncClient(verify=tls.client) as http:
        (tmp_path / "nginx").mkdir()
        with running_nginx(tmp_path / "nginx", site(tmp_path, (a.port, b.port), https_port, http_port, tls), https_port):
            assert await role(http, a.url) == "owner" and await role(http, b.url) == "standby"
            balancer = Balancer([public])  # the clients know nginx only
            screen = Screen(balancer, tls.client)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(screen.run)
                for _ in range(20):  # round robin puts half of them on the standby: nginx passes them on
                    await balancer.issue(http)
                assert balancer.refused == 0, "nginx passed every refused request on to the owner"
                with trio.fail_after(30):
                    while screen.snapshots < 1:
                        await trio.sleep(0.05)
                killed = time.monotonic()
                await trio.to_thread.run_sync(a.kill)
                for _ in range(20):
                    await balancer.issue(http)
                await wait_for_role(http, b.url, "owner")
                print(f"\nbehind nginx: {time.monotonic() - killed:.2f} s from SIGKILL to 20 more tickets acknowledged "
                      f"({balancer.refused} requests answered 502/503/504 and tried again)")
                await screen.resumes(http, b.url, balancer)
                nursery.cancel_scope.cancel()
    assert len(balancer.acknowledged) == 41
    assert_kept_and_numbered(url, balancer.acknowledged)
