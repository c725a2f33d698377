"""What the task pages show (taskmanager_pro/state/views.py): rows, due chips, Today/Upcoming groups, board columns.

Pure: tasks are the API's ``TaskPublic`` (domain task through the presenter), with a fixed "now".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ulid import ULID

from backend.domain.tasks import Status, Subtask, Task
from backend.presenters import task_public
from backend.schemas import TaskPublic
from taskmanager_pro.state.views import (
    NO_SECTION,
    NO_SECTION_KEY,
    PRIORITY_COLORS,
    LabelItem,
    ProjectItem,
    TaskRow,
    due_chip,
    indent_under,
    nest,
    outdent_place,
    section_columns,
    status_columns,
    task_row,
    today_groups,
    upcoming_groups,
)

NOW_LOCAL = datetime(2026, 3, 11, 10, 0)  # Wednesday 11 March 2026, 10:00
TODAY = NOW_LOCAL.date()
BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PROJECTS = {
    "inbox": ProjectItem(id="inbox", name="Inbox", color="#808080", is_inbox=True, archived=False, sections=[]),
    "P1": ProjectItem(id="P1", name="Work", color="#db4035", is_inbox=False, archived=False, sections=["A", "B"]),
}
LABELS = {"L1": LabelItem(id="L1", name="urgent", color="#ff9933")}


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def make(title: str = "Task", **fields: Any) -> TaskPublic:
    fields.setdefault("project_id", "inbox")
    task = Task(id=str(ULID()), user_id="u", title=title, created_at=BASE, updated_at=BASE, **fields)
    return task_public(task, NOW_LOCAL)


def row(task: TaskPublic, *, pending: bool = False) -> TaskRow:
    return task_row(task, TODAY, PROJECTS, LABELS, pending=pending)


# --- rows ------------------------------------------------------------------------------------------------------------
def test_task_row_carries_what_the_row_shows() -> None:
    task = make(
        "Ship it",
        project_id="P1",
        section="A",
        priority=1,
        labels=("L1", "deleted-label"),
        subtasks=(Subtask(id="s1", title="one", done=True), Subtask(id="s2", title="two")),
        notes="  details ",
        recurrence="FREQ=WEEKLY",
        due_date=day(1),
        due_time=time(9, 30),
        attachment_count=2,
    )
    shown = row(task)
    assert (shown.id, shown.title, shown.priority_color, shown.done) == (task.id, "Ship it", PRIORITY_COLORS[1], False)
    assert (shown.project_name, shown.project_color, shown.section) == ("Work", "#db4035", "A")
    assert [label.name for label in shown.labels] == ["urgent"]  # a label the sidebar no longer has is left out
    assert (shown.subtasks_done, shown.subtasks_total, shown.has_notes, shown.attachments) == (1, 2, True, 2)
    assert shown.recurring
    assert shown.recurrence_text == "every week"
    assert (shown.due_text, shown.due_tone, shown.completed_text, shown.pending) == (
        "Tomorrow 09:30",
        "tomorrow",
        "",
        False,
    )


def test_task_row_pending_and_unknown_project() -> None:
    task = make(project_id="gone", priority=7)
    assert row(task, pending=True).pending is True
    assert row(task).pending is False
    shown = row(task)
    assert (shown.project_name, shown.project_color, shown.priority_color) == ("", "", PRIORITY_COLORS[4])
    assert (shown.has_notes, shown.recurring, shown.due_text, shown.due_tone) == (False, False, "", "")


def test_task_row_of_a_completed_task() -> None:
    today = make(status=Status.DONE, completed_at=datetime.combine(TODAY, time(8), UTC))
    yesterday = make(status=Status.DONE, completed_at=datetime.combine(day(-1), time(8), UTC))
    assert (row(today).done, row(today).completed_text) == (True, "Completed today")
    assert row(yesterday).completed_text == "Completed yesterday"


def test_a_completion_is_dated_in_the_users_time_zone() -> None:
    """At 23:30 UTC it is already the next day in Berlin: done "today" there, not "yesterday" (a browser test
    failed every evening between 23:00 and 24:00 UTC)."""
    late = make(status=Status.DONE, completed_at=datetime.combine(day(-1), time(23, 30), UTC))
    berlin = ZoneInfo("Europe/Berlin")
    assert task_row(late, TODAY, PROJECTS, LABELS, zone=berlin).completed_text == "Completed today"
    assert task_row(late, TODAY, PROJECTS, LABELS, zone=UTC).completed_text == "Completed yesterday"


@pytest.mark.parametrize(
    ("fields", "text", "tone"),
    [
        ({"due_date": day(-1)}, "Yesterday", "overdue"),
        ({"due_date": day(-3)}, "Mar 8", "overdue"),
        ({"due_date": day(0), "due_time": time(9, 0)}, "Today 09:00", "overdue"),  # 10:00 now: past its time
        ({"due_date": day(0), "due_time": time(11, 0)}, "Today 11:00", "today"),
        ({"due_date": day(0)}, "Today", "today"),
        ({"due_date": day(1)}, "Tomorrow", "tomorrow"),
        ({"due_date": day(2)}, "Friday", "week"),
        ({"due_date": day(6)}, "Tuesday", "week"),
        ({"due_date": day(7)}, "Mar 18", "later"),
        ({"due_date": date(2027, 1, 2)}, "Jan 2 2027", "later"),
        ({}, "", ""),
    ],
)
def test_due_chips(fields: dict[str, Any], text: str, tone: str) -> None:
    shown = row(make(**fields))
    assert (shown.due_text, shown.due_tone) == (text, tone)


def test_due_chip_of_a_done_task_due_yesterday_is_still_red() -> None:
    assert due_chip(day(-1), None, TODAY, overdue=False) == ("Yesterday", "overdue")
    assert due_chip(None, time(9), TODAY, overdue=True) == ("", "")


# --- Today and Upcoming ----------------------------------------------------------------------------------------------
def test_today_groups_overdue_first_and_only_when_there_is_some() -> None:
    late, due = row(make("late", due_date=day(-2))), row(make("due", due_date=day(0)))
    groups = today_groups([late, due])
    assert [(g.key, g.title, g.tone, g.count) for g in groups] == [
        ("overdue", "Overdue", "overdue", 1),
        ("today", "Today", "", 1),
    ]
    assert [[r.title for r in g.rows] for g in groups] == [["late"], ["due"]]
    only_today = today_groups([due])
    assert [g.key for g in only_today] == ["today"]
    assert [(g.key, g.count, g.rows) for g in today_groups([])] == [("today", 0, [])]


@pytest.mark.parametrize("days", [7, 14])
def test_upcoming_groups_one_per_day_empty_days_included(days: int) -> None:
    tasks = [make("a", due_date=day(0)), make("b", due_date=day(2)), make("c", due_date=day(2)), make("x")]
    tasks.append(make("last", due_date=day(days - 1)))
    groups = upcoming_groups(tasks, [row(t) for t in tasks], TODAY, days)
    assert [g.key for g in groups] == [day(i).isoformat() for i in range(days)]
    assert [g.title for g in groups[:3]] == ["Today", "Tomorrow", "Friday"]
    assert (groups[0].subtitle, groups[2].subtitle) == ("Wed Mar 11", "Fri Mar 13")
    assert {g.key: [r.title for r in g.rows] for g in groups if g.rows} == {
        day(0).isoformat(): ["a"],
        day(2).isoformat(): ["b", "c"],  # in the list's order
        day(days - 1).isoformat(): ["last"],
    }
    assert [g.count for g in groups] == [len(g.rows) for g in groups]
    if days == 14:
        assert (groups[7].title, groups[7].subtitle) == ("Mar 18", "")


def test_upcoming_groups_need_one_row_per_task() -> None:
    task = make(due_date=day(0))
    with pytest.raises(ValueError, match="zip"):
        upcoming_groups([task], [], TODAY, 7)


# --- boards ----------------------------------------------------------------------------------------------------------
def board_rows() -> list[TaskRow]:
    return [
        row(make("a1", project_id="P1", section="A")),
        row(make("a2", project_id="P1", section="A")),
        row(make("b1", project_id="P1", section="B")),
        row(make("loose", project_id="P1")),
        row(make("renamed away", project_id="P1", section="Old")),  # a section the project no longer has
    ]


def test_section_columns_without_counts() -> None:
    columns = section_columns(board_rows(), ["A", "B", "C"])
    assert [(c.key, c.title) for c in columns] == [(NO_SECTION_KEY, NO_SECTION), ("A", "A"), ("B", "B"), ("C", "C")]
    assert [[r.title for r in c.rows] for c in columns] == [["loose", "renamed away"], ["a1", "a2"], ["b1"], []]
    assert [c.count for c in columns] == [2, 2, 1, 0]


def test_section_columns_count_the_apis_totals() -> None:
    counts = {"": 4, "Old": 3, "A": 10, "B": 1, "C": 6}
    columns = section_columns(board_rows(), ["A", "B", "C"], counts=counts)
    assert [c.count for c in columns] == [7, 10, 1, 6]  # "No section": none and unknown sections together


def test_a_column_never_counts_fewer_than_it_shows() -> None:
    stale = {"A": 1, "C": 0}  # answered before a task moved into A and B (live changes, optimistic moves)
    columns = section_columns(board_rows(), ["A", "B", "C"], counts=stale)
    assert [c.count for c in columns] == [2, 2, 1, 0]
    assert all(c.count >= len(c.rows) for c in columns)


def test_status_columns() -> None:
    rows = [row(make("open 1")), row(make("open 2")), row(make("done", status=Status.DONE, completed_at=BASE))]
    plain = status_columns(rows)
    assert [(c.key, c.title, c.tone, c.count) for c in plain] == [("open", "Open", "", 2), ("done", "Done", "done", 1)]
    assert [[r.title for r in c.rows] for c in plain] == [["open 1", "open 2"], ["done"]]
    counted = status_columns(rows, counts={"open": 40, "done": 0})
    assert [c.count for c in counted] == [40, 1]
    assert [c.count for c in status_columns([], counts={})] == [0, 0]


# --- nested subtasks (issue 14) ---------------------------------------------------------------------------------
def test_a_list_in_manual_order_shows_subtasks_under_their_parents_and_folds_them() -> None:
    root = make("Root", subtask_count=2, subtask_done=1)
    a = make("A", parent_id=root.id, depth=1)
    b = make("B", parent_id=root.id, depth=1, status=Status.DONE)
    deep = make("A.1", parent_id=a.id, depth=2)
    orphan = make("Orphan", parent_id="not-loaded", depth=3)  # its parent is on a later page: a row of its own
    other = make("Other")
    listed = [deep, root, other, b, orphan, a]  # as a page comes: manual order, children anywhere

    def shown(collapsed: tuple[str, ...] = ()) -> list[tuple[str, int, bool]]:
        return [(task.title, depth, below) for task, depth, below in nest(listed, collapsed)]

    assert shown() == [
        ("Root", 0, True), ("B", 1, False), ("A", 1, True), ("A.1", 2, False), ("Other", 0, False),
        ("Orphan", 0, False),
    ]  # fmt: skip
    assert shown((a.id,)) == [
        ("Root", 0, True),
        ("B", 1, False),
        ("A", 1, True),
        ("Other", 0, False),
        ("Orphan", 0, False),
    ]
    assert [title for title, _, _ in shown((root.id,))] == ["Root", "Other", "Orphan"]
    assert (row(root).children_done, row(root).children_total) == (1, 2)  # "1/2 done"


def test_indent_goes_under_the_sibling_above_and_outdent_after_the_parent() -> None:
    root = make("Root", project_id="P1", section="A")
    first = make("First", project_id="P1", section="A", parent_id=root.id, depth=1)
    second = make("Second", project_id="P1", section="A", parent_id=root.id, depth=1)
    other = make("Other column", project_id="P1", section="B")
    after = make("After", project_id="P1", section="A")
    listed = [root, first, other, second, after]
    assert indent_under(listed, second.id) == first  # the sibling right above, same parent and section
    assert indent_under(listed, first.id) is None  # the first of its siblings
    assert indent_under(listed, after.id) == root  # "Other column" is in another section
    assert indent_under(listed, "unknown") is None
    assert outdent_place(listed, second.id) == (root, after)  # after its parent, before the parent's next sibling
    assert outdent_place([root, first], first.id) == (root, None)
    assert outdent_place(listed, root.id) is None  # already at the top
    assert outdent_place([first], first.id) is None  # its parent is not loaded
