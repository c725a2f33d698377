"""When the local scheduler considers a schedule due (one-time ``at`` and daily ``cron`` in a time zone)."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.local.scheduler import due_at


def test_at_is_due_from_its_instant_in_its_zone() -> None:
    detail = {"ScheduleExpression": "at(2026-07-01T09:30:00)", "ScheduleExpressionTimezone": "Europe/Berlin"}
    assert due_at(detail, now=datetime(2026, 7, 1, 7, 29, tzinfo=UTC), last=None) is None
    assert due_at(detail, now=datetime(2026, 7, 1, 7, 30, tzinfo=UTC), last=None) == datetime(
        2026, 7, 1, 7, 30, tzinfo=UTC
    )


def test_daily_cron_fires_once_per_occurrence_after_creation() -> None:
    created = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Berlin, after today's 08:00
    detail = {
        "ScheduleExpression": "cron(0 8 * * ? *)",
        "ScheduleExpressionTimezone": "Europe/Berlin",
        "CreationDate": created,
    }
    assert due_at(detail, now=datetime(2026, 7, 1, 20, 0, tzinfo=UTC), last=None) is None  # today's was before
    tomorrow_8 = datetime(2026, 7, 2, 6, 0, tzinfo=UTC)
    assert due_at(detail, now=datetime(2026, 7, 2, 6, 0, 5, tzinfo=UTC), last=None) == tomorrow_8
    assert due_at(detail, now=datetime(2026, 7, 2, 9, 0, tzinfo=UTC), last=tomorrow_8) is None  # fired already
    # in winter 08:00 Berlin is 07:00 UTC
    assert due_at(detail, now=datetime(2026, 12, 1, 7, 0, tzinfo=UTC), last=tomorrow_8) == datetime(
        2026, 12, 1, 7, 0, tzinfo=UTC
    )


def test_other_expressions_never_fire() -> None:
    assert due_at({"ScheduleExpression": "rate(5 minutes)"}, now=datetime.now(UTC), last=None) is None
