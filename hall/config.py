"""The hall file: a TOML description of one hall, loaded into frozen dataclasses.

Hall data changes (the province reorganised its agencies in 2025), so it lives in data, not
code. Loading validates everything once and names the key and the problem in plain words, so a
technician editing the file on a Monday morning sees "cabins[12].profile: unknown service
'XYZ'" instead of a stack trace at the first citizen.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config_keys import UnknownKey, check_keys
from .credentials import is_password_hash, is_token_hash
from .dispatch import POLICIES
from .workcalendar import FIRST_YEAR, LAST_YEAR, WorkCalendar

DEFAULT_HALL_FILE = "default_hall.toml"

# The rating scale of a hall file without [ratings] levels: Rất hài lòng / Hài lòng / Không hài lòng
DEFAULT_RATING_LEVELS = ("rat_hai_long", "hai_long", "khong_hai_long")
DEFAULT_RATING_NAMES = {"rat_hai_long": "Rất hài lòng", "hai_long": "Hài lòng", "khong_hai_long": "Không hài lòng"}


class ConfigError(ValueError):
    """The hall file is wrong; the message names the key and the problem."""


S = TypeVar("S")


def positive_settings(raw: Any, section: str, record: type[S]) -> S:
    """A hall-file table of positive numbers (`[device_protocol]`, `[limits]`) as its settings
    record (a dataclass of defaults), naming the key of any bad value. Unknown keys are
    hall/config_keys.py's to refuse."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{section}: expected a table [{section}]")
    values: dict[str, float | int] = {}
    for item in fields(record):  # type: ignore[arg-type]
        if item.name not in raw:
            continue
        value, whole = raw[item.name], item.type in ("int", int)
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value <= 0:
            kind = "a positive whole number" if whole else "a positive number"
            raise ConfigError(f"{section}.{item.name}: expected {kind}, got {value!r}")
        values[item.name] = int(value) if whole else float(value)
    return record(**values)


@dataclass(frozen=True)
class Session:
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    kind: str  # "provincial" | "central"


@dataclass(frozen=True)
class Service:
    code: str
    department: str
    name: str
    prefix: str
    target_wait_minutes: int
    mean_service_minutes: float


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    department: str
    limit_days: int | None
    limit_hours: int | None
    valid_from: dt.date | None = None


@dataclass(frozen=True)
class Cabin:
    number: int
    department: str
    profile: dict[str, float]  # service code -> weight


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str  # one of ROLES
    password_hash: str
    agency: str | None = None
    cabin: int | None = None
    title: str | None = None  # the officer's position, under their name on the letters they sign


@dataclass(frozen=True)
class Priority:
    code: str
    name: str


# Who a signed-in user is: officers serve at a cabin, the floor manager and the administrator
# run the hall; the inspector (thanh tra) and the leader (lãnh đạo) only read (api/access.py).
ROLES = ("officer", "manager", "admin", "inspector", "leader")


@dataclass(frozen=True)
class Device:
    id: str
    kind: str  # "kiosk" | "printer" | "rating" | "keypad"
    token_hash: str
    cabin: int | None = None
    printer: str | None = None
    address: str | None = None  # host:port of a network printer


@dataclass(frozen=True)
class RoutineBreak:
    """A break the hall's officers take every day at a time of their choosing in [start, end):
    `share` of them, `minutes` each (a short mid-morning break). Lunch is the gap between sessions."""

    start: dt.time
    end: dt.time
    minutes: float
    share: float = 1.0


@dataclass(frozen=True)
class Rules:
    max_priority_in_row: int = 2
    recalls_before_no_show: int = 3
    no_show_rejoin_minutes: int = 30
    rating_window_minutes: int = 10
    same_day_cutoff: dt.time = dt.time(15, 0)
    dispatch_policy: str = "weighted"
    number_width: int = 3
    serve_after_close_minutes: int = 30  # officers serve the queue this long past a session's end
    pause_minutes: int = 10  # how long a pause with no known end is expected to last (the estimate)
    breaks: tuple[RoutineBreak, ...] = ()  # the officers' routine breaks: the estimate counts the capacity they take


