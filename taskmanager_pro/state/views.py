"""What the task pages show, computed from API objects: rows, day groups, board columns, due chips (pure).

The API speaks ``TaskPublic``; the page needs ready-made strings and colours (a component is a function
of Vars and cannot call Python on them). Everything here is pure, so the views are testable without a browser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta, tzinfo
from typing import Any

from backend.client.api import LabelPublic, ProjectPublic, TaskPublic
from taskmanager_pro.state.sharing_views import avatar_color, initials

# Todoist's priority colours: p1 red, p2 orange, p3 blue, p4 (none) grey.
PRIORITY_COLORS: dict[int, str] = {1: "#d1453b", 2: "#eb8909", 3: "#246fe0", 4: "var(--gray-9)"}
PRIORITY_NAMES: dict[int, str] = {1: "Priority 1", 2: "Priority 2", 3: "Priority 3", 4: "No priority"}

# A palette for projects and labels (the API takes any #rrggbb).
COLORS: tuple[tuple[str, str], ...] = (
    ("Berry red", "#b8255f"),
    ("Red", "#db4035"),
    ("Orange", "#ff9933"),
    ("Yellow", "#fad000"),
    ("Olive green", "#afb83b"),
    ("Lime green", "#7ecc49"),
    ("Green", "#299438"),
    ("Mint green", "#6accbc"),
    ("Teal", "#158fad"),
    ("Sky blue", "#14aaf5"),
    ("Blue", "#4073ff"),
    ("Grape", "#884dff"),
    ("Violet", "#af38eb"),
    ("Magenta", "#e05194"),
    ("Salmon", "#ff8d85"),
    ("Charcoal", "#808080"),
    ("Taupe", "#ccac93"),
)

# Recurrence presets of the detail panel (the text field takes any RRULE the API accepts).
RECURRENCE_PRESETS: tuple[tuple[str, str, str], ...] = (
    ("none", "Does not repeat", ""),
    ("daily", "Every day", "FREQ=DAILY"),
    ("weekdays", "Every weekday (Mon to Fri)", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("weekly", "Every week", "FREQ=WEEKLY"),
    ("monthly", "Every month", "FREQ=MONTHLY"),
    ("yearly", "Every year", "FREQ=YEARLY"),
    ("custom", "Custom rule (RRULE)", ""),
)
NO_SECTION = "No section"
NO_SECTION_KEY = "__none__"  # (a select cannot have an empty value)


@dataclasses.dataclass(frozen=True)
class Avatar:
    """A member's initials in a coloured circle (the sidebar, a task row)."""

    user_id: str
    initials: str
    name: str
    color: str


@dataclasses.dataclass(frozen=True)
class ProjectItem:
    id: str
    name: str
    color: str
    is_inbox: bool
    archived: bool
    sections: list[str]
    role: str = "owner"  # the user's role in it (a personal project: owner)
    shared: bool = False
    avatars: list[Avatar] = dataclasses.field(default_factory=list)  # the members (shared projects)
    can_edit: bool = True  # add and edit tasks (editor and up)
    can_manage: bool = True  # members, rename, archive (admin and up)


@dataclasses.dataclass(frozen=True)
class LabelItem:
    id: str
    name: str
    color: str


@dataclasses.dataclass(frozen=True)
class LabelChip:
    id: str
    name: str
    color: str


@dataclasses.dataclass(frozen=True)
class TaskRow:
    id: str
    title: str
    priority: int
    priority_color: str
    done: bool
    due_text: str
    due_tone: str  # overdue | today | tomorrow | week | later | "" (no date)
    recurring: bool
    recurrence_text: str
    project_id: str
    project_name: str
    project_color: str
    section: str
    labels: list[LabelChip]
    subtasks_done: int
    subtasks_total: int
    has_notes: bool
    completed_text: str
    attachments: int = 0  # ready files: the paperclip
    pending: bool = False  # being saved: shown dimmed until the server has answered
    assignee_initials: str = ""  # the assignee's avatar (shared projects)
    assignee_name: str = ""
    assignee_color: str = ""
    read_only: bool = False  # a viewer's row: no checkbox, no menu
    assignee_id: str = ""
    comments: int = 0  # the speech bubble (shared projects)
    assignable: list[Avatar] = dataclasses.field(default_factory=list)  # its shared project's members (row menu)
    # nested subtasks (issue 14): the "3/5 done" badge, how far the row is indented, its collapse toggle
    children_done: int = 0
    children_total: int = 0
    depth: int = 0  # below the nearest loaded ancestor (0 in flat lists)
    collapsible: bool = False  # has subtasks shown under it in this list
    collapsed: bool = False


