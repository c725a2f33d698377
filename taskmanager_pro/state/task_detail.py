"""The task detail panel: every field edited in place and saved at once with the version it was read at.

An edit shows at once, in the panel and in the list (the row pending), and the PATCH follows in the background
(``sync_patch``), one at a time per task, each with the version the previous answer brought. A refusal puts the
panel and the row back as the server has them, with the reason next to the field. A save that lost a race
(another tab, another device) answers 409 with the task as it is now: the panel says "This task was changed
elsewhere" and offers to reload it. Nothing is overwritten silently.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncGenerator
from datetime import date, datetime, time
from typing import Any

import reflex as rx
from pydantic import ValidationError

from backend.client import ApiError
from backend.client.api import StaleVersion, SubtaskIn, SubtaskPublic, TaskPublic, TaskUpdate
from taskmanager_pro.state.base import signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.comments import CommentsState
from taskmanager_pro.state.sharing_views import Person
from taskmanager_pro.state.subtasks import SubtasksState
from taskmanager_pro.state.task_reminders import TaskRemindersState
from taskmanager_pro.state.tasks import TasksState, one_write_at_a_time
from taskmanager_pro.state.views import (
    PRIORITY_COLORS,
    RECURRENCE_PRESETS,
    LabelItem,
    assignee_of,
    bound,
    day_name,
    long_day,
    preset_of,
    rule_of,
)
from taskmanager_pro.state.workspace import WorkspaceState

MAX_SUBTASKS = 100
PENDING = "pending-"  # the id prefix of a subtask (or task row) shown before the server has answered


@dataclasses.dataclass(frozen=True)
class SubtaskItem:
    id: str
    title: str
    done: bool


def _date(value: Any) -> date | None:
    """An ISO date from a native date input, within years a task manager means (typing passes through 0002…)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2200 else None


def _time(value: Any) -> time | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return time.fromisoformat(value).replace(second=0, microsecond=0)
    except ValueError:
        return None


def _problems(error: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "task": str(e["msg"]) for e in error.errors()}


