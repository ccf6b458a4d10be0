"""`hall serve`'s options: HTTPS and WSS with a certificate, the public address in QR codes and
receipts, logs (level, JSON, access log) without personal data, trusted proxies, and the
command line's own manners (`--version`, help on every option, `hall simulate --help`)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from functools import partial

import httpx
import pytest
import trio
from websockets.sync.client import connect as sync_connect
from websockets.trio.client import connect

from api.cli import build_parser
from api.forwarded import forwarded_scope, trust_forwarded
from api.server import ServeOptions, run_hall
from simulators.cli import SUBCOMMANDS
from simulators.server_process import ServerProcess
from support.servers import login, served_hall
from support.stores import sqlite_url
from support.tls import Certificate, throwaway_certificate
from support.waits import HTTP_TIMEOUT, WAIT, next_message
from support.devices import KIOSK


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return throwaway_certificate(tmp_path_factory.mktemp("tls"), "127.0.0.1", "localhost")


async def test_https_and_wss_with_a_certificate_on_the_command_line(tmp_path, certificate):
    certfile, keyfile, client_context = certificate
    options = ServeOptions(db=sqlite_url(tmp_path), port=0, certfile=str(certfile), keyfile=str(keyfile))
    async with trio.open_nursery() as nursery:
        with trio.fail_after(WAIT):
            server = await nursery.start(partial(run_hall, options, shutdown_trigger=trio.sleep_forever))
        assert server.url.startswith("https://")
        async with httpx.AsyncClient(base_url=server.url, verify=client_context, timeout=HTTP_TIMEOUT) as http:
            assert (await http.get("/api/v1/health")).json()["status"] == "ok"
            ticket = (await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
        async with connect(server.url.replace("https://", "wss://") + "/ws/display/hall", ssl=client_context) as ws:
            snapshot = json.loads(await next_message(ws))
            assert snapshot["t"] == "snapshot" and snapshot["seq"] >= 1
        plain = server.url.replace("https://", "http://")
        async with httpx.AsyncClient(timeout=WAIT) as http:
            with pytest.raises(httpx.HTTPError):  # no plain HTTP on the HTTPS port
                await http.get(f"{plain}/api/v1/tickets/{ticket['id']}")
        nursery.cancel_scope.cancel()


def test_serve_refuses_half_a_certificate(tmp_path, certificate):
    certfile, keyfile, _ = certificate
    for args, message in ((["--certfile", str(certfile)], "needs both --certfile and --keyfile"),
                          (["--certfile", str(keyfile), "--keyfile", str(keyfile)], "cannot use the certificate")):
        done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--db", sqlite_url(tmp_path), "--port", "0", *args],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


async def test_the_public_url_goes_into_qr_codes_and_receipts(tmp_path):
    async with served_hall(sqlite_url(tmp_path), public_url="https://hcc.quangnam.gov.vn/") as (_server, http):
        ticket = (await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()
        assert ticket["track_url"] == f"https://hcc.quangnam.gov.vn/track/{ticket['id']}"
        officer = await login(http, "canbo33")
        for action in ("open", "call-next", "start"):
            assert (await http.post(f"/api/v1/cabins/33/{action}", headers=officer)).status_code == 200
        dossier = await http.post("/api/v1/cabins/33/dossiers", headers=officer, json={"procedure": "CA-HC"})
        assert dossier.json()["lookup_url"] == f"https://hcc.quangnam.gov.vn/dossier/{dossier.json()['code']}"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_logs_are_json_lines_and_hold_no_personal_data(tmp_path):
    access = tmp_path / "access.log"
    log = tmp_path / "hall.log"
    name, phone = "Nguyễn Thị Minh Khai", "0905123456"
    with ServerProcess.hall(tmp_path, extra=["--log-level", "debug", "--log-format", "json", "--access-log", str(access)]) as server, \
            httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        ticket = http.post("/api/v1/tickets", json={"service": "CA-TN", "phone": phone}).json()
        assert http.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
        assert http.get(f"/track/{ticket['id']}").status_code == 200
        with sync_connect(server.url.replace("http://", "ws://") + f"/ws/display/track/{ticket['id']}", open_timeout=WAIT) as ws:
            ws.recv(timeout=WAIT)
        token = http.post("/api/v1/auth/login", json={"username": "canbo33", "password": "demo"}).json()["token"]
        officer = {"Authorization": f"Bearer {token}"}
        for action in ("open", "call-next", "start"):
            assert http.post(f"/api/v1/cabins/33/{action}", headers=officer).status_code == 200
        dossier = http.post("/api/v1/cabins/33/dossiers", headers=officer,
                            json={"procedure": "CA-HC", "citizen_name": name, "citizen_phone": phone}).json()
        assert http.get(f"/api/v1/dossiers/{dossier['code']}", headers=officer).status_code == 200
        assert http.get(f"/nothing/{phone}?name={name}").status_code == 404
    server.stop()

    written = log.read_text("utf-8") + access.read_text("utf-8")
    for secret in (ticket["id"], dossier["code"], phone, name, token):
        assert secret not in written, f"{secret!r} is in the logs"
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    routes = [(line["method"], line["route"], line["status"]) for line in lines if line["logger"] == "hall.access"]
    assert ("POST", "/api/v1/cabins/33/call-next", 200) in routes
    assert ("GET", "/api/v1/tickets/<ticket_id>", 200) in routes
    assert ("WS", "/ws/display/<kind>", 101) in routes
    assert ("GET", "<no route>", 404) in routes
    assert any(line["logger"] == "hall.server" and "serving on" in line["message"] for line in lines)


def test_forwarded_headers_count_only_from_a_trusted_proxy():
    scope = {"type": "http", "scheme": "http", "client": ("127.0.0.1", 5000),
             "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7"), (b"x-forwarded-proto", b"https")]}
    seen: list[dict] = []

    async def app(scope: dict, _receive, _send) -> None:
        seen.append(scope)

    trio.run(trust_forwarded(app, ["127.0.0.1"]), scope, None, None)
    trio.run(trust_forwarded(app, ["10.0.0.5"]), scope, None, None)
    assert seen[0]["client"] == ("203.0.113.7", 0) and seen[0]["scheme"] == "https"  # the proxy's own hop only
    assert seen[1]["client"] == ("127.0.0.1", 5000) and seen[1]["scheme"] == "http"  # not a trusted peer
    ws = forwarded_scope({**scope, "type": "websocket", "scheme": "ws"})
    assert ws["scheme"] == "wss"


def test_version_and_help_on_every_option_and_simulate_help(tmp_path):
    version = subprocess.run([sys.executable, "-m", "api.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("hall ")
    simulate = subprocess.run([sys.executable, "-m", "api.cli", "simulate", "--help"], capture_output=True, text=True, timeout=60)
    assert simulate.returncode == 0 and "mmc" in simulate.stdout
    missing = [f"{parser.prog} {' / '.join(action.option_strings) or action.dest}"
               for parser in parsers(build_parser()) for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert not missing, f"options without help: {missing}"


@pytest.mark.parametrize("module", [module for module, _text in SUBCOMMANDS.values()] + ["simulators.bench"])
def test_every_option_of_hall_simulate_and_bench_has_help(module, monkeypatch):
    """The simulators build their parsers inside `main`: catch the parser as it parses."""
    caught: list[argparse.ArgumentParser] = []

    def catch(parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        caught.append(parser)
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    with pytest.raises(SystemExit):
        importlib.import_module(module).main([])
    missing = [" / ".join(a.option_strings) or a.dest for a in caught[0]._actions if not a.help]
    assert not missing, f"{caught[0].prog}: options without help: {missing}"


def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += parsers(child)
    return found
