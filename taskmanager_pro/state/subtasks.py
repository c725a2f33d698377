"""The subtasks of the task open in the detail panel (issue 14): list them, add one, tick one off.

A subtask is a task: it opens in the same panel (so a subtask gets subtasks of its own, at any level) and shows in
the list under its parent. An addition or a tick shows at once and is reconciled with the server's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import TaskCreate, TaskPublic
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.views import bound

PENDING = "pending-"
MAX_DEPTH = 4  # the API's: a top-level task and four levels below it


@dataclasses.dataclass(frozen=True)
class ChildItem:
    id: str
    title: str
    done: bool
    children_text: str  # "2/3 done", "" without subtasks of its own


def _item(task: TaskPublic) -> ChildItem:
    counts = f"{task.subtask_done}/{task.subtask_count} done" if task.subtask_count else ""
    return ChildItem(id=task.id, title=task.title, done=task.status == "done", children_text=counts)


def _ordered(tasks: list[TaskPublic]) -> list[TaskPublic]:
    """Open ones first, each in manual order (the API lists done ones first)."""
    return sorted(tasks, key=lambda t: (t.status == "done", t.position, t.id))


class SubtasksState(AppState):
    s_task_id: str = ""
    s_depth: int = 0
    s_items: list[ChildItem] = []
    s_error: str = ""
    _children: list[TaskPublic] = []

    @rx.var
    def s_done(self) -> int:
        return sum(1 for item in self.s_items if item.done)

    @rx.var
    def s_can_add(self) -> bool:
        return self.s_depth < MAX_DEPTH

    def _show(self, children: list[TaskPublic]) -> None:
        self._children = _ordered(children)
        self.s_items = [_item(task) for task in self._children]

    @rx.event
    @signed_in
    async def load(self, task_id: str) -> None:
        if not isinstance(task_id, str) or not task_id or task_id.startswith(PENDING):
            return
        if task_id != self.s_task_id:
            self.s_task_id, self.s_error, self._children, self.s_items = task_id, "", [], []
        listed = (await self.get_state(TasksState)).task_of(task_id)
        self.s_depth = listed.depth if listed is not None else 0
        if listed is not None and listed.subtask_count == 0:
            return  # nothing to ask for
        try:
            page = await call(self._api().list_tasks, parent_id=task_id, limit=200)
            if listed is None:
                listed = await call(self._api().get_task, task_id)
        except ApiError as error:
            self.s_error = error.first_problem
            return
        if task_id == self.s_task_id:
            self.s_depth = listed.depth
            self._show(page.items)

    @rx.event
    @signed_in
    async def add(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        title = str(form.get("title") or "").strip()[:500]
        parent_id = self.s_task_id
        if not title or not parent_id or not self.s_can_add:
            return
        self.s_error = ""
        provisional = ChildItem(id=f"{PENDING}{len(self.s_items)}", title=title, done=False, children_text="")
        self.s_items = [*self.s_items, provisional]
        yield
        try:
            child = await call(self._api().create_task, TaskCreate(title=title, parent_id=parent_id))
        except ApiError as error:
            self.s_items = [item for item in self.s_items if item.id != provisional.id]
            self.s_error = error.first_problem
            return
        if parent_id == self.s_task_id:
            self._show([*self._children, child])
        tasks = await self.get_state(TasksState)
        parent = tasks.task_of(parent_id)
        if parent is not None:  # its "n/m done" at once (the child's write moved the parent one version on)
            counted = {"subtask_count": parent.subtask_count + 1, "version": parent.version + 1}
            tasks.task_saved(parent.model_copy(update=counted))
        tasks.task_created(child)

    @rx.event
    async def toggle(self, task_id: str) -> AsyncGenerator[Any, None]:
        """Tick a subtask off (or back on) through the list's own path (which asks about its open subtasks)."""
        child = next((t for t in self._children if t.id == task_id), None)
        if child is None:
            return
        if child.subtask_count <= child.subtask_done or child.status == "done":
            done = child.status != "done"
            shown = child.model_copy(update={"status": "done" if done else "open"})
            self._show([shown if t.id == task_id else t for t in self._children])
        yield bound(TasksState.toggle_done, task_id)
