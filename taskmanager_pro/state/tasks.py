"""The task lists: which view is shown (Today, Upcoming, Inbox, a project as list or board, a label, Completed),
its filters, sort and pages; completing with undo, selection and bulk actions, keyboard shortcuts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncGenerator
from datetime import date
from typing import Any, Literal

import reflex as rx

from backend.client import ApiError
from backend.client.api import BulkAction, StaleVersion, TaskOrder, TaskPage, TaskPublic, TaskUpdate
from taskmanager_pro.state.clients import api, call
from taskmanager_pro.state.views import (
    NO_SECTION,
    NO_SECTION_KEY,
    TaskGroup,
    bound,
    day_name,
    long_day,
    section_columns,
    single_group,
    status_columns,
    task_row,
    today_groups,
    upcoming_groups,
)
from taskmanager_pro.state.workspace import WorkspaceState

PAGE_SIZE = 50
MAX_PAGE = 200  # the API's limit; a reload after an edit fetches as many rows as were shown, up to this
SHORTCUT_ACTIONS = frozenset({"quick_add", "help", "open", "select", "complete", "delete"})
SORTS: dict[str, str] = {"": "Default order", "due": "Due date", "priority": "Priority", "created": "Date added"}
ViewName = Literal["today", "upcoming", "inbox", "completed", "project", "label"]


def _view_of(path: str) -> tuple[ViewName, str] | None:
    """The view (and the project or label id) a page path stands for; None for a page without a list."""
    parts = [part for part in path.split("/") if part]
    if not parts:
        return "today", ""
    if len(parts) == 2 and parts[0] == "projects":
        return "project", parts[1]
    if len(parts) == 2 and parts[0] == "labels":
        return "label", parts[1]
    named: dict[str, ViewName] = {"upcoming": "upcoming", "inbox": "inbox", "completed": "completed"}
    return (named[parts[0]], "") if len(parts) == 1 and parts[0] in named else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class TasksState(WorkspaceState):
    """One list page at a time; the sidebar data (projects, labels, time zone) comes from ``WorkspaceState``."""

    view: str = "today"
    context_id: str = ""  # the project or label of the page
    heading: str = ""
    subheading: str = ""
    accent: str = ""  # the project's or label's colour
    loaded: bool = False
    loading: bool = False
    loading_more: bool = False
    error: str = ""
    groups: list[TaskGroup] = []
    shown: int = 0
    next_cursor: str = ""

    # filters and sort (every list); upcoming's window
    search: str = ""
    priority_filter: str = ""
    label_filter: str = ""
    project_filter: str = ""
    due_from: str = ""
    due_to: str = ""
    overdue_only: bool = False
    attachments_only: bool = False  # the paperclip filter
    sort: str = ""
    days: int = 7

    # project pages: list or board, the board's columns; kept per project in this browser
    layouts: str = rx.LocalStorage("{}", name="tmp_project_layouts")
    layout: str = "list"  # list | sections | status

    # selection and bulk actions
    select_mode: bool = False
    selected: list[str] = []
    bulk_project: str = ""
    bulk_delete_open: bool = False

    # one task to delete (keyboard Delete, row menu), the help overlay
    deleting_id: str = ""
    deleting_title: str = ""
    help_open: bool = False

    _tasks: list[TaskPublic] = []

    # --- derived -----------------------------------------------------------------------------
    @rx.var
    def filters_active(self) -> int:
        set_filters = [self.priority_filter, self.label_filter, self.project_filter, self.due_from, self.due_to]
        return sum(1 for value in set_filters if value) + int(self.overdue_only) + int(self.attachments_only)

    @rx.var
    def is_board(self) -> bool:
        return self.view == "project" and self.layout != "list"

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def can_reorder(self) -> bool:
        """Manual order is shown (a project or the Inbox as a list, in its own order): rows can move."""
        return self.view in {"project", "inbox"} and self.layout == "list" and self.sort in {"", "manual"}

    @rx.var
    def sort_options(self) -> list[list[str]]:
        options = [[key, label] for key, label in SORTS.items()]
        if self.view in {"project", "inbox"}:
            options.append(["manual", "Manual order"])
        if self.view == "completed":
            options = [["", "Completion date"], ["created", "Date added"]]
        return options

    @rx.var
    def empty_text(self) -> str:
        if self.search or self.filters_active:
            return "No tasks match your search and filters."
        return {
            "today": "Nothing due today. Enjoy your day!",
            "upcoming": "Nothing planned in the coming days.",
            "inbox": "Your Inbox is empty. Add a task above or press Q.",
            "completed": "Completed tasks show up here.",
            "label": "No open tasks with this label.",
        }.get(self.view, "No tasks in this project yet. Add one above.")

    # --- loading -----------------------------------------------------------------------------
    def _query(self, *, cursor: str | None, limit: int) -> dict[str, Any]:
        view = self.view
        query: dict[str, Any] = {"cursor": cursor, "limit": limit, "q": self.search.strip()[:200] or None}
        api_view = {"today": "today", "upcoming": "upcoming", "inbox": "inbox", "completed": "completed"}
        query["view"] = api_view.get(view, "all")
        if view == "upcoming":
            query["days"] = self.days
        if view == "project":
            query["project_id"] = self.context_id
        elif self.project_filter and view not in {"inbox"}:
            query["project_id"] = self.project_filter
        if view == "label":
            query["label_id"] = self.context_id
        elif self.label_filter:
            query["label_id"] = self.label_filter
        if self.priority_filter in {"1", "2", "3", "4"}:
            query["priority"] = int(self.priority_filter)
        query["due_from"], query["due_to"] = _date(self.due_from), _date(self.due_to)
        query["overdue"] = self.overdue_only
        query["has_attachments"] = True if self.attachments_only else None
        sort = self.sort or None
        if view == "project" and self.layout == "status":
            query["status"], sort = "all", "manual"  # both columns, in the project's order
        if sort == "manual" and "project_id" not in query and view != "inbox":
            sort = None
        query["sort"] = sort
        return query

    async def _fetch(self, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> TaskPage | None:
        if not await self._ensure_session():
            return None
        try:
            page = await call(api(self._access_token).list_tasks, **self._query(cursor=cursor, limit=limit))
        except ApiError as error:
            self.error = error.message
            return None
        self.error = ""
        return page

    def _render(self) -> None:
        """Rows and groups from ``_tasks`` (after every load or change)."""
        today = self.today()
        projects, labels = self.project_map(), self.label_map()
        rows = [task_row(task, today, projects, labels) for task in self._tasks]
        self.shown = len(rows)
        if self.view == "project" and self.layout == "sections":
            project = projects.get(self.context_id)
            self.groups = section_columns(rows, project.sections if project else [])
        elif self.view == "project" and self.layout == "status":
            self.groups = status_columns(rows)
        elif (
            self.view == "project" and not self.sort and (project := projects.get(self.context_id)) and project.sections
        ):
            # the list of a project with sections: unsectioned tasks first (no heading), then each section
            columns = section_columns(rows, project.sections)
            loose = dataclasses.replace(columns[0], title="")
            self.groups = [loose, *columns[1:]] if loose.count else columns[1:]
        elif self.view == "today" and not self.sort:
            self.groups = today_groups(rows)
        elif self.view == "upcoming" and self.sort in {"", "due"}:
            self.groups = upcoming_groups(self._tasks, rows, today, self.days)
        else:
            self.groups = single_group(rows)
        self.selected = [task_id for task_id in self.selected if any(t.id == task_id for t in self._tasks)]

    def _describe(self) -> None:
        """The heading of the page."""
        today = self.today()
        projects, labels = self.project_map(), self.label_map()
        self.accent, self.subheading = "", ""
        if self.view == "today":
            self.heading = f"Welcome, {self.display_name}" if self.display_name else "Today"
            self.subheading = f"Today · {today.strftime('%A')}, {today.strftime('%B')} {today.day}"
        elif self.view == "upcoming":
            self.heading, self.subheading = "Upcoming", f"The next {self.days} days"
        elif self.view == "inbox":
            self.heading = "Inbox"
        elif self.view == "completed":
            self.heading, self.subheading = "Completed", "Reopen anything you finished by mistake."
        elif self.view == "project":
            project = projects.get(self.context_id)
            self.heading = project.name if project else "Project"
            self.accent = project.color if project else ""
            if project and project.archived:
                self.subheading = "Archived: restore it to add tasks."
        else:
            label = labels.get(self.context_id)
            self.heading = f"@{label.name}" if label else "Label"
            self.accent = label.color if label else ""
            self.subheading = "Open tasks with this label"

    async def _load_first_page(self, limit: int = PAGE_SIZE) -> None:
        page = await self._fetch(limit=min(max(limit, PAGE_SIZE), MAX_PAGE))
        self.loading = False
        if page is None:
            return
        self._tasks = list(page.items)
        self.next_cursor = page.next_cursor or ""
        self.loaded = True
        self._render()

    def _layout_for(self, project_id: str) -> str:
        try:
            saved = json.loads(self.layouts or "{}")
        except ValueError:
            saved = {}
        value = saved.get(project_id) if isinstance(saved, dict) else None
        return value if value in {"list", "sections", "status"} else "list"

    @rx.event
    async def open_view(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of every list page (after ``check_login``): the sidebar, then the view's first page."""
        view, context_id = _view_of(self.router.url.path) or ("today", "")
        if (view, context_id) != (self.view, self.context_id):
            self._clear_filters()  # (kept when the same view is loaded again, e.g. on a reload)
            self.groups, self._tasks, self.shown, self.next_cursor = [], [], 0, ""
        self.select_mode, self.selected, self.bulk_delete_open = False, [], False
        self.view, self.context_id = view, context_id
        self.layout = self._layout_for(context_id) if view == "project" else "list"
        self.loaded, self.loading, self.error, self.help_open, self.deleting_id = False, True, "", False, ""
        self._describe()  # with what is known already: the heading changes with the URL
        yield
        if not await self.refresh():
            self.loading = False
            return
        known: set[str] | None = None
        if view == "project":
            known = set(self.project_map())
        elif view == "label":
            known = set(self.label_map())
        if known is not None and context_id not in known:
            self.loading, self.error = False, f"This {view} does not exist (any more)."
            self.heading = "Not found"
            return
        self._describe()
        yield
        await self._load_first_page()

    def _showing_list(self) -> bool:
        """Whether this page is the list this state holds (not, say, settings after a visit to a list)."""
        return self.loaded and _view_of(self.router.url.path) == (self.view, self.context_id)

    @rx.event
    async def reload(self) -> None:
        """The same view again, as many rows as are shown (after an edit elsewhere changed what belongs here)."""
        if self._showing_list():
            self._describe()
            await self._load_first_page(limit=max(self.shown, PAGE_SIZE))

    @rx.event
    async def load_more(self) -> AsyncGenerator[Any, None]:
        if not self.next_cursor or self.loading_more:
            return
        self.loading_more = True
        yield
        page = await self._fetch(cursor=self.next_cursor)
        self.loading_more = False
        if page is None:
            return
        known = {task.id for task in self._tasks}
        self._tasks = [*self._tasks, *(task for task in page.items if task.id not in known)]
        self.next_cursor = page.next_cursor or ""
        self._render()

    # --- filters, sort, layout ---------------------------------------------------------------
    def _clear_filters(self) -> None:
        self.search = self.priority_filter = self.label_filter = self.project_filter = ""
        self.due_from = self.due_to = self.sort = ""
        self.overdue_only = False
        self.attachments_only = False

    async def _refilter(self) -> None:
        self.loading = True
        self.next_cursor = ""
        await self._load_first_page()

    @rx.event
    async def set_search(self, value: str) -> None:
        self.search = value[:200]
        await self._refilter()

    @rx.event
    async def set_priority_filter(self, value: str) -> None:
        self.priority_filter = value if value in {"1", "2", "3", "4"} else ""
        await self._refilter()

    @rx.event
    async def set_label_filter(self, value: str) -> None:
        self.label_filter = value if value in self.label_map() else ""
        await self._refilter()

    @rx.event
    async def set_project_filter(self, value: str) -> None:
        self.project_filter = value if value in self.project_map() else ""
        await self._refilter()

    @rx.event
    async def set_due_from(self, value: str) -> None:
        self.due_from = value if _date(value) else ""
        await self._refilter()

    @rx.event
    async def set_due_to(self, value: str) -> None:
        self.due_to = value if _date(value) else ""
        await self._refilter()

    @rx.event
    async def set_overdue_only(self, value: bool) -> None:
        self.overdue_only = bool(value)
        await self._refilter()

    @rx.event
    async def set_attachments_only(self, value: bool) -> None:
        self.attachments_only = bool(value)
        await self._refilter()

    @rx.event
    async def set_sort(self, value: str) -> None:
        allowed = {key for key, _ in self.sort_options}
        self.sort = value if value in allowed and value != "default" else ""
        await self._refilter()

    @rx.event
    async def set_days(self, value: str | list[str]) -> None:
        self.days = 14 if value == "14" else 7
        self._describe()
        await self._refilter()

    @rx.event
    async def clear_filters(self) -> None:
        self._clear_filters()
        await self._refilter()

    @rx.event
    async def set_layout(self, value: str) -> None:
        if self.view != "project" or value not in {"list", "sections", "status"}:
            return
        self.layout = value
        try:
            saved = json.loads(self.layouts or "{}")
        except ValueError:
            saved = {}
        saved = saved if isinstance(saved, dict) else {}
        saved[self.context_id] = value
        self.layouts = json.dumps(dict(list(saved.items())[-100:]))  # the 100 newest projects are plenty
        if value == "status" and self.sort in {"due", "priority"}:
            self.sort = ""
        await self._refilter()

    # --- completing --------------------------------------------------------------------------
    def _task(self, task_id: str) -> TaskPublic | None:
        return next((task for task in self._tasks if task.id == task_id), None)

    def _drop(self, task_id: str) -> None:
        self._tasks = [task for task in self._tasks if task.id != task_id]
        self._render()

    def replace_task(self, task: TaskPublic) -> None:
        """Show an edited task in place (the detail panel calls this after each save)."""
        self._tasks = [task if existing.id == task.id else existing for existing in self._tasks]
        self._render()

    def _focus_row(self, index: int) -> Any:
        """Keep the keyboard where it was: focus the row now at ``index`` (the next one after a removal)."""
        return rx.call_script(f"window.tmpFocusRow && window.tmpFocusRow({max(index, 0)})")

    def _index(self, task_id: str) -> int:
        return next((i for i, task in enumerate(self._tasks) if task.id == task_id), -1)

    @rx.event
    async def toggle_done(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The round checkbox: complete an open task, reopen a done one (Completed view, Done column)."""
        task = self._task(task_id)
        if task is None:
            return
        if task.status == "done":
            async for event in self._reopen(task):
                yield event
        else:
            async for event in self._complete(task):
                yield event

    async def _complete(self, task: TaskPublic) -> AsyncGenerator[Any, None]:
        index = self._index(task.id)
        keeps_row = self.view == "project" and self.layout == "status"
        if not keeps_row and task.recurrence is None:
            self._drop(task.id)  # at once: the row goes, the request follows
            yield self._focus_row(index)
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        try:
            done = await call(api(self._access_token).complete_task, task.id)
        except ApiError as error:
            await self._load_first_page(limit=self.shown + 1)
            yield rx.toast.error(error.message)
            return
        undo = {"label": "Undo", "on_click": bound(TasksState.undo_complete, task.id)}
        if done.status == "open" and done.due_date is not None:  # a recurring task moved on
            await self._load_first_page(limit=self.shown)
            yield self._focus_row(index)
            next_day = f"{day_name(done.due_date, self.today())} ({long_day(done.due_date)})"
            yield rx.toast.success(f"Next: {next_day}", description=task.title, action=undo, id="completed")
        else:
            if keeps_row:
                self.replace_task(done)
            yield rx.toast.success("Task completed", description=task.title, action=undo, id="completed")

    async def _reopen(self, task: TaskPublic) -> AsyncGenerator[Any, None]:
        index = self._index(task.id)
        if self.view == "completed":
            self._drop(task.id)
            yield self._focus_row(index)
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        try:
            reopened = await call(api(self._access_token).reopen_task, task.id)
        except ApiError as error:
            await self._load_first_page(limit=self.shown + 1)
            yield rx.toast.error(error.message)
            return
        if self.view != "completed":
            self.replace_task(reopened)
        redo = {"label": "Undo", "on_click": bound(TasksState.redo_complete, task.id)}
        yield rx.toast.info("Task reopened", description=task.title, action=redo, id="reopened")

    @rx.event
    async def undo_complete(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The toast's Undo: reopen (a recurring task goes back to the date it had)."""
        if not isinstance(task_id, str) or not await self._ensure_session():
            return
        try:
            task = await call(api(self._access_token).reopen_task, task_id)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self._load_first_page(limit=self.shown + 1)
        yield rx.toast.info("Restored", description=task.title, id="completed")

    @rx.event
    async def redo_complete(self, task_id: str) -> AsyncGenerator[Any, None]:
        if not isinstance(task_id, str) or not await self._ensure_session():
            return
        try:
            await call(api(self._access_token).complete_task, task_id)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self._load_first_page(limit=self.shown)

    # --- board -------------------------------------------------------------------------------
    @rx.event
    async def move_to_column(self, task_id: str, column: str) -> AsyncGenerator[Any, None]:
        """A card to another board column: its section (``""`` = no section), or Open/Done."""
        task = self._task(task_id)
        if task is None or self.view != "project":
            return
        if self.layout == "status":
            wanted_done = column == "done"
            if wanted_done != (task.status == "done"):
                async for event in self._complete(task) if wanted_done else self._reopen(task):
                    yield event
            return
        column = "" if column == NO_SECTION_KEY else column
        project = self.project_map().get(task.project_id)
        if project is None or (column and column not in project.sections) or (task.section or "") == column:
            return
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        try:
            moved = await call(
                api(self._access_token).update_task,
                task.id,
                TaskUpdate(version=task.version, section=column or None),
            )
        except StaleVersion as stale:
            self.replace_task(stale.current)
            yield rx.toast.warning("This task was changed elsewhere; it is shown as it is now. Try again.")
            return
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        self.replace_task(moved)
        yield rx.toast.success(f"Moved to {column or NO_SECTION}", id="moved")

    # --- manual order ------------------------------------------------------------------------
    @rx.event
    async def move_task(self, task_id: str, step: int) -> AsyncGenerator[Any, None]:
        """Up (-1) or down (+1) past its neighbour in the list (in a project: within its section)."""
        task = self._task(task_id)
        if task is None or not self.can_reorder or step not in (-1, 1):
            return
        peers = [t for t in self._tasks if self.view == "inbox" or (t.section or "") == (task.section or "")]
        index = next(i for i, t in enumerate(peers) if t.id == task_id)
        target = index + step
        if not 0 <= target < len(peers):
            return
        after: str | None
        before: str | None
        if step < 0:  # between the one before the neighbour and the neighbour
            after, before = (peers[target - 1].id if target > 0 else None), peers[target].id
        else:
            after, before = peers[target].id, (peers[target + 1].id if target + 1 < len(peers) else None)
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        order = TaskOrder(after_id=after, before_id=before)
        try:
            await call(api(self._access_token).update_task, task.id, TaskUpdate(version=task.version, order=order))
        except StaleVersion as stale:
            self.replace_task(stale.current)
            yield rx.toast.warning("This task was changed elsewhere; it is shown as it is now. Try again.")
            return
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        await self._load_first_page(limit=self.shown)
        yield rx.call_script(f"window.tmpFocusTask && window.tmpFocusTask({json.dumps(task.id)})")

    # --- selection and bulk ------------------------------------------------------------------
    @rx.event
    def toggle_select_mode(self) -> None:
        self.select_mode = not self.select_mode
        self.selected = []

    def _toggle(self, task_id: str) -> None:
        if self._task(task_id) is None:
            return
        self.select_mode = True
        if task_id in self.selected:
            self.selected = [x for x in self.selected if x != task_id]
        elif len(self.selected) < 100:  # the API's bulk limit
            self.selected = [*self.selected, task_id]

    @rx.event
    def toggle_selected(self, task_id: str) -> None:
        self._toggle(task_id)

    @rx.event
    def select_all(self) -> None:
        self.selected = [task.id for task in self._tasks][:100]

    @rx.event
    def set_bulk_project(self, value: str) -> None:
        self.bulk_project = value

    @rx.event
    def set_bulk_delete_open(self, value: bool) -> None:
        self.bulk_delete_open = bool(value) and bool(self.selected)

    async def _bulk(self, action: BulkAction) -> AsyncGenerator[Any, None]:
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        try:
            await call(api(self._access_token).bulk, action)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        self.selected, self.select_mode, self.bulk_delete_open = [], False, False
        await self._load_first_page(limit=self.shown)

    @rx.event
    async def bulk_complete(self) -> AsyncGenerator[Any, None]:
        ids = list(self.selected)[:100]
        if not ids:
            return
        action = "reopen" if self.view == "completed" else "complete"
        async for event in self._bulk(BulkAction(action=action, ids=ids)):
            yield event
        undo_action = "complete" if action == "reopen" else "reopen"
        undo = {"label": "Undo", "on_click": bound(TasksState.bulk_undo, undo_action, ids)}
        done = "reopened" if action == "reopen" else "completed"
        yield rx.toast.success(f"{len(ids)} task{'s' if len(ids) != 1 else ''} {done}", action=undo, id="bulk")

    @rx.event
    async def bulk_undo(self, action: str, ids: list[str]) -> AsyncGenerator[Any, None]:
        if action not in {"complete", "reopen"} or not isinstance(ids, list) or not ids:
            return
        ids = [str(task_id) for task_id in ids][:100]
        async for event in self._bulk(BulkAction(action="complete" if action == "complete" else "reopen", ids=ids)):
            yield event

    @rx.event
    async def bulk_move(self, project_id: str) -> AsyncGenerator[Any, None]:
        ids = list(self.selected)[:100]
        project = self.project_map().get(project_id)
        if not ids or project is None or project.archived:
            return
        async for event in self._bulk(BulkAction(action="move", ids=ids, project_id=project_id)):
            yield event
        yield rx.toast.success(f"Moved {len(ids)} task{'s' if len(ids) != 1 else ''} to {project.name}", id="bulk")

    @rx.event
    async def bulk_delete(self) -> AsyncGenerator[Any, None]:
        ids = list(self.selected)[:100]
        if not ids:
            return
        async for event in self._bulk(BulkAction(action="delete", ids=ids)):
            yield event
        yield rx.toast.info(f"Deleted {len(ids)} task{'s' if len(ids) != 1 else ''}", id="bulk")

    # --- deleting one task -------------------------------------------------------------------
    def _ask_delete(self, task_id: str) -> None:
        task = self._task(task_id)
        self.deleting_id, self.deleting_title = (task.id, task.title) if task else ("", "")

    @rx.event
    def ask_delete(self, task_id: str) -> None:
        self._ask_delete(task_id)

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        if not value:
            self.deleting_id = ""

    @rx.event
    async def delete_task(self) -> AsyncGenerator[Any, None]:
        task = self._task(self.deleting_id)
        self.deleting_id = ""
        if task is None:
            return
        if not await self._ensure_session():
            yield self._sign_in_redirect()
            return
        index = self._index(task.id)
        try:
            await call(api(self._access_token).delete_task, task.id)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        self._drop(task.id)
        yield self._focus_row(index)
        yield rx.toast.info("Task deleted", description=task.title, id="deleted")

    # --- keyboard ----------------------------------------------------------------------------
    @rx.event
    def set_help_open(self, value: bool) -> None:
        self.help_open = bool(value)

    @rx.event
    async def shortcut(self, action: str, task_id: str) -> AsyncGenerator[Any, None]:
        """A key pressed outside any input (see ``components.keyboard``): ``action`` on the focused row."""
        from taskmanager_pro.state.quick_add import QuickAddState
        from taskmanager_pro.state.task_detail import TaskDetailState

        if action not in SHORTCUT_ACTIONS or not isinstance(task_id, str):
            return
        if action == "quick_add":
            yield QuickAddState.open_dialog
        elif action == "help":
            self.help_open = True
        elif self._task(task_id) is None:
            return
        elif action == "open":
            yield bound(TaskDetailState.open_task, task_id)
        elif action == "select":
            self._toggle(task_id)
        elif action == "complete":
            task = self._task(task_id)
            if task is not None:
                async for event in self._complete(task) if task.status == "open" else self._reopen(task):
                    yield event
        elif action == "delete":
            self._ask_delete(task_id)
