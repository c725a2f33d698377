"""Quick add: one line of natural language ("Call mom tomorrow 5pm p1 #Family @phone"), parsed by the API as
the user types and shown as chips, saved with Enter. The page adds its context (the project of a project page,
the label of a label page, "today" on Today) where the text says nothing else."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import QuickAddParsed, TaskCreate
from taskmanager_pro.state.clients import api, call
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.views import day_name

MAX_TEXT = 1000
CHIP_ICONS = {
    "due": "calendar",
    "time": "clock",
    "recurrence": "repeat",
    "priority": "flag",
    "project": "hash",
    "label": "tag",
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


class QuickAddState(TasksState):
    qa_text: str = ""
    chips: list[ChipView] = []
    qa_title: str = ""
    qa_busy: bool = False
    qa_error: str = ""
    dialog_open: bool = False

    # The last parse, as JSON: a model kept in the state comes back wrapped in Reflex's change-tracking proxy,
    # which pydantic cannot serialize again.
    _parsed_json: str = ""
    _parsed_text: str = ""

    # --- the dialog (shortcut q) -------------------------------------------------------------
    @rx.event
    def open_dialog(self) -> None:
        """(Radix focuses the dialog's input when it opens.)"""
        self.dialog_open, self.qa_error = True, ""

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = bool(value)

    # --- typing ------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.qa_text, self.qa_title, self.chips, self.qa_error = "", "", [], ""
        self._parsed_json, self._parsed_text = "", ""

    def _context_task(self, task: TaskCreate) -> TaskCreate:
        """The page's defaults for what the text does not say."""
        changes: dict[str, Any] = {}
        project = self.project_map().get(self.context_id)
        if self.view == "project" and task.project_id is None and project and not project.archived:
            changes["project_id"] = project.id
        if self.view == "label" and self.context_id in self.label_map() and self.context_id not in task.labels:
            changes["labels"] = [*task.labels, self.context_id][:10]
        if self.view == "today" and task.due_date is None:
            changes["due_date"] = self.today()
        return task.model_copy(update=changes) if changes else task

    def _show(self, parsed: QuickAddParsed) -> None:
        task = self._context_task(parsed.task)
        self.qa_title = task.title
        colors = {"due": "grass", "time": "grass", "recurrence": "violet", "priority": "red", "label": "orange"}
        chips: list[ChipView] = []
        for chip in parsed.chips:
            if chip.kind == "project":
                found = parsed.project_found
                hint = "" if found else "no such project: the task goes to the Inbox"
                chips.append(_chip("project", chip.text, chip.label, color="blue" if found else "amber", hint=hint))
            elif chip.kind == "priority":
                color = {"Priority 1": "red", "Priority 2": "orange", "Priority 3": "blue"}.get(chip.label, "gray")
                chips.append(_chip("priority", chip.text, chip.label, color=color))
            else:
                chips.append(_chip(chip.kind, chip.text, chip.label, color=colors.get(chip.kind, "gray")))
        kinds = {chip.kind for chip in parsed.chips}
        project = self.project_map().get(task.project_id or "")
        if "project" not in kinds and project is not None and self.view == "project":
            chips.append(_chip("project", "", project.name, color="blue", hint="this project"))
        label = self.label_map().get(self.context_id) if self.view == "label" else None
        typed_labels = {c.label.lower() for c in parsed.chips if c.kind == "label"}
        if label is not None and label.name.lower() not in typed_labels:
            chips.append(_chip("label", "", label.name, color="orange", hint="this label"))
        if "due" not in kinds and task.due_date is not None:
            first = "recurrence" in kinds  # a series without a date starts on its first occurrence
            hint = "first time" if first else "this page"
            chips.append(_chip("due", "", day_name(task.due_date, self.today()), color="grass", hint=hint))
        self.chips = chips

    async def _parse(self, text: str) -> QuickAddParsed | None:
        if not await self._ensure_session():
            return None
        try:
            parsed = await call(api(self._access_token).parse_quick_add, text)
        except ApiError as error:
            self.qa_error = error.message
            return None
        self.qa_error = ""
        self._parsed_json, self._parsed_text = parsed.model_dump_json(), text
        return parsed

    @rx.event
    async def set_qa_text(self, value: str) -> None:
        """``on_change`` of the quick-add input, debounced in the browser (300 ms): parse and show chips."""
        text = value[:MAX_TEXT] if isinstance(value, str) else ""
        self.qa_text = text
        if not text.strip():
            self._clear()
            return
        parsed = await self._parse(text)
        if parsed is not None and self.qa_text == text:
            self._show(parsed)

    # --- saving ------------------------------------------------------------------------------
    @rx.event
    async def save(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """Enter: create the task as parsed (the text may be newer than the last parse: parse it again)."""
        value = form.get("text")
        text = (value if isinstance(value, str) else self.qa_text)[:MAX_TEXT]
        if not text.strip() or self.qa_busy:
            return
        self.qa_busy, self.qa_text = True, text
        yield
        if self._parsed_json and self._parsed_text == text:
            parsed: QuickAddParsed | None = QuickAddParsed.model_validate_json(self._parsed_json)
        else:
            parsed = await self._parse(text)
        if parsed is None:
            self.qa_busy = False
            if not self.signed_in:
                yield self._sign_in_redirect()
            return
        try:
            task = await call(api(self._access_token).create_task, self._context_task(parsed.task))
        except ApiError as error:
            self.qa_busy, self.qa_error = False, error.message
            return
        self.qa_busy, self.dialog_open = False, False
        self._clear()
        await self.refresh()  # "@new" labels may have been created
        if self._showing_list():
            await self._load_first_page(limit=self.shown + 1)
        where = self.project_map().get(task.project_id)
        parts = [task.title, where.name if where else ""]
        if task.due_date is not None:
            at = f" {task.due_time.strftime('%H:%M')}" if task.due_time else ""
            parts.append(day_name(task.due_date, self.today()) + at)
        description = " · ".join(part for part in parts if part)
        yield rx.toast.success("Task added", description=description, id="quick-add")