@dataclass(frozen=True)
class Retention:
    """How long citizens' personal data is kept (hall/personal.py), in days."""

    personal_data_days: int = 730  # a dossier's citizen name and phone, from its return or closing
    contact_days: int = 1  # phones of web tickets and bookings, after the visit


@dataclass(frozen=True)
class HallConfig:
    id: str
    name: str
    timezone: str
    sessions: tuple[Session, ...]
    working_weekdays: frozenset[int]  # Monday = 0
    accept_tickets_any_hour: bool
    public_url: str
    demo_credentials: bool
    rules: Rules
    departments: dict[str, Department]
    services: dict[str, Service]
    procedures: dict[str, tuple[Procedure, ...]]  # code -> versions, oldest first
    cabins: dict[int, Cabin]
    users: dict[str, User]
    priorities: dict[str, Priority]
    devices: dict[str, Device]
    last_ticket: dt.time | None = None  # kiosks and the web stop issuing then (None: at closing)
    makeup_workdays: frozenset[dt.date] = frozenset()
    extra_days_off: frozenset[dt.date] = frozenset()
    rating_levels: tuple[str, ...] = DEFAULT_RATING_LEVELS  # best first
    rating_criteria: tuple[str, ...] = ("result", "attitude")
    rating_satisfied: tuple[str, ...] = DEFAULT_RATING_LEVELS[:-1]  # the levels satisfaction % counts
    rating_names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RATING_NAMES))  # level -> label
    retention: Retention = field(default_factory=Retention)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The hall's working days: VN public holidays and swaps, plus this file's [calendar]."""
        return WorkCalendar.vietnam(makeup_workdays=self.makeup_workdays, extra_days_off=self.extra_days_off, tz=self.tz)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, epoch: float) -> dt.datetime:
        """The hall's wall-clock time for an instant (seconds since the epoch)."""
        return dt.datetime.fromtimestamp(epoch, self.tz)

    def business_day(self, epoch: float) -> dt.date:
        return self.local(epoch).date()

    def local_hour(self, epoch: float) -> int:
        return self.local(epoch).hour

    def epoch(self, day: dt.date, at: dt.time) -> float:
        """The instant of a local wall-clock time on a day of the hall."""
        return dt.datetime.combine(day, at, self.tz).timestamp()

    def in_session(self, epoch: float) -> bool:
        """Whether the hall is open for tickets at this instant (working days and sessions).

        Working days are the calendar's (public holidays, Tết, swaps and make-up Saturdays), so
        kiosks refuse on the same days the due-date rules skip.
        """
        moment = self.local(epoch)
        if not self.is_open_day(moment.date()):
            return False
        now = moment.time()
        return any(s.start <= now < s.end for s in self.sessions)

    def is_open_day(self, day: dt.date) -> bool:
        """Whether the hall opens its sessions on `day`: a working day of the calendar that is
        one of the hall's weekdays (or a make-up working day)."""
        if not self.calendar.is_working_day(day):
            return False
        return day.weekday() in self.working_weekdays or day in self.calendar.makeup_workdays

    def procedure(self, code: str, on: dt.date | None = None) -> Procedure | None:
        """The version of a procedure in force on a date (the newest when no date is given)."""
        versions = self.procedures.get(code, ())
        chosen = None
        for version in versions:
            if on is None or version.valid_from is None or version.valid_from <= on:
                chosen = version
        return chosen

    def officer_of(self, cabin: int) -> User | None:
        for user in self.users.values():
            if user.cabin == cabin and user.role == "officer":
                return user
        return None


