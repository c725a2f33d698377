"""Quick add: one line of natural language → task fields. Pure, fixed clocks, no AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.domain.quick_add import Chip, QuickAddResult, parse

BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
NEW_YORK = ZoneInfo("America/New_York")

# The reference moment: Wednesday 11 March 2026, 10:00 in Berlin (well away from any DST change).
WED = datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN)
WEEKDAYS = "MO,TU,WE,TH,FR"


@dataclass(frozen=True)
class Expected:
    title: str
    due_date: date | None = None
    due_time: time | None = None
    recurrence: str | None = None
    priority: int | None = None
    project: str | None = None
    labels: list[str] = field(default_factory=list)
    section: str | None = None


def case(text: str, expected: Expected, *, now: datetime = WED, tz: ZoneInfo = BERLIN, id: str) -> Any:
    return pytest.param(text, now, tz, expected, id=id)


CASES = [
    # --- dates ---------------------------------------------------------------------------------
    case("Buy milk tomorrow 5pm", Expected("Buy milk", date(2026, 3, 12), time(17)), id="tomorrow-5pm"),
    case("call tmr", Expected("call", date(2026, 3, 12)), id="tmr"),
    case("TOMORROW 9AM standup", Expected("standup", date(2026, 3, 12), time(9)), id="upper-case"),
    case("Pay today", Expected("Pay", date(2026, 3, 11)), id="today"),
    case("Pay on fri", Expected("Pay", date(2026, 3, 13)), id="on-weekday"),
    # today is a Wednesday: a bare weekday means the next one, a week away
    case("Call mom wed", Expected("Call mom", date(2026, 3, 18)), id="bare-weekday-is-today"),
    case("Call mom wednesday", Expected("Call mom", date(2026, 3, 18)), id="bare-weekday-long-is-today"),
    case("Sync sun", Expected("Sync", date(2026, 3, 15)), id="bare-weekday-this-week"),
    case("Call mom next fri", Expected("Call mom", date(2026, 3, 20)), id="next-fri"),
    case("Plan next week", Expected("Plan", date(2026, 3, 16)), id="next-week"),
    case("Plan next month", Expected("Plan", date(2026, 4, 1)), id="next-month"),
    case("Report eom", Expected("Report", date(2026, 3, 31)), id="eom"),
    case("Report end of month", Expected("Report", date(2026, 3, 31)), id="end-of-month"),
    case("Water in 3 days", Expected("Water", date(2026, 3, 14)), id="in-3-days"),
    case("Dentist in 2 weeks", Expected("Dentist", date(2026, 3, 25)), id="in-2-weeks"),
    case("Gift 2026-12-24", Expected("Gift", date(2026, 12, 24)), id="iso-date"),
    case("Gift 24 dec", Expected("Gift", date(2026, 12, 24)), id="day-month"),
    case("Do taxes dec 24", Expected("Do taxes", date(2026, 12, 24)), id="month-day"),
    case("Gift december 24th 2027", Expected("Gift", date(2027, 12, 24)), id="month-day-year"),
    case("Leap Feb 29 2028", Expected("Leap", date(2028, 2, 29)), id="feb-29-leap-year"),
    # words that look like dates but are not: they stay in the title
    case("Read tomorrow's paper", Expected("Read tomorrow's paper"), id="tomorrows-stays"),
    case("Pay rent Feb 30", Expected("Pay rent Feb 30"), id="feb-30-stays"),
    case("Feb 29", Expected("Feb 29"), id="feb-29-non-leap-stays"),
    case("Review 2026-02-30", Expected("Review 2026-02-30"), id="iso-invalid-stays"),
    case('Book "next monday" flight', Expected('Book "next monday" flight'), id="quoted-not-parsed"),
    case('"Buy milk tomorrow"', Expected("Buy milk tomorrow"), id="fully-quoted-title"),
    case('Buy milk "p1" p2', Expected('Buy milk "p1"', priority=2), id="quoted-priority-not-parsed"),
    case("Weekly review", Expected("Weekly review"), id="weekly-review-is-a-title"),
    case("daily standup", Expected("daily standup"), id="daily-is-a-title"),
    # --- times -----------------------------------------------------------------------------------
    case("Gym at 5", Expected("Gym", date(2026, 3, 12), time(5)), id="at-5-is-0500-tomorrow"),
    case("Gym at 17", Expected("Gym", date(2026, 3, 11), time(17)), id="at-17-today"),
    case("Meet at 17:30", Expected("Meet", date(2026, 3, 11), time(17, 30)), id="at-17-30"),
    case("standup 5:30 pm", Expected("standup", date(2026, 3, 11), time(17, 30)), id="5-30-pm"),
    case("lunch noon", Expected("lunch", date(2026, 3, 11), time(12)), id="noon"),
    case("party tonight", Expected("party", date(2026, 3, 11), time(20)), id="tonight"),
    case("report morning", Expected("report", date(2026, 3, 12), time(9)), id="morning-already-past"),
    case("sync midnight", Expected("sync", date(2026, 3, 12), time(0)), id="midnight"),
    case("call tomorrow at noon", Expected("call", date(2026, 3, 12), time(12)), id="tomorrow-at-noon"),
    case("call in an hour", Expected("call", date(2026, 3, 11), time(11)), id="in-an-hour"),
    case("call in 90 minutes", Expected("call", date(2026, 3, 11), time(11, 30)), id="in-90-minutes"),
    case("13pm", Expected("13pm"), id="13pm-not-a-time"),
    case("Meet at 25", Expected("Meet at 25"), id="at-25-not-a-time"),
    # --- recurrence ------------------------------------------------------------------------------
    case(
        "Weekly review every friday",
        Expected("Weekly review", date(2026, 3, 13), recurrence="FREQ=WEEKLY;BYDAY=FR"),
        id="weekly-review-every-friday",
    ),
    case(
        "every monday standup",
        Expected("standup", date(2026, 3, 16), recurrence="FREQ=WEEKLY;BYDAY=MO"),
        id="every-monday",
    ),
    case(
        "every mon and thu at 8am gym",
        Expected("gym", date(2026, 3, 12), time(8), recurrence="FREQ=WEEKLY;BYDAY=MO,TH"),
        id="every-mon-and-thu-8am",
    ),
    case(
        "Class every fri, mon & wed",
        Expected("Class", date(2026, 3, 11), recurrence="FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        id="every-three-days-sorted",
    ),
    case(
        "every 2 weeks water plants",
        Expected("water plants", date(2026, 3, 11), recurrence="FREQ=WEEKLY;INTERVAL=2"),
        id="every-2-weeks",
    ),
    case(
        "every last day of month pay rent",
        Expected("pay rent", date(2026, 3, 31), recurrence="FREQ=MONTHLY;BYMONTHDAY=-1"),
        id="every-last-day-of-month",
    ),
    case(
        "every 15th invoice",
        Expected("invoice", date(2026, 3, 15), recurrence="FREQ=MONTHLY;BYMONTHDAY=15"),
        id="every-15th",
    ),
    case(
        "every weekday standup",
        Expected("standup", date(2026, 3, 11), recurrence=f"FREQ=WEEKLY;BYDAY={WEEKDAYS}"),
        id="every-weekday",
    ),
    case("every day meditate", Expected("meditate", date(2026, 3, 11), recurrence="FREQ=DAILY"), id="every-day"),
    case(
        "every 3 months review",
        Expected("review", date(2026, 3, 11), recurrence="FREQ=MONTHLY;INTERVAL=3"),
        id="every-3-months",
    ),
    case(
        "every year birthday mar 5",
        Expected("birthday", date(2027, 3, 5), recurrence="FREQ=YEARLY"),
        id="every-year-with-start-date",
    ),
    case("every 32nd", Expected("every 32nd"), id="every-32nd-not-a-rule"),
    # --- priority, project, labels ---------------------------------------------------------------
    case(
        "Email bob p1 #Work @urgent @email",
        Expected("Email bob", priority=1, project="Work", labels=["urgent", "email"]),
        id="tags",
    ),
    case("ship it p5", Expected("ship it p5"), id="p5-not-a-priority"),
    case("email a@b.com", Expected("email a@b.com"), id="email-address-not-a-label"),
    case("Plan #Home #Work", Expected("Plan #Work", project="Home"), id="first-project-wins"),
    case("Tidy @home @Home @garden", Expected("Tidy", labels=["home", "garden"]), id="labels-deduplicated"),
    case(
        "fix bug #proj-x @home.office p3",
        Expected("fix bug", priority=3, project="proj-x", labels=["home.office"]),
        id="project-and-label-punctuation",
    ),
    # --- calendar edges --------------------------------------------------------------------------
    case(
        "Party dec 24",
        Expected("Party", date(2027, 12, 24)),
        now=datetime(2026, 12, 25, 9, 0, tzinfo=BERLIN),
        id="dec-24-typed-on-dec-25-is-next-year",
    ),
    case(
        "Party dec 25",
        Expected("Party", date(2026, 12, 25)),
        now=datetime(2026, 12, 25, 9, 0, tzinfo=BERLIN),
        id="dec-25-typed-on-dec-25-is-today",
    ),
    case(
        "Toast in 2 hours",
        Expected("Toast", date(2027, 1, 1), time(1, 15)),
        now=datetime(2026, 12, 31, 23, 15, tzinfo=BERLIN),
        id="in-2-hours-across-midnight-and-new-year",
    ),
    case(
        "Renew in 1 month",
        Expected("Renew", date(2026, 2, 28)),
        now=datetime(2026, 1, 31, 9, 0, tzinfo=BERLIN),
        id="in-1-month-clamps-to-month-end",
    ),
    case(
        "Report eom",
        Expected("Report", date(2028, 2, 29)),
        now=datetime(2028, 2, 3, 9, 0, tzinfo=BERLIN),
        id="eom-in-leap-february",
    ),
    case(
        "every last day of month",
        Expected("", date(2026, 2, 28), recurrence="FREQ=MONTHLY;BYMONTHDAY=-1"),
        now=datetime(2026, 2, 10, 9, 0, tzinfo=BERLIN),
        id="every-last-day-in-february",
    ),
    case(
        "every monday",
        Expected("", date(2026, 3, 9), recurrence="FREQ=WEEKLY;BYDAY=MO"),
        now=datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN),
        id="every-monday-typed-on-a-monday-starts-today",
    ),
    case(
        "Backup every 15th",
        Expected("Backup", date(2026, 3, 15), recurrence="FREQ=MONTHLY;BYMONTHDAY=15"),
        now=datetime(2026, 2, 16, 9, 0, tzinfo=BERLIN),
        id="every-15th-already-past-this-month",
    ),
    # --- issue 14: monthly rules, numeric dates in the user's order, quarters, sections -----------
    case(
        "Pay rent every month on the 1st",
        Expected("Pay rent", date(2026, 4, 1), recurrence="FREQ=MONTHLY;BYMONTHDAY=1"),
        id="every-month-on-the-1st",
    ),
    case(
        "Invoice every 15th of the month",
        Expected("Invoice", date(2026, 3, 15), recurrence="FREQ=MONTHLY;BYMONTHDAY=15"),
        id="every-15th-of-the-month",
    ),
    case(
        "Retro every last friday",
        Expected("Retro", date(2026, 3, 27), recurrence="FREQ=MONTHLY;BYDAY=-1FR"),
        id="every-last-friday",
    ),
    case(
        "Board every 2nd tuesday of the month",
        Expected("Board", date(2026, 4, 14), recurrence="FREQ=MONTHLY;BYDAY=2TU"),
        id="every-2nd-tuesday-of-the-month",
    ),
    case("Gift 24/12", Expected("Gift", date(2026, 12, 24)), id="numeric-day-first-in-berlin"),
    case("Gift 24.12.", Expected("Gift", date(2026, 12, 24)), id="numeric-day-first-with-dots"),
    case("Gift 1/3", Expected("Gift", date(2027, 3, 1)), id="numeric-without-year-is-the-next-one"),
    case("Gift 24/12/27", Expected("Gift", date(2027, 12, 24)), id="numeric-two-digit-year"),
    case("Gift 2026/12/24", Expected("Gift", date(2026, 12, 24)), id="numeric-year-first-always"),
    case("Gift 12/24", Expected("Gift", date(2026, 12, 24)), tz=NEW_YORK, id="numeric-month-first-in-new-york"),
    case("Gift 24/12", Expected("Gift 24/12"), tz=NEW_YORK, id="numeric-not-a-date-in-month-first-stays"),
    case("Read 1.5 pages", Expected("Read 1.5 pages"), id="decimal-number-stays"),
    case("Plan next quarter", Expected("Plan", date(2026, 4, 1)), id="next-quarter"),
    case(
        "Plan next quarter",
        Expected("Plan", date(2027, 1, 1)),
        now=datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN),
        id="next-quarter-in-q4-is-next-year",
    ),
    case("Triage /Doing #Work", Expected("Triage", project="Work", section="Doing"), id="section"),
    case("this and/or that", Expected("this and/or that"), id="slash-in-a-word-is-no-section"),
    # a UTC instant given for a user elsewhere: parsing happens on the user's own calendar
    case(
        "call tomorrow",
        Expected("call", date(2026, 6, 16)),
        now=datetime(2026, 6, 15, 23, 30, tzinfo=UTC),
        tz=ZoneInfo("UTC"),
        id="utc-user",
    ),
    case(
        "call tomorrow",
        Expected("call", date(2026, 6, 17)),
        now=datetime(2026, 6, 15, 23, 30, tzinfo=UTC),
        tz=BERLIN,
        id="utc-instant-for-berlin-user-is-already-tuesday",
    ),
]


@pytest.mark.parametrize(("text", "now", "tz", "expected"), CASES)
def test_phrase(text: str, now: datetime, tz: ZoneInfo, expected: Expected) -> None:
    result = parse(text, now=now, tz=tz)
    got = Expected(
        title=result.title,
        due_date=result.due_date,
        due_time=result.due_time,
        recurrence=result.recurrence,
        priority=result.priority,
        project=result.project,
        labels=result.labels,
        section=result.section,
    )
    assert got == expected


def test_there_are_at_least_forty_phrases() -> None:
    assert len(CASES) >= 40


# --- time zones ----------------------------------------------------------------------------------
def test_same_instant_gives_a_different_tomorrow_in_berlin_and_auckland() -> None:
    instant = datetime(2026, 6, 15, 13, 30, tzinfo=UTC)  # Berlin: Mon 15:30; Auckland: Tue 01:30
    berlin = parse("call tomorrow", now=instant, tz=BERLIN)
    auckland = parse("call tomorrow", now=instant, tz=AUCKLAND)
    assert berlin.due_date == date(2026, 6, 16)
    assert auckland.due_date == date(2026, 6, 17)


def test_time_without_date_is_today_or_tomorrow_in_the_users_zone() -> None:
    instant = datetime(2026, 6, 15, 11, 0, tzinfo=UTC)  # Berlin: 13:00, 14:00 is ahead; Auckland: 23:00, it passed
    assert parse("at 14:00", now=instant, tz=BERLIN).due_date == date(2026, 6, 15)
    assert parse("at 14:00", now=instant, tz=AUCKLAND).due_date == date(2026, 6, 16)


def test_bare_weekday_follows_the_users_calendar() -> None:
    instant = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)  # Tue 23:00 in Berlin, already Wed 11:00 in Auckland
    assert parse("wed", now=instant, tz=BERLIN).due_date == date(2026, 3, 11)
    assert parse("wed", now=instant, tz=AUCKLAND).due_date == date(2026, 3, 18)


# --- DST: due_at turns the floating wall time into an instant ------------------------------------
def test_due_at_in_the_spring_forward_gap_moves_forward() -> None:
    # Europe/Berlin: clocks jump 02:00 → 03:00 on the last Sunday of March (29 March 2026)
    result = parse("sun 2:30", now=datetime(2026, 3, 26, 9, 0, tzinfo=BERLIN), tz=BERLIN)
    assert (result.due_date, result.due_time) == (date(2026, 3, 29), time(2, 30))
    due = result.due_at(BERLIN)
    assert due is not None
    assert (due.hour, due.minute) == (3, 30)
    assert due.utcoffset() == timedelta(hours=2)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_due_at_in_the_fall_back_overlap_is_the_first_of_the_two() -> None:
    # Europe/Berlin: 02:00-03:00 happens twice on the last Sunday of October (25 October 2026)
    result = parse("sun 2:30", now=datetime(2026, 10, 20, 9, 0, tzinfo=BERLIN), tz=BERLIN)
    assert (result.due_date, result.due_time) == (date(2026, 10, 25), time(2, 30))
    due = result.due_at(BERLIN)
    assert due is not None
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still summer time (+02:00)


def test_due_at_after_fall_back_uses_winter_time() -> None:
    result = parse("sun 9am", now=datetime(2026, 10, 20, 9, 0, tzinfo=BERLIN), tz=BERLIN)
    due = result.due_at(BERLIN)
    assert due is not None
    assert due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_due_at_in_new_york_gap() -> None:
    # America/New_York springs forward on the second Sunday of March (8 March 2026)
    result = parse("sun 2:30am", now=datetime(2026, 3, 5, 9, 0, tzinfo=NEW_YORK), tz=NEW_YORK)
    assert result.due_date == date(2026, 3, 8)
    due = result.due_at(NEW_YORK)
    assert due is not None
    assert due.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_the_same_wall_time_is_a_different_instant_across_the_dst_change() -> None:
    before = parse("sat 9am", now=datetime(2026, 3, 26, 9, 0, tzinfo=BERLIN), tz=BERLIN).due_at(BERLIN)
    after = parse("mon 9am", now=datetime(2026, 3, 26, 9, 0, tzinfo=BERLIN), tz=BERLIN).due_at(BERLIN)
    assert before is not None
    assert after is not None
    assert before.astimezone(UTC).hour == 8
    assert after.astimezone(UTC).hour == 7
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(days=2, hours=-1)


def test_due_at_needs_a_date_and_a_time() -> None:
    assert parse("Buy milk tomorrow", now=WED, tz=BERLIN).due_at(BERLIN) is None
    assert parse("Buy milk", now=WED, tz=BERLIN).due_at(BERLIN) is None
    assert QuickAddResult(title="x", due_time=time(9)).due_at(BERLIN) is None


# --- chips: what the UI shows before saving ------------------------------------------------------
def test_chips_name_every_recognised_piece() -> None:
    result = parse("Water plants every 2 weeks at 8am p2 #Home @garden @weekend", now=WED, tz=BERLIN)
    assert result.title == "Water plants"
    assert sorted(result.chips, key=lambda c: (c.kind, c.text)) == [
        Chip("label", "@garden", "garden"),
        Chip("label", "@weekend", "weekend"),
        Chip("priority", "p2", "Priority 2"),
        Chip("project", "#Home", "Home"),
        Chip("recurrence", "every 2 weeks", "every 2 weeks"),
        Chip("time", "at 8am", "08:00"),
    ]


def test_date_chip_shows_the_resolved_day() -> None:
    result = parse("Buy milk tomorrow 5pm", now=WED, tz=BERLIN)
    assert Chip("due", "tomorrow", "Thu Mar 12") in result.chips
    assert Chip("time", "5pm", "17:00") in result.chips
    assert len(result.chips) == 2


def test_date_chip_names_the_year_when_it_is_not_this_year() -> None:
    result = parse("Party dec 24", now=datetime(2026, 12, 25, 9, 0, tzinfo=BERLIN), tz=BERLIN)
    assert result.chips == [Chip("due", "dec 24", "Fri Dec 24 2027")]


def test_relative_time_chip_shows_day_and_time() -> None:
    result = parse("Toast in 2 hours", now=datetime(2026, 12, 31, 23, 15, tzinfo=BERLIN), tz=BERLIN)
    assert result.chips == [Chip("due", "in 2 hours", "Fri Jan 1 2027 01:15")]


def test_recurrence_chips_describe_the_rule() -> None:
    chips = {
        text: parse(text, now=WED, tz=BERLIN).chips
        for text in ("every monday", "every mon and thu", "every last day of month", "every 15th", "every weekday")
    }
    assert chips == {
        "every monday": [Chip("recurrence", "every monday", "every week on Mon")],
        "every mon and thu": [Chip("recurrence", "every mon and thu", "every week on Mon, Thu")],
        "every last day of month": [Chip("recurrence", "every last day of month", "every month on the last day")],
        "every 15th": [Chip("recurrence", "every 15th", "every month on day 15")],
        "every weekday": [Chip("recurrence", "every weekday", "every weekday")],
    }


def test_nothing_recognised_means_no_chips_and_the_line_as_title() -> None:
    result = parse("  Weekly   review  ", now=WED, tz=BERLIN)
    assert result == QuickAddResult(title="Weekly review")


# --- issue 14: the date order, a past date ---------------------------------------------------------
def test_the_profiles_date_order_overrides_the_time_zones() -> None:
    assert parse("x 12/24", now=WED, tz=BERLIN, date_order="MDY").due_date == date(2026, 12, 24)
    assert parse("x 3/4", now=WED, tz=BERLIN, date_order="DMY").due_date == date(2026, 4, 3)
    assert parse("x 3/4", now=WED, tz=BERLIN, date_order="MDY").due_date == date(2027, 3, 4)
    assert parse("x 26/3/4", now=WED, tz=BERLIN, date_order="YMD").due_date == date(2026, 3, 4)


def test_the_default_date_order_follows_the_time_zone() -> None:
    from backend.domain.quick_add import default_date_order

    orders = {z: default_date_order(z) for z in ("America/Chicago", "US/Pacific", "Europe/Berlin", "Asia/Tokyo", None)}
    assert orders == {
        "America/Chicago": "MDY",
        "US/Pacific": "MDY",
        "Europe/Berlin": "DMY",
        "Asia/Tokyo": "YMD",
        None: "DMY",
    }


def test_a_past_date_is_kept_with_a_warning() -> None:
    result = parse("Tax return 2025-05-31", now=WED, tz=BERLIN)
    assert (result.title, result.due_date) == ("Tax return", date(2025, 5, 31))
    assert result.warnings == ["Sat May 31 2025 is in the past"]
    assert parse("Tax return 31/5/2025", now=WED, tz=BERLIN).warnings == ["Sat May 31 2025 is in the past"]
    assert parse("Tax return may 31", now=WED, tz=BERLIN).warnings == []  # no year: the next May 31
