"""Task use cases: create, read, list (views, filters, sort, cursor), edit with optimistic locking,
complete/reopen (recurrence), bulk actions and quick-add parsing. No HTTP, no boto3."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.adapters.ports import TaskDeletionListener, TaskStore, UserRepository
from backend.domain import quick_add, recurrence
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas
from backend.domain.tasks import (
    Project,
    Status,
    Subtask,
    Task,
    TaskQuery,
    complete,
    new_id,
    position_after,
    position_between,
    reopen,
)
from backend.domain.users import User
from backend.errors import ConflictError, InvalidInputError, NotFoundError, StaleVersionError
from backend.schemas import (
    MAX_LABELS_PER_TASK,
    BulkAction,
    QuickAddParsed,
    SubtaskIn,
    TaskCreate,
    TaskUpdate,
)
from backend.services import projects as project_service
from backend.services.notification_settings import zone_of

DEFAULT_PAGE = 50


@dataclass(frozen=True)
class UserClock:
    """The caller's "now" on their own calendar."""

    tz: ZoneInfo
    now: datetime  # aware, in tz

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def local_naive(self) -> datetime:
        return self.now.replace(tzinfo=None)


def user_clock(*, users: UserRepository, user_id: str, now: datetime) -> UserClock:
    return clock_of(users.get(user_id), now)


def clock_of(user: User | None, now: datetime) -> UserClock:
    """``now`` on the user's calendar (UTC when the profile has no known zone)."""
    tz = zone_of(user)
    return UserClock(tz=tz, now=now.astimezone(tz))


@dataclass(frozen=True)
class ListRequest:
    view: str = "all"  # all | today | upcoming | inbox | completed
    project_id: str | None = None
    label_id: str | None = None
    priority: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    status: str | None = None  # open | done | all; the view decides when None
    search: str | None = None
    sort: str | None = None  # due | priority | created | manual; the view decides when None
    upcoming_days: int = 7
    limit: int = DEFAULT_PAGE
    has_attachments: bool | None = None
    cursor: str | None = None


