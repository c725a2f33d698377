"""The reminders of the task open in the detail panel: list, add a preset, remove."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import ReminderIn, ReminderList
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call

# value -> (label, reminder). Minutes-before presets need a due time; the API says so when there is none.
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "0": ("At the due time", {"minutes_before": 0}),
    "10": ("10 minutes before", {"minutes_before": 10}),
    "30": ("30 minutes before", {"minutes_before": 30}),
    "60": ("1 hour before", {"minutes_before": 60}),
    "1440": ("1 day before", {"minutes_before": 1440}),
    "d0-0900": ("On the day at 09:00", {"days_before": 0, "time": "09:00"}),
    "d1-0900": ("1 day before at 09:00", {"days_before": 1, "time": "09:00"}),
    "d1-1800": ("1 day before at 18:00", {"days_before": 1, "time": "18:00"}),
}


@dataclasses.dataclass(frozen=True)
class ReminderView:
    id: str
    text: str
    next_at: str  # "" when it will not fire (past, or the task is done)
    is_default: bool


def _views(listed: ReminderList) -> list[ReminderView]:
    return [
        ReminderView(
            id=r.id,
            text=r.text,
            next_at=f"{r.next_at.astimezone():%a %d %b %H:%M}" if isinstance(r.next_at, datetime) else "",
            is_default=r.is_default,
        )
        for r in listed.reminders
    ]


class TaskRemindersState(AppState):
    r_task_id: str = ""
    reminders: list[ReminderView] = []
    r_choice: str = "30"
    r_busy: bool = False
    r_error: str = ""
    _listed: ReminderList | None = None

    @rx.event
    @signed_in
    async def load(self, task_id: str) -> None:
        if not isinstance(task_id, str) or not task_id:
            return
        self.r_task_id, self.r_error, self.reminders = task_id, "", []
        try:
            listed = await call(self._api().get_reminders, task_id)
        except ApiError as error:
            self.r_error = error.message
            return
        self._show(listed)

    def _show(self, listed: ReminderList) -> None:
        self._listed = listed
        self.reminders = _views(listed)

    @rx.event
    def set_r_choice(self, value: str) -> None:
        self.r_choice = value if value in PRESETS else "30"

    async def _save(self, items: list[ReminderIn]) -> AsyncGenerator[Any, None]:
        """The task's reminders replaced by ``items`` (both callers are ``signed_in(busy="r_busy")``)."""
        self.r_error = ""
        yield
        if not self.r_task_id:
            return
        try:
            listed = await call(self._api().put_reminders, self.r_task_id, items)
        except ApiError as error:
            self.r_error = error.first_problem
            return
        self._show(listed)

    def _own(self) -> list[ReminderIn]:
        """The task's own reminders as they are stored (the default one is not the task's own)."""
        if self._listed is None:
            return []
        return [
            ReminderIn(at=r.at, minutes_before=r.minutes_before, days_before=r.days_before, time=r.time)
            for r in self._listed.reminders
            if not r.is_default
        ]

    @rx.event
    @signed_in(busy="r_busy")
    async def add_reminder(self) -> AsyncGenerator[Any, None]:
        _, spec = PRESETS.get(self.r_choice, PRESETS["30"])
        async for event in self._save([*self._own(), ReminderIn(**spec)]):
            yield event

    @rx.event
    @signed_in(busy="r_busy")
    async def remove_reminder(self, reminder_id: str) -> AsyncGenerator[Any, None]:
        if self._listed is None or not isinstance(reminder_id, str):
            return
        keep = [
            ReminderIn(at=r.at, minutes_before=r.minutes_before, days_before=r.days_before, time=r.time)
            for r in self._listed.reminders
            if r.id != reminder_id and not r.is_default
        ]
        async for event in self._save(keep):
            yield event