def load_hall(path: str | Path | None = None) -> HallConfig:
    """Load and validate a hall file; the shipped default hall when no path is given."""
    if path is None:
        text = resources.files("hall").joinpath(DEFAULT_HALL_FILE).read_text("utf-8")
        source = DEFAULT_HALL_FILE
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read hall file {path}: {exc.strerror}") from exc
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return parse_hall(data)


def parse_hall(data: dict[str, Any]) -> HallConfig:
    """Build a HallConfig from parsed TOML, checking every key (hall/config_keys.py) and every
    cross-reference."""
    try:
        check_keys(data)
    except UnknownKey as exc:
        raise ConfigError(str(exc)) from None
    hall = _table(data, "hall")
    timezone = _get(hall, "timezone", str, "hall", default="Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"hall.timezone: unknown time zone {timezone!r}") from exc
    departments = _departments(data)
    services = _services(data, departments)
    cabins = _cabins(data, departments, services)
    ratings = _ratings(data.get("ratings", {}))
    makeup_workdays, extra_days_off = _calendar(data.get("calendar", {}))
    return HallConfig(
        id=_get(hall, "id", str, "hall"),
        name=_get(hall, "name", str, "hall"),
        timezone=timezone,
        sessions=_sessions(hall),
        working_weekdays=_weekdays(hall),
        accept_tickets_any_hour=_get(hall, "accept_tickets_any_hour", bool, "hall", default=False),
        public_url=public_url(_get(hall, "public_url", str, "hall", default="http://127.0.0.1:8080"), "hall.public_url"),
        demo_credentials=_get(hall, "demo_credentials", bool, "hall", default=False),
        rules=_rules(data.get("rules", {})),
        departments=departments,
        services=services,
        procedures=_procedures(data, departments),
        cabins=cabins,
        users=_users(data, departments, cabins),
        priorities={p.code: p for p in _list(data, "priorities", _priority)},
        devices=_devices(data, cabins),
        last_ticket=_time(hall["last_ticket"], "hall.last_ticket") if "last_ticket" in hall else None,
        makeup_workdays=makeup_workdays,
        extra_days_off=extra_days_off,
        **ratings,
        retention=_retention(data.get("retention", {})),
        raw=data,
    )


_MISSING = object()


def _get(table: dict[str, Any], key: str, kind: type, where: str, default: Any = _MISSING) -> Any:
    if key not in table:
        if default is _MISSING:
            raise ConfigError(f"{where}.{key}: missing")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: missing table [{key}]")
    return value


def _list(data: dict[str, Any], key: str, build: Any) -> list[Any]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise ConfigError(f"{key}: expected a list of tables ([[{key}]])")
    return [build(item, f"{key}[{i}]") for i, item in enumerate(items)]


def _unique(items: list[Any], attr: str, where: str) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in out:
            raise ConfigError(f"{where}[{i}].{attr}: duplicate {key!r}")
        out[key] = item
    return out


def _time(value: Any, where: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: expected a time like \"07:30\", got {value!r}") from exc


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: expected a date like \"2027-01-02\", got {value!r}") from exc


def _sessions(hall: dict[str, Any]) -> tuple[Session, ...]:
    raw = hall.get("sessions", [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}])
    sessions = []
    for i, item in enumerate(raw):
        where = f"hall.sessions[{i}]"
        start, end = _time(item.get("start"), f"{where}.start"), _time(item.get("end"), f"{where}.end")
        if end <= start:
            raise ConfigError(f"{where}: ends ({end}) before it starts ({start})")
        sessions.append(Session(start, end))
    return tuple(sessions)


def public_url(value: str, where: str) -> str:
    """The address printed in QR codes and receipts: http(s)://host[:port][/path], no trailing slash."""
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1].strip("/")) == 0:
        raise ConfigError(f"{where}: expected an address like \"https://hcc.quangnam.gov.vn\", got {value!r}")
    return value.rstrip("/")


