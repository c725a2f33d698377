"""Selecting rows and acting on all of them: complete (or reopen), delete; and bulk edit (issue 14): reschedule, set
priority, add/remove a label, assign, move — each one undoable change.

The rows change at once; the one bulk call follows in the background and its answer (the tasks as stored) is
placed in the list. The API's complete/reopen/delete are all-or-nothing, so a refusal puts every row back; a bulk
edit answers per task (``backend.client.bulk_edit``): the tasks it changed take the answer, the others go back as
they were and the toast says how many could not be changed and why. Its "Undo" sends the edit that restores the
previous values at the versions the edit left: a task someone changed meanwhile is reported, not overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import date, timedelta
from typing import Any

import reflex as rx
from pydantic import BaseModel

from backend.client import ApiError
from backend.client.api import BulkAction, BulkEdit, BulkEditItem, BulkEditResponse, TaskPublic
from backend.client.bulk_edit import edit_of, undo_of
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.tasks import PROVISIONAL, TasksState
from taskmanager_pro.state.views import bound
from taskmanager_pro.state.workspace import WorkspaceState

MAX_SELECTED = 100  # the API's bulk limit
MAX_UNDOS = 20  # undo toasts kept answerable per tab (older ones have long faded)


def _plural(n: int) -> str:
    return f"{n} task{'s' if n != 1 else ''}"


class SelectionState(WorkspaceState):
    select_mode: bool = False
    selected: list[str] = []
    bulk_project: str = ""
    bulk_delete_open: bool = False
    assignee_options: list[dict[str, str]] = []  # who the selection may be assigned to: me, and fellow members

    _undos: dict[str, str] = {}  # undo id -> the BulkEdit that restores, as JSON, and the tasks as they were

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
        self._assignees(tasks)

    def _assignees(self, tasks: TasksState) -> None:
        """Me, then the members of the selected tasks' shared projects who may complete tasks (the API checks each
        task: assigning someone outside a task's project is reported for that task)."""
        options: dict[str, str] = {self._user_id: "Me"} if self._user_id else {}
        projects = {task.project_id for task_id in self.selected if (task := tasks.task_of(task_id)) is not None}
        for project_id in sorted(projects):
            for person in self.members_of(project_id):
                if person.user_id and not person.pending and person.role in ("owner", "admin", "editor"):
                    options.setdefault(person.user_id, person.name or person.email)
        self.assignee_options = [{"id": user_id, "name": name} for user_id, name in options.items()]

    @rx.event
    async def toggle_selected(self, task_id: str) -> None:
        if isinstance(task_id, str):
            await self.toggle(task_id)

    @rx.event
    async def select_all(self) -> None:
        tasks = await self.get_state(TasksState)
        self.selected = [task.id for task in tasks._tasks if not task.id.startswith(PROVISIONAL)][:MAX_SELECTED]
        self._assignees(tasks)

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
        async for event in self._edit(edit_of(ids, project_id=project.id), f"Moved {{n}} to {project.name}"):
            yield event

    # --- bulk edit (issue 14): each one undoable change ------------------------------------------
    @rx.event(background=True)
    async def bulk_reschedule(self, when: str) -> AsyncGenerator[Any, None]:
        """``when``: an ISO date (the date input), "today", "tomorrow", "next_week" or "none" (no date)."""
        async with self:
            ids = await self._listed()
            due = _due_of(when, self.today()) if isinstance(when, str) else ""
        if not ids or due == "":
            return
        done = f"Rescheduled {{n}} to {due.isoformat()}" if isinstance(due, date) else "Took the date off {n}"
        async for event in self._edit(edit_of(ids, due_date=due), done):
            yield event

    @rx.event(background=True)
    async def bulk_priority(self, value: str) -> AsyncGenerator[Any, None]:
        async with self:
            ids = await self._listed()
        if not ids or value not in {"1", "2", "3", "4"}:
            return
        async for event in self._edit(edit_of(ids, priority=int(value)), f"Set {{n}} to priority {value}"):
            yield event

    @rx.event(background=True)
    async def bulk_label(self, value: str) -> AsyncGenerator[Any, None]:
        """``value``: "+<label id>" adds the label to the selection, "-<label id>" takes it off."""
        async with self:
            ids = await self._listed()
            label = self.label_map().get(value[1:]) if isinstance(value, str) and value[:1] in "+-" else None
        if not ids or label is None:
            return
        if value[0] == "+":
            edit, done = edit_of(ids, add_labels=[label.id]), f"Labelled {{n}} @{label.name}"
        else:
            edit, done = edit_of(ids, remove_labels=[label.id]), f"Took @{label.name} off {{n}}"
        async for event in self._edit(edit, done):
            yield event

    @rx.event(background=True)
    async def bulk_assign(self, user_id: str) -> AsyncGenerator[Any, None]:
        """``user_id``: one of ``assignee_options``, or "none" to unassign."""
        async with self:
            ids = await self._listed()
            names = {option["id"]: option["name"] for option in self.assignee_options}
        if not ids or not isinstance(user_id, str) or (user_id != "none" and user_id not in names):
            return
        if user_id == "none":
            edit, done = edit_of(ids, assignee_id=None), "Unassigned {n}"
        else:
            edit, done = edit_of(ids, assignee_id=user_id), f"Assigned {{n}} to {names[user_id]}"
        async for event in self._edit(edit, done):
            yield event

    @rx.event(background=True)
    async def bulk_edit_undo(self, undo_id: str) -> AsyncGenerator[Any, None]:
        async with self:
            saved = self._undos.get(undo_id) if isinstance(undo_id, str) else None
            self._undos = {k: v for k, v in self._undos.items() if k != undo_id}  # one undo per change
        if saved is None:
            return
        undo = _Undo.model_validate_json(saved)
        async for event in self._edit(undo.edit, "Restored {n}", shown=undo.before):
            yield event

    async def _edit(
        self, edit: BulkEdit, done: str, *, shown: list[TaskPublic] | None = None
    ) -> AsyncGenerator[Any, None]:
        """Show ``edit`` on the rows (``shown``: the rows as they will be, when known), send it, place the answer:
        the tasks it changed as stored, the others back as they were; then a toast with "Undo" (``done`` names the
        count as ``{n}``)."""
        async with self:
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            tasks = await self.get_state(TasksState)
            by_id = {task.id: task for task in shown or []}
            items = {item.id: item for item in edit.items}
            before = {task_id: task for task_id in items if (task := tasks.task_of(task_id)) is not None}
            for task_id, item in items.items():
                after = by_id.get(task_id) or (_predicted(before[task_id], item) if task_id in before else None)
                if after is not None:
                    tasks.task_saved(after)
                    tasks.set_pending(task_id, True)
            self.clear()
        try:
            answer = await call(client.bulk_edit, edit, idempotency_key=str(uuid.uuid4()))
        except ApiError as error:
            async with self:
                tasks = await self.get_state(TasksState)
                for task_id in items:
                    tasks.set_pending(task_id, False)
                    if task_id in before:
                        tasks.task_saved(before[task_id])
                    elif task_id in by_id:
                        tasks.task_removed(task_id)  # an undo's row that was not here before it
            yield rx.toast.error(error.first_problem, id="bulk")
            return
        async with self:
            changed, problems = _placed(await self.get_state(TasksState), answer, before)
            undo = undo_of(edit, answer)
            undo_id = ""
            if undo is not None and shown is None:  # an undo is not undone again
                previous = [r.previous for r in answer.results if r.status == 200 and r.previous is not None]
                undo_id = uuid.uuid4().hex
                kept = list(self._undos.items())[-(MAX_UNDOS - 1) :]
                self._undos = {**dict(kept), undo_id: _Undo(edit=undo, before=previous).model_dump_json()}
        action = {"label": "Undo", "on_click": bound(SelectionState.bulk_edit_undo, undo_id)} if undo_id else None
        # An undo's answer gets a toast of its own: sonner merges a toast into one of the same id that is still
        # leaving (the "Undo" click dismissed it), and the answer then left with it, unseen (a browser test saw none).
        toast_id = "bulk" if shown is None else "bulk-undone"
        yield _outcome(done.replace("{n}", _plural(changed)), changed, problems, action, toast_id=toast_id)

    @rx.event(background=True)
    async def bulk_delete(self) -> AsyncGenerator[Any, None]:
        async with self:
            ids = await self._listed()
        if not ids:
            return
        async for event in self._bulk(BulkAction(action="delete", ids=ids), f"Deleted {_plural(len(ids))}"):
            yield event


