"""Reminder timing across time zones and DST, quiet hours, snoozes, SMS length, schedule names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from backend.domain import schedules
from backend.domain.reminders import (
    QuietHours,
    Reminder,
    deliver_at,
    describe,
    reminder_instant,
    sms_text,
    snooze_until,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_minutes_before_in_different_zones() -> None:
    r = Reminder(id="a", minutes_before=30)
    day, at = date(2026, 7, 1), time(9, 0)
    assert reminder_instant(r, due_date=day, due_time=at, tz=BERLIN) == utc(2026, 7, 1, 6, 30)  # CEST = UTC+2
    assert reminder_instant(r, due_date=day, due_time=at, tz=NEW_YORK) == utc(2026, 7, 1, 12, 30)  # EDT = UTC-4
    assert reminder_instant(r, due_date=day, due_time=at, tz=TOKYO) == utc(2026, 6, 30, 23, 30)  # JST, a day before


def test_minutes_before_counts_real_minutes_across_spring_forward() -> None:
    # Berlin 2026-03-29: 02:00 -> 03:00. 60 min before 03:30 CEST (01:30 UTC) is 00:30 UTC = 01:30 CET.
    r = Reminder(id="a", minutes_before=60)
    instant = reminder_instant(r, due_date=date(2026, 3, 29), due_time=time(3, 30), tz=BERLIN)
    assert instant == utc(2026, 3, 29, 0, 30)
    assert instant is not None
    assert instant.astimezone(BERLIN).time() == time(1, 30)


def test_day_before_at_nine_stays_nine_across_dst() -> None:
    # Due Monday after the fall-back night (Berlin 2026-10-25 03:00 -> 02:00): "1 day before at 9:00" is Sunday
    # 09:00 CET (UTC+1), while a week earlier the same reminder is 09:00 CEST (UTC+2).
    r = Reminder(id="b", days_before=1, time=time(9, 0))
    assert reminder_instant(r, due_date=date(2026, 10, 26), due_time=None, tz=BERLIN) == utc(2026, 10, 25, 8, 0)
    assert reminder_instant(r, due_date=date(2026, 10, 19), due_time=None, tz=BERLIN) == utc(2026, 10, 18, 7, 0)
    # New York changes a week later (2026-11-01): EDT (UTC-4) -> EST (UTC-5)
    assert reminder_instant(r, due_date=date(2026, 11, 2), due_time=None, tz=NEW_YORK) == utc(2026, 11, 1, 14, 0)
    assert reminder_instant(r, due_date=date(2026, 10, 26), due_time=None, tz=NEW_YORK) == utc(2026, 10, 25, 13, 0)


def test_wall_time_in_spring_forward_gap_moves_forward() -> None:
    r = Reminder(id="c", days_before=0, time=time(2, 30))  # 02:30 does not exist in Berlin on 2026-03-29
    instant = reminder_instant(r, due_date=date(2026, 3, 29), due_time=None, tz=BERLIN)
    assert instant == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_absolute_reminder_ignores_due_and_zone() -> None:
    at = datetime(2026, 12, 24, 18, 0, tzinfo=NEW_YORK)
    r = Reminder(id="d", at=at)
    assert reminder_instant(r, due_date=None, due_time=None, tz=TOKYO) == utc(2026, 12, 24, 23, 0)


def test_relative_reminders_need_a_due() -> None:
    assert reminder_instant(Reminder(id="e", minutes_before=5), due_date=None, due_time=None, tz=BERLIN) is None
    # minutes before a date-only task: no instant (the API refuses it; the sync skips it)
    assert (
        reminder_instant(Reminder(id="e", minutes_before=5), due_date=date(2026, 1, 1), due_time=None, tz=BERLIN)
        is None
    )


QUIET = QuietHours(start=time(22, 0), end=time(7, 0))


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (datetime(2026, 7, 1, 21, 59), datetime(2026, 7, 1, 21, 59)),  # before: unchanged
        (datetime(2026, 7, 1, 22, 0), datetime(2026, 7, 2, 7, 0)),  # start: next morning
        (datetime(2026, 7, 1, 23, 30), datetime(2026, 7, 2, 7, 0)),
        (datetime(2026, 7, 2, 3, 0), datetime(2026, 7, 2, 7, 0)),  # after midnight: the same morning
        (datetime(2026, 7, 2, 7, 0), datetime(2026, 7, 2, 7, 0)),  # end is free again
    ],
)
def test_quiet_hours_wrapping_midnight(local: datetime, expected_local: datetime) -> None:
    instant = local.replace(tzinfo=BERLIN).astimezone(UTC)
    assert deliver_at(instant, tz=BERLIN, quiet=QUIET) == expected_local.replace(tzinfo=BERLIN).astimezone(UTC)


def test_quiet_hours_same_day_window_and_none() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(13, 0))
    instant = datetime(2026, 7, 1, 12, 15, tzinfo=TOKYO)
    assert deliver_at(instant, tz=TOKYO, quiet=lunch) == datetime(2026, 7, 1, 13, 0, tzinfo=TOKYO)
    assert deliver_at(instant, tz=TOKYO, quiet=None) == instant
    assert not QuietHours(start=time(8, 0), end=time(8, 0)).contains(time(8, 0))


def test_quiet_hours_end_across_fall_back() -> None:
    # The night Berlin falls back (2026-10-25): 23:00 CEST on the 24th -> 07:00 CET on the 25th, 9 real hours.
    instant = datetime(2026, 10, 24, 23, 0, tzinfo=BERLIN)
    shifted = deliver_at(instant.astimezone(UTC), tz=BERLIN, quiet=QUIET)
    assert shifted == utc(2026, 10, 25, 6, 0)
    assert (shifted - instant).total_seconds() == 9 * 3600


def test_snooze_choices() -> None:
    now = utc(2026, 7, 1, 20, 0)  # 22:00 in Berlin
    assert snooze_until("10m", now=now, tz=BERLIN) == utc(2026, 7, 1, 20, 10)
    assert snooze_until("1h", now=now, tz=BERLIN) == utc(2026, 7, 1, 21, 0)
    assert snooze_until("tomorrow", now=now, tz=BERLIN) == utc(2026, 7, 2, 7, 0)  # 09:00 CEST
    assert snooze_until("tomorrow", now=utc(2026, 7, 1, 23, 0), tz=BERLIN) == utc(2026, 7, 3, 7, 0)  # 01:00 local
    with pytest.raises(ValueError, match="unknown"):
        snooze_until("never", now=now, tz=BERLIN)


def test_sms_is_at_most_160_characters() -> None:
    text = sms_text("x" * 500, "today 09:00", "https://app.example/t/1")
    assert len(text) == 160
    assert text.endswith("(today 09:00) https://app.example/t/1")
    assert sms_text("Call Ann", "09:00") == "Reminder: Call Ann (09:00)"
    assert sms_text("Call\r\nAnn\x1b[2J", "09:00") == "Reminder: Call Ann [2J (09:00)"  # one line, no escapes


def test_describe() -> None:
    assert describe(Reminder(id="a", minutes_before=30), BERLIN) == "30 min before"
    assert describe(Reminder(id="a", minutes_before=120), BERLIN) == "2 hours before"
    assert describe(Reminder(id="a", minutes_before=1440), BERLIN) == "1 day before"
    assert describe(Reminder(id="a", minutes_before=0), BERLIN) == "at the due time"
    assert describe(Reminder(id="a", days_before=1, time=time(9, 0)), BERLIN) == "1 day before at 09:00"
    assert describe(Reminder(id="a", at=utc(2026, 12, 24, 8, 0)), BERLIN) == "on 2026-12-24 09:00"


def test_schedule_names_and_expressions() -> None:
    instant = utc(2026, 3, 29, 1, 30)
    assert schedules.at_expression(instant.astimezone(BERLIN)) == "at(2026-03-29T01:30:00)"
    assert schedules.parse_at("at(2026-03-29T01:30:00)") == instant
    assert schedules.parse_at("rate(5 minutes)") is None
    assert schedules.daily_cron(time(8, 5)) == "cron(5 8 * * ? *)"
    assert schedules.parse_daily_cron("cron(5 8 * * ? *)") == time(8, 5)
    name = schedules.reminder_name("01JDZ7Q9W5V3Y8X2K4M6N8P0R2", "a1b2c3d4")
    assert len(schedules.quiet_name(name)) <= schedules.MAX_NAME
    assert schedules.quiet_name(schedules.quiet_name(name)) == schedules.quiet_name(name)
    user = "0f8e9d7c-6b5a-4321-9876-abcdefabcdef"
    assert len(schedules.digest_name(user)) <= schedules.MAX_NAME
    first = schedules.notification_id(name, instant)
    assert first == schedules.notification_id(name, instant)  # deterministic: the idempotency key
    assert first != schedules.notification_id(name, utc(2026, 3, 30, 1, 30))
    assert len(first) <= 40
    assert first.startswith("20260329T013000Z-")
