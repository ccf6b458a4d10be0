"""A strict hall file: an unknown key is refused with its path and the nearest known key, and
`hall check-config` refuses exactly what `hall serve` refuses, with the same message."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from api.hall_file import load_checked_hall
from devices.registry import DeviceSettings
from hall.config import ConfigError, parse_hall
from hall.config_keys import KNOWN_KEYS, known_paths
from support.halls import hall_file_with
from simulators.server_process import ROOT

RAW = tomllib.loads(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8"))
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"


def with_key(path: list, value) -> dict:
    data = copy.deepcopy(RAW)
    target = data
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "message"), [
    (["cabins", 3, "profil"], "`cabins[3].profil`: unknown key; did you mean `profile`?"),
    (["hall", "public_ulr"], "`hall.public_ulr`: unknown key; did you mean `public_url`?"),
    (["hall", "sessions", 1, "ends"], "`hall.sessions[1].ends`: unknown key; did you mean `end`?"),
    (["rules", "max_priority_in_a_row"], "`rules.max_priority_in_a_row`: unknown key; did you mean `max_priority_in_row`?"),
    (["ratings", "level"], "`ratings.level`: unknown key; did you mean `levels`?"),
    (["device_protocol", "bursts"], "`device_protocol.bursts`: unknown key; did you mean `burst`?"),
    (["voice", "mod"], "`voice.mod`: unknown key; did you mean `mode`?"),
    (["users", 62, "password"], "`users[62].password`: unknown key; did you mean `password_hash`?"),
    (["devices", 0, "tocken_hash"], "`devices[0].tocken_hash`: unknown key; did you mean `token_hash`?"),
    (["calender"], "`calender`: unknown key; did you mean `calendar`?"),
    (["zzz"], "`zzz`: unknown key; the keys here are `hall`, `rules`"),
])
def test_an_unknown_key_is_refused_with_its_path_and_the_nearest_known_key(path, message):
    with pytest.raises(ConfigError) as error:
        parse_hall(with_key(path, 1))
    assert message in str(error.value)


def test_keys_that_are_data_are_not_names_the_server_knows():
    """A cabin's profile names services and [ratings.names] names levels: those are checked
    against the file's own services and levels, not against a list of known keys."""
    data = copy.deepcopy(RAW)
    data["cabins"][0]["profile"] = {"SNV-TN": 1.0, "CA-TN": 0.5}
    data["ratings"]["names"] = {"hai_long": "Hài lòng"}
    assert parse_hall(data).cabins[1].profile == {"SNV-TN": 1.0, "CA-TN": 0.5}


@pytest.mark.parametrize(("path", "value", "message"), [
    (["voice"], "loud", "`voice`: expected a table ([voice]), got str"),
    (["cabins"], {"number": 1}, "`cabins`: expected a list of tables ([[cabins]])"),
    (["hall", "sessions"], ["07:30-11:30"], "`hall.sessions`: expected a list of tables"),
])
def test_a_value_where_a_table_belongs_is_refused(path, value, message):
    with pytest.raises(ConfigError) as error:
        parse_hall(with_key(path, value))
    assert message in str(error.value)


def test_the_device_protocol_keys_are_the_device_settings():
    assert set(KNOWN_KEYS["device_protocol"]) == set(DeviceSettings.__dataclass_fields__)


def test_the_configuration_document_describes_every_key_the_validator_knows():
    documented = set(re.findall(r"`([a-z_][a-z0-9_]*(?:\[\])?(?:\.[a-z_][a-z0-9_]*(?:\[\])?)*)`", CONFIGURATION_DOC.read_text("utf-8")))
    missing = [path for path in known_paths() if path not in documented]
    assert not missing, f"docs/configuration.md does not describe: {', '.join(missing)}"


# The same file, the same refusal, from both commands: what `hall serve` would meet at start-up
# (or, before, only when the first device connected or the first call was spoken).
BAD_FILES = {
    "unknown key": ("[[cabins]]\nnumber = 99\ndepartment = \"CA\"\nprofil = { \"CA-TN\" = 1.0 }\n",
                    "`cabins[61].profil`: unknown key; did you mean `profile`?"),
    "dispatch policy": (None, "rules.dispatch_policy: unknown policy 'fastest'"),
    "voice mode": ("[voice]\nmode = \"whisper\"\n", "voice.mode: expected one of number, digits, got 'whisper'"),
    "device protocol": ("[device_protocol]\nburst = -1\n", "device_protocol.burst: expected a positive number, got -1"),
    "display": ("[display]\nnotices = \"Giữ trật tự\"\n", "display.notices: expected a list of texts"),
    "page turn": ("[display]\nrotate_seconds = 45\n", "display.rotate_seconds: expected a number of seconds from 0.1 to 30, got 45"),
    "shortcut": ("[display.shortcuts]\nfinish = \"F5\"\n", "display.shortcuts.finish: expected a key such as F2"),
    "bare letter": ("[display.shortcuts]\nfinish = \"N\"\n", "(a letter needs Alt or Ctrl; not F1, F5, F11, F12: the browser's), got 'N'"),
    "shortcut twice": ("[display.shortcuts]\nrecall = \"F2\"\n", "display.shortcuts: F2 is given to more than one action"),
    "calendar": (None, "calendar.days_off[0]: 1999-01-01 is outside the calendar's years"),
}


def bad_hall_file(folder: Path, case: str) -> str:
    extra, _ = BAD_FILES[case]
    if extra is not None:
        return hall_file_with(folder, extra)
    text = resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")
    text = text.replace('dispatch_policy = "weighted"', 'dispatch_policy = "fastest"') if case == "dispatch policy" \
        else text.replace("days_off = []", 'days_off = ["1999-01-01"]')
    path = folder / "hall.toml"
    path.write_text(text, "utf-8")
    return str(path)


def hall(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_check_config_and_serve_refuse_the_same_file_with_the_same_message(tmp_path, case):
    path = bad_hall_file(tmp_path, case)
    message = BAD_FILES[case][1]
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_checked_hall(path)
    checked = hall("check-config", path, cwd=tmp_path)
    served = hall("serve", "--config", path, "--db", f"sqlite:///{tmp_path / 'hall.db'}", "--port", "0", cwd=tmp_path)
    assert checked.returncode == 2 and served.returncode == 2, (checked.stderr, served.stderr)
    assert message in checked.stderr and "Traceback" not in checked.stderr
    assert served.stderr.strip().endswith(checked.stderr.strip()), served.stderr  # the same line, no traceback


def test_check_config_accepts_the_default_hall_and_a_hall_directory(tmp_path):
    summary = hall("check-config", cwd=tmp_path)
    assert summary.returncode == 0 and "61 cabins, 65 users, 130 devices" in summary.stdout
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "hall.toml").write_text(resources.files("hall").joinpath("default_hall.toml").read_text("utf-8"), "utf-8")
    assert hall("check-config", "--data", str(tmp_path / "h"), cwd=tmp_path).returncode == 0
