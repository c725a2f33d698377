"""The task list on screen: which view is shown (Today, Upcoming, Inbox, a project as list or board, a label,
Completed, search results), its filters, sort and pages, and every change to its rows.

Every change shows first and is reconciled with the server's answer afterwards: the handlers that write are
background events, so the row moves on the first websocket round trip and the tab stays free for the next click
while the API answers; a refusal puts the row back and says why. Other states (quick add, the detail panel,
selection, live changes) change the list only through its public methods: ``task_created``, ``task_saved``,
``task_removed``, ``set_pending``, ``task_of``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import reflex as rx

from backend.client import ApiError
from backend.client.api import TaskOrder, TaskPage, TaskPublic, TaskUpdate
from taskmanager_pro.state.clients import call, edit_shown_first
from taskmanager_pro.state.drops import drop_target
from taskmanager_pro.state.listing import ListSpec, ShownPage, newer, place, sort_key, without
from taskmanager_pro.state.views import (
    NO_SECTION,
    NO_SECTION_KEY,
    TaskGroup,
    assignee_of,
    bound,
    day_name,
    indent_under,
    long_day,
    nest,
    outdent_place,
    section_columns,
    single_group,
    status_columns,
    task_row,
    today_groups,
    upcoming_groups,
)
from taskmanager_pro.state.workspace import WorkspaceState

PAGE_SIZE = 50
MAX_PAGE = 200  # the API's limit
CACHED_VIEWS = 8  # lists kept per tab for an instant switch back (refreshed in the background)
PROVISIONAL = "pending-"  # the id prefix of a row shown before the server has answered (quick add)
SORTS: dict[str, str] = {"": "Default order", "due": "Due date", "priority": "Priority", "created": "Date added"}
ViewName = Literal["today", "upcoming", "inbox", "completed", "project", "label", "assigned"]


def view_of(path: str) -> tuple[ViewName, str] | None:
    """The view (and the project or label id) a page path stands for; None for a page without a list."""
    parts = [part for part in path.split("/") if part]
    if not parts:
        return "today", ""
    if len(parts) == 2 and parts[0] == "projects":
        return "project", parts[1]
    if len(parts) == 2 and parts[0] == "labels":
        return "label", parts[1]
    named: dict[str, ViewName] = {
        "upcoming": "upcoming",
        "inbox": "inbox",
        "completed": "completed",
        "assigned": "assigned",
    }
    return (named[parts[0]], "") if len(parts) == 1 and parts[0] in named else None


def plain_click(click: object) -> bool:
    """A click (``PointerEventInfo``) that follows a link in this tab: the main button, no modifier key (those
    open a new tab or window, where this tab's list must stay as it is)."""
    if not isinstance(click, dict):
        return False
    modifiers = ("alt_key", "ctrl_key", "meta_key", "shift_key")
    return click.get("button", 0) == 0 and not any(click.get(key) for key in modifiers)


SWITCH_SECONDS = 10.0  # a sidebar click's page load comes within this (else it loads the view itself)


@dataclass(frozen=True)
class SwitchedView:
    """A view a sidebar click has shown before its page loaded."""

    view: str
    context_id: str
    at: float  # time.monotonic()
    refresh: int | None = None  # the query (generation) whose cached rows were shown: refreshed on the page load

    def covers(self, view: str, context_id: str, *, now: float) -> bool:
        """The page now loading is that view, and soon enough to be that click's."""
        return (self.view, self.context_id) == (view, context_id) and 0 <= now - self.at <= SWITCH_SECONDS


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# One lock per tab and task: a complete and its undo, clicked quickly, reach the API in the order they were made.
_TASK_LOCKS: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _task_lock(client_token: str, task_id: str) -> asyncio.Lock:
    key = f"{client_token}:{task_id}"
    lock = _TASK_LOCKS.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _TASK_LOCKS[key] = lock
    return lock


@contextlib.asynccontextmanager
async def one_write_at_a_time(state: rx.State, task_id: str) -> AsyncIterator[None]:
    """Inside a background handler: this tab's writes to ``task_id`` run here one after another, in order."""
    async with state:
        token = state.router.session.client_token
    async with _task_lock(token, task_id):
        yield


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
    total: int = 0  # every task of the list, loaded or not
    next_cursor: str = ""
    pending: list[str] = []  # rows being saved (shown dimmed, with a spinner)
    highlight: str = ""  # a row just added or moved (flashes once)
    switching_to: str = ""  # the path of the list a sidebar click has shown, until its page has loaded (highlighted)

    # filters and sort (every list); upcoming's window
    search: str = ""
    # The search box is uncontrolled (its text is the browser's): a server echo of ``search`` arriving after more
    # typing put the box back to the echoed text ("jq" typed became "qj"). A reset from here remounts it instead.
    search_box: int = 0
    priority_filter: str = ""
    label_filter: str = ""
    project_filter: str = ""
    due_from: str = ""
    due_to: str = ""
    overdue_only: bool = False
    attachments_only: bool = False  # the paperclip filter
    assigned_only: bool = False  # the assignee filter: only what is assigned to me
    sort: str = ""
    days: int = 7

    # project pages: list or board, the board's columns; kept per project in this browser
    layouts: str = rx.LocalStorage("{}", name="tmp_project_layouts")
    layout: str = "list"  # list | sections | status

    # one task to delete (keyboard Delete, row menu)
    deleting_id: str = ""
    deleting_title: str = ""

    # nested subtasks (issue 14): the rows whose subtasks are folded away; completing a task with open subtasks asks
    collapsed: list[str] = []
    children_ask_id: str = ""
    children_ask_title: str = ""
    children_ask_open: int = 0

    _tasks: list[TaskPublic] = []
    _generation: int = 0  # bumped on every new query: a late answer for an older one is dropped
    _cache: dict[str, tuple[list[TaskPublic], str, int]] = {}
    _counts: dict[str, int] = {}  # a board's totals per column, from the API
    _switched: SwitchedView | None = None  # the view a sidebar click has just shown (open_view skips it)

    # --- derived -----------------------------------------------------------------------------
    @rx.var
    def filters_active(self) -> int:
        set_filters = [self.priority_filter, self.label_filter, self.project_filter, self.due_from, self.due_to]
        flags = int(self.overdue_only) + int(self.attachments_only) + int(self.assigned_only)
        return sum(1 for value in set_filters if value) + flags

    @rx.var
    def page_role(self) -> str:
        """The user's role in the project of the page ("" elsewhere): what its menu and quick add offer."""
        return next((p.role for p in self.projects if p.id == self.context_id), "") if self.view == "project" else ""

    @rx.var
    def page_shared(self) -> bool:
        return self.view == "project" and any(p.shared for p in self.projects if p.id == self.context_id)

    @rx.var
    def page_can_manage(self) -> bool:
        return self.page_role in {"admin", "owner"}

    @rx.var
    def page_can_add(self) -> bool:
        """Quick add on this page: not Completed nor Assigned to me, nor a project the user may only view."""
        if self.view in {"completed", "assigned"} or self.heading == "Not found":
            return False
        return self.view != "project" or self.page_role in {"editor", "admin", "owner"}

    @rx.var
    def searching(self) -> bool:
        return bool(self.search.strip())

    @rx.var
    def is_board(self) -> bool:
        return self.view == "project" and self.layout != "list" and not self.search.strip()

    @rx.var
    def can_reorder(self) -> bool:
        """Manual order is shown (a project or the Inbox as a list, in its own order): rows can move."""
        in_order = self.view in {"project", "inbox"} and self.layout == "list" and self.sort in {"", "manual"}
        return in_order and not self.search.strip()

    @rx.var
    def can_drag_order(self) -> bool:
        """Rows (list) or cards (board) can be dragged into another place of the project's (or Inbox's) own order."""
        in_order = self.view in {"project", "inbox"} and self.sort in {"", "manual"}
        return in_order and not self.search.strip()

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
        if self.search.strip():
            return "No open task matches your search."
        if self.filters_active:
            return "No tasks match your filters."
        return {
            "today": "Nothing due today. Enjoy your day!",
            "upcoming": "Nothing planned in the coming days.",
            "inbox": "Your Inbox is empty. Add a task above or press Q.",
            "completed": "Completed tasks show up here.",
            "label": "No open tasks with this label.",
            "assigned": "Nothing is assigned to you. Tasks of shared projects assigned to you show up here.",
        }.get(self.view, "No tasks in this project yet. Add one above.")

    # --- what the list is --------------------------------------------------------------------
    def _spec(self) -> ListSpec:
        """The list as the pure rules see it (search looks through every open task, whatever the view)."""
        now = datetime.now(ZoneInfo(self.timezone)) if self._known_zone() else None
        common: dict[str, Any] = {
            "today": self.today(),
            "now_local": now.replace(tzinfo=None) if now else None,
            "priority": int(self.priority_filter) if self.priority_filter in {"1", "2", "3", "4"} else None,
            "label_id": self.label_filter,
            "project_id": self.project_filter,
            "due_from": _date(self.due_from),
            "due_to": _date(self.due_to),
            "overdue_only": self.overdue_only,
            "attachments_only": self.attachments_only,
            "assignee": self._user_id if self._mine_only() else "",
        }
        if self.search.strip():
            return ListSpec(view="search", search=self.search.strip(), **common)
        return ListSpec(
            view=self.view, context_id=self.context_id, days=self.days, sort=self.sort, layout=self.layout, **common
        )

    def _mine_only(self) -> bool:
        """Only the tasks assigned to me: the "Assigned to me" view (a search there looks through everything), or
        the assignee filter."""
        return self.assigned_only or (self.view == "assigned" and not self.search.strip())

    def _known_zone(self) -> bool:
        try:
            ZoneInfo(self.timezone)
        except (ValueError, KeyError):
            return False
        return True

    def _query(self, *, cursor: str | None, limit: int) -> dict[str, Any]:
        """The ``list_tasks`` arguments of the list shown (search looks through every open task)."""
        query: dict[str, Any] = {"cursor": cursor, "limit": limit, "sort": None}
        query |= self._search_query() if self.search.strip() else self._view_query()
        if self.priority_filter in {"1", "2", "3", "4"}:
            query["priority"] = int(self.priority_filter)
        query["due_from"], query["due_to"] = _date(self.due_from), _date(self.due_to)
        query["overdue"] = self.overdue_only
        query["has_attachments"] = True if self.attachments_only else None
        query["assignee"] = "me" if self._mine_only() else None
        return query

    def _search_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {"q": self.search.strip()[:200], "view": "all", "status": "open"}
        if self.project_filter:
            query["project_id"] = self.project_filter
        if self.label_filter:
            query["label_id"] = self.label_filter
        return query

    def _view_query(self) -> dict[str, Any]:
        view = self.view
        api_view = {"today": "today", "upcoming": "upcoming", "inbox": "inbox", "completed": "completed"}
        query: dict[str, Any] = {"view": api_view.get(view, "all")}
        if view == "upcoming":
            query["days"] = self.days
        if view == "project":
            query["project_id"] = self.context_id
        elif self.project_filter and view != "inbox":
            query["project_id"] = self.project_filter
        if view == "label":
            query["label_id"] = self.context_id
        elif self.label_filter:
            query["label_id"] = self.label_filter
        sort = self.sort or ("due" if view == "assigned" else None)  # (what is mine, soonest first)
        if view == "project" and self.layout == "status":
            query["status"], sort = "all", "manual"  # both columns, in the project's order
        if sort == "manual" and "project_id" not in query and view != "inbox":
            sort = None
        query["sort"] = sort
        if self.is_board:
            query["count_by"] = "status" if self.layout == "status" else "section"
        return query

    def _cache_key(self) -> str:
        return json.dumps(self._query(cursor=None, limit=0), default=str, sort_keys=True)

    # --- showing -----------------------------------------------------------------------------
    def _render(self) -> None:
        """Rows and groups from ``_tasks`` (after every load or change)."""
        today, zone = self.today(), self.zone()
        projects, labels = self.project_map(), self.label_map()
        pending = set(self.pending)
        people = self.people()
        # a list in manual order: subtasks under their parents, foldable
        shown = nest(self._tasks, self.collapsed) if self._nested() else [(t, 0, False) for t in self._tasks]
        folded = set(self.collapsed)
        rows = [
            dataclasses.replace(
                task_row(task, today, projects, labels, pending=task.id in pending, people=people, zone=zone),
                depth=depth,
                collapsible=below,
                collapsed=task.id in folded,
            )
            for task, depth, below in shown
        ]
        self.shown = len(rows)
        if self.search.strip():
            self.groups = single_group(rows)
        elif self.view == "project" and self.layout == "sections":
            project = projects.get(self.context_id)
            self.groups = section_columns(rows, project.sections if project else [], counts=self._counts)
        elif self.view == "project" and self.layout == "status":
            self.groups = status_columns(rows, counts=self._counts)
        elif (
            self.view == "project" and not self.sort and (project := projects.get(self.context_id)) and project.sections
        ):
            # the list of a project with sections: unsectioned tasks first (no heading), then each section
            columns = section_columns(rows, project.sections)
            loose = columns[0].titled("")
            self.groups = [loose, *columns[1:]] if loose.count else columns[1:]
        elif self.view == "today" and not self.sort:
            self.groups = today_groups(rows)
        elif self.view == "upcoming" and self.sort in {"", "due"}:
            self.groups = upcoming_groups(self._tasks, rows, today, self.days)
        else:
            self.groups = single_group(rows)

    def _nested(self) -> bool:
        """Subtasks are shown under their parents where the list is in manual order (a project or the Inbox as a
        list); elsewhere (Today, Upcoming, search, other sorts) each task is a row of its own, as Todoist does."""
        in_order = self.view in {"project", "inbox"} and self.layout == "list" and self.sort in {"", "manual"}
        return in_order and not self.search.strip()

    @rx.event
    def toggle_collapsed(self, task_id: str) -> None:
        """Fold or unfold a task's subtasks (this tab only)."""
        if not isinstance(task_id, str) or not task_id:
            return
        folded = task_id in self.collapsed
        self.collapsed = [x for x in self.collapsed if x != task_id] if folded else [*self.collapsed, task_id]
        self._render()

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
        elif self.view == "assigned":
            self.heading, self.subheading = "Assigned to me", "Open tasks of shared projects that are yours to do"
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

    def _show_page(self, page: TaskPage) -> None:
        fresh = ShownPage.of(page)
        shown = ShownPage(list(self._tasks), self.next_cursor, self.total, dict(self._counts))
        if self.loaded and not self.loading and not self.error and fresh == shown:
            # The background refresh of a cached list found nothing new: sending the same rows again would only
            # make the browser render the whole list a second time right after the switch.
            return
        self._tasks, self.next_cursor, self.total, self._counts = (
            fresh.tasks,
            fresh.next_cursor,
            fresh.total,
            fresh.counts,
        )
        self.loaded, self.loading, self.error = True, False, ""
        self._remember()
        self._render()

    def _remember(self) -> None:
        """Keep this list for an instant switch back (the newest few; a switch refreshes it anyway)."""
        cache = {k: v for k, v in self._cache.items() if k != self._cache_key()}
        cache[self._cache_key()] = (list(self._tasks), self.next_cursor, self.total)
        self._cache = dict(list(cache.items())[-CACHED_VIEWS:])

    def _layout_for(self, project_id: str) -> str:
        try:
            saved = json.loads(self.layouts or "{}")
        except ValueError:
            saved = {}
        value = saved.get(project_id) if isinstance(saved, dict) else None
        return value if value in {"list", "sections", "status"} else "list"

    # --- loading -----------------------------------------------------------------------------
    def _start_query(self) -> Any:
        """A new query: what is cached for it shows at once; the fresh page follows in the background."""
        self._generation += 1
        cached = self._cache.get(self._cache_key())
        if cached is not None:
            self._tasks, self.next_cursor, self.total = list(cached[0]), cached[1], cached[2]
            self.loaded, self.loading = True, False
        else:
            self._tasks, self.next_cursor, self.total, self.loaded, self.loading = [], "", 0, False, True
        self._render()
        return bound(TasksState.fetch_list, self._generation, PAGE_SIZE)

    @rx.event
    async def switch_view(self, path: Any, click: Any) -> AsyncGenerator[Any, None]:
        """A plain click on a sidebar link (``on_click``, sent as the browser starts drawing the new page): the view's
        list is set now, cached rows and all, so its delta arrives while the page renders instead of after it; the
        page's ``open_view`` then finds the work done (``_switched``). Anything else is left to ``open_view``."""
        target = view_of(path) if isinstance(path, str) else None
        if target is None or not plain_click(click) or not self.signed_in or not self.workspace_loaded:
            return
        if not self._context_exists(*target) or not await self._ensure_session():
            return  # (open_view shows "Not found", or why the session could not be checked)
        self._open(*target)
        self.switching_to = path
        refresh = self._start_query()
        if not self.loaded:
            yield refresh  # nothing cached: the rows are the API's answer, ask at once
        # A cached list refreshes when the page has loaded (open_view): its API call, and in a local run the API
        # itself in this process, would otherwise take the CPU the browser needs to draw the page right now.
        self._switched = SwitchedView(*target, at=time.monotonic(), refresh=self._generation if self.loaded else None)

    def _open(self, view: ViewName, context_id: str) -> None:
        """The view's own settings and heading (its rows come from ``_start_query``)."""
        if (view, context_id) != (self.view, self.context_id):
            self._clear_filters()  # (kept when the same view is loaded again, e.g. on a reload)
        self.view, self.context_id = view, context_id
        self.layout = self._layout_for(context_id) if view == "project" else "list"
        self.error, self.deleting_id, self.highlight = "", "", ""
        self._describe()  # with what is known already: the heading changes with the URL

    @rx.event
    async def open_view(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of every list page: the session check, then the view at once, its rows in the background."""
        self.switching_to = ""  # (the router knows the page now: the sidebar follows it again)
        for event in await self._check_login():
            yield event
        if not self.signed_in:
            return
        view, context_id = view_of(self.router.url.path) or ("today", "")
        switched, self._switched = self._switched, None
        shown = (view, context_id) == (self.view, self.context_id)
        if shown and switched is not None and switched.covers(view, context_id, now=time.monotonic()):
            if switched.refresh is not None:  # the sidebar click has shown this view already: only its refresh is left
                yield bound(TasksState.fetch_list, switched.refresh, PAGE_SIZE)
            return
        self._open(view, context_id)
        if not self.workspace_loaded:
            yield
            if not await self.refresh():
                self.loading = False
                self.error = self.workspace_error or "Your projects could not be loaded. Reload to try again."
                return
            self._describe()
        if not self._context_exists(self.view, self.context_id):
            self.loading, self.loaded, self.heading = False, False, "Not found"
            self.error = f"This {view} does not exist (any more)."
            return
        yield self._start_query()  # (the sidebar is kept current by live changes: no reload per switch)

    def _context_exists(self, view: str, context_id: str) -> bool:
        if view == "project":
            return context_id in self.project_map()
        if view == "label":
            return context_id in self.label_map()
        return True

    @rx.event(background=True)
    async def fetch_list(self, generation: int, limit: int) -> AsyncGenerator[Any, None]:
        """The first page of the current query (as many rows as ``limit``), unless the user has moved on."""
        async with self:
            if generation != self._generation:
                return
            client = await self._client()
            query = self._query(cursor=None, limit=min(max(int(limit), PAGE_SIZE), MAX_PAGE))
            query.setdefault("with_total", True)  # (a board's count_by brings the total anyway)
            if client is None:
                self.loading = False
                yield self._session_lost()
                return
        try:
            page = await call(client.list_tasks, **query)
        except ApiError as error:
            async with self:
                if generation == self._generation:
                    self.loading, self.error = False, error.message
            return
        async with self:
            if generation == self._generation:
                self._show_page(page)

    async def refetch(self) -> None:
        """The list shown, fresh from the API now (inside a live change, where no background event can be sent)."""
        if self._context_exists(self.view, self.context_id) and await self._ensure_session():
            query = self._query(cursor=None, limit=min(max(self.shown, PAGE_SIZE), MAX_PAGE))
            query.setdefault("with_total", True)
            with contextlib.suppress(ApiError):  # (the list stays as it was; the next change or switch asks again)
                self._show_page(await call(self._api().list_tasks, **query))

    def reload(self) -> Any:
        """The same list again in the background, as many rows as are shown (after a change nobody can place)."""
        self._generation += 1
        return bound(TasksState.fetch_list, self._generation, max(self.shown, PAGE_SIZE))

    @rx.event(background=True)
    async def load_more(self) -> AsyncGenerator[Any, None]:
        async with self:
            if not self.next_cursor or self.loading_more:
                return
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            generation, query = self._generation, self._query(cursor=self.next_cursor, limit=PAGE_SIZE)
            self.loading_more = True
        try:
            page = await call(client.list_tasks, **query)
        except ApiError as error:
            async with self:
                self.loading_more = False
            yield rx.toast.error(error.message)
            return
        async with self:
            self.loading_more = False
            if generation != self._generation:
                return
            known = {task.id for task in self._tasks}
            merged = [*self._tasks, *(task for task in page.items if task.id not in known)]
            # (a task added here beyond the loaded part sat at the end: the next page goes before it, in order)
            spec = self._spec()
            self._tasks = sorted(merged, key=lambda task: sort_key(task, spec))
            self.next_cursor = page.next_cursor or ""
            self._remember()
            self._render()

    # --- filters, sort, layout ---------------------------------------------------------------
    def _clear_filters(self) -> None:
        if self.search:
            self.search_box += 1
        self.search = self.priority_filter = self.label_filter = self.project_filter = ""
        self.due_from = self.due_to = self.sort = ""
        self.overdue_only = False
        self.attachments_only = False
        self.assigned_only = False

    @rx.event
    def set_search(self, value: str) -> Any:
        self.search = value[:200] if isinstance(value, str) else ""
        return self._start_query()

    @rx.event
    def set_priority_filter(self, value: str) -> Any:
        self.priority_filter = value if value in {"1", "2", "3", "4"} else ""
        return self._start_query()

    @rx.event
    def set_label_filter(self, value: str) -> Any:
        self.label_filter = value if value in self.label_map() else ""
        return self._start_query()

    @rx.event
    def set_project_filter(self, value: str) -> Any:
        self.project_filter = value if value in self.project_map() else ""
        return self._start_query()

    @rx.event
    def set_due_from(self, value: str) -> Any:
        self.due_from = value if _date(value) else ""
        return self._start_query()

    @rx.event
    def set_due_to(self, value: str) -> Any:
        self.due_to = value if _date(value) else ""
        return self._start_query()

    @rx.event
    def set_overdue_only(self, value: bool) -> Any:
        self.overdue_only = bool(value)
        return self._start_query()

    @rx.event
    def set_attachments_only(self, value: bool) -> Any:
        self.attachments_only = bool(value)
        return self._start_query()

    @rx.event
    def set_assigned_only(self, value: bool) -> Any:
        self.assigned_only = bool(value)
        return self._start_query()

    @rx.event
    def set_sort(self, value: str) -> Any:
        allowed = {key for key, _ in self.sort_options}
        self.sort = value if value in allowed and value != "default" else ""
        return self._start_query()

    @rx.event
    def set_days(self, value: str | list[str]) -> Any:
        self.days = 14 if value == "14" else 7
        self._describe()
        return self._start_query()

    @rx.event
    def clear_filters(self) -> Any:
        self._clear_filters()
        return self._start_query()

    @rx.event
    def set_layout(self, value: str) -> Any:
        if self.view != "project" or value not in {"list", "sections", "status"}:
            return None
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
        return self._start_query()

    # --- the public API: how other states change the list ------------------------------------
    def task_of(self, task_id: str) -> TaskPublic | None:
        return next((task for task in self._tasks if task.id == task_id), None)

    def index_of(self, task_id: str) -> int:
        return next((i for i, task in enumerate(self._tasks) if task.id == task_id), -1)

    def set_pending(self, task_id: str, pending: bool) -> None:
        others = [x for x in self.pending if x != task_id]
        self.pending = [*others, task_id] if pending else others
        self._render()

    def task_created(self, task: TaskPublic, *, replaces: str = "") -> list[Any]:
        """A new task (or the server's answer for the provisional row ``replaces``): shown where it belongs."""
        listed = sum(1 for task_id in {task.id, replaces} if task_id and self.task_of(task_id) is not None)
        self.pending = [x for x in self.pending if x != replaces]
        placed = self._place(task, replaces=replaces, listed=listed)
        shown_new = not replaces and not listed  # (a provisional row the user saw arrive: it keeps its highlight)
        if placed < 0 or not (shown_new or (replaces and self.highlight == replaces)):
            return []
        self.highlight = task.id
        return [rx.call_script(f"window.tmpRevealTask && window.tmpRevealTask({json.dumps(task.id)})")]

    def task_saved(self, task: TaskPublic) -> None:
        """An edited task (optimistic, or the server's answer): in place, moved, or out of this list."""
        self._place(task, listed=int(self.task_of(task.id) is not None))

    def _place(self, task: TaskPublic, *, listed: int, replaces: str = "") -> int:
        """Put ``task`` where it belongs; ``listed``: how many rows it stood for before (the total follows)."""
        placed = place(self._tasks, task, self._spec(), replaces=replaces, complete=not self.next_cursor)
        self._tasks = placed.tasks
        self.total = max(self.total + int(placed.index >= 0) - listed, 0)
        self._render()
        return placed.index

    def task_removed(self, task_id: str) -> None:
        if self.task_of(task_id) is None:
            return
        self._tasks = without(self._tasks, task_id)
        self.pending = [x for x in self.pending if x != task_id]
        self.total = max(self.total - 1, 0)
        self._render()

    def task_heard(self, task: TaskPublic | None, task_id: str) -> None:
        """A change made elsewhere (another tab, device, the API, a reminder): applied if it is news."""
        if task_id in self.pending:
            return  # our own write is on its way: its answer reconciles the row
        if task is None:
            self.task_removed(task_id)
        elif (mine := self._provisional_for(task)) is not None:
            # our own quick add, heard before its answer: the row becomes the real task (the answer finds it)
            self.pending = [x for x in self.pending if x != mine.id]
            self._tasks = [task if t.id == mine.id else t for t in self._tasks]
            self.highlight = task.id if self.highlight == mine.id else self.highlight
            self._render()
        elif newer(task, self.task_of(task.id)):
            self.task_saved(task)
        self._cache = {}  # other lists may have changed too: the next switch fetches them

    def _provisional_for(self, task: TaskPublic) -> TaskPublic | None:
        """The pending provisional row this newly heard task is the answer to (same title and project), if any."""
        if self.task_of(task.id) is not None:
            return None
        return next(
            (
                t
                for t in self._tasks
                if t.id.startswith(PROVISIONAL)
                and t.id in self.pending
                and (t.title, t.project_id) == (task.title, task.project_id)
            ),
            None,
        )

    def forget_cached_lists(self) -> None:
        """Lists kept for a switch back may be out of date (a project was joined or left): the next switch asks."""
        self._cache = {}

    def project_gone(self, project_id: str) -> None:
        """A project the user no longer sees (left, removed, deleted): its rows leave the list at once."""
        self._cache = {}
        gone = [t.id for t in self._tasks if t.project_id == project_id]
        if gone:
            self._tasks = [t for t in self._tasks if t.project_id != project_id]
            self.pending = [x for x in self.pending if x not in gone]
            self.total = max(self.total - len(gone), 0)
        if self.view == "project" and self.context_id == project_id:
            self.loading, self.loaded, self.heading, self.subheading, self.accent = False, False, "Not found", "", ""
            self.error = "This project is not shared with you any more."
            self._tasks, self.groups, self.next_cursor = [], [], ""
            return
        self._render()

    def workspace_changed(self) -> None:
        """Projects or labels changed (names, colours, sections): the rows and heading show them."""
        self._describe()
        self._render()

    def _move_after(self, task_id: str, after_id: str) -> None:
        task = self.task_of(task_id)
        if task is None:
            return
        rest = without(self._tasks, task_id)
        index = next((i + 1 for i, t in enumerate(rest) if t.id == after_id), 0)
        self._tasks = [*rest[:index], task, *rest[index:]]
        self._render()

    def _focus_task(self, task_id: str) -> Any:
        """Keep the keyboard on a row that moved (its place in the list changed, the element stayed)."""
        return rx.call_script(f"window.tmpFocusTask && window.tmpFocusTask({json.dumps(task_id)})")

    def _focus_row(self, index: int) -> Any:
        """Keep the keyboard where it was: focus the row now at ``index`` (the next one after a removal)."""
        return rx.call_script(f"window.tmpFocusRow && window.tmpFocusRow({max(index, 0)})")

    # --- completing --------------------------------------------------------------------------
    @rx.event(background=True)
    async def toggle_done(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The round checkbox: complete an open task, reopen a done one. The row changes at once."""
        async for event in self._set_done(task_id, None):
            yield event

    @rx.event(background=True)
    async def undo_complete(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The toast's Undo: reopen (a recurring task goes back to the date it had)."""
        async for event in self._set_done(task_id, False, undo=True):
            yield event

    @rx.event(background=True)
    async def redo_complete(self, task_id: str) -> AsyncGenerator[Any, None]:
        async for event in self._set_done(task_id, True, undo=True):
            yield event

    @rx.event(background=True)
    async def complete_with_children(self, task_id: str, choice: str) -> AsyncGenerator[Any, None]:
        """The answer of the "open subtasks" dialog: complete them all too, or only the task."""
        async with self:
            self.children_ask_id = ""
        if isinstance(task_id, str) and task_id and choice in {"complete", "keep"}:
            async for event in self._set_done(task_id, True, children=choice):
                yield event

    @rx.event
    def set_children_dialog(self, value: bool) -> None:
        if not value:  # closed: Cancel, Esc, a click outside (the answers start their own event)
            self.children_ask_id = ""

    def _ask_children(self, task_id: str, title: str, still_open: int) -> None:
        self.children_ask_id, self.children_ask_title, self.children_ask_open = task_id, title, max(still_open, 1)

    def _children_done(self, task: TaskPublic, *, done: bool, choice: str | None) -> None:
        """What completing or reopening ``task`` shows at once: its parent's "n/m done" (its answer has the next
        version, one subtask write later) and, when all its subtasks are completed with it, the loaded ones."""
        parent = self.task_of(task.parent_id) if task.parent_id else None
        if parent is not None and (task.status == "done") != done:
            count = parent.subtask_done + (1 if done else -1)
            self.task_saved(parent.model_copy(update={"subtask_done": max(count, 0), "version": parent.version + 1}))
        if done and choice == "complete":
            below, level = [], {task.id}
            while level:
                level = {t.id for t in self._tasks if t.parent_id in level and t.status == "open"}
                below += [t for t in self._tasks if t.id in level]
            for child in below:
                self.task_saved(_marked(child, done=True))

    async def _set_done(
        self, task_id: Any, done: bool | None, *, undo: bool = False, children: str | None = None
    ) -> AsyncGenerator[Any, None]:
        if not isinstance(task_id, str) or not task_id:
            return
        async with one_write_at_a_time(self, task_id):
            async with self:
                client = await self._client()
                if client is None:
                    yield self._session_lost()
                    return
                before = self.task_of(task_id)
                done = (before is None or before.status == "open") if done is None else done
                index = self.index_of(task_id)
                if done and children is None and before is not None and before.subtask_count > before.subtask_done:
                    self._ask_children(task_id, before.title, before.subtask_count - before.subtask_done)
                    return
                if before is not None:
                    self._children_done(before, done=done, choice=children)
                    if done and before.recurrence is None:
                        self.task_saved(_marked(before, done=True))
                    elif not done:
                        self.task_saved(_marked(before, done=False))
                    self.set_pending(task_id, True)
            if before is not None and self.index_of(task_id) < 0:
                yield self._focus_row(index)
            try:
                if done:
                    saved = await call(client.complete_task, task_id, children=_choice(children))
                else:
                    saved = await call(client.reopen_task, task_id)
            except ApiError as error:
                async with self:
                    self.set_pending(task_id, False)
                    if before is not None:
                        self.task_saved(before)  # as it was
                    if error.code == "open_subtasks":  # (opened elsewhere with subtasks this list had not seen)
                        self._ask_children(task_id, before.title if before else "This task", 1)
                        return
                yield rx.toast.error(error.first_problem, id="completed")
                return
            async with self:
                self.set_pending(task_id, False)
                self.task_saved(saved)
                today = self.today()
            yield _done_toast(saved, task_id, done=done, undo=undo, today=today)

    # --- edits from the list (board column, manual order) ------------------------------------
    async def _update(
        self, task_id: str, build: Any, success: str, *, after_id: str | None = None
    ) -> AsyncGenerator[Any, None]:
        """One PATCH from the list: ``build(task)`` gives (the optimistic task, the TaskUpdate) or None.

        ``after_id``: a manual move; the row goes right after that one ("" = first) until the server's position
        comes back."""
        async with one_write_at_a_time(self, task_id):
            async with self:
                before = self.task_of(task_id)
                planned = build(before) if before is not None else None
                if before is None or planned is None:
                    return
                client = await self._client()
                if client is None:
                    yield self._session_lost()
                    return
                optimistic, update = planned
                if after_id is None:
                    self.task_saved(optimistic)
                else:  # (a section or status may change with the place: the row shows both at once)
                    self._tasks = [optimistic if t.id == task_id else t for t in self._tasks]
                    self._move_after(task_id, after_id)
                self.set_pending(task_id, True)
                self.highlight = task_id

            def settle(task: TaskPublic) -> None:
                self.set_pending(task_id, False)
                self.task_saved(task)

            def done(_: TaskPublic) -> Any:
                return rx.toast.success(success, id="moved")

            moved = done if success else None
            async for event in edit_shown_first(self, client, update, before=before, settle=settle, done=moved):
                yield event

    @rx.event(background=True)
    async def move_to_column(self, task_id: str, column: str) -> AsyncGenerator[Any, None]:
        """A card to another board column: its section (``""`` = no section), or Open/Done."""
        if not isinstance(task_id, str) or not isinstance(column, str):
            return
        async for event in self._to_column(task_id, column):
            yield event

    async def _to_column(self, task_id: str, column: str) -> AsyncGenerator[Any, None]:
        async with self:
            listed, layout, view = self.task_of(task_id), self.layout, self.view
            project = self.project_map().get(listed.project_id) if listed else None
        if listed is None or view != "project":
            return
        task: TaskPublic = listed
        if layout == "status":
            wanted_done = column == "done"
            if wanted_done != (task.status == "done"):
                async for event in self._set_done(task_id, wanted_done):
                    yield event
            return
        section = "" if column == NO_SECTION_KEY else column
        if project is None or (section and section not in project.sections) or (task.section or "") == section:
            return

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            moved = current.model_copy(update={"section": section or None})
            return moved, TaskUpdate(version=current.version, section=section or None)

        async for event in self._update(task_id, build, f"Moved to {section or NO_SECTION}"):
            yield event

    # --- drag and drop (components/dnd.py): the row moves on the drop, the PATCH follows -------------------
    @rx.event(background=True)
    async def dropped(self, active_id: str, over_id: str) -> AsyncGenerator[Any, None]:
        """A task dropped on another row (a new place in the order, maybe another section or column), on a board
        column, or on a project in the sidebar. Every id comes from the client: each is checked against the rows
        and projects this tab shows, and the server checks again."""
        kind, target = drop_target(over_id)
        if not isinstance(active_id, str) or not kind or target == active_id:
            return
        if kind == "project":
            async for event in self._to_project(active_id, target):
                yield event
        elif kind == "column":
            async for event in self._to_column(active_id, target):
                yield event
        elif kind == "task":
            async for event in self._next_to(active_id, target):
                yield event

    def _group_of(self, task: TaskPublic) -> str:
        """The list a row is sorted in: its status on a status board, else its section (the Inbox has one)."""
        if self.view == "project" and self.layout == "status":
            return task.status
        return (task.section or "") if self.view == "project" else ""

    async def _next_to(self, task_id: str, over_id: str) -> AsyncGenerator[Any, None]:
        """Dropped on the row ``over_id``: it takes that row's place (after it when dragged down, before it when
        dragged up, as the sortable list showed), in that row's section; subtasks among their siblings only."""
        async with self:
            if not self.can_drag_order:
                return
            tasks = list(self._tasks)
            moving, over = self.task_of(task_id), self.task_of(over_id)
            if moving is None or over is None or moving.project_id != over.project_id:
                return
            if moving.parent_id != over.parent_id:
                return  # (a subtask moves among its siblings; another parent is the panel's "Parent task")
            group, target_group = self._group_of(moving), self._group_of(over)
            peers = [t for t in tasks if self._group_of(t) == target_group and t.parent_id == moving.parent_id]
            status_board = self.view == "project" and self.layout == "status"
        if status_board and group != target_group:
            async for event in self._set_done(task_id, target_group == "done"):
                yield event
            return
        ids = [t.id for t in peers]
        downwards = group == target_group and ids.index(task_id) < ids.index(over_id)
        rest = [t for t in peers if t.id != task_id]
        at = next(i for i, t in enumerate(rest) if t.id == over_id) + int(downwards)
        after = rest[at - 1] if at > 0 else None
        before = rest[at] if at < len(rest) else None
        section = None if status_board or self.view != "project" else target_group

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            order = TaskOrder(after_id=after.id if after else None, before_id=before.id if before else None)
            if section is None or (current.section or "") == section:
                return current, TaskUpdate(version=current.version, order=order)
            moved = current.model_copy(update={"section": section or None})
            return moved, TaskUpdate(version=current.version, order=order, section=section or None)

        others = [t for t in tasks if t.id != task_id]
        shown_after = after.id if after else (before_of(others, before.id) if before else "")
        async for event in self._update(task_id, build, "", after_id=shown_after):
            yield event

    async def _to_project(self, task_id: str, project_id: str) -> AsyncGenerator[Any, None]:
        async with self:
            task, project = self.task_of(task_id), self.project_map().get(project_id)
        if task is None or project is None or project.archived or not project.can_edit:
            return
        if task.project_id == project_id:
            return

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            moved = current.model_copy(update={"project_id": project_id, "section": None})
            return moved, TaskUpdate(version=current.version, project_id=project_id)

        async for event in self._update(task_id, build, f"Moved to {project.name}"):
            yield event

    @rx.event(background=True)
    async def move_task(self, task_id: str, step: int) -> AsyncGenerator[Any, None]:
        """Up (-1) or down (+1) past its neighbour in the list (in a project: within its section)."""
        if not isinstance(task_id, str) or step not in (-1, 1):
            return
        async with self:
            tasks, can_reorder, view = list(self._tasks), self.can_reorder, self.view
        task = next((t for t in tasks if t.id == task_id), None)
        if task is None or not can_reorder:
            return
        peers = [t for t in tasks if view == "inbox" or (t.section or "") == (task.section or "")]
        index = next(i for i, t in enumerate(peers) if t.id == task_id)
        target = index + step
        if not 0 <= target < len(peers):
            return
        after: TaskPublic | None
        before: TaskPublic | None
        if step < 0:  # between the one before the neighbour and the neighbour
            after, before = (peers[target - 1] if target > 0 else None), peers[target]
        else:
            after, before = peers[target], (peers[target + 1] if target + 1 < len(peers) else None)

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            order = TaskOrder(after_id=after.id if after else None, before_id=before.id if before else None)
            return current, TaskUpdate(version=current.version, order=order)

        async for event in self._update(task_id, build, "", after_id=after.id if after else ""):
            yield event
        yield self._focus_task(task_id)

    @rx.event(background=True)
    async def indent_task(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The row menu's "Indent": under the task right above it (last of its subtasks), subtasks and all."""
        if not isinstance(task_id, str):
            return
        async with self:
            parent = indent_under(self._tasks, task_id)
        if parent is None:
            yield rx.toast.info("There is no task above it at its level to go under.", id="moved")
            return

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            shown = current.model_copy(update={"parent_id": parent.id, "section": parent.section})
            return shown, TaskUpdate(version=current.version, parent_id=parent.id)

        async for event in self._update(task_id, build, f"Now a subtask of {parent.title}"):
            yield event
        yield self._focus_task(task_id)

    @rx.event(background=True)
    async def outdent_task(self, task_id: str) -> AsyncGenerator[Any, None]:
        """The row menu's "Outdent": a level up, right after the task it was under."""
        if not isinstance(task_id, str):
            return
        async with self:
            place = outdent_place(self._tasks, task_id)
        if place is None:
            return
        parent, next_one = place

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate]:
            shown = current.model_copy(update={"parent_id": parent.parent_id})
            order = TaskOrder(after_id=parent.id, before_id=next_one.id if next_one else None)
            return shown, TaskUpdate(version=current.version, parent_id=parent.parent_id, order=order)

        async for event in self._update(task_id, build, f"Moved out of {parent.title}", after_id=parent.id):
            yield event
        yield self._focus_task(task_id)

    @rx.event(background=True)
    async def assign(self, task_id: str, user_id: str) -> AsyncGenerator[Any, None]:
        """The row menu's "Assign to": a member of the task's shared project ("" = nobody); the row shows it now."""
        if not isinstance(task_id, str) or not isinstance(user_id, str):
            return

        def build(current: TaskPublic) -> tuple[TaskPublic, TaskUpdate] | None:
            if assignee_of(current) == user_id:
                return None
            shown = current.model_copy(update={"assignee_id": user_id or None})
            return shown, TaskUpdate(version=current.version, assignee_id=user_id or None)

        async for event in self._update(task_id, build, "Assigned" if user_id else "Unassigned"):
            yield event

    # --- deleting one task -------------------------------------------------------------------
    def ask_to_delete(self, task_id: str) -> None:
        task = self.task_of(task_id)
        self.deleting_id, self.deleting_title = (task.id, task.title) if task else ("", "")

    @rx.event
    def ask_delete(self, task_id: str) -> None:
        self.ask_to_delete(task_id)

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        if not value:
            self.deleting_id = ""

    @rx.event(background=True)
    async def delete_task(self) -> AsyncGenerator[Any, None]:
        async with self:
            task = self.task_of(self.deleting_id)
            self.deleting_id = ""
            if task is None:
                return
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            index = self.index_of(task.id)
            self.task_removed(task.id)
        yield self._focus_row(index)
        try:
            await call(client.delete_task, task.id)
        except ApiError as error:
            if error.status != 404:  # (already gone is what was asked)
                async with self:
                    self.task_created(task)
                yield rx.toast.error(error.first_problem)
                return
        yield rx.toast.info("Task deleted", description=task.title, id="deleted")


def _choice(children: str | None) -> Literal["complete", "keep"] | None:
    return "complete" if children == "complete" else "keep" if children == "keep" else None


def _done_toast(saved: TaskPublic, task_id: str, *, done: bool, undo: bool, today: date) -> Any:
    """What a completion or a reopening says, with its Undo."""
    title = saved.title
    if undo:  # its own id: sonner would merge it into the Undo's toast that is still leaving, unseen (selection.py)
        return rx.toast.info("Restored" if not done else "Completed again", description=title, id="completed-undone")
    if done and saved.status == "open" and saved.due_date is not None:  # a recurring task moved on
        action = {"label": "Undo", "on_click": bound(TasksState.undo_complete, task_id)}
        next_day = f"{day_name(saved.due_date, today)} ({long_day(saved.due_date)})"
        return rx.toast.success(f"Next: {next_day}", description=title, action=action, id="completed")
    if done:
        action = {"label": "Undo", "on_click": bound(TasksState.undo_complete, task_id)}
        return rx.toast.success("Task completed", description=title, action=action, id="completed")
    action = {"label": "Undo", "on_click": bound(TasksState.redo_complete, task_id)}
    return rx.toast.info("Task reopened", description=title, action=action, id="reopened")


def before_of(tasks: list[TaskPublic], task_id: str) -> str:
    """The id of the row shown just before ``task_id`` ("" = it is the first)."""
    index = next((i for i, t in enumerate(tasks) if t.id == task_id), 0)
    return tasks[index - 1].id if index > 0 else ""


def _marked(task: TaskPublic, *, done: bool) -> TaskPublic:
    """The task as completing (or reopening) it will leave it, for the row until the server answers."""
    if done:
        return task.model_copy(update={"status": "done", "completed_at": datetime.now().astimezone(), "overdue": False})
    return task.model_copy(update={"status": "open", "completed_at": None})


__all__ = ["SwitchedView", "TasksState", "one_write_at_a_time", "plain_click", "view_of"]
