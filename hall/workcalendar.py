"""The Vietnamese working-day calendar and the due date of a dossier.

Theory of operation
-------------------
A `WorkCalendar` is an immutable set of facts: the public holidays of Vietnam as the `holidays`
package knows them (Labour Code holidays, Tết, observed days and the government's day swaps it
has recorded), plus two lists from the hall's configuration for decisions the package does not
have yet: make-up working days (a Saturday worked to compensate a bridge day) and extra days
off (the bridge days themselves). Everything else is arithmetic over those facts, so every
answer is deterministic: the same calendar and the same receipt time always give the same date.

Rules (docs/calendar.md states them for operators):

* A day is a working day when it is not a public holiday, not an extra day off, and either a
  Monday-to-Friday or a make-up working day.
* A limit of N >= 1 working days: day 1 is the first working day strictly after the receipt
  *date*, whatever the hour of receipt and whether or not the receipt day was a working day; the
  dossier is due by the end of day N. (Friday or Saturday receipt, N = 1 -> due Monday.)
* A same-day limit (N = 0): received on a working day at or before the cut-off (15:00 by
  default, compared to the minute, so 15:00:59 is still "15:00") -> due that day; otherwise due
  the next working day.
* A limit in hours: working hours are counted inside the opening sessions of working days,
  starting at the moment of receipt (or the next session start if received outside one); the
  due moment is when the hours run out.
* Dates are local to the hall: the calendar's `tz`, which a hall file's `hall.timezone` sets
  (`HallConfig.calendar`); the default, Asia/Ho_Chi_Minh, has been UTC+07:00 all year since
  1975, so a fixed offset is exact for it.

The calendar covers whole years `first_year..last_year`; asking about a date outside them
raises `ValueError` rather than silently treating unknown holidays as working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

import holidays

__all__ = [
    "HALL_TZ",
    "DEFAULT_SESSIONS",
    "SAME_DAY_CUTOFF",
    "FIRST_YEAR",
    "LAST_YEAR",
    "WorkCalendar",
    "calendar_from_config",
    "classify",
    "is_overdue",
]

HALL_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
"""The default hall's local time (a calendar built without a hall file): Asia/Ho_Chi_Minh is
UTC+07:00 with no daylight saving. A hall's own time zone comes from its hall file."""

DEFAULT_SESSIONS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
"""Opening sessions of a working day (sample: Monday-Friday 07:30-11:30 and 13:30-17:00)."""

SAME_DAY_CUTOFF = time(15, 0)
"""A same-day procedure received after this time is due the next working day."""

FIRST_YEAR = 2017
LAST_YEAR = 2045
"""Default years a calendar covers: from the hall's opening to well past any open dossier."""

Outcome = Literal["early", "on_time", "late"]


