"""Golden tables for the working-day calendar and due dates (docs/calendar.md).

Dates used (check with a wall calendar): 2027-01-01 is a Friday, 2027-03-01 a Monday.
Tết 2027 per the `holidays` package: Thu 4 Feb .. Wed 10 Feb. National Day 2027: Thu 2 and
Fri 3 Sep. The September bridge (Wed 1 Sep off, Sat 11 Sep worked) is a *sample* configuration,
not a real government decision.
"""

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.workcalendar import (
    HALL_TZ,
    WorkCalendar,
    calendar_from_config,
    classify,
    is_overdue,
)

BRIDGE_DAY = "2027-09-01"
MAKEUP_SATURDAY = "2027-09-11"

HALL = calendar_from_config(makeup=[MAKEUP_SATURDAY], days_off=[BRIDGE_DAY])
PACKAGE_ONLY = calendar_from_config(makeup=[], days_off=[])


def at(text: str) -> datetime:
    """A local hall time from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=HALL_TZ)


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- which days the hall works ----------------------------------------------------------------

WORKING_DAYS = [
    # date, works?, why
    ("2027-02-03", True, "Wednesday before Tết"),
    ("2027-02-04", False, "29 Tết"),
    ("2027-02-05", False, "Lunar New Year's Eve"),
    ("2027-02-08", False, "third day of Tết"),
    ("2027-02-10", False, "fifth day of Tết (compensates the weekend)"),
    ("2027-02-11", True, "first working day after Tết"),
    ("2027-05-01", False, "Labour Day on a Saturday"),
    ("2027-05-03", False, "Labour Day observed on Monday"),
    ("2027-09-01", False, "configured bridge day"),
    ("2027-09-02", False, "National Day"),
    ("2027-09-03", False, "National Day, second day"),
    ("2027-09-06", True, "Monday after National Day"),
    ("2027-09-11", True, "configured make-up Saturday"),
    ("2027-09-18", False, "ordinary Saturday"),
    ("2027-09-19", False, "ordinary Sunday"),
    ("2026-08-22", True, "make-up Saturday known to the package"),
    ("2026-08-31", False, "day off swapped by the package"),
    ("2027-11-24", False, "Vietnam Cultural Day"),
]


@pytest.mark.parametrize(("day", "works", "why"), WORKING_DAYS)
def test_the_hall_works_on_these_days_only(day, works, why):
    assert HALL.is_working_day(d(day)) is works, why


def test_without_the_bridge_config_the_first_of_september_is_worked():
    assert PACKAGE_ONLY.is_working_day(d("2027-09-01"))
    assert not PACKAGE_ONLY.is_working_day(d("2027-09-11"))


# -- due dates in working days ----------------------------------------------------------------

DUE_DATES = [
    # received (local), limit in working days, due, why
    # Tết 2027
    ("2027-02-01 09:00", 3, "2027-02-11", "Tue, Wed, then Tết, then Thu 11"),
    ("2027-02-03 10:00", 1, "2027-02-11", "the day after receipt is Tết"),
    ("2027-02-06 10:00", 1, "2027-02-11", "received online during Tết"),
    ("2027-01-29 16:00", 5, "2027-02-12", "Friday before Tết, five days"),
    ("2027-01-25 08:00", 10, "2027-02-15", "ten days straddling Tết"),
    ("2027-02-03 10:00", 0, "2027-02-03", "same day, before the cut-off"),
    ("2027-02-03 16:00", 0, "2027-02-11", "same day after the cut-off: next working day is after Tết"),
    ("2027-02-09 09:00", 0, "2027-02-11", "same day received on a holiday"),
    # National Day 2027 with the sample bridge day and make-up Saturday
    ("2027-08-31 14:00", 1, "2027-09-06", "bridge, National Day and weekend skipped"),
    ("2027-08-30 09:00", 3, "2027-09-07", "Tue 31, Mon 6, Tue 7"),
    ("2027-09-10 09:00", 1, "2027-09-11", "the make-up Saturday counts"),
    ("2027-09-09 09:00", 3, "2027-09-13", "Fri 10, Sat 11, Mon 13"),
    ("2027-09-11 10:00", 0, "2027-09-11", "same day on the make-up Saturday"),
    ("2027-09-18 10:00", 0, "2027-09-20", "same day on an ordinary Saturday"),
    # the package's own swap in 2026
    ("2026-08-21 09:00", 1, "2026-08-22", "package make-up Saturday counts"),
    ("2026-08-28 09:00", 1, "2026-09-03", "swapped Monday and National Day skipped"),
    # the 15:00 cut-off for same-day procedures (compared to the minute)
    ("2027-03-01 14:59", 0, "2027-03-01", "before the cut-off"),
    ("2027-03-01 15:00", 0, "2027-03-01", "15:00 exactly is not after 15:00"),
    ("2027-03-01 15:00:59", 0, "2027-03-01", "still the 15:00 minute"),
    ("2027-03-01 15:01", 0, "2027-03-02", "after the cut-off"),
    ("2027-03-05 15:01", 0, "2027-03-08", "Friday after the cut-off: Monday"),
    ("2027-03-06 09:00", 0, "2027-03-08", "same day received on a Saturday"),
    # day 1 is the first working day after the receipt date
    ("2027-03-05 08:00", 1, "2027-03-08", "Friday morning, one day: Monday"),
    ("2027-03-05 16:59", 1, "2027-03-08", "Friday afternoon, one day: Monday"),
    ("2027-03-06 09:00", 1, "2027-03-08", "Saturday, one day: Monday is day 1"),
    ("2027-03-07 09:00", 1, "2027-03-08", "Sunday, one day: Monday is day 1"),
    ("2027-03-08 09:00", 1, "2027-03-09", "Monday, one day: Tuesday"),
    # usual limits across weekends
    ("2027-03-10 09:00", 3, "2027-03-15", "business registration"),
    ("2027-03-10 09:00", 5, "2027-03-17", "driving licence exchange"),
    ("2027-03-10 09:00", 10, "2027-03-24", "judicial record certificate"),
    ("2027-03-10 09:00", 20, "2027-04-07", "construction permit"),
    ("2027-04-12 09:00", 20, "2027-05-13", "construction permit over Hùng Kings, 30/4 and 1/5"),
]


@pytest.mark.parametrize(("received", "limit", "due", "why"), DUE_DATES)
def test_due_date_in_working_days(received, limit, due, why):
    assert HALL.due_date(at(received), limit_days=limit) == d(due), why


def test_receipt_time_is_read_in_hall_time():
    # 17:30 UTC on Friday is 00:30 on Saturday in the hall.
    friday_evening_utc = datetime(2027, 3, 5, 17, 30, tzinfo=timezone.utc)
    assert HALL.due_date(friday_evening_utc, limit_days=0) == d("2027-03-08")
    # 07:00 UTC on Friday is 14:00 in the hall: before the cut-off.
    friday_morning_utc = datetime(2027, 3, 5, 7, 0, tzinfo=timezone.utc)
    assert HALL.due_date(friday_morning_utc, limit_days=0) == d("2027-03-05")


def test_a_later_cut_off_can_be_configured():
    assert HALL.due_date(
        at("2027-03-01 15:30"), limit_days=0, same_day_cutoff=time(16, 0)
    ) == d("2027-03-01")


# -- limits in working hours ------------------------------------------------------------------

DUE_MOMENTS = [
    # received (local), hours, due moment (local), why
    ("2027-03-01 10:30", 4, "2027-03-01 16:30", "crosses lunch"),
    ("2027-03-01 11:00", 1, "2027-03-01 14:00", "half before lunch, half after"),
    ("2027-03-01 10:30", 1, "2027-03-01 11:30", "runs out exactly at the lunch break"),
    ("2027-03-01 12:00", 1, "2027-03-01 14:30", "received during lunch"),
    ("2027-03-01 06:00", 1, "2027-03-01 08:30", "received before opening"),
    ("2027-03-01 16:00", 1, "2027-03-01 17:00", "runs out exactly at closing"),
    ("2027-03-01 16:00", 4, "2027-03-02 10:30", "crosses the night"),
    ("2027-03-01 18:00", 8, "2027-03-03 08:00", "a full day (7.5 h) and half an hour"),
    ("2027-03-05 16:00", 2, "2027-03-08 08:30", "Friday afternoon crosses the weekend"),
    ("2027-03-06 10:00", 1, "2027-03-08 08:30", "received on a Saturday"),
    ("2027-02-03 16:00", 2, "2027-02-11 08:30", "crosses Tết"),
    ("2027-09-10 16:00", 2, "2027-09-11 08:30", "the make-up Saturday has sessions"),
    ("2027-03-01 09:00", 0, "2027-03-01 09:00", "zero hours: due on receipt"),
]


@pytest.mark.parametrize(("received", "hours", "due", "why"), DUE_MOMENTS)
def test_due_moment_in_working_hours(received, hours, due, why):
    assert HALL.due_datetime(at(received), hours) == at(due), why
    assert HALL.due_date(at(received), limit_hours=hours) == at(due).date(), why


def test_hour_limits_follow_the_configured_sessions():
    morning_only = [(time(8, 0), time(12, 0))]
    assert HALL.due_datetime(at("2027-03-01 11:00"), 2, sessions=morning_only) == at(
        "2027-03-02 09:00"
    )


# -- early, on time, late ---------------------------------------------------------------------

DUE = d("2027-03-05")

OUTCOMES = [
    ("2027-03-04 17:00", "early", "the day before"),
    ("2027-03-05 00:00", "on_time", "the first minute of the due day"),
    ("2027-03-05 16:59", "on_time", "during the due day"),
    ("2027-03-05 23:59", "on_time", "the last minute of the due day"),
    ("2027-03-05 23:59:59", "on_time", "the last second of the due day"),
    ("2027-03-06 00:00", "late", "midnight ends the due day"),
    ("2027-03-06 00:01", "late", "one minute after midnight"),
]


@pytest.mark.parametrize(("returned", "outcome", "why"), OUTCOMES)
def test_a_returned_dossier_is_early_on_time_or_late(returned, outcome, why):
    assert classify(HALL.local(at(returned)).date(), DUE) == outcome, why


def test_classification_uses_the_hall_date_not_utc():
    assert classify(HALL.local(datetime(2027, 3, 5, 16, 59, tzinfo=timezone.utc)).date(), DUE) == "on_time"
    assert classify(HALL.local(datetime(2027, 3, 5, 17, 1, tzinfo=timezone.utc)).date(), DUE) == "late"


def test_a_pending_dossier_becomes_overdue_after_its_due_day():
    assert not is_overdue(at("2027-03-05 23:59").date(), DUE)
    assert is_overdue(at("2027-03-06 00:01").date(), DUE)


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either in working days or in working hours"),
        ({"limit_days": 3, "limit_hours": 4}, "either in working days or in working hours"),
        ({"limit_days": -1}, "limit_days"),
        ({"limit_hours": -1}, "limit_hours"),
    ],
)
def test_a_time_limit_must_be_days_or_hours(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HALL.due_date(at("2027-03-01 09:00"), **kwargs)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        HALL.due_date(datetime(2027, 3, 1, 9, 0), limit_days=1)
    with pytest.raises(ValueError, match="no time zone"):
        HALL.local(datetime(2027, 3, 1, 9, 0))


@pytest.mark.parametrize(
    ("makeup", "days_off", "message"),
    [
        (["2027-09-08"], [], "is a Wednesday"),
        (["2027-05-01"], [], "public holiday"),
        (["2027-09-11"], ["2027-09-11"], "both as a make-up working day and as a day off"),
        ([], ["2027-09-18"], "is a Saturday, already a day off"),
        (["11/09/2027"], [], r"calendar\.makeup_workdays: '11/09/2027'"),
        ([], ["2027-9-1"], r"calendar\.days_off: \'2027-9-1\'"),
        ([], ["2099-09-01"], "outside the calendar's years"),
    ],
)
def test_bad_calendar_config_is_refused_with_the_reason(makeup, days_off, message):
    with pytest.raises(ValueError, match=message):
        calendar_from_config(makeup=makeup, days_off=days_off)


def test_dates_outside_the_calendar_are_refused():
    with pytest.raises(ValueError, match="outside the calendar's years"):
        HALL.is_working_day(d("2046-01-02"))


# -- invariants -------------------------------------------------------------------------------

receipts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2044, 12, 1)
).map(lambda naive: naive.replace(tzinfo=HALL_TZ))
day_limits = st.integers(min_value=0, max_value=30)


@settings(max_examples=300, deadline=None)
@given(received=receipts, limit=day_limits)
def test_the_due_date_is_a_working_day_never_before_receipt(received, limit):
    due = HALL.due_date(received, limit_days=limit)
    assert HALL.is_working_day(due)
    assert due >= received.date()
    if limit >= 1:
        assert due > received.date()


@settings(max_examples=300, deadline=None)
@given(received=receipts, limit=day_limits)
def test_one_more_day_never_makes_the_due_date_earlier(received, limit):
    assert HALL.due_date(received, limit_days=limit + 1) >= HALL.due_date(
        received, limit_days=limit
    )


@settings(max_examples=200, deadline=None)
@given(received=receipts, hours=st.integers(min_value=0, max_value=60))
def test_an_hour_limit_ends_inside_a_session_of_a_working_day(received, hours):
    due = HALL.due_datetime(received, hours)
    assert due >= received
    assert HALL.is_working_day(due.date())
    assert time(7, 30) <= due.time() <= time(11, 30) or time(13, 30) <= due.time() <= time(17, 0)
    later = HALL.due_datetime(received, hours + 1)
    assert later - due >= timedelta(hours=1)


def test_counting_past_the_calendar_years_is_refused_not_guessed():
    only_2027 = WorkCalendar.vietnam(first_year=2027, last_year=2027)
    assert only_2027.due_date(at("2027-12-27 09:00"), limit_days=4) == d("2027-12-31")
    with pytest.raises(ValueError, match="outside the calendar's years"):
        only_2027.due_date(at("2027-12-27 09:00"), limit_days=5)