@dataclasses.dataclass(frozen=True)
class TaskGroup:
    """A titled run of rows: a day of Upcoming, Overdue/Today, or a board column."""

    key: str
    title: str
    subtitle: str
    tone: str
    rows: list[TaskRow]
    count: int  # every task of the group, loaded or not (a board column's total from the API)

    def titled(self, title: str) -> TaskGroup:
        return dataclasses.replace(self, title=title)


def project_item(project: ProjectPublic, avatars: list[Avatar] | None = None) -> ProjectItem:
    """``avatars``: the members, when known from elsewhere than the project's answer (its members' calls)."""
    people = avatars if avatars is not None else avatars_in(project)
    rank = {"viewer": 1, "editor": 2, "admin": 3, "owner": 4}.get(project.role, 0)
    return ProjectItem(
        id=project.id,
        name=project.name,
        color=project.color,
        is_inbox=project.is_inbox,
        archived=project.archived,
        sections=list(project.sections),
        role=project.role,
        shared=project.shared or project.role != "owner",
        avatars=people,
        can_edit=rank >= 2,
        can_manage=rank >= 3,
    )


def avatars_in(project: ProjectPublic) -> list[Avatar]:
    """The members a shared project's answer carries (ids, names, initials)."""
    return [
        Avatar(
            user_id=m.user_id,
            initials=m.initials or initials(m.display_name),
            name=m.display_name,
            color=avatar_color(m.user_id),
        )
        for m in project.members or []
    ]


def assignee_of(task: TaskPublic) -> str:
    """The task's assignee (a member's user id), "" when none."""
    return task.assignee_id or ""


def label_item(label: LabelPublic) -> LabelItem:
    return LabelItem(id=label.id, name=label.name, color=label.color)


def day_name(day: date, today: date) -> str:
    """ "Today", "Tomorrow", "Yesterday", a weekday within the coming week, else "Dec 24" (+ year if not this one)."""
    delta = (day - today).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Tomorrow"
    if delta == -1:
        return "Yesterday"
    if 1 < delta < 7:
        return day.strftime("%A")
    text = f"{day.strftime('%b')} {day.day}"
    return text if day.year == today.year else f"{text} {day.year}"


def long_day(day: date) -> str:
    """ "Wed Nov 25" """
    return f"{day.strftime('%a %b')} {day.day}"


def due_chip(due_date: date | None, due_time: time | None, today: date, *, overdue: bool) -> tuple[str, str]:
    """The text and tone of a due chip: red when overdue, green today, orange tomorrow, violet this week."""
    if due_date is None:
        return "", ""
    text = day_name(due_date, today)
    if due_time is not None:
        text = f"{text} {due_time.strftime('%H:%M')}"
    delta = (due_date - today).days
    if overdue or delta < 0:
        tone = "overdue"
    elif delta == 0:
        tone = "today"
    elif delta == 1:
        tone = "tomorrow"
    elif delta < 7:
        tone = "week"
    else:
        tone = "later"
    return text, tone


