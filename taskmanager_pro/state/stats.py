"""Statistics: the stats page (charts + tables), and in settings the daily goal, the weekly summary, export and
"delete everything"."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from datetime import date
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import StatsPublic
from taskmanager_pro import routes
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call

RANGES = {"7d": "7 days", "30d": "30 days", "90d": "90 days", "365d": "12 months"}


def _short(day: date) -> str:
    return f"{day:%b} {day.day}"


class StatsState(AppState):
    """The stats page."""

    range: str = "30d"
    loaded: bool = False
    busy: bool = False
    error: str = ""
    as_tables: bool = False  # the data-table alternative to the charts

    completed: int = 0
    created: int = 0
    on_time_rate: str = "n/a"
    on_time: int = 0
    late: int = 0
    overdue_now: int = 0
    streak_current: int = 0
    streak_longest: int = 0
    today_done: int = 0
    goal: int = 3
    today_percent: int = 0
    busiest_weekday: str = "n/a"
    busiest_hour: str = "n/a"
    per_day: list[dict[str, Any]] = []
    per_week: list[dict[str, Any]] = []
    by_project: list[dict[str, Any]] = []
    by_label: list[dict[str, Any]] = []
    by_priority: list[dict[str, Any]] = []
    by_weekday: list[dict[str, Any]] = []
    by_hour: list[dict[str, Any]] = []

    def _show(self, s: StatsPublic) -> None:
        self.completed, self.created = s.completed, s.created
        self.on_time, self.late, self.overdue_now = s.on_time, s.late, s.overdue_now
        self.on_time_rate = "n/a" if s.on_time_rate is None else f"{round(s.on_time_rate * 100)}%"
        self.streak_current, self.streak_longest = s.streak.current, s.streak.longest
        self.today_done, self.goal = s.streak.today, s.streak.goal
        self.today_percent = min(100, round(100 * s.streak.today / max(s.streak.goal, 1)))
        self.busiest_weekday = s.busiest_weekday or "n/a"
        self.busiest_hour = "n/a" if s.busiest_hour is None else f"{s.busiest_hour:02d}:00"
        self.per_day = [{"day": _short(p.day), "created": p.created, "completed": p.completed} for p in s.per_day]
        self.per_week = [{"week": _short(w.week_start), "completed": w.completed} for w in s.per_week]
        self.by_project = [{"name": c.name, "count": c.count} for c in s.by_project]
        self.by_label = [{"name": c.name, "count": c.count} for c in s.by_label]
        self.by_priority = [{"name": c.name, "count": c.count} for c in s.by_priority]
        self.by_weekday = [{"name": c.name, "count": c.count} for c in s.by_weekday]
        self.by_hour = [{"name": c.name, "count": c.count} for c in s.by_hour]

    @rx.event
    @signed_in(busy="busy")
    async def load(self) -> AsyncGenerator[Any, None]:
        """``on_load`` and every refresh: the figures, fresh from the API."""
        async for event in self._load():
            yield event

    async def _load(self) -> AsyncGenerator[Any, None]:
        """The figures for ``self.range`` (both callers are ``signed_in(busy="busy")``)."""
        self.error = ""
        yield
        try:
            figures = await call(self._api().get_stats, self.range)
        except ApiError as error:
            self.error = error.message
            return
        self._show(figures)
        self.loaded = True

    def showing(self) -> bool:
        """Whether this tab is on the statistics page with its figures shown."""
        return self.loaded and self.router.url.path.rstrip("/") == routes.STATS

    async def refresh_figures(self) -> None:
        """The figures again, quietly (a task changed elsewhere: the analytics stream has counted it by now)."""
        client = await self._client()
        if client is None:
            return
        with contextlib.suppress(ApiError):  # the figures stay as they were; the next change or load asks again
            self._show(await call(client.get_stats, self.range))

    @rx.event
    @signed_in(busy="busy")
    async def set_range(self, value: str) -> AsyncGenerator[Any, None]:
        self.range = value if value in RANGES else "30d"
        async for event in self._load():
            yield event

    @rx.event
    def set_as_tables(self, value: bool) -> None:
        self.as_tables = bool(value)


class DataState(AppState):
    """Settings: daily goal + weekly summary (preferences), export downloads, delete everything."""

    daily_goal: str = "3"
    weekly_summary: bool = False
    goal_error: str = ""
    busy: bool = False
    exporting: str = ""  # which export is being prepared
    wipe_open: bool = False
    wipe_busy: bool = False
    wipe_error: str = ""

    @rx.event
    @signed_in
    async def load(self) -> AsyncGenerator[Any, None]:
        try:
            profile = await call(self._api().get_me)
        except ApiError as error:
            self.goal_error = error.message
            return
        self.daily_goal = str(profile.preferences.daily_goal)
        self.weekly_summary = profile.preferences.weekly_summary
        self.goal_error = ""
        yield

    @rx.event
    def set_daily_goal(self, value: str) -> None:
        self.daily_goal = value

    @rx.event
    def set_weekly_summary(self, value: bool) -> None:
        self.weekly_summary = bool(value)

    @rx.event
    @signed_in(busy="busy")
    async def save(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        raw = str(form.get("daily_goal", self.daily_goal)).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            self.goal_error = "Enter a whole number from 1 to 100."
            return
        self.goal_error = ""
        yield
        changes = {"preferences": {"daily_goal": int(raw), "weekly_summary": self.weekly_summary}}
        try:
            profile = await call(self._api().update_me, changes)
        except ApiError as error:
            self.goal_error = error.fields.get("preferences.daily_goal", error.message)
            return
        self.daily_goal = str(profile.preferences.daily_goal)
        self.weekly_summary = profile.preferences.weekly_summary
        yield rx.toast.success("Goal saved.")

    @rx.event
    @signed_in
    async def download(self, kind: str) -> AsyncGenerator[Any, None]:
        """``kind``: json, or csv-tasks / csv-projects / csv-labels. The browser saves the file (a refusal is
        the decorator's toast)."""
        formats = {"json": ("json", "tasks"), "csv-tasks": ("csv", "tasks")}
        formats |= {"csv-projects": ("csv", "projects"), "csv-labels": ("csv", "labels")}
        if kind not in formats:
            return
        self.exporting = kind  # (which button spins: not a bool, so not the decorator's busy=)
        yield
        fmt, part = formats[kind]
        try:
            text = await call(self._api().export, fmt, part)  # type: ignore[arg-type]
        finally:
            self.exporting = ""
        stamp = date.today().strftime("%Y%m%d")
        name = f"taskmanager-export-{stamp}.json" if fmt == "json" else f"taskmanager-{part}-{stamp}.csv"
        yield rx.download(data=text, filename=name)

    @rx.event
    def set_wipe_open(self, value: bool) -> None:
        self.wipe_open, self.wipe_error = bool(value), ""

    @rx.event
    @signed_in(busy="wipe_busy")
    async def delete_everything(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        if str(form.get("confirm_wipe", "")).strip().lower() != "delete":
            self.wipe_error = "Type DELETE to confirm."
            return
        self.wipe_error = ""
        yield
        try:
            await call(self._api().delete_my_data)
        except ApiError as error:
            self.wipe_error = error.message
            return
        self.wipe_open = False
        yield rx.toast.success("All your tasks, projects, labels and statistics are deleted.")
