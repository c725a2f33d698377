"""Quick add: one line of natural language ("Call mom tomorrow 5pm p1 #Family @phone"), parsed by the API as
the user types (here, without a round trip: ``backend.client.quick_add``) and shown as chips, saved with Enter.
The page adds its context (the project of a project page, the label of a label page, "today" on Today) where the
text says nothing else.

Enter shows the task at once, as a pending row where it belongs, and clears the line; the one ``POST /api/tasks``
follows in the background with an ``Idempotency-Key`` (one per submission: a repeated Enter of the same line, or a
retry, creates nothing new). A refusal takes the row away and puts the text back with the reason."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from backend.client import ApiError
from backend.client.api import QuickAddParsed, TaskCreate, TaskPublic
from backend.client.quick_add import Destination, parse_quick_add, suggestions, with_suggestion
from taskmanager_pro.state.calendar import CalendarState, parse_slot
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.tasks import PROVISIONAL, TasksState
from taskmanager_pro.state.views import day_name
from taskmanager_pro.state.workspace import WorkspaceState

MAX_TEXT = 1000
INPUT_IDS = ("quick-add-input", "quick-add-dialog-input")
REPEAT_SECONDS = 3.0  # the same line submitted again this soon is the same submission (a double Enter)
CHIP_ICONS = {
    "due": "calendar",
    "time": "clock",
    "recurrence": "repeat",
    "priority": "flag",
    "project": "hash",
    "label": "tag",
    "section": "columns-2",
}


@dataclasses.dataclass(frozen=True)
class ChipView:
    kind: str
    text: str  # what was typed
    label: str  # what it means
    icon: str
    color: str  # a Radix colour scheme
    hint: str  # "from this page", "not found: goes to the Inbox"


def _chip(kind: str, text: str, label: str, *, color: str = "gray", hint: str = "") -> ChipView:
    return ChipView(kind=kind, text=text, label=label, icon=CHIP_ICONS.get(kind, "sparkles"), color=color, hint=hint)


@dataclasses.dataclass(frozen=True)
class SuggestionView:
    insert: str  # what replaces the tag being typed
    name: str
    detail: str  # "shared", "new label", a section's project
    icon: str


class QuickAddState(WorkspaceState):
    qa_text: str = ""
    chips: list[ChipView] = []
    qa_title: str = ""
    qa_error: str = ""
    qa_warnings: list[str] = []  # a date in the past, a section the project does not have
    qa_suggestions: list[SuggestionView] = []  # while a #project, @label or /section is typed
    dialog_open: bool = False
    slot: str = ""  # a calendar slot the dialog was opened on ("2026-12-07" or "2026-12-07T09:00"): its defaults

    # The last submission: (text, idempotency key, when) — a repeat of it is not a new task.
    _last_text: str = ""
    _last_key: str = ""
    _last_at: float = 0.0

    # --- the dialog (shortcut q) -------------------------------------------------------------
    @rx.event
    def open_dialog(self) -> None:
        """(Radix focuses the dialog's input when it opens.)"""
        self.dialog_open, self.qa_error, self.slot = True, "", ""

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = bool(value)
        if not self.dialog_open:
            self.slot = ""

    @rx.event
    def open_at(self, slot: str) -> None:
        """A click on an empty calendar slot: the dialog, with that day (and time) where the text names none."""
        if not isinstance(slot, str) or parse_slot(slot) is None:
            return
        self._clear()
        self.slot, self.dialog_open = slot, True

    # --- typing ------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.qa_text, self.qa_title, self.chips, self.qa_error = "", "", [], ""
        self.qa_warnings, self.qa_suggestions = [], []

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ValueError, KeyError):
            return ZoneInfo("UTC")

    def _destinations(self) -> list[Destination]:
        """Where a task may go: not archived, and a shared project only where the user may add tasks."""
        return [
            Destination(id=p.id, name=p.name, sections=tuple(p.sections), shared=p.shared)
            for p in self.projects
            if not p.archived and p.can_edit
        ]

    def _page_project(self, view: str, context_id: str) -> Destination | None:
        return next((d for d in self._destinations() if view == "project" and d.id == context_id), None)

    def _parse(self, text: str, view: str = "", context_id: str = "") -> QuickAddParsed:
        order = self.date_order if self.date_order in ("DMY", "MDY", "YMD") else None
        return parse_quick_add(
            text,
            now=datetime.now(self._zone()),
            tz=self._zone(),
            open_projects=self._destinations(),
            labels=[label.name for label in self.labels],
            date_order=order,  # type: ignore[arg-type]  # (checked just above)
            default=self._page_project(view, context_id),
        )

    def _context_task(self, task: TaskCreate, view: str, context_id: str) -> TaskCreate:
        """The page's defaults for what the text does not say (a calendar slot's: its day and time only)."""
        changes: dict[str, Any] = {}
        slot = parse_slot(self.slot) if self.slot and self.dialog_open else None
        if slot is not None:
            view, context_id = "calendar", ""
        project = self.project_map().get(context_id)
        if view == "project" and task.project_id is None and project and not project.archived:
            changes["project_id"] = project.id
        if view == "label" and context_id in self.label_map() and context_id not in task.labels:
            changes["labels"] = [*task.labels, context_id][:10]
        if view == "today" and task.due_date is None:
            changes["due_date"] = self.today()
        if slot is not None and task.due_date is None:
            changes["due_date"] = slot[0]
            if slot[1] is not None and task.due_time is None:
                changes["due_time"] = slot[1]
        return task.model_copy(update=changes) if changes else task

    def _show(self, parsed: QuickAddParsed, view: str, context_id: str) -> None:
        task = self._context_task(parsed.task, view, context_id)
        self.qa_title = task.title
        colors = {"due": "grass", "time": "grass", "recurrence": "violet", "priority": "red", "label": "orange"}
        chips: list[ChipView] = []
        for chip in parsed.chips:
            if chip.kind == "project":
                found = parsed.project_found
                hint = "" if found else "no such project: the task goes to the Inbox"
                chips.append(_chip("project", chip.text, chip.label, color="blue" if found else "amber", hint=hint))
            elif chip.kind == "label" and chip.label in parsed.new_labels:
                chips.append(_chip("label", chip.text, chip.label, color="amber", hint="new label"))
            elif chip.kind == "section":
                found = task.section is not None
                chips.append(_chip("section", chip.text, chip.label, color="cyan" if found else "amber"))
            elif chip.kind == "priority":
                color = {"Priority 1": "red", "Priority 2": "orange", "Priority 3": "blue"}.get(chip.label, "gray")
                chips.append(_chip("priority", chip.text, chip.label, color=color))
            else:
                chips.append(_chip(chip.kind, chip.text, chip.label, color=colors.get(chip.kind, "gray")))
        kinds = {chip.kind for chip in parsed.chips}
        project = self.project_map().get(task.project_id or "")
        if "project" not in kinds and project is not None and view == "project":
            chips.append(_chip("project", "", project.name, color="blue", hint="this project"))
        label = self.label_map().get(context_id) if view == "label" else None
        typed_labels = {c.label.lower() for c in parsed.chips if c.kind == "label"}
        if label is not None and label.name.lower() not in typed_labels:
            chips.append(_chip("label", "", label.name, color="orange", hint="this label"))
        if "due" not in kinds and task.due_date is not None:
            first = "recurrence" in kinds  # a series without a date starts on its first occurrence
            hint = "first time" if first else ("this slot" if self.slot and self.dialog_open else "this page")
            chips.append(_chip("due", "", day_name(task.due_date, self.today()), color="grass", hint=hint))
        if "time" not in kinds and task.due_time is not None:  # (a calendar slot's hour)
            chips.append(_chip("time", "", task.due_time.strftime("%H:%M"), color="grass", hint="this slot"))
        self.chips = chips
        self.qa_warnings = parsed.warnings

    @rx.event
    async def set_qa_text(self, value: str) -> None:
        """``on_change`` of the quick-add input (debounced in the browser): parse here and show the chips."""
        await self._typed(value[:MAX_TEXT] if isinstance(value, str) else "")

    async def _typed(self, text: str) -> None:
        if not text.strip() or self._is_repeat(text):
            self._clear()  # (a debounced echo of the line just saved must not bring it back)
            return
        self.qa_text = text
        tasks = await self.get_state(TasksState)
        self._show(self._parse(text, tasks.view, tasks.context_id), tasks.view, tasks.context_id)
        found = suggestions(
            text,
            projects=self._destinations(),
            labels=[label.name for label in self.labels],
            default=self._page_project(tasks.view, tasks.context_id),
        )
        self.qa_suggestions = [
            SuggestionView(insert=s.insert, name=s.name, detail=s.detail, icon=CHIP_ICONS[s.kind]) for s in found
        ]

    @rx.event
    async def pick_suggestion(self, insert: str) -> AsyncGenerator[Any, None]:
        """A suggestion clicked: it replaces the tag being typed; the input keeps the focus for more typing."""
        if not isinstance(insert, str) or not self.qa_text:
            return
        text = with_suggestion(self.qa_text, insert)[:MAX_TEXT]
        await self._typed(text)
        self.qa_suggestions = []
        input_id = INPUT_IDS[1] if self.dialog_open else INPUT_IDS[0]
        yield rx.set_value(input_id, text)
        yield rx.call_script(f"document.getElementById({json.dumps(input_id)})?.focus()")

    # --- saving ------------------------------------------------------------------------------
    def _provisional(self, task: TaskCreate) -> TaskPublic:
        """The row shown until the server answers: what the task will be, under a temporary id."""
        now = datetime.now(self._zone())
        names = {label.name.lower(): label.id for label in self.labels}
        labels = [*task.labels, *(names[n.lower()] for n in task.label_names if n.lower() in names)]
        return TaskPublic(
            id=f"{PROVISIONAL}{uuid.uuid4().hex}",
            title=task.title,
            notes=task.notes,
            status="open",
            priority=task.priority,
            due_date=task.due_date,
            due_time=task.due_time,
            start_date=task.start_date,
            project_id=task.project_id or "inbox",
            section=task.section,
            labels=list(dict.fromkeys(labels)),
            subtasks=[],
            recurrence=task.recurrence,
            recurrence_text=None,
            position="~",  # the API puts a new task last in its project
            created_at=now,
            updated_at=now,
            completed_at=None,
            history=[],
            overdue=False,
            version=0,
        )

    async def _calendar_shows(self, task: TaskPublic, *, replaces: str = "") -> None:
        """The calendar (when this tab has shown it) places the new task too: added on its slot, it shows there."""
        calendar = await self.get_state(CalendarState)
        if calendar.loaded:
            calendar.task_saved(task, replaces=replaces)

    async def _not_added(self, provisional_id: str) -> None:
        (await self.get_state(TasksState)).task_removed(provisional_id)
        (await self.get_state(CalendarState)).task_removed(provisional_id)

    def _is_repeat(self, text: str) -> bool:
        return text == self._last_text and time.monotonic() - self._last_at < REPEAT_SECONDS

    @rx.event(background=True)
    async def save(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """Enter: the task shows at once (pending), the line clears; the create follows in the background."""
        value = form.get("text") if isinstance(form, dict) else None
        async with self:
            text = (value if isinstance(value, str) else self.qa_text)[:MAX_TEXT]
            if not text.strip() or self._is_repeat(text):
                return  # (a double Enter: the first one is on its way)
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            tasks = await self.get_state(TasksState)
            payload = self._context_task(
                self._parse(text, tasks.view, tasks.context_id).task, tasks.view, tasks.context_id
            )
            key = uuid.uuid4().hex
            self._last_text, self._last_key, self._last_at = text, key, time.monotonic()
            provisional = self._provisional(payload)
            events = tasks.task_created(provisional)
            tasks.set_pending(provisional.id, True)
            await self._calendar_shows(provisional)
            self._clear()
            self.dialog_open, self.slot = False, ""
            known = {label.name.lower() for label in self.labels}
            new_labels = any(name.lower() not in known for name in payload.label_names)
        yield rx.set_value(INPUT_IDS[0], "")  # (the state's text may never have held it: typed within the debounce)
        yield rx.set_value(INPUT_IDS[1], "")
        for event in events:
            yield event
        try:
            task = await call(client.create_task, payload, idempotency_key=key)
        except ApiError as error:
            async with self:
                await self._not_added(provisional.id)
                self._last_text = ""
                if not self.qa_text:
                    self.qa_text = text  # nothing typed since: the line comes back, with the reason
                self.qa_error = error.first_problem
            yield rx.toast.error(f"Not added: {error.first_problem}", description=text, id="quick-add")
            return
        async with self:
            tasks = await self.get_state(TasksState)
            events = tasks.task_created(task, replaces=provisional.id)
            await self._calendar_shows(task, replaces=provisional.id)
            if new_labels:
                await self.refresh()  # "@new" created labels: the sidebar and the row's chips
                tasks.workspace_changed()
            where = self.project_map().get(task.project_id)
            today = self.today()
        for event in events:
            yield event
        parts = [task.title, where.name if where else ""]
        if task.due_date is not None:
            at = f" {task.due_time.strftime('%H:%M')}" if task.due_time else ""
            parts.append(day_name(task.due_date, today) + at)
        description = " · ".join(part for part in parts if part)
        yield rx.toast.success("Task added", description=description, id="quick-add")
