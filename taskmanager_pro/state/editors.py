"""The sidebar's editors: the project dialog (create, rename, recolour, sections; archive, reorder, delete) and the
label dialog. They change the workspace and tell the list (``TasksState.workspace_changed``); nothing here is
reloaded wholesale."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx
from pydantic import ValidationError

from backend.client import ApiError
from backend.client.api import LabelCreate, LabelUpdate, ProjectCreate, ProjectUpdate
from taskmanager_pro import routes
from taskmanager_pro.state.base import signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.views import COLORS
from taskmanager_pro.state.workspace import DEFAULT_COLOR, MAX_SECTIONS, WorkspaceState, color_of, sections_of


async def _workspace_changed(state: rx.State) -> None:
    """Projects or labels changed: the sidebar is fresh already; the rows and heading follow."""
    tasks = await state.get_state(TasksState)
    tasks.workspace_changed()


def _on_page(state: rx.State, path: str) -> bool:
    return state.router.url.path.rstrip("/") == path


def _first_problem(error: ValidationError) -> str:
    """``name: must be one line ...`` of the first field pydantic refused (its "Value error, " prefix dropped)."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "value"
    return f"{field}: {str(first['msg']).removeprefix('Value error, ')}"


class ProjectEditorState(WorkspaceState):
    project_dialog: bool = False
    editing_project_id: str = ""
    project_name: str = ""
    project_color: str = DEFAULT_COLOR
    project_sections: str = ""
    project_busy: bool = False
    project_error: str = ""
    deleting_project_id: str = ""  # deleting a project (confirmation)

    @rx.var
    def deleting_project_name(self) -> str:
        return next((p.name for p in self.projects if p.id == self.deleting_project_id), "")

    @rx.event
    def set_project_name(self, value: str) -> None:
        self.project_name = value[:60]

    @rx.event
    def set_project_color(self, value: str) -> None:
        self.project_color = color_of(value)

    @rx.event
    def set_project_sections(self, value: str) -> None:
        self.project_sections = value[:2000]

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
    @signed_in(busy="project_busy")
    async def save_project(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        name = self.project_name.strip()
        sections = sections_of(self.project_sections)
        if not name:
            self.project_error = "Give the project a name."
            return
        if len(sections) > MAX_SECTIONS:
            self.project_error = f"A project has at most {MAX_SECTIONS} sections."
            return
        self.project_error = ""
        yield
        client = self._api()
        try:
            if self.editing_project_id:
                changes = ProjectUpdate(name=name, color=self.project_color, sections=sections)
                project = await call(client.update_project, self.editing_project_id, changes)
            else:
                project = await call(
                    client.create_project, ProjectCreate(name=name, color=self.project_color, sections=sections)
                )
        except ApiError as error:
            self.project_error = error.first_problem
            return
        except ValidationError as error:  # checked here as the API would (a pasted tab in the name)
            self.project_error = _first_problem(error)
            return
        created = not self.editing_project_id
        self.project_dialog = False
        await self.refresh()
        await _workspace_changed(self)
        if created:
            yield rx.redirect(routes.project(project.id))
            yield rx.toast.success(f"Project “{project.name}” created.")
        else:
            yield rx.toast.success("Project saved.")

    @rx.event
    @signed_in
    async def set_archived(self, project_id: str, archived: bool) -> AsyncGenerator[Any, None]:
        project = self.project_map().get(project_id)
        client = self._api()
        if project is None or project.is_inbox:
            return
        await call(client.update_project, project_id, ProjectUpdate(archived=bool(archived)))
        await self.refresh()
        await _workspace_changed(self)
        yield rx.toast.info(f"“{project.name}” {'archived' if archived else 'restored'}.")

    @rx.event
    @signed_in
    async def move_project(self, project_id: str, step: int) -> AsyncGenerator[Any, None]:
        """Up (-1) or down (+1) among the active projects (the API places a project after another)."""
        order = [p.id for p in self.active_projects]
        client = self._api()
        if project_id not in order or step not in (-1, 1):
            return
        target = order.index(project_id) + step
        if not 0 <= target < len(order):
            return
        others = [p for p in order if p != project_id]
        after_id = others[target - 1] if target > 0 else None
        # The sidebar moves first; the API's answer (or a refusal) follows.
        moved = [p for p in self.projects if p.id != project_id]
        mine = next(p for p in self.projects if p.id == project_id)
        anchor = next((i + 1 for i, p in enumerate(moved) if p.id == after_id), 0)
        if after_id is None:
            anchor = next((i for i, p in enumerate(moved) if not p.is_inbox), 0)
        self.projects = [*moved[:anchor], mine, *moved[anchor:]]
        yield
        await call(client.update_project, project_id, ProjectUpdate(after_id=after_id))
        await self.refresh()

    @rx.event
    def ask_delete_project(self, project_id: str) -> None:
        self.deleting_project_id = project_id if project_id in self.project_map() else ""

    @rx.event
    def cancel_delete_project(self, value: bool = False) -> None:
        if not value:
            self.deleting_project_id = ""

    @rx.event
    @signed_in
    async def delete_project(self) -> AsyncGenerator[Any, None]:
        project = self.project_map().get(self.deleting_project_id)
        self.deleting_project_id = ""
        client = self._api()
        if project is None or project.is_inbox:
            return
        await call(client.delete_project, project.id)
        await self.refresh()
        tasks = await self.get_state(TasksState)
        tasks.workspace_changed()
        if _on_page(self, routes.project(project.id)):
            yield rx.redirect(routes.INBOX)
        else:
            yield tasks.reload()  # its tasks are gone from every list
        yield rx.toast.info(f"Project “{project.name}” and its tasks are deleted.")


class LabelEditorState(WorkspaceState):
    label_dialog: bool = False
    editing_label_id: str = ""
    label_name: str = ""
    label_color: str = COLORS[15][1]
    label_busy: bool = False
    label_error: str = ""

    @rx.event
    def set_label_name(self, value: str) -> None:
        self.label_name = value[:60]

    @rx.event
    def set_label_color(self, value: str) -> None:
        self.label_color = color_of(value)

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
    @signed_in(busy="label_busy")
    async def save_label(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        name = self.label_name.strip().lstrip("@")
        if not name:
            self.label_error = "Give the label a name."
            return
        self.label_error = ""
        yield
        client = self._api()
        try:
            if self.editing_label_id:
                await call(client.update_label, self.editing_label_id, LabelUpdate(name=name, color=self.label_color))
            else:
                await call(client.create_label, LabelCreate(name=name, color=self.label_color))
        except ApiError as error:
            self.label_error = error.first_problem
            return
        except ValidationError as error:
            self.label_error = _first_problem(error)
            return
        self.label_dialog = False
        await self.refresh()
        await _workspace_changed(self)

    @rx.event
    @signed_in
    async def delete_label(self) -> AsyncGenerator[Any, None]:
        label = self.label_map().get(self.editing_label_id)
        client = self._api()
        if label is None:
            return
        try:
            await call(client.delete_label, label.id)
        except ApiError as error:
            self.label_error = error.first_problem
            return
        except ValidationError as error:
            self.label_error = _first_problem(error)
            return
        self.label_dialog = False
        await self.refresh()
        tasks = await self.get_state(TasksState)
        tasks.workspace_changed()
        if _on_page(self, routes.label(label.id)):
            yield rx.redirect(routes.TODAY)
        else:
            yield tasks.reload()  # the label is off every task: rows in a filtered list may go
        yield rx.toast.info(f"Label “{label.name}” deleted; it is off every task.")
