"""Task rules: due ordering, overdue, complete/reopen (plain and recurring), manual order keys. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from backend.domain.tasks import (
    MAX_DEPTH,
    MAX_HISTORY,
    NO_DUE,
    Completion,
    Status,
    Subtask,
    Task,
    child_depth,
    complete,
    position_after,
    position_between,
    reopen,
    start_of_upcoming,
    subtask_change,
)
from backend.errors import InvalidInputError

CREATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday
TODAY = date(2026, 3, 11)


def make(**fields: object) -> Task:
    base = Task(id="t1", user_id="u1", project_id="inbox", title="Task", created_at=CREATED, updated_at=CREATED)
    return replace(base, **fields)  # type: ignore[arg-type]


# --- due_key ordering ----------------------------------------------------------------------------
def test_due_key_format() -> None:
    assert make(due_date=date(2026, 12, 24), due_time=time(9, 5)).due_key == "2026-12-24T09:05"
    assert make(due_date=date(2026, 12, 24)).due_key == "2026-12-24T~"
    assert make().due_key == NO_DUE


def test_due_key_orders_timed_then_date_only_then_no_due() -> None:
    tasks = [
        make(id="none"),
        make(id="d24", due_date=date(2026, 12, 24)),
        make(id="d24-late", due_date=date(2026, 12, 24), due_time=time(23, 59)),
        make(id="d25-midnight", due_date=date(2026, 12, 25), due_time=time(0, 0)),
        make(id="d24-early", due_date=date(2026, 12, 24), due_time=time(0, 0)),
        make(id="d23", due_date=date(2026, 12, 23)),
        make(id="d24-nine", due_date=date(2026, 12, 24), due_time=time(9)),
    ]
    ordered = [t.id for t in sorted(tasks, key=lambda t: t.due_key)]
    assert ordered == ["d23", "d24-early", "d24-nine", "d24-late", "d24", "d25-midnight", "none"]


def test_due_key_sorts_across_years_and_months() -> None:
    keys = [
        make(due_date=date(2027, 1, 1)).due_key,
        make(due_date=date(2026, 12, 31), due_time=time(23, 0)).due_key,
        make(due_date=date(2026, 2, 1)).due_key,
    ]
    assert sorted(keys) == ["2026-02-01T~", "2026-12-31T23:00", "2027-01-01T~"]


# --- overdue -------------------------------------------------------------------------------------
NOW_LOCAL = datetime(2026, 3, 11, 10, 0)


@pytest.mark.parametrize(
    ("due_date", "due_time", "overdue"),
    [
        (date(2026, 3, 10), None, True),  # date-only, yesterday
        (date(2026, 3, 11), None, False),  # date-only, today: due until the day ends
        (date(2026, 3, 12), None, False),
        (date(2026, 3, 11), time(9, 59), True),  # timed, a minute ago
        (date(2026, 3, 11), time(10, 0), False),  # timed, right now: not yet
        (date(2026, 3, 11), time(10, 1), False),
        (date(2026, 3, 10), time(23, 59), True),
        (None, None, False),
    ],
)
def test_is_overdue(due_date: date | None, due_time: time | None, overdue: bool) -> None:
    assert make(due_date=due_date, due_time=due_time).is_overdue(NOW_LOCAL) is overdue


def test_done_task_is_never_overdue() -> None:
    assert make(due_date=date(2020, 1, 1), status=Status.DONE).is_overdue(NOW_LOCAL) is False


def test_search_text_is_title_and_notes_lower_cased() -> None:
    assert make(title="Buy MILK", notes="At the Shop").search_text == "buy milk\nat the shop"


# --- complete / reopen: plain tasks --------------------------------------------------------------
def test_complete_plain_task() -> None:
    task = make(due_date=date(2026, 3, 10))
    done = complete(task, now=NOW, today=TODAY)
    assert done.status is Status.DONE
    assert done.completed_at == NOW
    assert done.updated_at == NOW
    assert done.due_date == date(2026, 3, 10)
    assert done.history == ()


def test_completing_a_done_task_changes_nothing() -> None:
    done = complete(make(), now=NOW, today=TODAY)
    assert complete(done, now=datetime(2026, 3, 12, tzinfo=UTC), today=date(2026, 3, 12)) is done


def test_reopen_plain_task() -> None:
    done = complete(make(due_date=date(2026, 3, 10)), now=NOW, today=TODAY)
    later = datetime(2026, 3, 11, 9, 5, tzinfo=UTC)
    reopened = reopen(done, now=later)
    assert reopened.status is Status.OPEN
    assert reopened.completed_at is None
    assert reopened.updated_at == later
    assert reopened.due_date == date(2026, 3, 10)


def test_reopening_an_open_plain_task_changes_nothing() -> None:
    task = make()
    assert reopen(task, now=NOW) is task


def test_recurring_task_without_due_date_completes_like_a_plain_one() -> None:
    done = complete(make(recurrence="FREQ=DAILY"), now=NOW, today=TODAY)
    assert done.status is Status.DONE
    assert done.history == ()


# --- complete / reopen: recurring tasks ----------------------------------------------------------
def test_completing_a_recurring_task_moves_it_to_the_next_date_and_keeps_history() -> None:
    subtasks = (Subtask("s1", "pack", done=True), Subtask("s2", "go", done=False))
    task = make(due_date=date(2026, 3, 11), due_time=time(8), recurrence="FREQ=WEEKLY;BYDAY=WE", subtasks=subtasks)
    done = complete(task, now=NOW, today=TODAY)
    assert done.status is Status.OPEN
    assert done.completed_at is None
    assert done.due_date == date(2026, 3, 18)
    assert done.due_time == time(8)
    assert done.history == (Completion(due_date=date(2026, 3, 11), completed_at=NOW),)
    assert done.subtasks == (Subtask("s1", "pack", done=False), Subtask("s2", "go", done=False))
    assert done.updated_at == NOW


def test_completing_early_moves_to_the_occurrence_after_the_current_one() -> None:
    task = make(due_date=date(2026, 3, 16), recurrence="FREQ=WEEKLY;BYDAY=MO")
    assert complete(task, now=NOW, today=TODAY).due_date == date(2026, 3, 23)


def test_an_overdue_series_jumps_to_today_or_later() -> None:
    task = make(due_date=date(2026, 3, 2), recurrence="FREQ=WEEKLY;BYDAY=MO")  # three Mondays missed
    done = complete(task, now=NOW, today=TODAY)
    assert done.due_date == date(2026, 3, 16)
    assert done.history == (Completion(due_date=date(2026, 3, 2), completed_at=NOW),)


def test_an_overdue_daily_series_lands_on_today() -> None:
    task = make(due_date=date(2026, 2, 20), recurrence="FREQ=DAILY")
    assert complete(task, now=NOW, today=TODAY).due_date == TODAY


def test_each_completion_is_recorded_in_order() -> None:
    task = make(due_date=date(2026, 3, 11), recurrence="FREQ=DAILY")
    moments = [datetime(2026, 3, 11, h, tzinfo=UTC) for h in (9, 10, 11)]
    for moment in moments:
        task = complete(task, now=moment, today=TODAY)
    assert task.due_date == date(2026, 3, 14)
    assert [(c.due_date, c.completed_at) for c in task.history] == [
        (date(2026, 3, 11), moments[0]),
        (date(2026, 3, 12), moments[1]),
        (date(2026, 3, 13), moments[2]),
    ]


def test_history_is_capped() -> None:
    old = tuple(Completion(due_date=date(2025, 1, 1), completed_at=CREATED) for _ in range(MAX_HISTORY))
    task = make(due_date=date(2026, 3, 11), recurrence="FREQ=DAILY", history=old)
    done = complete(task, now=NOW, today=TODAY)
    assert len(done.history) == MAX_HISTORY
    assert done.history[-1] == Completion(due_date=date(2026, 3, 11), completed_at=NOW)


def test_the_last_occurrence_completes_the_series() -> None:
    task = make(due_date=date(2026, 3, 11), recurrence="FREQ=DAILY;UNTIL=20260311")
    done = complete(task, now=NOW, today=TODAY)
    assert done.status is Status.DONE
    assert done.completed_at == NOW
    assert done.due_date == date(2026, 3, 11)


def test_reopen_restores_the_last_occurrence() -> None:
    task = make(due_date=date(2026, 3, 2), recurrence="FREQ=WEEKLY;BYDAY=MO")
    done = complete(task, now=NOW, today=TODAY)
    later = datetime(2026, 3, 11, 9, 1, tzinfo=UTC)
    undone = reopen(done, now=later)
    assert undone.status is Status.OPEN
    assert undone.due_date == date(2026, 3, 2)
    assert undone.history == ()
    assert undone.updated_at == later


def test_reopen_twice_walks_back_through_the_history() -> None:
    task = make(due_date=date(2026, 3, 11), recurrence="FREQ=DAILY")
    for _ in range(2):
        task = complete(task, now=NOW, today=TODAY)
    assert task.due_date == date(2026, 3, 13)
    task = reopen(task, now=NOW)
    assert task.due_date == date(2026, 3, 12)
    task = reopen(task, now=NOW)
    assert task.due_date == date(2026, 3, 11)
    assert task.history == ()
    assert reopen(task, now=NOW) is task


def test_reopening_a_finished_series_reopens_it_and_keeps_its_history() -> None:
    task = make(due_date=date(2026, 3, 11), recurrence="FREQ=DAILY;UNTIL=20260312")
    task = complete(task, now=NOW, today=TODAY)  # 11 → 12
    task = complete(task, now=NOW, today=TODAY)  # 12 was the last one
    assert task.status is Status.DONE
    reopened = reopen(task, now=NOW)
    assert reopened.status is Status.OPEN
    assert reopened.due_date == date(2026, 3, 12)
    assert reopened.completed_at is None
    assert len(reopened.history) == 1


# --- manual order --------------------------------------------------------------------------------
def test_position_after_appends() -> None:
    keys = [position_after(None)]
    for _ in range(30):
        keys.append(position_after(keys[-1]))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_position_between_orders_between_its_neighbours() -> None:
    first = position_after(None)
    last = position_after(first)
    middle = position_between(first, last)
    assert first < middle < last
    assert position_between(None, first) < first
    assert position_between(last, None) > last


def test_repeated_insertion_at_the_same_place_keeps_the_order() -> None:
    low, high = position_after(None), position_after(position_after(None))
    keys = [low, high]
    for _ in range(50):  # always insert right after ``low``
        keys.insert(1, position_between(low, keys[1]))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(("before", "after"), [("a1", "a0"), ("a1", "a1"), ("b0", "a5")])
def test_position_between_rejects_neighbours_out_of_order(before: str, after: str) -> None:
    with pytest.raises(ValueError, match="not in order"):
        position_between(before, after)


def test_start_of_upcoming() -> None:
    assert start_of_upcoming(date(2026, 12, 28), 7) == (date(2026, 12, 28), date(2027, 1, 3))
    assert start_of_upcoming(TODAY, 1) == (TODAY, TODAY)


# --- nested subtasks (issue 14) ----------------------------------------------------------------------------------
def test_subtasks_nest_four_levels_below_a_top_level_task() -> None:
    assert MAX_DEPTH == 4
    assert [child_depth(make(depth=d)) for d in range(MAX_DEPTH)] == [1, 2, 3, 4]
    with pytest.raises(InvalidInputError) as refused:
        child_depth(make(depth=MAX_DEPTH))
    assert "parent_id" in refused.value.fields


def test_what_a_subtasks_write_changes_in_its_parents_counts() -> None:
    child = make(parent_id="p", depth=1)
    done = replace(child, status=Status.DONE)
    assert subtask_change(None, child) == (1, 0)  # created open
    assert subtask_change(None, done) == (1, 1)  # created done (an import)
    assert subtask_change(child, done) == (0, 1)  # completed
    assert subtask_change(done, child) == (0, -1)  # reopened
    assert subtask_change(done, None) == (-1, -1)  # deleted while done
    assert subtask_change(child, replace(child, title="renamed")) == (0, 0)
    assert subtask_change(None, make()) == (0, 0)  # a top-level task counts on nothing
    assert make(subtask_count=5, subtask_done=3).open_subtasks == 2


def test_a_recurring_parent_completes_into_its_next_occurrence_keeping_its_counts() -> None:
    """The parent's own completion moves it on (the service then reopens its subtasks when ``reset_subtasks``);
    its counts are the store's to change, never the domain's."""
    series = make(due_date=TODAY, recurrence="FREQ=DAILY", reset_subtasks=True, subtask_count=2, subtask_done=2)
    next_one = complete(series, now=NOW, today=TODAY)
    assert (next_one.status, next_one.due_date, next_one.reset_subtasks) == (Status.OPEN, date(2026, 3, 12), True)
    assert (next_one.subtask_count, next_one.subtask_done) == (2, 2)