def _weekdays(hall: dict[str, Any]) -> frozenset[int]:
    days = _get(hall, "working_weekdays", list, "hall", default=[0, 1, 2, 3, 4])
    for i, day in enumerate(days):
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise ConfigError(f"hall.working_weekdays[{i}]: expected a weekday number 0 (Monday) to 6 (Sunday), got {day!r}")
    return frozenset(days)


def _calendar(raw: dict[str, Any]) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """[calendar]: make-up working days and extra days off, inside the years the calendar knows."""
    found: dict[str, frozenset[dt.date]] = {}
    for key in ("makeup_workdays", "days_off"):
        days = []
        for i, value in enumerate(_get(raw, key, list, "calendar", [])):
            day = _date(value, f"calendar.{key}[{i}]")
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ConfigError(f"calendar.{key}[{i}]: {day} is outside the calendar's years {FIRST_YEAR}..{LAST_YEAR}")
            days.append(day)
        found[key] = frozenset(days)
    both = sorted(found["makeup_workdays"] & found["days_off"])
    if both:
        raise ConfigError(f"calendar: {both[0]} is both a make-up working day and a day off")
    return found["makeup_workdays"], found["days_off"]


def _rules(raw: dict[str, Any]) -> Rules:
    base = Rules()
    policy = _get(raw, "dispatch_policy", str, "rules", base.dispatch_policy)
    if policy not in POLICIES:
        raise ConfigError(f"rules.dispatch_policy: unknown policy {policy!r} (one of {', '.join(POLICIES)})")
    rules = Rules(
        max_priority_in_row=_get(raw, "max_priority_in_row", int, "rules", base.max_priority_in_row),
        recalls_before_no_show=_get(raw, "recalls_before_no_show", int, "rules", base.recalls_before_no_show),
        no_show_rejoin_minutes=_get(raw, "no_show_rejoin_minutes", int, "rules", base.no_show_rejoin_minutes),
        rating_window_minutes=_get(raw, "rating_window_minutes", int, "rules", base.rating_window_minutes),
        same_day_cutoff=_time(raw.get("same_day_cutoff", "15:00"), "rules.same_day_cutoff"),
        dispatch_policy=policy,
        number_width=_get(raw, "number_width", int, "rules", base.number_width),
        serve_after_close_minutes=_get(raw, "serve_after_close_minutes", int, "rules", base.serve_after_close_minutes),
        pause_minutes=_get(raw, "pause_minutes", int, "rules", base.pause_minutes),
        breaks=_breaks(raw.get("breaks", [])),
    )
    for key in ("serve_after_close_minutes", "pause_minutes"):
        if getattr(rules, key) < 0:
            raise ConfigError(f"rules.{key}: expected minutes >= 0, got {getattr(rules, key)}")
    return rules


def _breaks(raw: Any) -> tuple[RoutineBreak, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"rules.breaks: expected a list of tables, got {raw!r}")
    breaks = []
    for i, item in enumerate(raw):
        where = f"rules.breaks[{i}]"
        start, end = _time(item.get("from"), f"{where}.from"), _time(item.get("to"), f"{where}.to")
        minutes, share = _get(item, "minutes", float, where), _get(item, "share", float, where, 1.0)
        span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if span <= 0 or not 0 < minutes < span or not 0 < share <= 1:
            raise ConfigError(f"{where}: expected from < to, 0 < minutes < to - from and 0 < share <= 1")
        breaks.append(RoutineBreak(start, end, minutes, share))
    return tuple(breaks)


def _retention(raw: dict[str, Any]) -> Retention:
    base = Retention()
    days = {key: _get(raw, key, int, "retention", getattr(base, key)) for key in ("personal_data_days", "contact_days")}
    for key, value in days.items():
        if value < 0:
            raise ConfigError(f"retention.{key}: expected a number of days, 0 or more, got {value}")
    return Retention(**days)