class TaskDetailState(WorkspaceState):
    detail_open: bool = False
    d_id: str = ""
    d_title: str = ""
    d_notes: str = ""
    d_priority: str = "4"
    d_due_date: str = ""
    d_due_time: str = ""
    d_start_date: str = ""
    d_project_id: str = ""
    d_section: str = ""
    d_labels: list[str] = []
    d_subtasks: list[SubtaskItem] = []
    d_recurrence: str = ""
    d_preset: str = "none"
    d_recurrence_text: str = ""
    d_done: bool = False
    d_meta: str = ""
    d_history: list[str] = []
    d_assignee_id: str = ""  # a member's user id ("" = nobody)
    d_members: list[Person] = []  # who a task of a shared project can be assigned to
    d_shared: bool = False
    d_can_edit: bool = True  # the user's role lets them change the task (a viewer's panel is read-only)
    # nested subtasks (issue 14): the parent (to go up), whether a series reopens its subtasks each time
    d_parent_id: str = ""
    d_reset_subtasks: bool = False
    # Bumped when the stored task replaces what the inputs show (another task, a reload): the uncontrolled
    # inputs are keyed by it, so they start again from the stored values.
    d_revision: int = 0

    d_saving: bool = False
    d_error: str = ""
    d_fields: dict[str, str] = {}
    d_conflict: bool = False
    notes_editing: bool = False
    d_delete_open: bool = False

    _detail: TaskPublic | None = None  # what the panel shows (edits included)
    _stored: TaskPublic | None = None  # the server's last answer (what a refusal goes back to)
    _current: TaskPublic | None = None  # after a 409: the task as it is stored now
    _inflight: int = 0  # edits shown but not answered yet

    # --- derived -----------------------------------------------------------------------------
    @rx.var
    def d_label_items(self) -> list[LabelItem]:
        labels = {label.id: label for label in self.labels}
        return [labels[label_id] for label_id in self.d_labels if label_id in labels]

    @rx.var
    def d_other_labels(self) -> list[LabelItem]:
        return [label for label in self.labels if label.id not in self.d_labels]

    @rx.var
    def d_sections(self) -> list[str]:
        return next((p.sections for p in self.projects if p.id == self.d_project_id), [])

    @rx.var
    def d_priority_color(self) -> str:
        return PRIORITY_COLORS.get(int(self.d_priority) if self.d_priority.isdigit() else 4, PRIORITY_COLORS[4])

    @rx.var
    def d_subtasks_done(self) -> int:
        return sum(1 for subtask in self.d_subtasks if subtask.done)

    # --- showing a task ----------------------------------------------------------------------
    def _fill(self, task: TaskPublic, *, reset_inputs: bool) -> None:
        self._detail = task
        self.d_id, self.d_title, self.d_notes = task.id, task.title, task.notes
        self.d_priority = str(task.priority)
        self.d_due_date = task.due_date.isoformat() if task.due_date else ""
        self.d_due_time = task.due_time.strftime("%H:%M") if task.due_time else ""
        self.d_start_date = task.start_date.isoformat() if task.start_date else ""
        self.d_project_id, self.d_section = task.project_id, task.section or ""
        self.d_labels = list(task.labels)
        self.d_subtasks = [SubtaskItem(id=s.id, title=s.title, done=s.done) for s in task.subtasks]
        self.d_recurrence = task.recurrence or ""
        if reset_inputs or self.d_preset != "custom" or not task.recurrence:
            self.d_preset = preset_of(task.recurrence)
        self.d_recurrence_text = task.recurrence_text or ""
        self.d_done = task.status == "done"
        self.d_parent_id, self.d_reset_subtasks = task.parent_id or "", task.reset_subtasks
        project = self.project_map().get(task.project_id)
        self.d_assignee_id = assignee_of(task)
        self.d_shared = project is not None and project.shared
        self.d_members = self.members_of(task.project_id) if self.d_shared else []
        self.d_can_edit = project is None or project.can_edit
        today = self.today()
        created = day_name(task.created_at.date(), today)
        updated = day_name(task.updated_at.date(), today)
        self.d_meta = f"Added {created.lower() if created in {'Today', 'Yesterday'} else created}"
        if task.updated_at != task.created_at:
            self.d_meta += f" · edited {updated.lower() if updated in {'Today', 'Yesterday'} else updated}"
        self.d_history = [
            f"{long_day(c.completed_at.date())}" + (f" (due {long_day(c.due_date)})" if c.due_date else "")
            for c in reversed(task.history[-20:])
        ]
        if reset_inputs:
            self.d_revision += 1
            self.notes_editing = not task.notes.strip()

    @rx.event
    @signed_in
    async def open_task(self, task_id: str) -> AsyncGenerator[Any, None]:
        """Open the panel on a task: at once from its row; the stored task follows in the background."""
        if not isinstance(task_id, str) or not task_id or task_id.startswith(PENDING):
            return
        self.d_error, self.d_fields, self.d_conflict, self._current = "", {}, False, None
        self.d_delete_open, self._inflight = False, 0
        listed = (await self.get_state(TasksState)).task_of(task_id)
        if listed is not None:
            self._fill(listed, reset_inputs=True)
            self._stored = listed
            self.detail_open = True
        else:
            self.d_id, self._stored = task_id, None
        yield bound(TaskDetailState.fetch_task, task_id)
        yield TaskRemindersState.load(task_id)  # type: ignore[operator]  # the panel's reminders (issue 5)
        yield SubtasksState.load(task_id)  # type: ignore[operator]  # its subtasks (issue 14)
        yield bound(CommentsState.load, task_id, listed.project_id if listed is not None else "")

    @rx.event(background=True)
    async def fetch_task(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The panel's task as stored (the row may be older); edits made meanwhile are kept."""
        async with self:
            client = await self._client()
        if client is None or not isinstance(task_id, str):
            return
        try:
            task = await call(client.get_task, task_id)
        except ApiError as error:
            async with self:
                if self.d_id != task_id:
                    return
                if error.status == 404:
                    self.detail_open = False
                    (await self.get_state(TasksState)).task_removed(task_id)
                else:
                    self.d_error = error.message
            if error.status == 404:
                yield rx.toast.error("This task does not exist any more.")
            return
        async with self:
            if self.d_id != task_id:
                return  # another task is open by now
            if self._stored is None:
                self._fill(task, reset_inputs=True)
                self._stored = task
                self.detail_open = True
                (await self.get_state(CommentsState)).c_project_id = task.project_id  # (the row was not listed)
            elif self._inflight:  # edits on their way: their answers bring the panel up to date
                if task.version > self._stored.version:
                    self._stored = task
            elif task != self._stored:
                self._fill(task, reset_inputs=task.version != self._stored.version)
                self._stored = task
                (await self.get_state(TasksState)).task_saved(task)

    def show_stored(self, task: TaskPublic) -> None:
        """A newer stored task (live, or the attachments changed it): the panel shows it, inputs kept."""
        if task.id != self.d_id or self._stored is None or task.version < self._stored.version:
            return
        self._stored = task
        if not self._inflight:  # (edits on their way: their answers bring the panel up to date)
            # The title and notes inputs are uncontrolled: shown again when they changed, or a blur would save the
            # old text over the other change.
            shown = self._detail
            retyped = shown is None or (shown.title, shown.notes) != (task.title, task.notes)
            self._fill(task, reset_inputs=retyped)

    @rx.event
    def set_detail_open(self, value: bool) -> None:
        self.detail_open = bool(value)
        if not value:
            self.d_delete_open = False

    @rx.event
    def set_notes_editing(self, value: bool) -> None:
        self.notes_editing = bool(value)

    @rx.event
    async def reload_current(self) -> None:
        """After a 409: show the task as it is stored now (the user's unsaved edit is dropped)."""
        if self._current is not None:
            self._fill(self._current, reset_inputs=True)
            self._stored = self._current
            tasks = await self.get_state(TasksState)
            tasks.task_saved(self._current)
        self.d_conflict, self._current, self.d_error, self.d_fields = False, None, "", {}

    # --- saving ------------------------------------------------------------------------------
    async def _patch(self, **changes: Any) -> AsyncGenerator[Any, None]:
        """Show the edit now (panel and row), then send it: ``sync_patch`` runs in the background."""
        task = self._detail
        if task is None or self.d_conflict:
            return
        try:
            TaskUpdate(version=task.version, **changes)  # refused here, with the field, before anything shows
        except ValidationError as error:
            self.d_fields = _problems(error)
            self.d_error = "That value cannot be saved: " + "; ".join(f"{k} {v}" for k, v in self.d_fields.items())
            self._fill(task, reset_inputs=True)
            return
        self.d_error, self.d_fields = "", {}
        shown = _edited(task, changes)
        self._fill(shown, reset_inputs=False)
        tasks = await self.get_state(TasksState)
        tasks.task_saved(shown)
        tasks.set_pending(task.id, True)
        self.d_saving, self._inflight = True, self._inflight + 1
        yield bound(TaskDetailState.sync_patch, task.id, json.dumps(changes, default=_json_value))

    @rx.event(background=True)
    async def sync_patch(self, task_id: str, changes_json: str) -> AsyncGenerator[Any, None]:
        """The PATCH of one edit, after the ones before it on this task (each with the version it brought)."""
        if not isinstance(task_id, str) or not isinstance(changes_json, str):
            return
        async with one_write_at_a_time(self, task_id):
            async with self:
                stored = self._stored if self._stored is not None and self._stored.id == task_id else None
                client = await self._client()
                if stored is None or client is None:
                    self.d_saving, self._inflight = False, 0
                    return
                try:
                    update = TaskUpdate.model_validate({**json.loads(changes_json), "version": stored.version})
                except (ValidationError, ValueError, TypeError):
                    self.d_saving = False
                    return
            try:
                saved = await call(client.update_task, task_id, update)
            except StaleVersion as stale:
                async with self:
                    self._inflight = 0
                    self.d_saving, self.d_conflict, self._current = False, True, stale.current
                    tasks = await self.get_state(TasksState)
                    tasks.set_pending(task_id, False)
                return
            except ApiError as error:
                async with self:
                    self._inflight = max(self._inflight - 1, 0)
                    self.d_saving, self.d_error, self.d_fields = False, error.message, dict(error.fields)
                    tasks = await self.get_state(TasksState)
                    tasks.set_pending(task_id, False)
                    tasks.task_saved(stored)
                    if self.d_id == task_id:
                        self._fill(stored, reset_inputs=True)  # the inputs show what is stored, next to the reason
                yield rx.toast.error(error.first_problem, id="detail-save")
                return
            async with self:
                self._inflight = max(self._inflight - 1, 0)
                last = self._inflight == 0
                self.d_saving = not last
                tasks = await self.get_state(TasksState)
                if last:
                    tasks.set_pending(task_id, False)
                    tasks.task_saved(saved)
                if self.d_id == task_id:
                    self._stored = saved
                    if last:
                        self._fill(saved, reset_inputs=False)  # the server's words (rule text, subtask ids)
                    elif self._detail is not None:
                        self._detail = self._detail.model_copy(update={"version": saved.version})

    async def _save_title(self, value: Any) -> AsyncGenerator[Any, None]:
        title = value.strip() if isinstance(value, str) else ""
        if not title:
            self.d_fields = {"title": "A task needs a title."}
            self.d_revision += 1  # back to the stored title
            return
        if title != self.d_title:
            async for event in self._patch(title=title):
                yield event

    @rx.event
    async def save_title(self, value: str) -> AsyncGenerator[Any, None]:
        """``on_blur`` of the title."""
        async for event in self._save_title(value):
            yield event

    @rx.event
    async def submit_title(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """Enter in the title."""
        async for event in self._save_title(form.get("title")):
            yield event

    @rx.event
    async def save_notes(self, value: str) -> AsyncGenerator[Any, None]:
        notes = value if isinstance(value, str) else ""
        if notes != self.d_notes:
            async for event in self._patch(notes=notes):
                yield event
        if notes.strip():
            self.notes_editing = False

    @rx.event
    async def set_priority(self, value: str) -> AsyncGenerator[Any, None]:
        if value in {"1", "2", "3", "4"} and value != self.d_priority:
            async for event in self._patch(priority=int(value)):
                yield event

    @rx.event
    async def set_due_date(self, value: str) -> AsyncGenerator[Any, None]:
        day = _date(value)
        if value and day is None:
            return  # still being typed
        if (day.isoformat() if day else "") == self.d_due_date:
            return
        changes: dict[str, Any] = {"due_date": day}
        if day is None:
            changes |= {"due_time": None, "recurrence": None}  # no date: no time, no series
        async for event in self._patch(**changes):
            yield event

    @rx.event
    async def set_due_time(self, value: str) -> AsyncGenerator[Any, None]:
        at = _time(value)
        if value and at is None:
            return
        if (at.strftime("%H:%M") if at else "") == self.d_due_time:
            return
        changes: dict[str, Any] = {"due_time": at}
        if at is not None and not self.d_due_date:
            changes["due_date"] = self.today()  # a time alone means today
        async for event in self._patch(**changes):
            yield event

    @rx.event
    async def set_start_date(self, value: str) -> AsyncGenerator[Any, None]:
        day = _date(value)
        if value and day is None:
            return
        if (day.isoformat() if day else "") != self.d_start_date:
            async for event in self._patch(start_date=day):
                yield event

    @rx.event
    async def set_project(self, value: str) -> AsyncGenerator[Any, None]:
        project = self.project_map().get(value)
        if project is None or project.archived or value == self.d_project_id:
            return
        async for event in self._patch(project_id=value):
            yield event

    @rx.event
    async def set_section(self, value: str) -> AsyncGenerator[Any, None]:
        section = "" if value == "__none__" else value
        if section != self.d_section and (not section or section in self.d_sections):
            async for event in self._patch(section=section or None):
                yield event

    @rx.event
    async def set_assignee(self, value: str) -> AsyncGenerator[Any, None]:
        """A member of the task's shared project, or "" for nobody (the server checks the membership)."""
        user_id = value if isinstance(value, str) else ""
        if user_id == self.d_assignee_id or (user_id and user_id not in {p.user_id for p in self.d_members}):
            return
        async for event in self._patch(assignee_id=user_id or None):
            yield event

    @rx.event
    async def add_label(self, label_id: str) -> AsyncGenerator[Any, None]:
        if label_id in self.label_map() and label_id not in self.d_labels and len(self.d_labels) < 10:
            async for event in self._patch(labels=[*self.d_labels, label_id]):
                yield event

    @rx.event
    async def remove_label(self, label_id: str) -> AsyncGenerator[Any, None]:
        if label_id in self.d_labels:
            async for event in self._patch(labels=[x for x in self.d_labels if x != label_id]):
                yield event

    # --- subtasks ----------------------------------------------------------------------------
    async def _save_subtasks(self, items: list[SubtaskItem]) -> AsyncGenerator[Any, None]:
        # (a subtask shown before the server gave it an id goes as a new one; the list is replaced as a whole)
        subtasks = [SubtaskIn(id=_stored_id(s.id), title=s.title, done=s.done) for s in items]
        async for event in self._patch(subtasks=subtasks):
            yield event

    @rx.event
    async def add_subtask(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        value = form.get("subtask")
        title = value.strip()[:200] if isinstance(value, str) else ""
        if not title or len(self.d_subtasks) >= MAX_SUBTASKS:
            return
        async for event in self._save_subtasks([*self.d_subtasks, SubtaskItem(id="", title=title, done=False)]):
            yield event

    @rx.event
    async def toggle_subtask(self, subtask_id: str) -> AsyncGenerator[Any, None]:
        index = self._subtask_index(subtask_id)
        if index < 0:
            return
        items = list(self.d_subtasks)
        items[index] = dataclasses.replace(items[index], done=not items[index].done)
        async for event in self._save_subtasks(items):
            yield event

    @rx.event
    async def remove_subtask(self, subtask_id: str) -> AsyncGenerator[Any, None]:
        index = self._subtask_index(subtask_id)
        if index < 0:
            return
        async for event in self._save_subtasks([s for i, s in enumerate(self.d_subtasks) if i != index]):
            yield event

    @rx.event
    async def move_subtask(self, subtask_id: str, step: int) -> AsyncGenerator[Any, None]:
        items = list(self.d_subtasks)
        index = self._subtask_index(subtask_id)
        target = index + (1 if step > 0 else -1)
        if index < 0 or not 0 <= target < len(items):
            return
        items[index], items[target] = items[target], items[index]
        async for event in self._save_subtasks(items):
            yield event

    def _subtask_index(self, subtask_id: Any) -> int:
        """Where the subtask is; -1 if not here. A click may name a subtask by the id it had before the server
        answered (``pending-<position>``) while the panel shows the stored one by now: same position, same one."""
        if not isinstance(subtask_id, str):
            return -1
        index = next((i for i, s in enumerate(self.d_subtasks) if s.id == subtask_id), -1)
        position = subtask_id.removeprefix(PENDING)
        if index < 0 and subtask_id.startswith(PENDING) and position.isdigit():
            index = int(position) if int(position) < len(self.d_subtasks) else -1
        return index

    # --- recurrence --------------------------------------------------------------------------
    async def _save_rule(self, rule: str | None) -> AsyncGenerator[Any, None]:
        changes: dict[str, Any] = {"recurrence": rule}
        if rule and not self.d_due_date:
            changes["due_date"] = self.today()  # a series starts somewhere: today unless a date is set
        async for event in self._patch(**changes):
            yield event

    @rx.event
    async def set_reset_subtasks(self, value: bool) -> AsyncGenerator[Any, None]:
        """A series' option: its subtasks open again with each new occurrence (issue 14)."""
        if bool(value) != self.d_reset_subtasks:
            async for event in self._patch(reset_subtasks=bool(value)):
                yield event

    @rx.event
    async def set_preset(self, value: str) -> AsyncGenerator[Any, None]:
        if value not in {key for key, _, _ in RECURRENCE_PRESETS}:
            return
        self.d_preset = value
        if value == "custom":
            return  # the rule field takes it from here
        rule = rule_of(value)
        if (rule or "") != self.d_recurrence:
            async for event in self._save_rule(rule):
                yield event

    @rx.event
    async def save_rule(self, value: str) -> AsyncGenerator[Any, None]:
        rule = value.strip().upper().removeprefix("RRULE:")[:200] if isinstance(value, str) else ""
        if rule != self.d_recurrence:
            async for event in self._save_rule(rule or None):
                yield event

    # --- complete, delete --------------------------------------------------------------------
    @rx.event
    def toggle_detail_done(self) -> Any:
        """Complete (or reopen) from the panel: the list's own optimistic path; the panel closes on completing."""
        task = self._detail
        if task is None:
            return None
        if task.status == "open" and task.recurrence is None:
            self.detail_open = False
        return bound(TasksState.toggle_done, task.id)

    @rx.event
    def set_d_delete_open(self, value: bool) -> None:
        self.d_delete_open = bool(value)

    @rx.event
    @signed_in
    async def delete_detail(self) -> AsyncGenerator[Any, None]:
        """Delete from the panel: the panel closes and the row goes at once; a refusal brings the row back."""
        task = self._detail
        self.d_delete_open = False
        if task is None:
            return
        self.detail_open, self._detail = False, None
        tasks = await self.get_state(TasksState)
        listed = tasks.task_of(task.id)
        tasks.task_removed(task.id)
        yield
        try:
            await call(self._api().delete_task, task.id)
        except ApiError as error:
            if error.status != 404:
                if listed is not None:
                    tasks.task_created(listed)
                yield rx.toast.error(error.first_problem)
                return
        yield rx.toast.info("Task deleted", description=task.title, id="deleted")


def _stored_id(subtask_id: str) -> str | None:
    return None if not subtask_id or subtask_id.startswith(PENDING) else subtask_id


def _json_value(value: Any) -> Any:
    """Dates, times and subtasks as the API's JSON has them (for the background PATCH's argument)."""
    if isinstance(value, date | time | datetime):
        return value.isoformat()
    if isinstance(value, SubtaskIn):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _edited(task: TaskPublic, changes: dict[str, Any]) -> TaskPublic:
    """The task as the edit will leave it, for the panel and the row until the server answers."""
    update = {key: value for key, value in changes.items() if key != "subtasks"}
    if "subtasks" in changes:
        update["subtasks"] = [
            SubtaskPublic(id=s.id or f"{PENDING}{i}", title=s.title, done=s.done)
            for i, s in enumerate(changes["subtasks"])
        ]
    if "recurrence" in changes and changes["recurrence"] != task.recurrence:
        update["recurrence_text"] = None  # the server words the new rule
    return task.model_copy(update=update)
