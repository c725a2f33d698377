"""The calendar (issue 14): a series' occurrences over a month view across a DST change
(``backend.domain.recurrence.occurrences``), and the layout of the week and month views (tasks → day cells and
time slots, ``taskmanager_pro/state/calendar.py``), plus what a drop or a slot id means. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ulid import ULID

from backend.domain.recurrence import occurrences, to_instant
from backend.domain.tasks import Status, Task
from backend.presenters import task_public
from backend.schemas import TaskPublic
from taskmanager_pro.state.calendar import (
    MONTH_CHIPS,
    entries,
    layout,
    parse_slot,
    step,
    title_of,
    visible_range,
)
from taskmanager_pro.state.drops import drop_target

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 10, 12, 0)  # Wednesday 10 March 2027, noon (local wall time)
TODAY = NOW.date()
BASE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
COLORS = {"inbox": "#808080", "P1": "#db4035", "RO": "#4073ff"}


def make(title: str = "Task", **fields: Any) -> TaskPublic:
    fields.setdefault("project_id", "inbox")
    task = Task(id=str(ULID()), user_id="u", title=title, created_at=BASE, updated_at=BASE, **fields)
    return task_public(task, NOW)


# --- occurrences over a month view across DST (Berlin springs forward on Sunday 28 March 2027) ---------------------
def test_a_daily_series_fills_the_month_view_at_the_same_wall_time_across_the_dst_change() -> None:
    start, end = visible_range("month", date(2027, 3, 1))  # Mon 1 March .. Sun 4 April
    assert (start, end) == (date(2027, 3, 1), date(2027, 4, 4))
    found = occurrences(
        "FREQ=DAILY",
        first=datetime(2027, 3, 10, 9, 0),
        start=datetime.combine(start, time()),
        end=datetime.combine(end, time.max),
        tz=BERLIN,
    )
    assert [when.date() for when in found] == [date(2027, 3, 10) + timedelta(days=i) for i in range(26)]
    assert {when.time() for when in found} == {time(9, 0)}  # 09:00 on both sides of the change
    utc_hours = {when.date(): to_instant(when, BERLIN).astimezone(UTC).hour for when in found}
    assert utc_hours[date(2027, 3, 27)] == 8
    assert utc_hours[date(2027, 3, 28)] == 7


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap_that_day_only() -> None:
    found = occurrences(
        "FREQ=DAILY",
        first=datetime(2027, 3, 27, 2, 30),
        start=datetime(2027, 3, 27),
        end=datetime(2027, 3, 29, 23, 59),
        tz=BERLIN,
    )
    assert found == [datetime(2027, 3, 27, 2, 30), datetime(2027, 3, 28, 3, 30), datetime(2027, 3, 29, 2, 30)]


def test_occurrences_start_inside_the_range_for_a_series_due_before_it_and_stop_at_its_end() -> None:
    weekly = occurrences(
        "FREQ=WEEKLY;BYDAY=MO,TH",
        first=datetime(2027, 1, 4, 8, 0),
        start=datetime(2027, 3, 1),
        end=datetime(2027, 3, 14, 23, 59),
    )
    assert [w.date() for w in weekly] == [date(2027, 3, d) for d in (1, 4, 8, 11)]
    monthly = occurrences(
        "FREQ=MONTHLY", first=datetime(2027, 1, 31), start=datetime(2027, 2, 1), end=datetime(2027, 4, 30)
    )
    assert [m.date() for m in monthly] == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]  # clamped
    assert occurrences(
        "FREQ=DAILY;COUNT=2", first=datetime(2027, 3, 1), start=datetime(2027, 3, 1), end=datetime(2027, 3, 31)
    ) == [
        datetime(2027, 3, 1),
        datetime(2027, 3, 2),
    ]


# --- the layout: tasks -> day cells and time slots ------------------------------------------------------------------
def test_the_week_layout_puts_all_day_tasks_on_top_timed_ones_by_time_and_marks_overdue() -> None:
    tasks = [
        make("Late lunch", due_date=date(2027, 3, 10), due_time=time(13, 30)),
        make("Standup", due_date=date(2027, 3, 10), due_time=time(9, 0)),  # before noon today: overdue
        make("Pay rent", due_date=date(2027, 3, 10), priority=1),
        make("Yesterday", due_date=date(2027, 3, 9)),
        make("Next week", due_date=date(2027, 3, 15)),
        make("Undated"),
        make("Done", due_date=date(2027, 3, 11), status=Status.DONE, completed_at=BASE),
    ]
    cells = layout(tasks, mode="week", anchor=TODAY, today=TODAY, now=NOW, colors=COLORS)
    assert [c.day for c in cells] == [(date(2027, 3, 8) + timedelta(days=i)).isoformat() for i in range(7)]
    wednesday = cells[2]
    assert wednesday.today
    assert not wednesday.past
    assert [c.title for c in wednesday.all_day] == ["Pay rent"]
    assert [(c.title, c.time_text, c.overdue) for c in wednesday.timed] == [
        ("Standup", "09:00", True),
        ("Late lunch", "13:30", False),
    ]
    standup = wednesday.timed[0]
    assert (standup.top, standup.height) == ("37.5%", "2.083%")  # 9/24 of the day, 30 minutes tall
    assert [(c.title, c.overdue) for c in cells[1].all_day] == [("Yesterday", True)]
    assert cells[1].past
    assert sum(c.count for c in cells) == 4  # not next week's, the undated one or the done one
    assert wednesday.all_day[0].color == COLORS["inbox"]
    assert wednesday.all_day[0].can_drag


def test_overlapping_timed_tasks_sit_side_by_side() -> None:
    tasks = [
        make("A", due_date=TODAY, due_time=time(15, 0)),
        make("B", due_date=TODAY, due_time=time(15, 15)),
        make("C", due_date=TODAY, due_time=time(16, 0)),  # after both: the full width again
    ]
    timed = layout(tasks, mode="week", anchor=TODAY, today=TODAY, now=NOW, colors=COLORS)[2].timed
    assert [(c.title, c.left, c.width) for c in timed] == [
        ("A", "0.0%", "50.0%"),
        ("B", "50.0%", "50.0%"),
        ("C", "0.0%", "100.0%"),
    ]


def test_the_month_layout_shows_whole_weeks_a_few_chips_per_day_and_future_occurrences() -> None:
    busy = [make(f"Task {i}", due_date=date(2027, 3, 12), due_time=time(8 + i, 0)) for i in range(6)]
    series = make("Water plants", due_date=date(2027, 3, 1), recurrence="FREQ=WEEKLY", project_id="RO")
    cells = layout(
        [*busy, series], mode="month", anchor=date(2027, 3, 20), today=TODAY, now=NOW, colors=COLORS, read_only=["RO"]
    )
    assert (cells[0].day, cells[-1].day, len(cells)) == ("2027-03-01", "2027-04-04", 35)
    assert [c.in_month for c in cells].count(False) == 4  # 1-4 April
    friday = next(c for c in cells if c.day == "2027-03-12")
    assert (len(friday.shown), friday.more, friday.count) == (MONTH_CHIPS, 2, 6)
    watering = [(cell.day, c.key) for cell in cells for c in cell.all_day if c.title == "Water plants"]
    assert [d for d, _ in watering] == ["2027-03-01", "2027-03-08", "2027-03-15", "2027-03-22", "2027-03-29"]
    chips = [c for cell in cells for c in cell.all_day if c.title == "Water plants"]
    assert chips[0].key == series.id
    assert not chips[0].occurrence
    assert chips[0].overdue
    assert all(c.occurrence and not c.overdue and not c.can_drag for c in chips[1:])  # computed, not draggable
    assert len({c.key for c in chips}) == 5
    assert not chips[0].can_drag


def test_a_series_due_before_the_range_still_shows_its_occurrences_in_it() -> None:
    series = make("Stretch", due_date=date(2027, 2, 26), due_time=time(7, 0), recurrence="FREQ=DAILY")
    found = entries([series], date(2027, 3, 8), date(2027, 3, 14), BERLIN)
    assert [(e.day.day, e.at, e.occurrence) for e in found] == [(d, time(7, 0), True) for d in range(8, 15)]


def test_ranges_steps_and_titles() -> None:
    assert visible_range("week", date(2027, 3, 14)) == (date(2027, 3, 8), date(2027, 3, 14))  # a Sunday
    assert step("month", date(2027, 12, 31), 1) == date(2028, 1, 1)
    assert step("month", date(2027, 1, 15), -1) == date(2026, 12, 1)
    assert step("week", date(2027, 3, 10), -1) == date(2027, 3, 3)
    assert title_of("month", date(2027, 3, 10)) == "March 2027"
    assert title_of("week", date(2027, 3, 31)) == "29 Mar \u2013 4 Apr 2027"


def test_what_a_drop_and_a_slot_mean() -> None:
    assert drop_target("01JTASK") == ("task", "01JTASK")
    assert drop_target("project:P1") == ("project", "P1")
    assert drop_target("column:__none__") == ("column", "__none__")
    assert drop_target("slot:2027-03-10T09:00") == ("slot", "2027-03-10T09:00")
    assert drop_target("") == drop_target("evil:x") == drop_target(None) == drop_target("project:") == ("", "")
    assert parse_slot("2027-03-10") == (date(2027, 3, 10), None, True)  # a month cell: the task keeps its time
    assert parse_slot("2027-03-10T09:00") == (date(2027, 3, 10), time(9, 0), False)
    assert parse_slot("2027-03-10Tall-day") == (date(2027, 3, 10), None, False)  # the week's all-day row
    assert parse_slot("2027-02-30") is None
    assert parse_slot("2027-03-10T25:00") is None
