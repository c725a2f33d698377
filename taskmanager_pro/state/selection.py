"""Selecting rows and acting on all of them: complete (or reopen), move to a project, delete; with undo.

The rows change at once; the one bulk call follows in the background and its answer (the tasks as stored) is
placed in the list. The API's bulk actions are all-or-nothing, so a refusal puts every row back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import BulkAction, TaskPublic
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.tasks import PROVISIONAL, TasksState
from taskmanager_pro.state.views import bound
from taskmanager_pro.state.workspace import WorkspaceState

MAX_SELECTED = 100  # the API's bulk limit


def _plural(n: int) -> str:
    return f"{n} task{'s' if n != 1 else ''}"


class SelectionState(WorkspaceState):
    select_mode: bool = False
    selected: list[str] = []
    bulk_project: str = ""
    bulk_delete_open: bool = False

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    def clear(self) -> None:
        self.select_mode, self.selected, self.bulk_delete_open = False, [], False

    @rx.event
    def reset_selection(self) -> None:
        """``on_load`` of every list page: a new page starts with nothing selected."""
        self.clear()

    async def _listed(self) -> list[str]:
        """The selected rows still in the list (one may have been deleted or completed meanwhile)."""
        tasks = await self.get_state(TasksState)
        self.selected = [task_id for task_id in self.selected if tasks.task_of(task_id) is not None]
        return self.selected[:MAX_SELECTED]

    @rx.event
    def toggle_select_mode(self) -> None:
        self.select_mode = not self.select_mode
        self.selected = []

    async def toggle(self, task_id: str) -> None:
        tasks = await self.get_state(TasksState)
        if tasks.task_of(task_id) is None:
            return
        self.select_mode = True
        if task_id in self.selected:
            self.selected = [x for x in self.selected if x != task_id]
        elif len(self.selected) < MAX_SELECTED:
            self.selected = [*self.selected, task_id]

    @rx.event
    async def toggle_selected(self, task_id: str) -> None:
        if isinstance(task_id, str):
            await self.toggle(task_id)

    @rx.event
    async def select_all(self) -> None:
        tasks = await self.get_state(TasksState)
        self.selected = [task.id for task in tasks._tasks if not task.id.startswith(PROVISIONAL)][:MAX_SELECTED]

    @rx.event
    def set_bulk_project(self, value: str) -> None:
        self.bulk_project = value

    @rx.event
    def set_bulk_delete_open(self, value: bool) -> None:
        self.bulk_delete_open = bool(value) and bool(self.selected)

    async def _bulk(self, action: BulkAction, done: str, undo: Any = None) -> AsyncGenerator[Any, None]:
        """Show the action on the rows, send it, place the answer (or put everything back)."""
        async with self:
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            tasks = await self.get_state(TasksState)
            before = [task for task_id in action.ids if (task := tasks.task_of(task_id)) is not None]
            for task in before:
                _show_done(tasks, task, action)
                tasks.set_pending(task.id, True)
            self.clear()
        try:
            result = await call(client.bulk, action)
        except ApiError as error:
            async with self:
                tasks = await self.get_state(TasksState)
                for task in before:
                    tasks.set_pending(task.id, False)
                    tasks.task_saved(task)
            yield rx.toast.error(error.first_problem, id="bulk")
            return
        async with self:
            tasks = await self.get_state(TasksState)
            for task in before:
                tasks.set_pending(task.id, False)
            for task_id in result.deleted:
                tasks.task_removed(task_id)
            for task in result.updated:
                tasks.task_saved(task)
        yield rx.toast.success(done, action=undo, id="bulk") if undo else rx.toast.info(done, id="bulk")

    @rx.event(background=True)
    async def bulk_complete(self) -> AsyncGenerator[Any, None]:
        async with self:
            ids = await self._listed()
            view = (await self.get_state(TasksState)).view
        if not ids:
            return
        action = "reopen" if view == "completed" else "complete"
        undo = {"label": "Undo", "on_click": bound(SelectionState.bulk_undo, action, ids)}
        done = f"{_plural(len(ids))} {'reopened' if action == 'reopen' else 'completed'}"
        async for event in self._bulk(BulkAction(action=action, ids=ids), done, undo):
            yield event

    @rx.event(background=True)
    async def bulk_undo(self, action: str, ids: list[str]) -> AsyncGenerator[Any, None]:
        """Undo a bulk complete (reopen them) or a bulk reopen (complete them again)."""
        if action not in {"complete", "reopen"} or not isinstance(ids, list) or not ids:
            return
        ids = [str(task_id) for task_id in ids][:MAX_SELECTED]
        back = BulkAction(action="reopen" if action == "complete" else "complete", ids=ids)
        async with self:
            tasks = await self.get_state(TasksState)
            tasks._cache = {}
            reload = tasks.reload()  # the rows were gone from this list: bring back those that belong
        async for event in self._bulk(back, f"{_plural(len(ids))} restored"):
            yield event
        yield reload

    @rx.event(background=True)
    async def bulk_move(self, project_id: str) -> AsyncGenerator[Any, None]:
        async with self:
            ids = await self._listed()
            project = self.project_map().get(project_id) if isinstance(project_id, str) else None
        if not ids or project is None or project.archived:
            return
        action = BulkAction(action="move", ids=ids, project_id=project.id)
        async for event in self._bulk(action, f"Moved {_plural(len(ids))} to {project.name}"):
            yield event

    @rx.event(background=True)
    async def bulk_delete(self) -> AsyncGenerator[Any, None]:
        async with self:
            ids = await self._listed()
        if not ids:
            return
        async for event in self._bulk(BulkAction(action="delete", ids=ids), f"Deleted {_plural(len(ids))}"):
            yield event


def _show_done(tasks: TasksState, task: TaskPublic, action: BulkAction) -> None:
    """What the bulk action will do to one row, shown before the server answers."""
    if action.action == "delete":
        tasks.task_removed(task.id)
    elif action.action == "move" and action.project_id:
        tasks.task_saved(task.model_copy(update={"project_id": action.project_id, "section": None}))
    elif action.action == "complete" and task.recurrence is None:
        tasks.task_saved(task.model_copy(update={"status": "done", "overdue": False}))
    elif action.action == "reopen":
        tasks.task_saved(task.model_copy(update={"status": "open", "completed_at": None}))