def task_row(
    task: TaskPublic,
    today: date,
    projects: dict[str, ProjectItem],
    labels: dict[str, LabelItem],
    *,
    pending: bool = False,
    people: dict[str, Avatar] | None = None,
    zone: tzinfo | None = None,
) -> TaskRow:
    """``people``: every known member (user id → avatar), for the assignee's initials. ``zone``: the user's time
    zone, the one ``today`` is in (a completion at 23:30 UTC is tomorrow's in Berlin)."""
    project = projects.get(task.project_id)
    assignee = (people or {}).get(assignee_of(task)) if assignee_of(task) else None
    due_text, due_tone = due_chip(task.due_date, task.due_time, today, overdue=task.overdue)
    completed = ""
    if task.completed_at is not None:
        completed_at = task.completed_at.astimezone(zone) if zone and task.completed_at.tzinfo else task.completed_at
        completed = f"Completed {day_name(completed_at.date(), today).lower()}"
        completed = completed.replace("completed today", "Completed today")
    return TaskRow(
        id=task.id,
        title=task.title,
        priority=task.priority,
        priority_color=PRIORITY_COLORS.get(task.priority, PRIORITY_COLORS[4]),
        done=task.status == "done",
        due_text=due_text,
        due_tone=due_tone,
        recurring=task.recurrence is not None,
        recurrence_text=task.recurrence_text or "",
        project_id=task.project_id,
        project_name=project.name if project else "",
        project_color=project.color if project else "",
        section=task.section or "",
        labels=[
            LabelChip(id=label.id, name=label.name, color=label.color)
            for label_id in task.labels
            if (label := labels.get(label_id)) is not None
        ],
        subtasks_done=sum(1 for subtask in task.subtasks if subtask.done),
        subtasks_total=len(task.subtasks),
        has_notes=bool(task.notes.strip()),
        completed_text=completed,
        attachments=task.attachment_count,
        pending=pending,
        assignee_initials=assignee.initials if assignee else ("?" if assignee_of(task) else ""),
        assignee_name=assignee.name if assignee else ("a member" if assignee_of(task) else ""),
        assignee_color=assignee.color if assignee else "gray",
        read_only=project is not None and not project.can_edit,
        assignee_id=assignee_of(task),
        comments=task.comment_count,
        children_done=task.subtask_done,
        children_total=task.subtask_count,
        assignable=[a for a in project.avatars if a.user_id] if project is not None and project.can_edit else [],
    )


def nest(tasks: Sequence[TaskPublic], collapsed: Iterable[str] = ()) -> list[tuple[TaskPublic, int, bool]]:
    """A list in manual order as a tree (issue 14): each subtask right under its parent, siblings in the list's
    order; a subtask whose parent is not loaded stands at the top. Under a ``collapsed`` task nothing is shown.
    Returns (task, depth, has subtasks shown here)."""
    ids = {task.id for task in tasks}
    children: dict[str, list[TaskPublic]] = {}
    roots: list[TaskPublic] = []
    for task in tasks:
        if task.parent_id and task.parent_id in ids and task.parent_id != task.id:
            children.setdefault(task.parent_id, []).append(task)
        else:
            roots.append(task)
    hidden = set(collapsed)
    result: list[tuple[TaskPublic, int, bool]] = []
    seen: set[str] = set()

    def walk(task: TaskPublic, depth: int) -> None:
        if task.id in seen:  # (a cycle in stale data: each task once)
            return
        seen.add(task.id)
        below = children.get(task.id, [])
        result.append((task, depth, bool(below)))
        if task.id not in hidden:
            for child in below:
                walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return result


def _siblings(tasks: Sequence[TaskPublic], task: TaskPublic) -> list[TaskPublic]:
    """The tasks under the same parent as ``task`` (and in its section), in the list's order."""
    return [t for t in tasks if t.parent_id == task.parent_id and (t.section or "") == (task.section or "")]


def indent_under(tasks: Sequence[TaskPublic], task_id: str) -> TaskPublic | None:
    """The task a row goes under when indented: the sibling right above it (None: it is the first)."""
    task = next((t for t in tasks if t.id == task_id), None)
    if task is None:
        return None
    siblings = _siblings(tasks, task)
    index = next(i for i, t in enumerate(siblings) if t.id == task_id)
    return siblings[index - 1] if index > 0 else None


