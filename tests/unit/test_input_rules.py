"""The pure rules behind issue 12's input findings: the app's calendar (1970-2100), one-line vs multi-line text,
and recurrence / reminders / quick add staying inside the calendar whatever is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from backend.domain import dates, quick_add, recurrence
from backend.domain.reminders import Reminder, reminder_instant
from backend.domain.tasks import Task, complete
from backend.errors import InvalidInputError
from backend.schemas import ProjectCreate, QuickAddParsed, SubtaskIn, TaskCreate
from backend.schemas_notifications import ReminderIn

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_the_calendar_is_1970_to_2100_for_dates_and_instants() -> None:
    assert all(dates.in_range(day) for day in (date(1970, 1, 1), date(2100, 12, 31), None))
    assert not any(dates.in_range(day) for day in (date(1969, 12, 31), date(2101, 1, 1)))
    # an instant near the year 1 on a positive offset would overflow if turned into UTC first
    assert not dates.in_range(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))


@pytest.mark.parametrize("title", ["a\nb", "a\tb", "\x00", "x\x7f", "x\x9f", "a\u2028b", "trailing\n"])
def test_one_line_fields_refuse_control_characters_even_at_the_ends(title: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        SubtaskIn(title=title)


def test_multi_line_notes_keep_line_breaks_and_tabs_only() -> None:
    assert TaskCreate(title="t", notes="a\r\n\tb\n").notes == "a\r\n\tb\n"
    with pytest.raises(ValidationError, match="control characters"):
        TaskCreate(title="t", notes="a\x1bb")


def test_emoji_sequences_are_not_control_characters() -> None:
    assert TaskCreate(title="family \U0001f468\u200d\U0001f469\u200d\U0001f467").title.startswith("family")


def test_dates_and_reminder_instants_outside_the_calendar_are_refused() -> None:
    with pytest.raises(ValidationError, match="between 1970-01-01 and 2100-12-31"):
        TaskCreate(title="t", start_date=date(1, 1, 1))
    with pytest.raises(ValidationError, match="between"):
        ReminderIn(at=datetime(2200, 1, 1, tzinfo=UTC))


def test_recurrence_until_must_be_in_the_calendar() -> None:
    with pytest.raises(recurrence.InvalidRecurrenceError, match="UNTIL"):
        recurrence.validate_rule("FREQ=DAILY;UNTIL=99991231")
    with pytest.raises(recurrence.InvalidRecurrenceError, match="UNTIL"):
        recurrence.validate_rule("FREQ=DAILY;UNTIL=tomorrow")
    assert recurrence.validate_rule("FREQ=DAILY;UNTIL=20301231") == "FREQ=DAILY;UNTIL=20301231"


def test_a_series_ends_at_the_end_of_the_calendar() -> None:
    assert recurrence.next_due_date("FREQ=YEARLY", anchor=date(2099, 6, 1), after=date(2099, 6, 1)) == date(2100, 6, 1)
    assert recurrence.next_due_date("FREQ=DAILY", anchor=date(2100, 12, 31), after=date(2100, 12, 31)) is None


def _task(due: date) -> Task:
    return Task(
        id="t", user_id="u", project_id="inbox", title="t", created_at=NOW, updated_at=NOW,
        due_date=due, recurrence="FREQ=DAILY", recurrence_anchor=due,
    )  # fmt: skip


def test_completing_a_series_stored_in_the_year_1_is_refused_without_walking() -> None:
    with pytest.raises(InvalidInputError) as caught:
        complete(_task(date(1, 1, 1)), now=NOW, today=NOW.date())
    assert "due_date" in caught.value.fields
    assert complete(_task(date(2100, 12, 31)), now=NOW, today=NOW.date()).status.value == "done"  # the series ends


def test_a_stored_due_date_in_the_year_1_has_no_reminder_instant() -> None:
    before = Reminder(id="r", days_before=1, time=time(9))
    assert reminder_instant(before, due_date=date(1, 1, 1), due_time=None, tz=ZoneInfo("Asia/Tokyo")) is None
    assert reminder_instant(before, due_date=date(2030, 1, 2), due_time=None, tz=ZoneInfo("UTC")) == datetime(
        2030, 1, 1, 9, tzinfo=UTC
    )


def test_quick_add_leaves_dates_beyond_the_calendar_in_the_title() -> None:
    parsed = quick_add.parse("launch in 999 years", now=NOW, tz=ZoneInfo("UTC"))
    assert parsed.due_date is None
    assert "999 years" in parsed.title


def test_quick_add_turns_a_pasted_tab_into_a_space_instead_of_failing() -> None:
    text = "buy\tmilk"
    parsed = QuickAddParsed.of(text, quick_add.parse(text, now=NOW, tz=ZoneInfo("UTC")), None)
    assert parsed.task.title == "buy milk"


def test_the_project_editor_shows_why_a_pasted_tab_is_refused() -> None:
    from taskmanager_pro.state.editors import _first_problem

    with pytest.raises(ValidationError) as caught:
        ProjectCreate(name="Home\tWork")
    assert _first_problem(caught.value) == "name: must be one line without control characters (no line breaks or tabs)"
