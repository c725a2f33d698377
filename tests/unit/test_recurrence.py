"""Recurrence: RRULE validation, next occurrences (month ends, leap years, DST) and descriptions. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain import recurrence
from backend.domain.recurrence import InvalidRecurrenceError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


# --- validate_rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "canonical"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("freq=monthly;interval=2", "FREQ=MONTHLY;INTERVAL=2"),
        ("RRULE:FREQ=WEEKLY;BYDAY=mo,th", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("  FREQ=YEARLY  ", "FREQ=YEARLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("FREQ=DAILY;COUNT=3", "FREQ=DAILY;COUNT=3"),
        ("FREQ=DAILY;UNTIL=20261231", "FREQ=DAILY;UNTIL=20261231"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1"),
        ("FREQ=WEEKLY;WKST=SU;INTERVAL=999", "FREQ=WEEKLY;WKST=SU;INTERVAL=999"),
    ],
)
def test_validate_rule_returns_the_canonical_form(rule: str, canonical: str) -> None:
    assert recurrence.validate_rule(rule) == canonical


def test_canonical_form_is_a_fixed_point() -> None:
    once = recurrence.validate_rule("RRULE:freq=weekly;byday=mo,we;interval=2")
    assert recurrence.validate_rule(once) == once


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=DAILY;BYHOUR=9", "unsupported rule parts: BYHOUR"),
        ("FREQ=DAILY;BYMINUTE=5;DTSTART=20260101", "unsupported rule parts: BYMINUTE, DTSTART"),
        ("FREQ=HOURLY", "FREQ must be"),
        ("FREQ=SECONDLY", "FREQ must be"),
        ("INTERVAL=2", "FREQ must be"),
        ("FREQ=FORTNIGHTLY", "FREQ must be"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be"),
        ("FREQ=DAILY;INTERVAL=1000", "INTERVAL must be"),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL must be"),
        ("FREQ=DAILY;INTERVAL=two", "INTERVAL must be"),
        ("FREQ=DAILY;;", "malformed rule part"),
        ("FREQ", "malformed rule part"),
        ("", "malformed rule part"),
        ("FREQ=", "malformed rule part"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=DAILY;COUNT=x", "COUNT"),
        ("FREQ=DAILY;" + "BYMONTH=1;" * 30, "too long"),
    ],
)
def test_validate_rule_rejects(rule: str, reason: str) -> None:
    with pytest.raises(InvalidRecurrenceError, match=reason):
        recurrence.validate_rule(rule)


def test_rule_length_limit_is_inclusive() -> None:
    rule = "FREQ=YEARLY;BYMONTH=" + "1," * 89 + "12"
    assert len(rule) == recurrence.MAX_RULE_LENGTH
    assert recurrence.validate_rule(rule) == rule
    with pytest.raises(InvalidRecurrenceError, match="too long"):
        recurrence.validate_rule(rule + "1")


# --- next_due_date: month ends and leap years ----------------------------------------------------
def _series(rule: str, anchor: date, count: int) -> list[date]:
    """The next ``count`` occurrences, each asked for after the previous one, always from the same anchor."""
    found: list[date] = []
    after = anchor
    for _ in range(count):
        following = recurrence.next_due_date(rule, anchor=anchor, after=after)
        assert following is not None
        found.append(following)
        after = following
    return found


def test_monthly_from_jan_31_clamps_and_comes_back_without_drift() -> None:
    assert _series("FREQ=MONTHLY", date(2026, 1, 31), 6) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
    ]


def test_monthly_from_jan_31_in_a_leap_year() -> None:
    assert _series("FREQ=MONTHLY", date(2028, 1, 31), 2) == [date(2028, 2, 29), date(2028, 3, 31)]


def test_monthly_with_interval_keeps_the_anchor_day() -> None:
    assert _series("FREQ=MONTHLY;INTERVAL=3", date(2026, 11, 30), 3) == [
        date(2027, 2, 28),
        date(2027, 5, 30),
        date(2027, 8, 30),
    ]


def test_yearly_from_feb_29_clamps_to_feb_28_and_returns_in_2028() -> None:
    assert _series("FREQ=YEARLY", date(2024, 2, 29), 5) == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
    ]


def test_next_due_date_is_strictly_after() -> None:
    assert recurrence.next_due_date("FREQ=DAILY", anchor=date(2026, 3, 9), after=date(2026, 3, 9)) == date(2026, 3, 10)
    assert recurrence.next_due_date("FREQ=MONTHLY", anchor=date(2026, 1, 31), after=date(2026, 2, 27)) == date(
        2026, 2, 28
    )


def test_next_due_date_far_after_the_anchor() -> None:
    assert recurrence.next_due_date("FREQ=MONTHLY", anchor=date(2026, 1, 31), after=date(2030, 2, 10)) == date(
        2030, 2, 28
    )


def test_last_day_of_month() -> None:
    assert _series("FREQ=MONTHLY;BYMONTHDAY=-1", date(2027, 12, 31), 4) == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_bymonthday_31_follows_the_rfc_and_skips_short_months() -> None:
    assert _series("FREQ=MONTHLY;BYMONTHDAY=31", date(2026, 1, 31), 3) == [
        date(2026, 3, 31),
        date(2026, 5, 31),
        date(2026, 7, 31),
    ]


def test_weekly_byday() -> None:
    assert _series("FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 3, 9), 5) == [
        date(2026, 3, 12),
        date(2026, 3, 16),
        date(2026, 3, 19),
        date(2026, 3, 23),
        date(2026, 3, 26),
    ]


def test_every_weekday_skips_the_weekend() -> None:
    assert _series("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 3, 12), 3) == [
        date(2026, 3, 13),
        date(2026, 3, 16),
        date(2026, 3, 17),
    ]


def test_every_two_weeks_on_monday_and_thursday() -> None:
    assert _series("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", date(2026, 3, 9), 4) == [
        date(2026, 3, 12),
        date(2026, 3, 23),
        date(2026, 3, 26),
        date(2026, 4, 6),
    ]


def test_first_monday_of_the_month() -> None:
    assert _series("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", date(2026, 3, 2), 3) == [
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 6, 1),
    ]


def test_an_ended_series_has_no_next_date() -> None:
    assert recurrence.next_due_date("FREQ=DAILY;COUNT=2", anchor=date(2026, 3, 9), after=date(2026, 3, 9)) == date(
        2026, 3, 10
    )
    assert recurrence.next_due_date("FREQ=DAILY;COUNT=2", anchor=date(2026, 3, 9), after=date(2026, 3, 10)) is None
    assert (
        recurrence.next_due_date("FREQ=DAILY;UNTIL=20260311", anchor=date(2026, 3, 9), after=date(2026, 3, 11)) is None
    )


# --- first_due_date ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "start", "first"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", date(2026, 3, 11), date(2026, 3, 16)),  # typed on a Wednesday
        ("FREQ=WEEKLY;BYDAY=MO", date(2026, 3, 9), date(2026, 3, 9)),  # typed on a Monday: today
        ("FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 3, 10), date(2026, 3, 12)),
        ("FREQ=MONTHLY", date(2026, 3, 11), date(2026, 3, 11)),
        ("FREQ=YEARLY;INTERVAL=2", date(2026, 3, 11), date(2026, 3, 11)),
        ("FREQ=DAILY", date(2026, 12, 31), date(2026, 12, 31)),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 2, 11), date(2026, 2, 28)),
        ("FREQ=MONTHLY;BYMONTHDAY=15", date(2026, 2, 16), date(2026, 3, 15)),
        ("FREQ=MONTHLY;BYMONTHDAY=31", date(2026, 2, 10), date(2026, 3, 31)),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2026, 3, 1), date(2028, 2, 29)),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 3, 14), date(2026, 3, 16)),  # a Saturday
    ],
)
def test_first_due_date(rule: str, start: date, first: date) -> None:
    assert recurrence.first_due_date(rule, start=start) == first


def test_first_due_date_of_an_ended_series_is_none() -> None:
    assert recurrence.first_due_date("FREQ=DAILY;UNTIL=20260101", start=date(2026, 2, 11)) is None


# --- next_due_instant: wall time across DST ------------------------------------------------------
def _next(rule: str, anchor: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    found = recurrence.next_due_instant(rule, anchor=anchor, after=after, tz=tz)
    assert found is not None
    assert found.tzinfo is not None
    return found


@pytest.mark.parametrize(
    ("tz", "day_before", "offset_before", "offset_after"),
    [
        (BERLIN, datetime(2026, 3, 28, 9, 0), timedelta(hours=1), timedelta(hours=2)),  # spring forward
        (BERLIN, datetime(2026, 10, 24, 9, 0), timedelta(hours=2), timedelta(hours=1)),  # fall back
        (NEW_YORK, datetime(2026, 3, 7, 9, 0), timedelta(hours=-5), timedelta(hours=-4)),  # spring forward
        (NEW_YORK, datetime(2026, 10, 31, 9, 0), timedelta(hours=-4), timedelta(hours=-5)),  # fall back
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_daily_keeps_its_wall_time_across_dst(
    tz: ZoneInfo, day_before: datetime, offset_before: timedelta, offset_after: timedelta
) -> None:
    anchor = day_before.replace(tzinfo=tz)
    assert anchor.utcoffset() == offset_before
    found = _next("FREQ=DAILY", anchor, anchor, tz)
    assert found.replace(tzinfo=None) == day_before + timedelta(days=1)  # 09:00 local again
    assert found.utcoffset() == offset_after
    elapsed = found.astimezone(UTC) - anchor.astimezone(UTC)
    assert elapsed == timedelta(days=1) - (offset_after - offset_before)  # 23 or 25 real hours


def test_weekly_keeps_its_wall_time_across_dst() -> None:
    anchor = datetime(2026, 3, 22, 9, 0, tzinfo=BERLIN)
    found = _next("FREQ=WEEKLY", anchor, anchor, BERLIN)
    assert found.astimezone(UTC) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_after_is_an_instant_whatever_its_zone() -> None:
    anchor = datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)
    after = datetime(2026, 3, 12, 13, 59, tzinfo=UTC)  # 09:59 EDT on Thursday 12 March: that 9:00 has passed
    assert _next("FREQ=DAILY", anchor, after, NEW_YORK).astimezone(UTC) == datetime(2026, 3, 13, 13, 0, tzinfo=UTC)
    after = datetime(2026, 3, 12, 12, 59, tzinfo=UTC)  # 08:59 EDT: 9:00 is still ahead
    assert _next("FREQ=DAILY", anchor, after, NEW_YORK).astimezone(UTC) == datetime(2026, 3, 12, 13, 0, tzinfo=UTC)


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    anchor = datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN)
    in_gap = _next("FREQ=DAILY", anchor, anchor, BERLIN)
    assert in_gap.replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    assert in_gap.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # the series itself keeps 02:30: the day after is 02:30 again
    following = _next("FREQ=DAILY", anchor, in_gap, BERLIN)
    assert following.replace(tzinfo=None) == datetime(2026, 3, 30, 2, 30)


def test_new_york_gap() -> None:
    anchor = datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK)
    in_gap = _next("FREQ=DAILY", anchor, anchor, NEW_YORK)
    assert in_gap.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_fall_back_overlap_takes_the_first_instant() -> None:
    anchor = datetime(2026, 10, 24, 2, 30, tzinfo=BERLIN)
    found = _next("FREQ=DAILY", anchor, anchor, BERLIN)
    assert found.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first one


def test_monthly_instant_clamps_to_month_end_in_local_time() -> None:
    anchor = datetime(2026, 1, 31, 23, 30, tzinfo=BERLIN)  # already Feb 1 in Auckland, Jan 31 22:30 in UTC
    found = _next("FREQ=MONTHLY", anchor, anchor, BERLIN)
    assert found.replace(tzinfo=None) == datetime(2026, 2, 28, 23, 30)
    again = _next("FREQ=MONTHLY", anchor, found, BERLIN)
    assert again.replace(tzinfo=None) == datetime(2026, 3, 31, 23, 30)
    assert again.utcoffset() == timedelta(hours=2)


def test_ended_timed_series_is_none() -> None:
    anchor = datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)
    assert recurrence.next_due_instant("FREQ=DAILY;COUNT=1", anchor=anchor, after=anchor, tz=BERLIN) is None


def test_to_instant() -> None:
    assert recurrence.to_instant(datetime(2026, 3, 29, 2, 15), BERLIN).astimezone(UTC) == datetime(
        2026, 3, 29, 1, 15, tzinfo=UTC
    )
    assert recurrence.to_instant(datetime(2026, 7, 1, 12, 0), BERLIN).utcoffset() == timedelta(hours=2)


# --- describe ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("FREQ=DAILY", "every day"),
        ("FREQ=DAILY;INTERVAL=3", "every 3 days"),
        ("FREQ=WEEKLY", "every week"),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=WEEKLY;BYDAY=MO", "every week on Mon"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "every week on Mon, Thu"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "every 2 weeks on Mon"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("FREQ=MONTHLY", "every month"),
        ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "every month on day 15"),
        ("FREQ=YEARLY", "every year"),
        ("FREQ=YEARLY;INTERVAL=2", "every 2 years"),
    ],
)
def test_describe(rule: str, text: str) -> None:
    assert recurrence.describe(rule) == text
