"""Tasks, projects and labels: the rules, free of storage and HTTP.

Due dates are "floating" local dates/times, as in Todoist: "9:00" means 9:00 wherever the user is.
Instants (for reminders) are computed from them with the profile's time zone when needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from fractional_indexing import generate_key_between
from ulid import ULID

from backend.domain import dates, recurrence
from backend.domain.sharing import is_project_partition
from backend.errors import InvalidInputError

INBOX_NAME = "Inbox"
MAX_HISTORY = 200  # completions of a recurring task kept on the task (item size stays far below 400 KB)
NO_DUE = "~"
ONE_DAY = timedelta(days=1)  # sorts after every ISO date: tasks without a due date come last
# Nested subtasks (issue 14): a subtask is a task with a ``parent_id``; a top-level task has depth 0 and subtasks
# nest down to depth MAX_DEPTH (4 levels below a top-level task). Bounded so that a subtree's walks stay short.
MAX_DEPTH = 4


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"


def new_id() -> str:
    """Opaque, time-ordered ids (ULID): listing by id is listing by creation time."""
    return str(ULID())


@dataclass(frozen=True)
class Subtask:
    id: str
    title: str
    done: bool = False


@dataclass(frozen=True)
class Completion:
    """One completed occurrence of a recurring task."""

    due_date: date | None
    completed_at: datetime
    by: str | None = None  # who completed it (shared projects; absent on older items)


@dataclass(frozen=True)
class Project:
    id: str
    user_id: str
    name: str
    color: str
    position: str
    is_inbox: bool = False
    archived: bool = False
    sections: tuple[str, ...] = ()  # custom board columns, in order
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Label:
    id: str
    user_id: str
    name: str
    color: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Task:
    id: str
    user_id: str
    project_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    notes: str = ""
    status: Status = Status.OPEN
    priority: int = 4  # 1 is the most urgent, 4 is "no priority" (Todoist's convention)
    due_date: date | None = None
    due_time: time | None = None
    start_date: date | None = None
    section: str | None = None
    labels: tuple[str, ...] = ()  # label ids
    subtasks: tuple[Subtask, ...] = ()
    recurrence: str | None = None
    # The series' first due date: occurrences are counted from it, so "monthly from Jan 31" never drifts to the 28th
    recurrence_anchor: date | None = None
    position: str = "a0"  # manual order inside its project (fractional index)
    completed_at: datetime | None = None
    history: tuple[Completion, ...] = field(default=())
    version: int = 0
    attachment_count: int = 0  # ready attachments; kept by the attachments adapter, never by task edits
    comment_count: int = 0  # kept by the comments adapter in each comment's transaction, never by task edits
    # Shared projects (issue 13): who the task is assigned to (a member's sub) and who did what. Absent on items
    # from before them: read as the partition's user when the partition is a user (``actor_of``).
    assignee_id: str | None = None
    created_by: str | None = None
    updated_by: str | None = None
    completed_by: str | None = None
    # Nested subtasks (issue 14): the parent task (same partition and project), how deep this task is, and its
    # direct children's counts ("3/5 done"), kept by the store in each child's own transaction.
    parent_id: str | None = None
    depth: int = 0
    subtask_count: int = 0
    subtask_done: int = 0
    reset_subtasks: bool = False  # a recurring task: its subtasks open again with each new occurrence

    @property
    def open_subtasks(self) -> int:
        return max(self.subtask_count - self.subtask_done, 0)

    @property
    def due_key(self) -> str:
        """Sortable local due moment: ``2026-12-24T09:00``, ``2026-12-24T~`` (date only) or ``~`` (none)."""
        if self.due_date is None:
            return NO_DUE
        clock = f"{self.due_time:%H:%M}" if self.due_time else NO_DUE
        return f"{self.due_date.isoformat()}T{clock}"

    def is_overdue(self, now_local: datetime) -> bool:
        if self.status is Status.DONE or self.due_date is None:
            return False
        if self.due_time is None:
            return self.due_date < now_local.date()
        return datetime.combine(self.due_date, self.due_time) < now_local

    def actor_of(self, who: str | None) -> str | None:
        """``created_by`` / ``completed_by`` as stored, else the partition's user (a personal task from before the
        attributes); None for a shared task that does not say."""
        if who is not None:
            return who
        return None if is_project_partition(self.user_id) else self.user_id

    @property
    def search_text(self) -> str:
        """What search matches: title and notes, lower-cased."""
        return f"{self.title}\n{self.notes}".lower()


@dataclass(frozen=True)
class TaskQuery:
    """What a list asks for. Bounds are ``due_key`` strings (see ``Task.due_key``), inclusive."""

    user_id: str
    status: str = "open"  # open | done | all
    project_id: str | None = None
    label_id: str | None = None
    priority: int | None = None
    due_from: str | None = None
    due_to: str | None = None
    search: str | None = None
    sort: str = "created"  # due | priority | created | manual | completed
    has_attachments: bool | None = None  # None: either
    # The shared projects' partitions (``P#<p>``) the list also reads, besides ``user_id`` (1 + S Queries, merged).
    shared: tuple[str, ...] = ()
    assignee_id: str | None = None  # only tasks assigned to this user (``by_assignee``: one Query)
    parent_id: str | None = None  # the children of this task (``by_parent``: one Query in ``user_id``)


def position_after(last: str | None) -> str:
    """A manual-order key after ``last`` (the end of the list)."""
    return str(generate_key_between(last, None))


def position_between(before: str | None, after: str | None) -> str:
    """A key between two neighbours (either may be None for the ends)."""
    if before is not None and after is not None and before >= after:
        raise ValueError("the neighbours are not in order")
    return str(generate_key_between(before, after))


def complete(task: Task, *, now: datetime, today: date) -> Task:
    """Complete the task. A recurring task records the occurrence and moves to its next due date instead
    (the first occurrence after the current one that is today or later: an overdue series catches up)."""
    if task.status is Status.DONE:
        return task
    if task.recurrence and task.due_date is not None:
        anchor = task.recurrence_anchor or task.due_date
        if not (dates.in_range(task.due_date) and dates.in_range(anchor)):
            # Stored before dates were checked (a daily series from the year 1 walked 740 000 days per completion).
            raise InvalidInputError(
                f"This task is due {task.due_date.isoformat()}; give it a date from {dates.FIRST_DATE.year} to "
                f"{dates.LAST_DATE.year} to complete it.",
                fields={"due_date": dates.OUT_OF_RANGE},
            )
        next_date = recurrence.next_due_date(task.recurrence, anchor=anchor, after=max(task.due_date, today - ONE_DAY))
        if next_date is not None:
            history = (*task.history, Completion(due_date=task.due_date, completed_at=now))[-MAX_HISTORY:]
            return replace(
                task,
                due_date=next_date,
                recurrence_anchor=anchor,  # pinned, so later completions count from the same start
                subtasks=tuple(replace(s, done=False) for s in task.subtasks),
                history=history,
                updated_at=now,
            )
    return replace(task, status=Status.DONE, completed_at=now, updated_at=now)


def reopen(task: Task, *, now: datetime) -> Task:
    """Undo a completion. For a recurring task, the last recorded occurrence comes back."""
    if task.status is Status.DONE:
        return replace(task, status=Status.OPEN, completed_at=None, updated_at=now)
    if task.history:
        last = task.history[-1]
        return replace(task, due_date=last.due_date, history=task.history[:-1], updated_at=now)
    return task


def child_depth(parent: Task) -> int:
    """The depth of a new child of ``parent``; refused past ``MAX_DEPTH``."""
    if parent.depth >= MAX_DEPTH:
        raise InvalidInputError(
            f"Subtasks nest at most {MAX_DEPTH} levels deep.",
            fields={"parent_id": f"is already {parent.depth} levels deep"},
        )
    return parent.depth + 1


def subtask_change(previous: Task | None, task: Task | None) -> tuple[int, int]:
    """What a write of a subtask changes in its parent's counts: (children, done children)."""
    before = previous is not None and previous.parent_id is not None
    after = task is not None and task.parent_id is not None
    done_before = int(before and previous is not None and previous.status is Status.DONE)
    done_after = int(after and task is not None and task.status is Status.DONE)
    return int(after) - int(before), done_after - done_before


def start_of_upcoming(today: date, days: int) -> tuple[date, date]:
    return today, today + timedelta(days=days - 1)
