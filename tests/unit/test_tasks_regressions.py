"""Regressions found while testing tasks: recurrence rules, series anchors, quick add across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.domain import recurrence
from backend.domain.quick_add import parse
from backend.domain.recurrence import InvalidRecurrenceError
from backend.domain.tasks import Status, Task, complete


def test_lowercase_rrule_prefix_is_accepted_like_every_other_part() -> None:
    assert recurrence.validate_rule("rrule:freq=daily") == "FREQ=DAILY", "the RRULE: prefix is case-sensitive"


@pytest.mark.parametrize(
    "rule", ["FREQ=MONTHLY;BYMONTHDAY=40", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"]
)
def test_a_rule_that_never_occurs_is_rejected(rule: str) -> None:
    with pytest.raises(InvalidRecurrenceError):
        recurrence.validate_rule(rule)


def test_duplicate_parts_are_rejected() -> None:
    with pytest.raises(InvalidRecurrenceError):
        recurrence.validate_rule("FREQ=DAILY;FREQ=WEEKLY")


def test_describe_keeps_the_ordinal_of_byday() -> None:
    assert recurrence.describe("FREQ=MONTHLY;BYDAY=-1FR") == "every month on last Fri"
    assert recurrence.describe("FREQ=MONTHLY;BYDAY=2TU") == "every month on 2nd Tue"


NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)


def _task(due: date, rule: str) -> Task:
    return Task(
        id="t",
        user_id="u",
        project_id="inbox",
        title="x",
        created_at=NOW,
        updated_at=NOW,
        due_date=due,
        recurrence=rule,
    )


def test_monthly_series_from_jan_31_does_not_drift_to_the_28th() -> None:
    task = _task(date(2026, 1, 31), "FREQ=MONTHLY")
    dates = []
    for _ in range(3):
        task = complete(task, now=NOW, today=date(2026, 1, 1))
        dates.append(task.due_date)
    assert dates == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)], f"the series drifted: {dates}"


def test_yearly_series_from_feb_29_comes_back_in_2028() -> None:
    task = _task(date(2024, 2, 29), "FREQ=YEARLY")
    for _ in range(4):
        task = complete(task, now=NOW, today=date(2024, 1, 1))
    assert task.due_date == date(2028, 2, 29), f"due {task.due_date}: the anchor moved to Feb 28"


def test_count_limited_series_ends() -> None:
    task = _task(date(2026, 3, 9), "FREQ=DAILY;COUNT=2")
    task = complete(task, now=NOW, today=date(2026, 3, 9))  # 9 → 10 (the second and last occurrence)
    task = complete(task, now=NOW, today=date(2026, 3, 9))
    assert task.status is Status.DONE, f"COUNT=2 restarted from the moved anchor: now due {task.due_date}"


BERLIN = ZoneInfo("Europe/Berlin")


def test_in_2_hours_across_spring_forward_is_two_real_hours() -> None:
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, clocks jump at 02:00
    due = parse("in 2 hours", now=now, tz=BERLIN).due_at(BERLIN)
    assert due is not None
    assert due.astimezone(UTC) == now.replace(hour=2, minute=30), f"'in 2 hours' is due at {due.astimezone(UTC)}"