def _codes(raw: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list of distinct codes of at most 32 characters (the width of the statistics columns)."""
    values = _get(raw, key, list, "ratings", list(default))
    for i, value in enumerate(values):
        if not isinstance(value, str) or not 0 < len(value) <= 32:
            raise ConfigError(f"ratings.{key}[{i}]: expected a code of 1 to 32 characters, got {value!r}")
        if value in values[:i]:
            raise ConfigError(f"ratings.{key}[{i}]: duplicate {value!r}")
    return tuple(values)


def _ratings(raw: Any) -> dict[str, Any]:
    """[ratings]: levels (best first), criteria, which levels count as satisfied (all but the
    last unless given) and the levels' names for reports (the code unless given)."""
    if not isinstance(raw, dict):
        raise ConfigError("ratings: expected a table [ratings]")
    levels = _codes(raw, "levels", DEFAULT_RATING_LEVELS)
    if len(levels) < 2:
        raise ConfigError(f"ratings.levels: a rating needs at least two levels, got {list(levels)}")
    satisfied = _codes(raw, "satisfied", levels[:-1])
    for i, level in enumerate(satisfied):
        if level not in levels:
            raise ConfigError(f"ratings.satisfied[{i}]: {level!r} is not one of ratings.levels ({', '.join(levels)})")
    names = _get(raw, "names", dict, "ratings", {})
    for level, name in names.items():
        if level not in levels:
            raise ConfigError(f"ratings.names.{level}: not one of ratings.levels ({', '.join(levels)})")
        if not isinstance(name, str):
            raise ConfigError(f"ratings.names.{level}: expected str, got {type(name).__name__} {name!r}")
    return {
        "rating_levels": levels,
        "rating_criteria": _codes(raw, "criteria", ("result", "attitude")),
        "rating_satisfied": tuple(level for level in levels if level in satisfied),
        "rating_names": {level: names.get(level) or DEFAULT_RATING_NAMES.get(level, level) for level in levels},
    }


def _departments(data: dict[str, Any]) -> dict[str, Department]:
    def build(item: dict[str, Any], where: str) -> Department:
        kind = _get(item, "kind", str, where)
        if kind not in ("provincial", "central"):
            raise ConfigError(f"{where}.kind: must be \"provincial\" or \"central\", got {kind!r}")
        return Department(_get(item, "code", str, where), _get(item, "name", str, where), kind)

    return _unique(_list(data, "departments", build), "code", "departments")


def _services(data: dict[str, Any], departments: dict[str, Department]) -> dict[str, Service]:
    def build(item: dict[str, Any], where: str) -> Service:
        department = _get(item, "department", str, where)
        if department not in departments:
            raise ConfigError(f"{where}.department: unknown department {department!r}")
        return Service(
            code=_get(item, "code", str, where),
            department=department,
            name=_get(item, "name", str, where),
            prefix=_get(item, "prefix", str, where),
            target_wait_minutes=_get(item, "target_wait_minutes", int, where, 20),
            mean_service_minutes=_get(item, "mean_service_minutes", float, where, 10.0),
        )

    services = _unique(_list(data, "services", build), "code", "services")
    _unique(list(services.values()), "prefix", "services")
    return services


def _procedures(data: dict[str, Any], departments: dict[str, Department]) -> dict[str, tuple[Procedure, ...]]:
    def build(item: dict[str, Any], where: str) -> Procedure:
        department = _get(item, "department", str, where)
        if department not in departments:
            raise ConfigError(f"{where}.department: unknown department {department!r}")
        days = _get(item, "limit_days", int, where, None)
        hours = _get(item, "limit_hours", int, where, None)
        if (days is None) == (hours is None):
            raise ConfigError(f"{where}: give exactly one of limit_days or limit_hours")
        valid = item.get("valid_from")
        return Procedure(
            code=_get(item, "code", str, where),
            name=_get(item, "name", str, where),
            department=department,
            limit_days=days,
            limit_hours=hours,
            valid_from=None if valid is None else _date(valid, f"{where}.valid_from"),
        )

    versions: dict[str, list[Procedure]] = {}
    for proc in _list(data, "procedures", build):
        versions.setdefault(proc.code, []).append(proc)
    return {code: tuple(sorted(v, key=lambda p: p.valid_from or dt.date.min)) for code, v in versions.items()}


def _cabins(data: dict[str, Any], departments: dict[str, Department], services: dict[str, Service]) -> dict[int, Cabin]:
    def build(item: dict[str, Any], where: str) -> Cabin:
        department = _get(item, "department", str, where)
        if department not in departments:
            raise ConfigError(f"{where}.department: unknown department {department!r}")
        profile = _get(item, "profile", dict, where)
        for code, weight in profile.items():
            if code not in services:
                raise ConfigError(f"{where}.profile: unknown service {code!r}")
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
                raise ConfigError(f"{where}.profile.{code}: weight must be a positive number, got {weight!r}")
        if not profile:
            raise ConfigError(f"{where}.profile: a cabin must serve at least one service")
        return Cabin(_get(item, "number", int, where), department, {k: float(v) for k, v in profile.items()})

    return _unique(_list(data, "cabins", build), "number", "cabins")


def _users(data: dict[str, Any], departments: dict[str, Department], cabins: dict[int, Cabin]) -> dict[str, User]:
    def build(item: dict[str, Any], where: str) -> User:
        role = _get(item, "role", str, where, "officer")
        if role not in ROLES:
            raise ConfigError(f"{where}.role: must be one of {', '.join(ROLES)}, got {role!r}")
        agency = _get(item, "agency", str, where, None)
        if agency is not None and agency not in departments:
            raise ConfigError(f"{where}.agency: unknown department {agency!r}")
        cabin = _get(item, "cabin", int, where, None)
        if cabin is not None and cabin not in cabins:
            raise ConfigError(f"{where}.cabin: unknown cabin {cabin}")
        password_hash = _get(item, "password_hash", str, where)
        if not is_password_hash(password_hash):
            raise ConfigError(f"{where}.password_hash: not a password hash (make one with `hall hash-password`, "
                              "or replace the password with `hall users passwd`)")
        return User(_get(item, "username", str, where), _get(item, "name", str, where), role, password_hash, agency, cabin,
                    title=_get(item, "title", str, where, None))

    return _unique(_list(data, "users", build), "username", "users")


def _priority(item: dict[str, Any], where: str) -> Priority:
    return Priority(_get(item, "code", str, where), _get(item, "name", str, where))


def _devices(data: dict[str, Any], cabins: dict[int, Cabin]) -> dict[str, Device]:
    def build(item: dict[str, Any], where: str) -> Device:
        kind = _get(item, "kind", str, where)
        if kind not in ("kiosk", "printer", "rating", "keypad"):
            raise ConfigError(f"{where}.kind: must be kiosk, printer, rating or keypad, got {kind!r}")
        cabin = _get(item, "cabin", int, where, None)
        if cabin is not None and cabin not in cabins:
            raise ConfigError(f"{where}.cabin: unknown cabin {cabin}")
        if kind in ("rating", "keypad") and cabin is None:
            raise ConfigError(f"{where}.cabin: a {kind} device belongs to a cabin")
        return Device(
            id=_get(item, "id", str, where),
            kind=kind,
            token_hash=_token_hash(item, where),
            cabin=cabin,
            printer=_get(item, "printer", str, where, None),
            address=_get(item, "address", str, where, None),
        )

    devices = _unique(_list(data, "devices", build), "id", "devices")
    for device in devices.values():
        if device.printer is not None and devices.get(device.printer, None) is None:
            raise ConfigError(f"devices.{device.id}.printer: unknown device {device.printer!r}")
    return devices


def _token_hash(item: dict[str, Any], where: str) -> str:
    token_hash = _get(item, "token_hash", str, where)
    if not is_token_hash(token_hash):
        raise ConfigError(f"{where}.token_hash: not a token hash (replace the token with `hall devices token`)")
    return token_hash
