"""A hall on Monday morning: `hall init DIR` makes real credentials, `hall serve --data DIR`
serves them off loopback whatever the working directory, and the demo ones open nothing."""

from __future__ import annotations

import csv
import os
import sqlite3
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from api.provisioning import DEMO_COMMENTS, init_hall
from api.signing_secret import SecretRefused, load_signing_secret
from devices.protocol import hello, pack, unpack
from hall.config import load_hall
from hall.credentials import verify_password, verify_token
from simulators.devices import device_url
from simulators.server_process import ServerProcess
from support.waits import HTTP_TIMEOUT, WAIT

DEFAULT_TEXT = resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")


def hall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def plain_credentials(folder: Path) -> dict[tuple[str, str], str]:
    with open(folder / "credentials.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["kind", "id", "secret"]
    return {(kind, ident): secret for kind, ident, secret in rows[1:]}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hall made by the real command (hashing 65 passwords takes a few seconds)."""
    folder = tmp_path_factory.mktemp("srv") / "hall"
    done = hall("init", str(folder), "--public-url", "https://hcc.example.vn/", cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    assert f"hall serve --data {folder}" in done.stdout
    return folder


def test_init_writes_a_hall_with_a_fresh_credential_for_every_user_and_device(made):
    config = load_hall(made / "hall.toml")
    secrets = plain_credentials(made)
    assert {i for k, i in secrets if k == "user"} == set(config.users) and len(config.users) == 65
    assert {i for k, i in secrets if k == "device"} == set(config.devices) and len(config.devices) == 130
    assert len(set(secrets.values())) == len(secrets)  # every one different
    for device in config.devices.values():
        assert verify_token(secrets[("device", device.id)], device.token_hash)
        assert not verify_token(f"demo-{device.id}", device.token_hash)
    for username in ("canbo01", "canbo37", "quanly", "admin"):
        assert verify_password(secrets[("user", username)], config.users[username].password_hash)
        assert not verify_password("demo", config.users[username].password_hash)
    assert not config.demo_credentials and config.public_url == "https://hcc.example.vn"
    assert (mode(made / "credentials.csv"), mode(made / "secret"), mode(made / "sheets")) == (0o600, 0o600, 0o700)


def test_init_keeps_the_default_halls_comments_and_drops_its_demo_ones(made):
    text = (made / "hall.toml").read_text("utf-8")
    comments = [line for line in DEFAULT_TEXT.split("\n") if line.lstrip().startswith("#")]
    assert all(line in DEFAULT_TEXT.split("\n") for line in DEMO_COMMENTS)  # nothing to replace went stale
    for line in comments:
        assert (DEMO_COMMENTS.get(line, line)) in text
    assert '"demo' not in text and "Demo " not in text and "demo_credentials = false" in text
    assert "DEMO SETTING" in text  # accepting tickets at any hour stays, and stays labelled


def test_each_cabin_has_a_printable_sheet_with_its_own_credentials_only(made):
    secrets = plain_credentials(made)
    sheets = sorted(p.name for p in (made / "sheets").iterdir())
    assert sheets == ["cabin-%02d.html" % n for n in range(1, 62)] + ["hall.html"]
    cabin = (made / "sheets" / "cabin-37.html").read_text("utf-8")
    for key in (("user", "canbo37"), ("device", "keypad-37"), ("device", "rating-37")):
        assert secrets[key] in cabin
    assert secrets[("user", "canbo38")] not in cabin and secrets[("user", "admin")] not in cabin
    assert "https://hcc.example.vn/display/cabin/37" in cabin and "Quầy số 37" in cabin
    floor = (made / "sheets" / "hall.html").read_text("utf-8")
    assert secrets[("user", "admin")] in floor and secrets[("device", "kiosk-01")] in floor
    assert all(mode(p) == 0o600 for p in (made / "sheets").iterdir())


def test_init_never_overwrites_a_hall(made):
    before = (made / "hall.toml").read_bytes()
    again = hall("init", str(made), cwd=made)
    assert again.returncode == 2 and "already holds a hall" in again.stderr
    assert (made / "hall.toml").read_bytes() == before


def test_replacing_one_credential_edits_only_its_line_and_prints_it_once(tmp_path):
    init_hall(tmp_path / "h")
    path = tmp_path / "h" / "hall.toml"
    os.chmod(path, 0o600)
    before = path.read_text("utf-8").split("\n")
    done = hall("users", "passwd", "canbo07", "--data", str(tmp_path / "h"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip()
    after = path.read_text("utf-8").split("\n")
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and len(changed) == 1 and after[changed[0]].startswith("password_hash = ")
    config = load_hall(path)
    assert verify_password(password, config.users["canbo07"].password_hash) and mode(path) == 0o600

    done = hall("devices", "token", "kiosk-02", "--config", str(path), cwd=tmp_path)
    token = done.stdout.strip()
    assert done.returncode == 0 and verify_token(token, load_hall(path).devices["kiosk-02"].token_hash)
    assert token not in path.read_text("utf-8") and password not in path.read_text("utf-8")

    wrong = hall("users", "passwd", "cambo07", "--data", str(tmp_path / "h"), cwd=tmp_path)
    assert wrong.returncode == 2 and "no user 'cambo07'; did you mean 'canbo07'?" in wrong.stderr


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_hall_directory_serves_off_loopback_with_its_credentials_and_demo_opens_nothing(made, tmp_path):
    secrets = plain_credentials(made)
    elsewhere = tmp_path / "elsewhere"  # the working directory must not matter
    elsewhere.mkdir()
    args = ("--host", "0.0.0.0")
    with ServerProcess.hall(elsewhere, data=made, extra=args) as server, \
            httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        for username in load_hall(made / "hall.toml").users:
            assert http.post("/api/v1/auth/login", json={"username": username, "password": "demo"}).status_code == 401
        signed_in = http.post("/api/v1/auth/login", json={"username": "canbo37", "password": secrets[("user", "canbo37")]})
        assert signed_in.status_code == 200
        officer = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        assert http.post("/api/v1/cabins/37/open", headers=officer).status_code == 200
        with connect(device_url(server.url), open_timeout=WAIT) as ws:
            ws.send(pack(hello("kiosk-01", "demo-kiosk-01", "kiosk")))
            assert unpack(ws.recv(timeout=WAIT))["t"] == "error"
        with connect(device_url(server.url), open_timeout=WAIT) as ws:
            ws.send(pack(hello("kiosk-01", secrets[("device", "kiosk-01")], "kiosk")))
            assert unpack(ws.recv(timeout=WAIT))["t"] == "welcome"
    assert (made / "hall.db").is_file() and mode(made / "hall.db") == 0o600
    assert not (elsewhere / "var").exists()
    with sqlite3.connect(made / "hall.db") as db:  # the signing key is not in the store
        assert db.execute("SELECT count(*) FROM settings").fetchone()[0] == 0

    # Restarted, the officer stays signed in: the key is the hall directory's, not the process's.
    with ServerProcess.hall(elsewhere, data=made, extra=args) as server, \
            httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        assert http.post("/api/v1/cabins/37/pause", headers=officer, json={"reason": "break"}).status_code == 200


def test_a_signing_key_others_may_read_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("HALL_SECRET", raising=False)
    monkeypatch.delenv("HALL_SECRET_FILE", raising=False)
    key = tmp_path / "secret"
    first = load_signing_secret(key)  # created on first use, for the owner only
    assert mode(key) == 0o600 and len(first) == 64 and load_signing_secret(key) == first
    os.chmod(key, 0o644)
    with pytest.raises(SecretRefused, match=r"may be read by other users \(mode 0644\); run `chmod 600"):
        load_signing_secret(key)
    monkeypatch.setenv("HALL_SECRET", "x" * 40)
    assert load_signing_secret(key) == b"x" * 40  # the environment wins
    monkeypatch.setenv("HALL_SECRET", "short")
    with pytest.raises(SecretRefused, match="too short"):
        load_signing_secret(key)
    monkeypatch.delenv("HALL_SECRET")
    other = tmp_path / "other"
    other.write_text("y" * 64)
    os.chmod(other, 0o600)
    monkeypatch.setenv("HALL_SECRET_FILE", str(other))
    assert load_signing_secret(key) == b"y" * 64


def test_serve_refuses_a_hall_directory_whose_key_others_may_read(tmp_path):
    init_hall(tmp_path / "h")
    os.chmod(tmp_path / "h" / "secret", 0o640)
    env = {k: v for k, v in os.environ.items() if k not in ("HALL_SECRET", "HALL_SECRET_FILE")}
    done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--data", str(tmp_path / "h"), "--port", "0"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 2 and "may be read by other users (mode 0640)" in done.stderr
    missing = hall("serve", "--data", str(tmp_path / "nothing"), "--port", "0", cwd=tmp_path)
    assert missing.returncode == 2 and "make the hall with `hall init" in missing.stderr