def outdent_place(tasks: Sequence[TaskPublic], task_id: str) -> tuple[TaskPublic, TaskPublic | None] | None:
    """Where a subtask goes when outdented: (its parent, which it then follows; the parent's next sibling, which it
    then precedes). None: a top-level task, or its parent is not in the list."""
    task = next((t for t in tasks if t.id == task_id), None)
    parent = next((t for t in tasks if task is not None and t.id == task.parent_id), None)
    if parent is None:
        return None
    siblings = _siblings(tasks, parent)
    index = next(i for i, t in enumerate(siblings) if t.id == parent.id)
    return parent, (siblings[index + 1] if index + 1 < len(siblings) else None)


def _group(
    key: str, title: str, rows: list[TaskRow], *, subtitle: str = "", tone: str = "", total: int | None = None
) -> TaskGroup:
    count = len(rows) if total is None else max(total, len(rows))
    return TaskGroup(key=key, title=title, subtitle=subtitle, tone=tone, rows=rows, count=count)


def today_groups(rows: Sequence[TaskRow]) -> list[TaskGroup]:
    """Today: what is overdue first, then what is due today."""
    overdue = [row for row in rows if row.due_tone == "overdue"]
    due_today = [row for row in rows if row.due_tone != "overdue"]
    groups = [_group("overdue", "Overdue", overdue, tone="overdue")] if overdue else []
    return [*groups, _group("today", "Today", due_today)]


def upcoming_groups(tasks: Sequence[TaskPublic], rows: Sequence[TaskRow], today: date, days: int) -> list[TaskGroup]:
    """Upcoming: one group per day of the window, empty days included (as Todoist shows them)."""
    by_day: dict[date, list[TaskRow]] = {}
    for task, row in zip(tasks, rows, strict=True):
        if task.due_date is not None:
            by_day.setdefault(task.due_date, []).append(row)
    groups = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        title = day_name(day, today)
        subtitle = long_day(day) if title in {"Today", "Tomorrow"} or offset < 7 else ""
        if title == subtitle:
            subtitle = ""
        groups.append(_group(day.isoformat(), title, by_day.get(day, []), subtitle=subtitle))
    return groups


def section_columns(
    rows: Sequence[TaskRow], sections: Iterable[str], *, counts: dict[str, int] | None = None
) -> list[TaskGroup]:
    """A board by the project's sections; tasks in no (or an unknown) section go to "No section".

    ``counts``: the API's totals per section ("" = none), so a column says how many it has, loaded or not."""
    names = list(sections)
    columns: dict[str, list[TaskRow]] = {name: [] for name in names}
    loose: list[TaskRow] = []
    for row in rows:
        columns[row.section].append(row) if row.section in columns else loose.append(row)
    totals = counts or {}
    known = sum(totals.get(name, 0) for name in names)
    loose_total = (sum(totals.values()) - known) if counts else None
    return [
        _group(NO_SECTION_KEY, NO_SECTION, loose, total=loose_total),
        *[_group(name, name, columns[name], total=totals.get(name) if counts else None) for name in names],
    ]


def status_columns(rows: Sequence[TaskRow], *, counts: dict[str, int] | None = None) -> list[TaskGroup]:
    totals = counts or {}
    return [
        _group("open", "Open", [row for row in rows if not row.done], total=totals.get("open")),
        _group("done", "Done", [row for row in rows if row.done], tone="done", total=totals.get("done")),
    ]


def single_group(rows: Sequence[TaskRow], key: str = "all") -> list[TaskGroup]:
    return [_group(key, "", list(rows))]


def bound(handler: Any, *args: Any) -> Any:
    """``handler(*args)``: an event handler with its arguments, as a toast's action or a yielded event.

    (Reflex's handlers are not callable for mypy; this is the one place that says so.)
    """
    return handler(*args)


def preset_of(rule: str | None) -> str:
    """The preset a stored rule matches ("none" for no rule, "custom" for anything else)."""
    if not rule:
        return "none"
    canonical = rule.strip().upper().removeprefix("RRULE:")
    return next((key for key, _, value in RECURRENCE_PRESETS if value and value == canonical), "custom")


def rule_of(preset: str) -> str | None:
    """The rule of a preset; ``None`` for "none" (and for "custom", which the text field supplies)."""
    return next((value or None for key, _, value in RECURRENCE_PRESETS if key == preset), None)
