"""Keyboard shortcuts: a key pressed outside any input (``components.keyboard``) becomes an action on the focused
row. This state sits above the ones it drives (list, quick add, detail, selection) and none of them knows it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.quick_add import QuickAddState
from taskmanager_pro.state.selection import SelectionState
from taskmanager_pro.state.task_detail import TaskDetailState
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.views import bound

SHORTCUT_ACTIONS = frozenset({"quick_add", "help", "open", "select", "complete", "delete", "indent", "outdent"})


class KeyboardState(AppState):
    help_open: bool = False

    @rx.event
    def set_help_open(self, value: bool) -> None:
        self.help_open = bool(value)

    @rx.event
    async def shortcut(self, action: str, task_id: str) -> Any:
        """``action`` on the row with ``task_id`` (the focused one)."""
        if action not in SHORTCUT_ACTIONS or not isinstance(task_id, str):
            return None
        if action == "quick_add":
            return QuickAddState.open_dialog
        if action == "help":
            self.help_open = True
            return None
        tasks = await self.get_state(TasksState)
        if tasks.task_of(task_id) is None:
            return None
        if action == "open":
            return bound(TaskDetailState.open_task, task_id)
        if action == "select":
            await (await self.get_state(SelectionState)).toggle(task_id)
        elif action == "complete":
            return bound(TasksState.toggle_done, task_id)
        elif action == "delete":
            tasks.ask_to_delete(task_id)
        elif action in ("indent", "outdent") and tasks.can_reorder:  # (the list's own order shows the levels)
            return bound(TasksState.indent_task if action == "indent" else TasksState.outdent_task, task_id)
        return None
