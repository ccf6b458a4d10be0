"""The hall file: the shipped default hall, and errors that name the key and the problem."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import pytest

from api.server import DemoCredentialsRefused, check_demo_credentials
from hall.config import ConfigError, load_hall, parse_hall
from hall.credentials import verify_password, verify_token

RAW = tomllib.loads(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8"))


def test_default_hall_is_the_quang_nam_centre(default_hall):
    provincial = [d for d in default_hall.departments.values() if d.kind == "provincial"]
    central = [d for d in default_hall.departments.values() if d.kind == "central"]
    assert len(provincial) == 20 and len(central) == 3  # 19 departments + the economic-zone board
    assert {d.name for d in central} == {"Công an tỉnh", "Cục Thuế tỉnh", "Bảo hiểm xã hội tỉnh"}
    assert len(default_hall.cabins) == 61
    central_cabins = [c for c in default_hall.cabins.values() if default_hall.departments[c.department].kind == "central"]
    assert len(central_cabins) == 29  # 29 officers of central agencies, 32 seconded from provincial ones
    assert default_hall.timezone == "Asia/Ho_Chi_Minh" and default_hall.accept_tickets_any_hour
    assert default_hall.procedure("TP-CTBS").limit_days == 0 and default_hall.procedure("XD-GPXD").limit_days == 20


def test_demo_accounts_and_devices_follow_the_naming_rule(default_hall):
    for n in (1, 37, 61):
        officer = default_hall.users[f"canbo{n:02d}"]
        assert officer.cabin == n and verify_password("demo", officer.password_hash)
        assert not verify_password("Demo", officer.password_hash)
    assert default_hall.users["quanly"].role == "manager" and default_hall.users["admin"].role == "admin"
    for device in ("kiosk-01", "printer-04", "rating-61", "keypad-37"):
        assert verify_token(f"demo-{device}", default_hall.devices[device].token_hash)


def test_demo_credentials_are_refused_off_loopback(default_hall):
    check_demo_credentials(default_hall, "127.0.0.1")
    check_demo_credentials(default_hall, "::1")
    with pytest.raises(DemoCredentialsRefused, match="demo credentials"):
        check_demo_credentials(default_hall, "0.0.0.0")


def broken(path: list, value) -> dict:
    data = copy.deepcopy(RAW)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "message"), [
    (["cabins", 11, "profile"], {"XYZ": 1.0}, "cabins[11].profile: unknown service 'XYZ'"),
    (["cabins", 0, "profile"], {"CA-TN": -1}, "cabins[0].profile.CA-TN: weight must be a positive number"),
    (["services", 2, "department"], "SỞ-MA", "services[2].department: unknown department 'SỞ-MA'"),
    (["services", 3, "prefix"], "A", "services[3].prefix: duplicate 'A'"),
    (["hall", "timezone"], "Mars/Base", "hall.timezone: unknown time zone 'Mars/Base'"),
    (["hall", "sessions"], [{"start": "11:30", "end": "07:30"}], "hall.sessions[0]: ends (07:30:00) before it starts"),
    (["users", 0, "cabin"], 99, "users[0].cabin: unknown cabin 99"),
    (["users", 0, "password_hash"], "demo", "users[0].password_hash: not a password hash"),
    (["procedures", 0, "limit_hours"], 4, "procedures[0]: give exactly one of limit_days or limit_hours"),
    (["rules", "max_priority_in_row"], "two", "rules.max_priority_in_row: expected int, got str 'two'"),
    (["rules", "breaks"], [1], "`rules.breaks`: expected a list of tables"),
    (["rules", "breaks"], [{"from": "10:00", "to": "09:30", "minutes": 10}], "rules.breaks[0]: expected from < to"),
    (["devices", 5, "kind"], "toaster", "devices[5].kind: must be kiosk, printer, rating or keypad"),
    (["ratings", "satisfied"], ["rat_hai_long", "tuyet_voi"], "ratings.satisfied[1]: 'tuyet_voi' is not one of ratings.levels"),
    (["ratings", "levels"], ["hai_long"], "ratings.levels: a rating needs at least two levels"),
    (["ratings", "levels"], ["tot", "tot", "kem"], "ratings.levels[1]: duplicate 'tot'"),
    (["ratings", "names"], {"tot": "Tốt"}, "ratings.names.tot: not one of ratings.levels"),
])
def test_a_broken_hall_file_names_the_key_and_the_problem(path, value, message):
    with pytest.raises(ConfigError) as error:
        parse_hall(broken(path, value))
    assert message in str(error.value)


def test_a_file_that_is_not_toml_says_so(tmp_path):
    bad = tmp_path / "hall.toml"
    bad.write_text("[hall\nname = 1", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_hall(bad)
    with pytest.raises(ConfigError, match="cannot read hall file"):
        load_hall(tmp_path / "missing.toml")


def test_rating_levels_and_what_counts_as_satisfied_come_from_the_hall_file(default_hall):
    assert default_hall.rating_levels == ("rat_hai_long", "hai_long", "khong_hai_long")
    assert default_hall.rating_satisfied == ("rat_hai_long", "hai_long")
    assert default_hall.rating_names["khong_hai_long"] == "Không hài lòng"
    data = copy.deepcopy(RAW)
    data["ratings"] = {"levels": ["tot", "kha", "trung_binh", "kem"], "names": {"tot": "Tốt"}}
    four = parse_hall(data)
    assert four.rating_satisfied == ("tot", "kha", "trung_binh")  # every level but the last
    assert four.rating_names == {"tot": "Tốt", "kha": "kha", "trung_binh": "trung_binh", "kem": "kem"}
    data["ratings"]["satisfied"] = ["kha", "tot"]
    assert parse_hall(data).rating_satisfied == ("tot", "kha")  # in the order of the levels