def build_query(request: ListRequest, *, user_id: str, clock: UserClock) -> TaskQuery:
    """Turn a view + filters into one storage query (pure)."""
    status, sort = "open", "created"
    due_from = request.due_from.isoformat() if request.due_from else None
    due_to = request.due_to.isoformat() if request.due_to else None
    project_id = request.project_id
    if request.view == "today":
        sort, due_to = "due", min(filter(None, [due_to, clock.today.isoformat()]))
    elif request.view == "upcoming":
        end = clock.today + timedelta(days=request.upcoming_days - 1)
        sort, due_from, due_to = "due", clock.today.isoformat(), end.isoformat()
    elif request.view == "inbox":
        sort, project_id = "manual", project_service.INBOX_ID
    elif request.view == "completed":
        status, sort = "done", "completed"
    elif project_id is not None:
        sort = "manual"
    if request.overdue:
        # strictly before now: date-only tasks are overdue from the next day on
        due_to = (clock.local_naive - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
        status = "open"
    search = request.search.strip().lower() if request.search and request.search.strip() else None
    status, sort = request.status or status, request.sort or sort
    # Say so rather than silently answer in another order.
    if status == "all" and sort in {"due", "priority"}:
        raise InvalidInputError("Sorting by due date or priority needs status open or done.", fields={"sort": sort})
    if sort == "manual" and project_id is None:
        raise InvalidInputError("Manual order exists inside a project.", fields={"sort": "needs project_id"})
    return TaskQuery(
        user_id=user_id,
        status=status,
        project_id=project_id,
        label_id=request.label_id,
        priority=request.priority,
        due_from=due_from,
        due_to=due_to,
        search=search,
        sort=sort,
        has_attachments=request.has_attachments,
    )


def list_tasks(
    *, store: TaskStore, user_id: str, request: ListRequest, clock: UserClock
) -> tuple[list[Task], str | None]:
    if request.project_id is not None:
        project_service.owned_project(store, user_id, request.project_id, clock.now)
    if request.label_id is not None:
        project_service.owned_label(store, user_id, request.label_id)
    query = build_query(request, user_id=user_id, clock=clock)
    return store.list_tasks(query, limit=request.limit, cursor=request.cursor)


@dataclass(frozen=True)
class Totals:
    total: int  # tasks in the whole list
    counts: dict[str, int]  # per section ("" = none) or status, when asked


def count_tasks(
    *,
    store: TaskStore,
    user_id: str,
    request: ListRequest,
    clock: UserClock,
    page: list[Task],
    next_cursor: str | None,
    by: str | None = None,
) -> Totals:
    """The totals of the list ``page`` (just read with ``request``) belongs to. A first page without a next one is
    the whole list: counted from it, no read. Otherwise one more Query (``Select=COUNT``; see the store)."""
    if request.cursor is None and next_cursor is None:
        counts: dict[str, int] = {}
        if by is not None:
            for task in page:
                value = (task.section or "") if by == "section" else task.status.value
                counts[value] = counts.get(value, 0) + 1
        return Totals(total=len(page), counts=counts)
    total, counts = store.count_tasks(build_query(request, user_id=user_id, clock=clock), by=by)
    return Totals(total=total, counts=counts)


def get_task(*, store: TaskStore, user_id: str, task_id: str) -> Task:
    task = store.get_task(user_id, task_id)
    if task is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    return task


def _save(store: TaskStore, task: Task, *, previous: Task, quotas: Quotas | None = None) -> Task:
    """Save an edit; a writer who lost the race gets what is stored now, so the client can reload. ``quotas``: for
    an edit that may add an open task (a reopen)."""
    try:
        return store.save_task(task, previous=previous, limits=quotas)
    except ConflictError:
        current = store.get_task(previous.user_id, previous.id)
        if current is None:
            raise NotFoundError("No such task.", fields={"task_id": "does not exist"}) from None
        raise StaleVersionError("The task was changed meanwhile; reload it and try again.", current=current) from None


def _open_project(store: TaskStore, user_id: str, project_id: str, now: datetime) -> Project:
    """A project that can take tasks: the caller's, and not archived."""
    project = project_service.owned_project(store, user_id, project_id, now)
    if project.archived:
        raise InvalidInputError("This project is archived.", fields={"project_id": "is archived"})
    return project


def _subtasks(items: list[SubtaskIn]) -> tuple[Subtask, ...]:
    seen: set[str] = set()
    result: list[Subtask] = []
    for item in items:
        subtask_id = item.id if item.id and item.id not in seen else new_id()
        seen.add(subtask_id)
        result.append(Subtask(id=subtask_id, title=item.title, done=item.done))
    return tuple(result)


def _check_labels(store: TaskStore, user_id: str, label_ids: list[str]) -> tuple[str, ...]:
    unique = tuple(dict.fromkeys(label_ids))
    for label_id in unique:
        if store.get_label(user_id, label_id) is None:
            raise NotFoundError("No such label.", fields={"labels": f"{label_id} does not exist"})
    return unique


def _check_rules(task: Task, sections: tuple[str, ...]) -> Task:
    """Cross-field rules; returns the task with its recurrence in canonical form."""
    fields: dict[str, str] = {}
    if task.due_time is not None and task.due_date is None:
        fields["due_time"] = "needs a due_date"
    if task.start_date and task.due_date and task.start_date > task.due_date:
        fields["start_date"] = "is after the due date"
    if task.section is not None and task.section not in sections:
        fields["section"] = "is not a section of this project"
    rule = task.recurrence
    if rule is not None:
        if task.due_date is None:
            fields["recurrence"] = "needs a due_date"
        else:
            try:
                rule = recurrence.validate_rule(rule)
            except recurrence.InvalidRecurrenceError as exc:
                fields["recurrence"] = str(exc)
    if fields:
        raise InvalidInputError("Some fields do not fit together.", fields=fields)
    return replace(task, recurrence=rule, recurrence_anchor=task.recurrence_anchor if rule else None)


def create_task(
    *, store: TaskStore, user_id: str, data: TaskCreate, now: datetime, quotas: Quotas = DEFAULT_QUOTAS
) -> Task:
    project = _open_project(store, user_id, data.project_id or project_service.INBOX_ID, now)
    labels = list(_check_labels(store, user_id, data.labels))
    if len(set(labels) | {name.lower() for name in data.label_names}) > MAX_LABELS_PER_TASK:
        raise InvalidInputError(
            f"A task has at most {MAX_LABELS_PER_TASK} labels.", fields={"labels": "too many labels"}
        )
    if data.label_names:
        labels += project_service.labels_by_name(
            store=store, user_id=user_id, names=data.label_names, now=now, quotas=quotas
        )
    task = Task(
        id=new_id(),
        user_id=user_id,
        project_id=project.id,
        title=data.title,
        notes=data.notes,
        priority=data.priority,
        due_date=data.due_date,
        due_time=data.due_time,
        start_date=data.start_date,
        section=data.section,
        labels=tuple(dict.fromkeys(labels)),
        subtasks=_subtasks(data.subtasks),
        recurrence=data.recurrence,
        recurrence_anchor=data.due_date,
        position=position_after(store.last_position(user_id, project.id)),
        created_at=now,
        updated_at=now,
    )
    return store.save_task(_check_rules(task, project.sections), previous=None, limits=quotas)


def update_task(*, store: TaskStore, user_id: str, task_id: str, changes: TaskUpdate, now: datetime) -> Task:
    current = get_task(store=store, user_id=user_id, task_id=task_id)
    if changes.version != current.version:
        raise StaleVersionError("The task was changed meanwhile; reload it and try again.", current=current)
    sent = changes.model_fields_set
    values: dict[str, Any] = {}
    for name in ("title", "notes", "priority"):
        if name in sent and getattr(changes, name) is not None:
            values[name] = getattr(changes, name)
    for name in ("due_date", "due_time", "start_date", "section", "recurrence"):
        if name in sent:  # null clears these
            values[name] = getattr(changes, name)
    if "due_date" in sent and changes.due_date is None and "due_time" not in sent:
        values["due_time"] = None  # no date, no time
    if "due_date" in sent or "recurrence" in sent:
        values["recurrence_anchor"] = values.get("due_date", current.due_date)  # a new series starts here
    if "labels" in sent and changes.labels is not None:
        values["labels"] = _check_labels(store, user_id, changes.labels)
    if "subtasks" in sent and changes.subtasks is not None:
        values["subtasks"] = _subtasks(changes.subtasks)
    project = None
    if "project_id" in sent and changes.project_id and changes.project_id != current.project_id:
        project = _open_project(store, user_id, changes.project_id, now)
        values["project_id"] = project.id
        values["position"] = position_after(store.last_position(user_id, project.id))
        if "section" not in sent:
            values["section"] = None
    if changes.order is not None:
        values["position"] = _position_between(store, user_id, values.get("project_id", current.project_id), changes)
    updated = replace(current, **values, updated_at=now)
    project = project or project_service.owned_project(store, user_id, updated.project_id, now)
    return _save(store, _check_rules(updated, project.sections), previous=current)


def _position_between(store: TaskStore, user_id: str, project_id: str, changes: TaskUpdate) -> str:
    assert changes.order is not None
    neighbours = {}
    for side in ("after_id", "before_id"):
        neighbour_id = getattr(changes.order, side)
        if neighbour_id is None:
            continue
        neighbour = store.get_task(user_id, neighbour_id)
        if neighbour is None or neighbour.project_id != project_id:
            raise NotFoundError("No such task in this project.", fields={f"order.{side}": "does not exist"})
        neighbours[side] = neighbour.position
    try:
        return position_between(neighbours.get("after_id"), neighbours.get("before_id"))
    except ValueError as exc:
        raise InvalidInputError("The neighbours are not in order.", fields={"order": str(exc)}) from exc


def complete_task(*, store: TaskStore, user_id: str, task_id: str, clock: UserClock) -> Task:
    current = get_task(store=store, user_id=user_id, task_id=task_id)
    done = complete(current, now=clock.now, today=clock.today)
    return current if done == current else _save(store, done, previous=current)


def reopen_task(
    *, store: TaskStore, user_id: str, task_id: str, now: datetime, quotas: Quotas = DEFAULT_QUOTAS
) -> Task:
    current = get_task(store=store, user_id=user_id, task_id=task_id)
    reopened = reopen(current, now=now)
    if reopened.status is Status.OPEN and current.status is Status.DONE:
        reopened = replace(reopened, position=position_after(store.last_position(user_id, current.project_id)))
    return current if reopened == current else _save(store, reopened, previous=current, quotas=quotas)


def delete_task(
    *, store: TaskStore, user_id: str, task_id: str, on_deleted: TaskDeletionListener | None = None
) -> None:
    store.delete_task(get_task(store=store, user_id=user_id, task_id=task_id))
    if on_deleted is not None:  # after the task: its attachments go with it
        on_deleted.task_deleted(user_id, task_id)


def bulk(
    *,
    store: TaskStore,
    user_id: str,
    action: BulkAction,
    clock: UserClock,
    on_deleted: TaskDeletionListener | None = None,
    quotas: Quotas = DEFAULT_QUOTAS,
) -> tuple[list[Task], list[str]]:
    """All or nothing on ownership: one id that is not the caller's → 404 before anything changes."""
    ids = list(dict.fromkeys(action.ids))
    tasks = store.get_tasks(user_id, ids)
    missing = [task_id for task_id in ids if task_id not in tasks]
    if missing:
        raise NotFoundError("No such task.", fields={"ids": ", ".join(missing) + " do(es) not exist"})
    if action.action == "delete":
        for task in tasks.values():
            store.delete_task(task)
            if on_deleted is not None:
                on_deleted.task_deleted(user_id, task.id)
        return [], ids
    if action.action == "move":
        if action.project_id is None:
            raise InvalidInputError("Say where to move the tasks.", fields={"project_id": "is required for move"})
        project = _open_project(store, user_id, action.project_id, clock.now)
    updated: list[Task] = []
    for task_id in ids:
        task = tasks[task_id]
        if action.action == "complete":
            changed = complete(task, now=clock.now, today=clock.today)
        elif action.action == "reopen":
            changed = reopen(task, now=clock.now)
        else:
            position = position_after(store.last_position(user_id, project.id))
            changed = replace(task, project_id=project.id, section=None, position=position, updated_at=clock.now)
        updated.append(changed if changed == task else _save(store, changed, previous=task, quotas=quotas))
    return updated, []


def parse_quick_add(*, store: TaskStore, user_id: str, text: str, clock: UserClock) -> QuickAddParsed:
    """What quick add understands of ``text``, without saving anything."""
    parsed = quick_add.parse(text, now=clock.now, tz=clock.tz)
    project_id = None
    if parsed.project:
        wanted = parsed.project.lower()
        project_id = next(
            (
                p.id
                for p in project_service.list_projects(store=store, user_id=user_id, now=clock.now)
                if p.name.lower() == wanted and not p.archived
            ),
            None,
        )
    return QuickAddParsed.of(text, parsed, project_id)
