"""The sidebar's data: projects and labels (list, create, rename, recolour, reorder, archive, delete) and the
user's calendar (time zone → "today"), shared by every task page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from backend.client import ApiError
from backend.client.api import LabelCreate, LabelUpdate, ProjectCreate, ProjectUpdate
from taskmanager_pro import routes
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.clients import api, call
from taskmanager_pro.state.views import COLORS, LabelItem, ProjectItem, label_item, project_item

DEFAULT_COLOR = COLORS[10][1]  # blue
MAX_SECTIONS = 20


def _sections(text: str) -> list[str]:
    """One section per line (or comma), trimmed, without duplicates or empties, in the order typed."""
    names = [part.strip()[:40] for line in text.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(name for name in names if name))


def _color(value: str) -> str:
    value = value.strip().lower()
    ok = len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdef" for c in value[1:])
    return value if ok else DEFAULT_COLOR


class WorkspaceState(AppState):
    projects: list[ProjectItem] = []
    labels: list[LabelItem] = []
    timezone: str = "UTC"
    workspace_error: str = ""
    show_archived: bool = False

    # the project dialog (create or edit)
    project_dialog: bool = False
    editing_project_id: str = ""
    project_name: str = ""
    project_color: str = DEFAULT_COLOR
    project_sections: str = ""
    project_busy: bool = False
    project_error: str = ""
    # deleting a project (confirmation)
    deleting_project_id: str = ""

    # the label dialog (create or edit)
    label_dialog: bool = False
    editing_label_id: str = ""
    label_name: str = ""
    label_color: str = COLORS[15][1]
    label_busy: bool = False
    label_error: str = ""

    # --- derived -----------------------------------------------------------------------------
    @rx.var
    def active_projects(self) -> list[ProjectItem]:
        """The projects in the sidebar (the Inbox has its own entry; archived ones are folded away)."""
        return [p for p in self.projects if not p.is_inbox and not p.archived]

    @rx.var
    def archived_projects(self) -> list[ProjectItem]:
        return [p for p in self.projects if p.archived]

    @rx.var
    def open_projects(self) -> list[ProjectItem]:
        """Where a task can go: the Inbox and every project that is not archived."""
        return [p for p in self.projects if not p.archived]

    @rx.var
    def deleting_project_name(self) -> str:
        return next((p.name for p in self.projects if p.id == self.deleting_project_id), "")

    # --- helpers -----------------------------------------------------------------------------
    def today(self) -> date:
        """The user's calendar day (their profile's time zone)."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime.now(zone).date()

    def project_map(self) -> dict[str, ProjectItem]:
        return {p.id: p for p in self.projects}

    def label_map(self) -> dict[str, LabelItem]:
        return {label.id: label for label in self.labels}

    async def refresh(self) -> bool:
        """Projects, labels and the time zone, fresh from the API; False (with a message) if that failed."""
        if not await self._ensure_session():
            return False
        client = api(self._access_token)
        try:
            # (the profile too: its time zone may have changed in settings, or in another tab)
            projects, labels, profile = await asyncio.gather(
                call(client.list_projects), call(client.list_labels), call(client.get_me)
            )
        except ApiError as error:
            self.workspace_error = error.message
            return False
        self.workspace_error = ""
        self.timezone = profile.timezone or "UTC"
        self._show_profile(profile)
        self.projects = [project_item(p) for p in projects]
        self.labels = [label_item(label) for label in labels]
        return True

    async def _signed_in(self) -> bool:
        return await self._ensure_session()

    # --- page load ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        """``on_load`` of pages without a task list (settings): the sidebar only."""
        await self.refresh()

    # --- setters -----------------------------------------------------------------------------
    @rx.event
    def set_project_name(self, value: str) -> None:
        self.project_name = value[:60]

    @rx.event
    def set_project_color(self, value: str) -> None:
        self.project_color = _color(value)

    @rx.event
    def set_project_sections(self, value: str) -> None:
        self.project_sections = value[:2000]

    @rx.event
    def set_label_name(self, value: str) -> None:
        self.label_name = value[:60]

    @rx.event
    def set_label_color(self, value: str) -> None:
        self.label_color = _color(value)

    @rx.event
    def toggle_archived(self) -> None:
        self.show_archived = not self.show_archived

    # --- projects ----------------------------------------------------------------------------
    @rx.event
    def new_project(self) -> None:
        self.editing_project_id, self.project_name, self.project_sections = "", "", ""
        self.project_color, self.project_error, self.project_dialog = DEFAULT_COLOR, "", True

    @rx.event
    def edit_project(self, project_id: str) -> None:
        project = self.project_map().get(project_id)
        if project is None or project.is_inbox:
            return
        self.editing_project_id, self.project_name, self.project_color = project.id, project.name, project.color
        self.project_sections = "\n".join(project.sections)
        self.project_error, self.project_dialog = "", True

    @rx.event
    def set_project_dialog(self, value: bool) -> None:
        self.project_dialog = bool(value) and not self.project_busy
        self.project_error = ""

    @rx.event
    async def save_project(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        name = self.project_name.strip()
        sections = _sections(self.project_sections)
        if not name:
            self.project_error = "Give the project a name."
            return
        if len(sections) > MAX_SECTIONS:
            self.project_error = f"A project has at most {MAX_SECTIONS} sections."
            return
        self.project_busy, self.project_error = True, ""
        yield
        if not await self._signed_in():
            self.project_busy = False
            yield self._sign_in_redirect()
            return
        client = api(self._access_token)
        try:
            if self.editing_project_id:
                changes = ProjectUpdate(name=name, color=self.project_color, sections=sections)
                project = await call(client.update_project, self.editing_project_id, changes)
            else:
                project = await call(
                    client.create_project, ProjectCreate(name=name, color=self.project_color, sections=sections)
                )
        except ApiError as error:
            self.project_busy, self.project_error = False, error.message
            return
        created = not self.editing_project_id
        self.project_busy, self.project_dialog = False, False
        await self.refresh()
        if created:
            yield rx.redirect(routes.project(project.id))
            yield rx.toast.success(f"Project “{project.name}” created.")
        else:
            yield _reload_tasks()
            yield rx.toast.success("Project saved.")

    @rx.event
    async def set_archived(self, project_id: str, archived: bool) -> AsyncGenerator[Any, None]:
        project = self.project_map().get(project_id)
        if project is None or project.is_inbox or not await self._signed_in():
            return
        try:
            await call(api(self._access_token).update_project, project_id, ProjectUpdate(archived=bool(archived)))
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self.refresh()
        yield _reload_tasks()
        yield rx.toast.info(f"“{project.name}” {'archived' if archived else 'restored'}.")

    @rx.event
    async def move_project(self, project_id: str, step: int) -> AsyncGenerator[Any, None]:
        """Up (-1) or down (+1) among the active projects (the API places a project after another)."""
        order = [p.id for p in self.active_projects]
        if project_id not in order or step not in (-1, 1) or not await self._signed_in():
            return
        index = order.index(project_id)
        target = index + step
        if not 0 <= target < len(order):
            return
        others = [p for p in order if p != project_id]
        after_id = others[target - 1] if target > 0 else None
        try:
            await call(api(self._access_token).update_project, project_id, ProjectUpdate(after_id=after_id))
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self.refresh()

    @rx.event
    def ask_delete_project(self, project_id: str) -> None:
        self.deleting_project_id = project_id if project_id in self.project_map() else ""

    @rx.event
    def cancel_delete_project(self, value: bool = False) -> None:
        if not value:
            self.deleting_project_id = ""

    @rx.event
    async def delete_project(self) -> AsyncGenerator[Any, None]:
        project = self.project_map().get(self.deleting_project_id)
        self.deleting_project_id = ""
        if project is None or project.is_inbox:
            return
        if not await self._signed_in():
            yield self._sign_in_redirect()
            return
        try:
            await call(api(self._access_token).delete_project, project.id)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self.refresh()
        if self.router.url.path.rstrip("/") == routes.project(project.id):
            yield rx.redirect(routes.INBOX)
        else:
            yield _reload_tasks()
        yield rx.toast.info(f"Project “{project.name}” and its tasks are deleted.")

    # --- labels ------------------------------------------------------------------------------
    @rx.event
    def new_label(self) -> None:
        self.editing_label_id, self.label_name, self.label_color = "", "", COLORS[15][1]
        self.label_error, self.label_dialog = "", True

    @rx.event
    def edit_label(self, label_id: str) -> None:
        label = self.label_map().get(label_id)
        if label is None:
            return
        self.editing_label_id, self.label_name, self.label_color = label.id, label.name, label.color
        self.label_error, self.label_dialog = "", True

    @rx.event
    def set_label_dialog(self, value: bool) -> None:
        self.label_dialog = bool(value) and not self.label_busy
        self.label_error = ""

    @rx.event
    async def save_label(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        name = self.label_name.strip().lstrip("@")
        if not name:
            self.label_error = "Give the label a name."
            return
        self.label_busy, self.label_error = True, ""
        yield
        if not await self._signed_in():
            self.label_busy = False
            yield self._sign_in_redirect()
            return
        client = api(self._access_token)
        try:
            if self.editing_label_id:
                await call(client.update_label, self.editing_label_id, LabelUpdate(name=name, color=self.label_color))
            else:
                await call(client.create_label, LabelCreate(name=name, color=self.label_color))
        except ApiError as error:
            self.label_busy, self.label_error = False, error.message
            return
        self.label_busy, self.label_dialog = False, False
        await self.refresh()
        yield _reload_tasks()

    @rx.event
    async def delete_label(self) -> AsyncGenerator[Any, None]:
        label = self.label_map().get(self.editing_label_id)
        if label is None or not await self._signed_in():
            return
        try:
            await call(api(self._access_token).delete_label, label.id)
        except ApiError as error:
            self.label_error = error.message
            return
        self.label_dialog = False
        await self.refresh()
        if self.router.url.path.rstrip("/") == routes.label(label.id):
            yield rx.redirect(routes.TODAY)
        else:
            yield _reload_tasks()
        yield rx.toast.info(f"Label “{label.name}” deleted; it is off every task.")


def _reload_tasks() -> Any:
    """The task list shows project and label names: reload it after they change (if a list is shown)."""
    from taskmanager_pro.state.tasks import TasksState  # the list depends on this state, not the reverse

    return TasksState.reload
