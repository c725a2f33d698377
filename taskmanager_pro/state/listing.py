"""Which tasks a list shows and in what order, and how a change lands in a loaded list (pure).

The API decides what a page of a view holds; this module decides, without a round trip, where a task that was just
created, edited, moved or heard about live belongs in the list already on screen: in it (at its place, in the API's
order), or out of it. The rules mirror ``backend.services.tasks.build_query`` and the store's sort keys; the unit
tests pin both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from backend.client.api import TaskPage, TaskPublic
from backend.client.search import matches_search
from taskmanager_pro.state.views import assignee_of

INBOX_ID = "inbox"
NO_DUE = "~"


@dataclasses.dataclass(frozen=True)
class ListSpec:
    """What a list page asks for: the view and its context, the filters, the sort (empty = the view's own)."""

    view: str  # today | upcoming | inbox | completed | project | label | assigned | search
    context_id: str = ""  # the project or label of the page
    today: date = date(2000, 1, 1)
    now_local: datetime | None = None  # the user's wall clock (overdue filter)
    days: int = 7
    search: str = ""
    priority: int | None = None
    label_id: str = ""
    project_id: str = ""
    due_from: date | None = None
    due_to: date | None = None
    overdue_only: bool = False
    attachments_only: bool = False
    assignee: str = ""  # only the tasks assigned to this user (the "Assigned to me" view and filter)
    sort: str = ""
    layout: str = "list"

    @property
    def status(self) -> str:
        if self.view == "completed":
            return "done"
        if self.view == "project" and self.layout == "status":
            return "all"
        return "open"

    @property
    def effective_sort(self) -> str:
        """The order the API answers in (``build_query``): the view's own unless a sort was chosen."""
        if self.view == "project" and self.layout == "status":
            return "manual"
        if self.sort and (self.sort != "manual" or self.view in {"project", "inbox"}):
            return self.sort  # (manual order elsewhere is not sent: the view's own order applies)
        own = {
            "today": "due",
            "upcoming": "due",
            "inbox": "manual",
            "completed": "completed",
            "project": "manual",
            "assigned": "due",
        }
        return own.get(self.view, "created")


def due_key(task: TaskPublic) -> str:
    """The store's sortable due moment (``Task.due_key``): ``2026-12-24T09:00``, ``2026-12-24T~`` or ``~``."""
    if task.due_date is None:
        return NO_DUE
    clock = task.due_time.strftime("%H:%M") if task.due_time else NO_DUE
    return f"{task.due_date.isoformat()}T{clock}"


def _matches_text(task: TaskPublic, text: str) -> bool:
    return matches_search(text, title=task.title, notes=task.notes)


def belongs(task: TaskPublic, spec: ListSpec) -> bool:
    """Whether ``task`` is part of the list ``spec`` describes (the whole list, not only its loaded part)."""
    return spec.status in {"all", task.status} and _in_view(task, spec) and _passes_filters(task, spec)


def _in_view(task: TaskPublic, spec: ListSpec) -> bool:
    if spec.view == "today":
        return task.due_date is not None and task.due_date <= spec.today
    if spec.view == "upcoming":
        end = spec.today + timedelta(days=spec.days - 1)
        return task.due_date is not None and spec.today <= task.due_date <= end
    if spec.view == "inbox":
        return task.project_id == INBOX_ID
    if spec.view == "project":
        return task.project_id == spec.context_id
    if spec.view == "label":
        return spec.context_id in task.labels
    if spec.view == "search":
        return _matches_text(task, spec.search)
    if spec.view == "assigned":
        return bool(spec.assignee) and assignee_of(task) == spec.assignee
    return True


def _passes_filters(task: TaskPublic, spec: ListSpec) -> bool:
    due = due_key(task)
    due_range = spec.view != "upcoming"  # (the API's Upcoming window replaces a due range: build_query)
    checks = (
        not spec.project_id or spec.view in {"project", "inbox"} or task.project_id == spec.project_id,
        not spec.label_id or spec.label_id in task.labels,
        spec.priority is None or task.priority == spec.priority,
        not due_range or spec.due_from is None or (task.due_date is not None and due >= spec.due_from.isoformat()),
        not due_range or spec.due_to is None or (task.due_date is not None and due <= spec.due_to.isoformat() + NO_DUE),
        not spec.overdue_only or task.overdue,
        not spec.attachments_only or task.attachment_count > 0,
        not spec.assignee or assignee_of(task) == spec.assignee,
    )
    return all(checks)


def sort_key(task: TaskPublic, spec: ListSpec) -> tuple[Any, ...]:
    """The API's order for the list (ascending), from the store's index keys; ties broken by id like the store."""
    sort = spec.effective_sort
    if sort == "due":
        return (due_key(task), task.id)
    if sort == "priority":
        return (task.priority, due_key(task), task.id)
    if sort == "manual":
        return (task.status, task.position, task.id)
    if sort == "completed":  # newest first
        stamp = task.completed_at.isoformat() if task.completed_at else ""
        return (_descending(stamp), _descending(task.id))
    return (task.id,)  # created: ULIDs sort by creation time


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(char) for char in text)


@dataclasses.dataclass(frozen=True)
class Placed:
    """The loaded list after a change, and what became of the task in it."""

    tasks: list[TaskPublic]
    index: int  # where the task is now (-1: not in the list)
    beyond_loaded: bool = False  # it sorts after the loaded part: shown at the end until that part is loaded


def without(tasks: Sequence[TaskPublic], task_id: str) -> list[TaskPublic]:
    return [task for task in tasks if task.id != task_id]


def place(
    tasks: Sequence[TaskPublic], task: TaskPublic, spec: ListSpec, *, replaces: str = "", complete: bool = True
) -> Placed:
    """Put ``task`` where it belongs in the loaded ``tasks`` (or take it out when it no longer belongs).

    ``replaces``: the id of a provisional row this task stands for (an optimistic create the server answered).
    ``complete``: the whole list is loaded; when not, a task that sorts after the last loaded row is still shown,
    at the end (the user just made it and must see it), and ``beyond_loaded`` says so.
    """
    rest = [t for t in tasks if t.id not in {task.id, replaces}]
    if not belongs(task, spec):
        return Placed(tasks=rest, index=-1)
    key = sort_key(task, spec)
    index = next((i for i, other in enumerate(rest) if sort_key(other, spec) > key), len(rest))
    beyond = not complete and index == len(rest) and bool(rest)
    return Placed(tasks=[*rest[:index], task, *rest[index:]], index=index, beyond_loaded=beyond)


def newer(incoming: TaskPublic, known: TaskPublic | None) -> bool:
    """Whether a task heard about (live, or a late answer) is newer than what the list shows."""
    return known is None or incoming.version > known.version or incoming.updated_at > known.updated_at


@dataclasses.dataclass(frozen=True)
class ShownPage:
    """A list as the screen has it: its rows, where the next page starts ("" = none), its total and board counts."""

    tasks: list[TaskPublic]
    next_cursor: str
    total: int
    counts: dict[str, int]

    @classmethod
    def of(cls, page: TaskPage) -> ShownPage:
        """How the screen shows an API page (no total asked for: the rows are all there is)."""
        total = page.total if page.total is not None else len(page.items)
        return cls(list(page.items), page.next_cursor or "", total, dict(page.counts or {}))