class _Undo(BaseModel):
    """What an "Undo" sends, and the rows as they were (shown at once, even those that left the list)."""

    edit: BulkEdit
    before: list[TaskPublic]


def _due_of(when: str, today: date) -> date | str | None:
    """The date a reschedule sets; None takes the date off; "" for anything else."""
    shortcuts: dict[str, date | None] = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "next_week": today + timedelta(days=7 - today.weekday()),  # next Monday
        "none": None,
    }
    if when in shortcuts:
        return shortcuts[when]
    try:
        return date.fromisoformat(when)
    except ValueError:
        return ""


def _predicted(task: TaskPublic, item: BulkEditItem) -> TaskPublic:
    """The row as a bulk edit item will leave it, shown before the server answers."""
    update: dict[str, Any] = {
        name: getattr(item, name)
        for name in ("project_id", "section", "priority", "due_date", "due_time", "assignee_id")
        if name in item.model_fields_set
    }
    if "due_date" in update and update["due_date"] is None:
        update["due_time"] = None
    if "project_id" in update and "section" not in update:
        update["section"] = None
    if item.add_labels or item.remove_labels:
        kept = [label for label in task.labels if label not in item.remove_labels]
        update["labels"] = [*kept, *(label for label in item.add_labels if label not in kept)]
    return task.model_copy(update=update)


def _placed(tasks: TasksState, answer: BulkEditResponse, before: dict[str, TaskPublic]) -> tuple[int, list[str]]:
    """A bulk edit's answer in the list: the tasks it changed as stored, a task changed by someone else meanwhile as
    stored now (409), any other back as it was. Returns how many changed and why the others did not."""
    changed, problems = 0, []
    for result in answer.results:
        tasks.set_pending(result.id, False)
        if result.status == 200 and result.task is not None:
            changed += 1
            tasks.task_saved(result.task)
            continue
        problems.append(result.error.message if result.error else "not changed")
        if result.task is not None:
            tasks.task_saved(result.task)
        elif result.id in before:
            tasks.task_saved(before[result.id])
        else:
            tasks.task_removed(result.id)
    return changed, problems


def _outcome(
    message: str, changed: int, problems: list[str], action: dict[str, Any] | None, *, toast_id: str = "bulk"
) -> Any:
    """The toast of a bulk edit: success with "Undo"; a warning naming the first problem when some tasks were not
    changed; an error when none was."""
    if problems:
        message = f"{message}; {_plural(len(problems))} not changed: {problems[0]}"
    if not changed:
        return rx.toast.error(message, id=toast_id)
    if problems:
        return rx.toast.warning(message, action=action, id=toast_id)
    return rx.toast.success(message, action=action, id=toast_id)


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
