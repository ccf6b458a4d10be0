"""Signing in on a real network: argon2id and the upgrade of old hashes, tokens that name their
hall and password, signing out, the read-only roles, and health latency under wrong passwords."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.halls import hall_file_with
from support.servers import login, served_hall
from support.waits import HTTP_TIMEOUT
from support.stores import sqlite_url

from hall.config import load_hall
from hall.credentials import hash_password, pbkdf2_hash
from simulators.server_process import ServerProcess
from simulators.signin_load import health_under_wrong_passwords


def with_password(hall_file: str, username: str, password_hash: str) -> None:
    """The hall file with one user's stored hash replaced (what `hall users passwd` writes)."""
    path = Path(hall_file)
    old = load_hall(path).users[username].password_hash
    path.write_text(path.read_text("utf-8").replace(old, password_hash), "utf-8")


async def test_an_old_pbkdf2_hash_signs_in_and_is_upgraded_to_argon2id_in_the_hall_file(tmp_path):
    hall = hall_file_with(tmp_path, "")
    with_password(hall, "canbo07", pbkdf2_hash("cũ-nhưng-đúng"))
    async with served_hall(sqlite_url(tmp_path), config=hall) as (_server, http):
        auth = await login(http, "canbo07", "cũ-nhưng-đúng")
        assert (await http.post("/api/v1/cabins/7/open", headers=auth)).status_code == 200
        kept = load_hall(hall).users["canbo07"].password_hash
        assert kept.startswith("$argon2id$")
        await login(http, "canbo07", "cũ-nhưng-đúng")  # the new hash verifies the same password
        assert (await http.post("/api/v1/auth/login", json={"username": "canbo07", "password": "demo"})).status_code == 401
    assert load_hall(hall).users["canbo08"].password_hash.startswith("pbkdf2_sha256$")  # only who signed in


async def test_a_changed_password_signs_the_user_out(tmp_path):
    hall = hall_file_with(tmp_path, "")
    async with served_hall(sqlite_url(tmp_path), config=hall) as (_server, http):
        auth = await login(http, "canbo07")
        other = await login(http, "canbo08")
    with_password(hall, "canbo07", hash_password("mật khẩu mới"))
    async with served_hall(sqlite_url(tmp_path), config=hall) as (_server, http):  # the same key file
        assert (await http.post("/api/v1/cabins/7/open", headers=auth)).status_code == 401
        assert (await http.post("/api/v1/cabins/8/open", headers=other)).status_code == 200


async def test_a_token_of_one_hall_is_refused_by_another_with_the_same_key(tmp_path, monkeypatch):
    monkeypatch.setenv("HALL_SECRET", "x" * 40)
    first = hall_file_with(tmp_path, "")
    (tmp_path / "b").mkdir()
    second = hall_file_with(tmp_path / "b", "")
    Path(second).write_text(Path(second).read_text("utf-8").replace('id = "qnam"', 'id = "other"', 1), "utf-8")
    assert load_hall(second).id == "other"
    async with served_hall(sqlite_url(tmp_path), config=first) as (_server, http):
        auth = await login(http, "quanly")
    async with served_hall(sqlite_url(tmp_path / "b"), config=second) as (_server, http):
        assert (await http.get("/api/v1/stats/summary", headers=auth)).status_code == 401
        assert (await http.get("/api/v1/stats/summary", headers=await login(http, "quanly"))).status_code == 200


async def test_signing_out_ends_that_token_only(client):
    first, second = await login(client, "canbo33"), await login(client, "canbo33")
    out = await client.post("/api/v1/auth/logout", headers=first)
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    assert (await client.post("/api/v1/cabins/33/open", headers=first)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=first)).status_code == 401
    assert (await client.post("/api/v1/cabins/33/open", headers=second)).status_code == 200
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_a_signed_out_token_stays_out_after_a_crash_and_a_restart(store_url, tmp_path):
    """The sign-out is acknowledged only once it is in the store: SIGKILL right after the answer
    and a new process (same key, same store) still refuses that token, and only that one."""
    env, hall = {"HALL_SECRET": "k" * 40}, ["--config", hall_file_with(tmp_path, "")]  # the same stored hashes
    async with ServerProcess.hall(tmp_path, "first", db=store_url, env=env, extra=hall) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            out, kept = await login(http, "canbo33"), await login(http, "canbo33")
            assert (await http.post("/api/v1/auth/logout", headers=out)).status_code == 200
        server.kill()
    async with ServerProcess.hall(tmp_path, "again", db=store_url, env=env, extra=hall) as again:
        async with httpx.AsyncClient(base_url=again.url, timeout=HTTP_TIMEOUT) as http:
            assert (await http.post("/api/v1/cabins/33/open", headers=out)).status_code == 401
            assert (await http.post("/api/v1/cabins/33/open", headers=kept)).status_code == 200


async def test_the_inspector_and_the_leader_read_and_change_nothing(client):
    inspector, leader = await login(client, "thanhtra"), await login(client, "lanhdao")
    for who in (inspector, leader):
        assert (await client.get("/api/v1/stats/summary", headers=who)).status_code == 200
        assert (await client.get("/api/v1/stats/report?period=2026-11", headers=who)).status_code == 200
        assert (await client.get("/api/v1/devices", headers=who)).status_code == 200
        for path in ("/api/v1/cabins/1/open", "/api/v1/day/close", "/api/v1/devices/printer-01/reprint"):
            assert (await client.post(path, headers=who)).status_code == 403, path
        ticket = await client.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "staff"}, headers=who)
        assert ticket.status_code == 403
    assert (await client.get("/api/v1/audit", headers=inspector)).status_code == 200
    assert (await client.get("/api/v1/audit", headers=leader)).status_code == 403


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_health_stays_flat_while_clients_send_wrong_passwords(hall_server):
    """Every guess is a fresh username from the hall's own machine, so each costs a real
    password check (no delay stops it): the checks run off the trio thread, so screens and health
    stay fast. Generous bound (the machine is shared): p99 within 3x of quiet, with a 5 ms floor
    under the quiet figure. Before: about 2 ms -> 300 ms."""
    figures = await health_under_wrong_passwords(hall_server.url, requests=300, guessers=4)
    print(f"health p99 quiet {figures.quiet_p99_ms:.1f} ms, under {figures.guesses} wrong passwords "
          f"{figures.loaded_p99_ms:.1f} ms (x{figures.ratio:.2f})")
    assert figures.guesses >= 20 and figures.refused == 0  # they were real checks, not cheap refusals
    assert figures.loaded_p99_ms <= 3 * max(figures.quiet_p99_ms, 5.0), figures