def _check_sessions(sessions: Sequence[tuple[time, time]]) -> None:
    previous_end: time | None = None
    for start, end in sessions:
        if not start < end:
            raise ValueError(f"opening session {start}-{end} does not end after it starts")
        if previous_end is not None and start < previous_end:
            raise ValueError(
                f"opening session {start}-{end} starts before the previous one ends "
                f"({previous_end}); sessions must be in order and not overlap"
            )
        previous_end = end
    if previous_end is None:
        raise ValueError("a working day needs at least one opening session")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of the hall for the years `first_year..last_year` inclusive.

    Build one with `WorkCalendar.vietnam(...)` or `calendar_from_config(...)`; the fields are
    the resolved facts:

    * `public_holidays`: every date the `holidays` package lists for VN in the covered years
      (holidays, observed days, swapped days off);
    * `makeup_workdays`: weekend days worked instead — the package's own swaps plus the
      configured ones;
    * `extra_days_off`: configured bridge days not (yet) in the package.
    """

    public_holidays: frozenset[date]
    makeup_workdays: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()
    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR
    tz: tzinfo = HALL_TZ
    _holiday_names: tuple[tuple[date, str], ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.first_year > self.last_year:
            raise ValueError(f"calendar years {self.first_year}..{self.last_year} are empty")
        for d in sorted(self.makeup_workdays | self.extra_days_off | self.public_holidays):
            self._check_covered(d)
        for d in sorted(self.makeup_workdays):
            if d.weekday() < 5:
                raise ValueError(
                    f"make-up working day {d.isoformat()} is a {d:%A}; only a Saturday or "
                    "Sunday can be made a working day"
                )
            if d in self.public_holidays:
                raise ValueError(
                    f"make-up working day {d.isoformat()} is a public holiday "
                    f"({self.holiday_name(d)}); it cannot be worked"
                )
            if d in self.extra_days_off:
                raise ValueError(
                    f"{d.isoformat()} is configured both as a make-up working day and as a "
                    "day off"
                )
        for d in sorted(self.extra_days_off):
            if d.weekday() >= 5:
                raise ValueError(
                    f"extra day off {d.isoformat()} is a {d:%A}, already a day off; "
                    "is the date mistyped?"
                )

    @classmethod
    def vietnam(
        cls,
        makeup_workdays: Iterable[date] = (),
        extra_days_off: Iterable[date] = (),
        first_year: int = FIRST_YEAR,
        last_year: int = LAST_YEAR,
        tz: tzinfo = HALL_TZ,
    ) -> WorkCalendar:
        """The calendar of the `holidays` package for VN, plus configured swaps."""
        package = holidays.VN(years=range(first_year, last_year + 1), language="en_US")
        package_workdays = {
            d for d in package.weekend_workdays if first_year <= d.year <= last_year
        }
        return cls(
            public_holidays=frozenset(package),
            makeup_workdays=frozenset(package_workdays) | frozenset(makeup_workdays),
            extra_days_off=frozenset(extra_days_off),
            first_year=first_year,
            last_year=last_year,
            tz=tz,
            _holiday_names=tuple(sorted(package.items())),
        )

    def local(self, moment: datetime) -> datetime:
        """An aware `moment` in the hall's local time; a naive one is refused."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(
                f"{moment.isoformat()} has no time zone; the hall needs aware datetimes "
                f"(the hall's local time is {self.tz})"
            )
        return moment.astimezone(self.tz)

    # -- days ---------------------------------------------------------------------------

    def _check_covered(self, d: date) -> None:
        if not self.first_year <= d.year <= self.last_year:
            raise ValueError(
                f"{d.isoformat()} is outside the calendar's years "
                f"{self.first_year}..{self.last_year}"
            )

    def holiday_name(self, d: date) -> str | None:
        """The package's (English) name of the holiday on `d`, or None."""
        for day, name in self._holiday_names:
            if day == d:
                return name
        return None

    def is_working_day(self, d: date) -> bool:
        """True when the hall works on `d` (see the module docstring for the rule)."""
        self._check_covered(d)
        if d in self.public_holidays or d in self.extra_days_off:
            return False
        return d.weekday() < 5 or d in self.makeup_workdays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day strictly after `d` (n >= 1); `d` itself is never counted."""
        if n < 1:
            raise ValueError(f"cannot count {n} working days forward; n must be at least 1")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    # -- due dates ------------------------------------------------------------------------

    def due_date(
        self,
        received_at: datetime,
        limit_days: int | None = None,
        limit_hours: int | None = None,
        *,
        same_day_cutoff: time = SAME_DAY_CUTOFF,
        sessions: Sequence[tuple[time, time]] = DEFAULT_SESSIONS,
    ) -> date:
        """The local date by whose end a dossier received at `received_at` is due.

        Give exactly one of `limit_days` (working days, 0 = same day) or `limit_hours`
        (working hours inside `sessions`). Guarantees: the result is a working day, never
        before the local receipt date, and never earlier for a larger limit.
        """
        local = self.local(received_at)
        if (limit_days is None) == (limit_hours is None):
            raise ValueError(
                "a procedure's time limit is either in working days or in working hours: "
                f"got limit_days={limit_days!r}, limit_hours={limit_hours!r}"
            )
        if limit_hours is not None:
            return self.due_datetime(local, limit_hours, sessions=sessions).date()
        assert limit_days is not None
        if isinstance(limit_days, bool) or limit_days < 0:
            raise ValueError(f"limit_days must be a whole number >= 0, got {limit_days!r}")
        received_on = local.date()
        if limit_days == 0:
            received_minute = local.time().replace(second=0, microsecond=0)
            if self.is_working_day(received_on) and received_minute <= same_day_cutoff:
                return received_on
            return self.next_working_day(received_on)
        return self.add_working_days(received_on, limit_days)

    def due_datetime(
        self,
        received_at: datetime,
        limit_hours: int,
        *,
        sessions: Sequence[tuple[time, time]] = DEFAULT_SESSIONS,
    ) -> datetime:
        """The local moment when `limit_hours` working hours after receipt run out.

        Hours are counted only inside `sessions` of working days, from the receipt moment or
        the next session start. If they run out exactly at a session end, that end is the due
        moment (not the next session's start).
        """
        if isinstance(limit_hours, bool) or limit_hours < 0:
            raise ValueError(f"limit_hours must be a whole number >= 0, got {limit_hours!r}")
        _check_sessions(sessions)
        local = self.local(received_at)
        remaining = timedelta(hours=limit_hours)
        day = local.date()
        clock = local.time()
        while True:
            if self.is_working_day(day):
                for start, end in sessions:
                    begin = max(start, clock)
                    if begin > end:
                        continue
                    available = datetime.combine(day, end) - datetime.combine(day, begin)
                    if remaining <= available:
                        return datetime.combine(day, begin, self.tz) + remaining
                    remaining -= available
            day += timedelta(days=1)
            clock = time(0, 0)


def calendar_from_config(makeup: Iterable[str], days_off: Iterable[str]) -> WorkCalendar:
    """Build the VN calendar from the hall file's `[calendar]` lists `makeup_workdays` and
    `days_off` (ISO dates such as "2027-09-11")."""

    def parse(key: str, values: Iterable[str]) -> frozenset[date]:
        parsed = set()
        for value in values:
            try:
                parsed.add(date.fromisoformat(value))
            except (TypeError, ValueError):
                raise ValueError(
                    f"calendar.{key}: {value!r} is not an ISO date like 2027-09-11"
                ) from None
        return frozenset(parsed)

    return WorkCalendar.vietnam(
        makeup_workdays=parse("makeup_workdays", makeup),
        extra_days_off=parse("days_off", days_off),
    )


# -- outcome of a dossier -------------------------------------------------------------------


def classify(returned_on: date, due: date) -> Outcome:
    """Early if returned on a local date before `due`, on time on the due date itself (up to
    23:59:59.999999 local), late after it."""
    if returned_on < due:
        return "early"
    if returned_on == due:
        return "on_time"
    return "late"


def is_overdue(today: date, due: date) -> bool:
    """True when a dossier not yet returned on the local date `today` is late-pending (its due
    date has ended)."""
    return today > due
