"""Task use cases: create, read, list (views, filters, sort, cursor), edit with optimistic locking,
complete/reopen (recurrence), bulk actions and quick-add parsing. No HTTP, no boto3.

Shared projects (issue 13): with the ``caller`` (their Users row, read once per request) and the ``memberships``
port, every use case finds the task or project through ``services/access.py`` and asks
``sharing.authorize(role, Action...)`` (viewer reads; editor adds, edits, completes, deletes, assigns; a stranger or
a removed member gets 404). Without them (scripts, the reminders and e-mail link paths, older tests), the caller's
own partition is all there is — today's behaviour, the same calls. A change of a task in a shared project writes
an activity row in its own transaction (``activity.task_changed``, passed to the store's save/delete).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from backend.adapters.ports import MembershipStore, PartitionMover, TaskDeletionListener, TaskStore, UserRepository
from backend.domain import quick_add, recurrence, sharing
from backend.domain.activity import ActivityEntry, task_changed
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas
from backend.domain.sharing import Action, Role, authorize
from backend.domain.tasks import (
    MAX_DEPTH,
    Project,
    Status,
    Subtask,
    Task,
    TaskQuery,
    child_depth,
    complete,
    new_id,
    position_after,
    position_between,
    reopen,
)
from backend.domain.users import User
from backend.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    OpenSubtasksError,
    StaleVersionError,
)
from backend.schemas import (
    MAX_LABELS_PER_TASK,
    BulkAction,
    BulkEditItem,
    QuickAddParsed,
    SubtaskIn,
    TaskCreate,
    TaskUpdate,
)
from backend.services import access
from backend.services import projects as project_service
from backend.services.access import ProjectAccess
from backend.services.notification_settings import zone_of

DEFAULT_PAGE = 50
Children = Literal["complete", "keep"]  # what completing a task does to its open subtasks (issue 14)


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
    assignee: str | None = None  # "me": only the tasks assigned to the caller
    parent_id: str | None = None  # the subtasks of this task (one Query in its partition)


@dataclass(frozen=True)
class Who:
    """Who is asking, for the shared-project checks: the caller's Users row and the memberships port. None (see
    the module's docstring): the caller's own partition only, as before shared projects."""

    user: User
    memberships: MembershipStore
    mover: PartitionMover | None = None  # a task moving between a personal and a shared project


def build_query(request: ListRequest, *, user_id: str, clock: UserClock, shared: tuple[str, ...] = ()) -> TaskQuery:
    """Turn a view + filters into one storage query (pure). ``shared``: the shared projects' partitions the list
    merges besides the caller's (none for one project's list: the service puts its partition in ``user_id``)."""
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
    if request.parent_id is not None:  # a task's subtasks: open then done, each in manual order
        status, sort = "all", "manual"
    if request.overdue:
        # strictly before now: date-only tasks are overdue from the next day on
        due_to = (clock.local_naive - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
        status = "open"
    search = request.search.strip().lower() if request.search and request.search.strip() else None
    status, sort = request.status or status, request.sort or sort
    # Say so rather than silently answer in another order.
    if status == "all" and sort in {"due", "priority"}:
        raise InvalidInputError("Sorting by due date or priority needs status open or done.", fields={"sort": sort})
    if sort == "manual" and project_id is None and request.parent_id is None:
        raise InvalidInputError("Manual order exists inside a project.", fields={"sort": "needs project_id"})
    sort, assignee_id = _assignee_sort(request, status, sort, search)
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
        shared=shared,
        assignee_id=assignee_id,
        parent_id=request.parent_id,
    )


def _assignee_sort(request: ListRequest, status: str, sort: str, search: str | None) -> tuple[str, str | None]:
    """ "Assigned to me" lists are open or done, in due order (unless searched or by label): (sort, assignee)."""
    if request.assignee is None:
        return sort, None
    if status == "all":
        raise InvalidInputError("Assigned tasks are listed open or done.", fields={"status": "needs open or done"})
    if request.sort not in (None, "due"):
        raise InvalidInputError("Assigned tasks are listed by due date.", fields={"sort": "must be due"})
    if search is None and request.label_id is None:
        sort = "due"
    return sort, request.assignee


def _list_query(
    store: TaskStore, user_id: str, request: ListRequest, clock: UserClock, who: Who | None, *, check: bool
) -> TaskQuery:
    """The storage query of a list: one project's under its partition; else the caller's partition and each
    shared project's. ``check``: authorize the project and the label (the listing does; its count was listed)."""
    if request.assignee == "me":
        request = replace(request, assignee=user_id)
    if request.label_id is not None and check:
        project_service.owned_label(store, user_id, request.label_id)  # labels are the caller's own
    if request.parent_id is not None:
        return _children_query(store, user_id, request, clock, who)
    if request.project_id is not None:
        where = _project(store, user_id, request.project_id, clock.now, who) if check else None
        partition = where.partition if where is not None else _partition_of(user_id, request.project_id, who)
        if where is not None:
            authorize(where.role, Action.READ)
        return build_query(request, user_id=partition, clock=clock)
    shared = tuple(access.partitions(who.user)[1:]) if who is not None else ()
    return build_query(request, user_id=user_id, clock=clock, shared=shared)


def _children_query(
    store: TaskStore, user_id: str, request: ListRequest, clock: UserClock, who: Who | None
) -> TaskQuery:
    """A task's subtasks: one Query in the parent's partition, which is found (and authorized) like the task."""
    assert request.parent_id is not None
    if request.sort not in (None, "manual") or request.project_id is not None or request.view != "all":
        raise InvalidInputError(
            "Subtasks are listed alone, in manual order.", fields={"parent_id": "takes no view, project or sort"}
        )
    parent, where = _find(store, user_id, request.parent_id, who)
    authorize(where.role, Action.READ)
    return build_query(request, user_id=parent.user_id, clock=clock)


def _partition_of(user_id: str, project_id: str, who: Who | None) -> str:
    if who is not None and project_id in who.user.shared_projects:
        return sharing.project_partition(project_id)
    return user_id


def list_tasks(
    *, store: TaskStore, user_id: str, request: ListRequest, clock: UserClock, who: Who | None = None
) -> tuple[list[Task], str | None]:
    query = _list_query(store, user_id, request, clock, who, check=True)
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
    who: Who | None = None,
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
    query = _list_query(store, user_id, request, clock, who, check=False)
    total, counts = store.count_tasks(query, by=by)
    return Totals(total=total, counts=counts)


# --- access -------------------------------------------------------------------------------------------------------
def _personal(user_id: str, project_id: str, project: Project | None = None) -> ProjectAccess:
    return ProjectAccess(project_id=project_id, partition=user_id, role=Role.OWNER, shared=False, project=project)


def _find(store: TaskStore, user_id: str, task_id: str, who: Who | None) -> tuple[Task, ProjectAccess]:
    """A task the caller may see, with their access to its project (404 otherwise)."""
    if who is not None:
        return access.task(who.user, task_id, tasks=store, memberships=who.memberships)
    task = store.get_task(user_id, task_id)
    if task is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    return task, _personal(user_id, task.project_id)


def _project(store: TaskStore, user_id: str, project_id: str, now: datetime, who: Who | None) -> ProjectAccess:
    """The caller's access to a project, with the project read (a personal Inbox is created on first use)."""
    if who is not None and project_id in who.user.shared_projects:
        found = access.project(who.user, project_id, tasks=store, memberships=who.memberships)
        if found.project is None:
            raise NotFoundError("No such project.", fields={"project_id": "does not exist"})
        return found
    return _personal(user_id, project_id, project_service.owned_project(store, user_id, project_id, now))


def _project_item(store: TaskStore, user_id: str, where: ProjectAccess, now: datetime) -> Project:
    """The project itself (its sections), when finding the task did not read it."""
    if not where.shared:
        return project_service.owned_project(store, user_id, where.project_id, now)
    project = store.get_project(where.partition, where.project_id)
    if project is None:
        raise NotFoundError("No such project.", fields={"project_id": "does not exist"})
    return project


def _activity(where: ProjectAccess, previous: Task | None, task: Task | None, actor: str) -> ActivityEntry | None:
    """The log row of a change in a shared project (personal projects keep no log)."""
    return task_changed(previous, task, actor) if where.shared else None


def _check_assignee(
    store: TaskStore, where: ProjectAccess, assignee_id: str | None, user_id: str, who: Who | None
) -> str | None:
    """An assignee must be a member who may complete the task (``sharing.assignable``); in a personal project only
    its owner. Else 400 naming ``assignee_id``."""
    if assignee_id is None:
        return None
    authorize(where.role, Action.ASSIGN)
    if not where.shared:
        role = Role.OWNER if assignee_id == user_id else None
    elif assignee_id == user_id:
        role = where.role
    else:
        assert who is not None  # a shared project is only ever found through ``who``
        member = who.memberships.get_membership(where.project_id, assignee_id)
        role = member.role if member is not None else None
    if not sharing.assignable(role):
        raise InvalidInputError(
            "A task can be assigned to a member of its project who may complete it.",
            fields={"assignee_id": "is not an editor or admin of this project"},
        )
    return assignee_id


def get_task(*, store: TaskStore, user_id: str, task_id: str, who: Who | None = None) -> Task:
    task, where = _find(store, user_id, task_id, who)
    authorize(where.role, Action.READ)
    return task


def _save(
    store: TaskStore,
    task: Task,
    *,
    previous: Task,
    quotas: Quotas | None = None,
    activity: ActivityEntry | None = None,
) -> Task:
    """Save an edit; a writer who lost the race gets what is stored now, so the client can reload. ``quotas``: for
    an edit that may add an open task (a reopen). ``activity``: the log row, in the same transaction."""
    try:
        return store.save_task(task, previous=previous, limits=quotas, activity=activity)
    except ConflictError:
        current = store.get_task(previous.user_id, previous.id)
        if current is None:
            raise NotFoundError("No such task.", fields={"task_id": "does not exist"}) from None
        raise StaleVersionError("The task was changed meanwhile; reload it and try again.", current=current) from None


def _open_project(
    store: TaskStore, user_id: str, project_id: str, now: datetime, who: Who | None = None
) -> ProjectAccess:
    """A project that can take the caller's tasks: theirs or shared with them as an editor+, not archived."""
    where = _project(store, user_id, project_id, now, who)
    authorize(where.role, Action.ADD_TASK)
    assert where.project is not None
    if where.project.archived:
        raise InvalidInputError("This project is archived.", fields={"project_id": "is archived"})
    return where


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


def _check_rules(task: Task, sections: tuple[str, ...] | None) -> Task:
    """Cross-field rules; returns the task with its recurrence in canonical form. ``sections``: the project's, or
    None when the section is not checked (an edit that neither sets it nor moves the task keeps a checked one)."""
    fields: dict[str, str] = {}
    if task.due_time is not None and task.due_date is None:
        fields["due_time"] = "needs a due_date"
    if task.start_date and task.due_date and task.start_date > task.due_date:
        fields["start_date"] = "is after the due date"
    if task.section is not None and sections is not None and task.section not in sections:
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
    *,
    store: TaskStore,
    user_id: str,
    data: TaskCreate,
    now: datetime,
    quotas: Quotas = DEFAULT_QUOTAS,
    who: Who | None = None,
) -> Task:
    parent = _parent_of_new(store, user_id, data, who)
    project_id = parent.project_id if parent is not None else data.project_id or project_service.INBOX_ID
    where = _open_project(store, user_id, project_id, now, who)
    project = where.project
    assert project is not None
    assignee = _check_assignee(store, where, data.assignee_id, user_id, who)
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
        user_id=where.partition,  # a shared project's tasks live (and count against the quota) in its partition
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
        position=position_after(store.last_position(where.partition, project.id)),
        created_at=now,
        updated_at=now,
        assignee_id=assignee,
        created_by=user_id,
        updated_by=user_id,
        parent_id=parent.id if parent is not None else None,
        depth=child_depth(parent) if parent is not None else 0,
        reset_subtasks=data.reset_subtasks,
    )
    if parent is not None and data.section is None:
        task = replace(task, section=parent.section)  # a subtask sits under its parent, in its column
    task = _check_rules(task, project.sections)
    return store.save_task(task, previous=None, limits=quotas, activity=_activity(where, None, task, user_id))


def _parent_of_new(store: TaskStore, user_id: str, data: TaskCreate, who: Who | None) -> Task | None:
    """The parent of a new subtask (found like any task: 404 for a stranger); its project is the child's."""
    if data.parent_id is None:
        return None
    parent, _ = _find(store, user_id, data.parent_id, who)
    if data.project_id is not None and data.project_id != parent.project_id:
        raise InvalidInputError(
            "A subtask is in its parent's project.", fields={"project_id": "differs from the parent's project"}
        )
    child_depth(parent)  # refused past the deepest level, before anything else is read
    return parent


def _labels_after(
    store: TaskStore, user_id: str, current: Task, sent: list[str], where: ProjectAccess
) -> tuple[str, ...]:
    """The task's labels after the caller sends theirs. Labels are personal: on a shared task each member's own are
    replaced and the other members' kept (their ids mean nothing to the caller; the UI shows the labels it knows)."""
    mine = _check_labels(store, user_id, sent)
    if not where.shared:
        return mine
    own = {label.id for label in store.list_labels(user_id)}
    labels = tuple(dict.fromkeys([*(label for label in current.labels if label not in own), *mine]))
    if len(labels) > MAX_LABELS_PER_TASK:
        raise InvalidInputError(
            f"A task has at most {MAX_LABELS_PER_TASK} labels (the other members' count too).",
            fields={"labels": "too many labels"},
        )
    return labels


def update_task(
    *, store: TaskStore, user_id: str, task_id: str, changes: TaskUpdate, now: datetime, who: Who | None = None
) -> Task:
    current, where = _find(store, user_id, task_id, who)
    return _update(store, user_id=user_id, current=current, where=where, changes=changes, now=now, who=who)


def _update(
    store: TaskStore,
    *,
    user_id: str,
    current: Task,
    where: ProjectAccess,
    changes: TaskUpdate,
    now: datetime,
    who: Who | None,
) -> Task:
    """An edit of a task already found (``update_task``, ``bulk_edit``)."""
    authorize(where.role, Action.EDIT_TASK)
    if changes.version != current.version:
        raise StaleVersionError("The task was changed meanwhile; reload it and try again.", current=current)
    sent = changes.model_fields_set
    values: dict[str, Any] = {}
    for name in ("title", "notes", "priority", "reset_subtasks"):
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
        values["labels"] = _labels_after(store, user_id, current, changes.labels, where)
    if "subtasks" in sent and changes.subtasks is not None:
        values["subtasks"] = _subtasks(changes.subtasks)
    target = _placement(
        store, user_id=user_id, current=current, changes=changes, where=where, now=now, who=who, values=values
    )
    deeper, subtree = _new_parent(store, user_id=user_id, current=current, changes=changes, who=who, values=values)
    if changes.order is not None:
        values["position"] = _position_between(
            store, target.partition, values.get("project_id", current.project_id), changes
        )
    updated = replace(current, **values, updated_at=now, updated_by=user_id)
    # The project (its sections) is read only when the edit can break the section rule: no read for most edits.
    section_set = "section" in changes.model_fields_set or target.project_id != where.project_id
    project = target.project or (_project_item(store, user_id, target, now) if section_set else None)
    updated = _check_rules(updated, project.sections if project else None)
    saved = _store_edit(store, updated, previous=current, source=where, target=target, actor=user_id, now=now, who=who)
    if deeper:  # its subtasks keep their places below it, each a level deeper (or shallower), one write each
        for child in subtree:
            changed = replace(child, depth=child.depth + deeper, updated_at=now, updated_by=user_id)
            _save(store, changed, previous=child, activity=None)
    return saved


def _new_parent(
    store: TaskStore,
    *,
    user_id: str,
    current: Task,
    changes: TaskUpdate,
    who: Who | None,
    values: dict[str, Any],
) -> tuple[int, list[Task]]:
    """A new ``parent_id`` (null: top level): a task of the same project, not the task itself nor one of its
    subtasks, and no deeper than ``MAX_DEPTH`` with the subtasks it takes along. Under a task the edit goes last
    among its subtasks (unless ``order`` says where) and into its section. ``values`` gets the parent, depth,
    position and section; returns how many levels deeper the task goes (negative: shallower) and its subtasks as
    read for the depth check (parents first), whose depths follow."""
    sent = changes.model_fields_set
    if "parent_id" not in sent or changes.parent_id == current.parent_id:
        return 0, []
    if "project_id" in sent and changes.project_id not in (None, current.project_id):
        raise InvalidInputError(
            "Move the task or put it under another task, one at a time.", fields={"parent_id": "sent with a move"}
        )
    depth = 0
    if changes.parent_id is not None:
        parent, _ = _find(store, user_id, changes.parent_id, who)
        if parent.user_id != current.user_id or parent.project_id != current.project_id:
            raise InvalidInputError(
                "A subtask is in its parent's project: move the task there first.",
                fields={"parent_id": "is in another project"},
            )
        if current.id in (parent.id, *_ancestor_ids(store, parent)):
            raise InvalidInputError(
                "A task cannot go under itself or one of its own subtasks.",
                fields={"parent_id": "is this task or one of its subtasks"},
            )
        depth = child_depth(parent)
        if "section" not in sent:
            values["section"] = parent.section
        siblings = children_of(store, parent)
        if siblings and changes.order is None:
            values["position"] = position_after(max(sibling.position for sibling in siblings))
    levels = _levels(store, current)
    if depth + len(levels) > MAX_DEPTH:
        raise InvalidInputError(
            f"Subtasks nest at most {MAX_DEPTH} levels deep.",
            fields={"parent_id": f"its subtasks would be {depth + len(levels)} levels deep"},
        )
    values.update(parent_id=changes.parent_id, depth=depth)
    return depth - current.depth, [child for level in levels for child in level]


def _ancestor_ids(store: TaskStore, task: Task) -> list[str]:
    """The ids above ``task``, its parent first (at most ``MAX_DEPTH`` reads in its partition)."""
    found: list[str] = []
    parent_id = task.parent_id
    while parent_id is not None and len(found) <= MAX_DEPTH:
        found.append(parent_id)
        parent = store.get_task(task.user_id, parent_id)
        parent_id = parent.parent_id if parent is not None else None
    return found


def _store_edit(
    store: TaskStore,
    updated: Task,
    *,
    previous: Task,
    source: ProjectAccess,
    target: ProjectAccess,
    actor: str,
    now: datetime,
    who: Who | None,
) -> Task:
    """Save an edit, or move the task when it changes partition; a task that changes project takes its subtasks."""
    if target.partition != source.partition:
        saved = _move(store, updated, previous=previous, source=source, target=target, actor=actor, who=who)
    else:
        saved = _save(store, updated, previous=previous, activity=_activity(source, previous, updated, actor))
    if saved.project_id != previous.project_id:
        _move_subtree(store, saved, source=source, target=target, actor=actor, now=now, who=who)
    return saved


def _move_subtree(
    store: TaskStore,
    parent: Task,
    *,
    source: ProjectAccess,
    target: ProjectAccess,
    actor: str,
    now: datetime,
    who: Who | None,
    descendants: list[Task] | None = None,
) -> None:
    """A moved task takes its subtasks along (parents first, each keeping its place among its siblings). Each is
    its own write (a move between partitions is one per task anyway): a crash midway leaves subtasks in the old
    project, which moving the parent again finishes. ``descendants``: read before the parent moved."""
    moved_from = source.partition
    for child in descendants if descendants is not None else _descendants(store, parent, partition=moved_from):
        changed = replace(child, project_id=parent.project_id, section=parent.section, updated_at=now, updated_by=actor)
        if target.partition != source.partition:
            if child.assignee_id is not None:
                changed = replace(changed, assignee_id=_kept_assignee(store, target, child.assignee_id, actor, who))
            _move(store, changed, previous=child, source=source, target=target, actor=actor, who=who)
        else:
            _save(store, changed, previous=child, activity=_activity(source, child, changed, actor))


# --- nested subtasks (issue 14) -----------------------------------------------------------------------------------
def children_of(store: TaskStore, task: Task, *, partition: str | None = None) -> list[Task]:
    """A task's direct subtasks (done ones, then open ones, each in manual order): one Query of ``by_parent``;
    none when it has none."""
    if task.subtask_count <= 0:
        return []
    query = TaskQuery(user_id=partition or task.user_id, status="all", sort="manual", parent_id=task.id)
    found, cursor = store.list_tasks(query, limit=200, cursor=None)
    while cursor is not None:
        more, cursor = store.list_tasks(query, limit=200, cursor=cursor)
        found += more
    return found


def _levels(store: TaskStore, task: Task, *, partition: str | None = None) -> list[list[Task]]:
    """The subtasks below ``task``, level by level (at most ``MAX_DEPTH`` levels)."""
    levels: list[list[Task]] = []
    level = [task]
    while level:
        level = [child for parent in level for child in children_of(store, parent, partition=partition)]
        if level:
            levels.append(level)
    return levels


def _descendants(store: TaskStore, task: Task, *, partition: str | None = None) -> list[Task]:
    """Every task below ``task``, parents before their children."""
    return [child for level in _levels(store, task, partition=partition) for child in level]


def _placement(
    store: TaskStore,
    *,
    user_id: str,
    current: Task,
    changes: TaskUpdate,
    where: ProjectAccess,
    now: datetime,
    who: Who | None,
    values: dict[str, Any],
) -> ProjectAccess:
    """The project the task ends up in (a move needs add_task there) and its assignee (``values`` gets them)."""
    sent = changes.model_fields_set
    target = where
    if "project_id" in sent and changes.project_id and changes.project_id != current.project_id:
        if current.parent_id is not None:
            raise InvalidInputError(
                "A subtask stays in its parent's project: move the parent.",
                fields={"project_id": "a subtask moves with its parent"},
            )
        target = _open_project(store, user_id, changes.project_id, now, who)
        values["project_id"] = target.project_id
        values["position"] = position_after(store.last_position(target.partition, target.project_id))
        if "section" not in sent:
            values["section"] = None
    if "assignee_id" in sent:
        values["assignee_id"] = _check_assignee(store, target, changes.assignee_id, user_id, who)
    elif target.partition != where.partition and current.assignee_id is not None:
        values["assignee_id"] = _kept_assignee(store, target, current.assignee_id, user_id, who)
    return target


def _kept_assignee(
    store: TaskStore, target: ProjectAccess, assignee_id: str, user_id: str, who: Who | None
) -> str | None:
    """A moved task keeps its assignee if they may complete it in the project it moves to, else it is unassigned."""
    try:
        return _check_assignee(store, target, assignee_id, user_id, who)
    except InvalidInputError:
        return None


def _move(
    store: TaskStore,
    moved: Task,
    *,
    previous: Task,
    source: ProjectAccess,
    target: ProjectAccess,
    actor: str,
    who: Who | None,
) -> Task:
    """A task moving between a personal and a shared project (or two shared ones) changes partition: the core's
    move (``task_store/rekey.py``, through the ``PartitionMover`` port) takes it with its links, words, comments,
    attachment rows and counters, the log rows of both projects in its switch's transaction. The task must still be
    at the version the edit was made on (else 409 with what is stored now)."""
    if who is None or who.mover is None:  # only reached through a shared project, which comes with ``who``
        raise InvalidInputError("This task cannot be moved there.", fields={"project_id": "is in another space"})
    logs = [
        (where.partition, entry)
        for where in (source, target)
        if where.shared and (entry := task_changed(previous, moved, actor)) is not None
    ]

    if not source.shared:  # a personal task's work was its owner's: said explicitly before it is shared
        owner = previous.user_id
        moved = replace(
            moved,
            created_by=moved.created_by or owner,
            completed_by=(moved.completed_by or owner) if moved.status is Status.DONE else None,
            history=tuple(replace(c, by=c.by or owner) for c in moved.history),
        )

    def arrive(there: Task) -> Task:
        if there.version != previous.version:
            raise ConflictError("The task was changed meanwhile; reload it and try again.")
        return replace(moved, user_id=there.user_id, version=there.version)

    try:
        return who.mover.move_task(previous, target.partition, change=arrive, activity=logs)
    except ConflictError:
        current, _ = _find(store, actor, previous.id, who)
        raise StaleVersionError("The task was changed meanwhile; reload it and try again.", current=current) from None


def _position_between(store: TaskStore, partition: str, project_id: str, changes: TaskUpdate) -> str:
    assert changes.order is not None
    neighbours = {}
    for side in ("after_id", "before_id"):
        neighbour_id = getattr(changes.order, side)
        if neighbour_id is None:
            continue
        neighbour = store.get_task(partition, neighbour_id)
        if neighbour is None or neighbour.project_id != project_id:
            raise NotFoundError("No such task in this project.", fields={f"order.{side}": "does not exist"})
        neighbours[side] = neighbour.position
    try:
        return position_between(neighbours.get("after_id"), neighbours.get("before_id"))
    except ValueError as exc:
        raise InvalidInputError("The neighbours are not in order.", fields={"order": str(exc)}) from exc


def _completed(current: Task, changed: Task, actor: str) -> Task:
    """Who completed it (while done; and each occurrence of a series) and who changed it last."""
    if changed == current:
        return current
    history = changed.history
    if len(history) > len(current.history):  # an occurrence of a series was completed: by the actor
        history = (*history[:-1], replace(history[-1], by=actor))
    return replace(
        changed,
        history=history,
        updated_by=actor,
        completed_by=actor if changed.status is Status.DONE else None,
    )


def complete_task(
    *,
    store: TaskStore,
    user_id: str,
    task_id: str,
    clock: UserClock,
    who: Who | None = None,
    children: Children | None = None,
) -> Task:
    """Complete a task. Its open subtasks: ``children`` says what happens to them ("complete": all of them, at
    every level, before the task; "keep": they stay open); not said while some are open → 409 ``open_subtasks``
    naming them. A recurring task with ``reset_subtasks`` opens its subtasks again for its next occurrence."""
    current, where = _find(store, user_id, task_id, who)
    authorize(where.role, Action.COMPLETE_TASK)
    if current.status is Status.DONE:
        return current
    if current.open_subtasks and children is None:
        still_open = [child for child in children_of(store, current) if child.status is Status.OPEN]
        if still_open:
            raise OpenSubtasksError(
                f"This task has {len(still_open)} open subtask(s): complete them too, or only this task?",
                fields={"children": "open: " + ", ".join(child.id for child in still_open[:20])},
            )
    if children == "complete" and current.subtask_count and _complete_all(store, current, where, clock, user_id):
        current = _reread(store, current)
    done = _completed(current, complete(current, now=clock.now, today=clock.today), user_id)
    if done == current:
        return current
    saved = _save(store, done, previous=current, activity=_activity(where, current, done, user_id))
    if saved.status is Status.OPEN and saved.reset_subtasks and saved.subtask_done:  # the next occurrence
        _reset_all(store, saved, where, clock.now, user_id)
        saved = _reread(store, saved)
    return saved


def _reread(store: TaskStore, task: Task) -> Task:
    """The task as stored now (its subtasks' writes moved its counts and version on)."""
    fresh = store.get_task(task.user_id, task.id)
    if fresh is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    return fresh


def _complete_all(store: TaskStore, task: Task, where: ProjectAccess, clock: UserClock, actor: str) -> bool:
    """Complete every open subtask below ``task``, parents first (each is saved before its own subtasks change its
    counts). True if anything was written."""
    wrote = False
    for child in _descendants(store, task):
        if child.status is Status.DONE:
            continue
        changed = _completed(child, complete(child, now=clock.now, today=clock.today), actor)
        if changed != child:
            _save(store, changed, previous=child, activity=_activity(where, child, changed, actor))
            wrote = True
    return wrote


def _reset_all(store: TaskStore, task: Task, where: ProjectAccess, now: datetime, actor: str) -> None:
    """A recurring task's next occurrence starts with its subtasks open again (the series' ``reset_subtasks``)."""
    for child in _descendants(store, task):
        if child.status is Status.OPEN:
            continue
        reopened = _completed(child, reopen(child, now=now), actor)
        _save(store, reopened, previous=child, activity=_activity(where, child, reopened, actor))


def reopen_task(
    *,
    store: TaskStore,
    user_id: str,
    task_id: str,
    now: datetime,
    quotas: Quotas = DEFAULT_QUOTAS,
    who: Who | None = None,
) -> Task:
    current, where = _find(store, user_id, task_id, who)
    authorize(where.role, Action.COMPLETE_TASK)
    reopened = reopen(current, now=now)
    if reopened.status is Status.OPEN and current.status is Status.DONE:
        reopened = replace(reopened, position=position_after(store.last_position(current.user_id, current.project_id)))
    reopened = _completed(current, reopened, user_id)
    if reopened == current:
        return current
    return _save(
        store, reopened, previous=current, quotas=quotas, activity=_activity(where, current, reopened, user_id)
    )


def delete_task(
    *,
    store: TaskStore,
    user_id: str,
    task_id: str,
    on_deleted: TaskDeletionListener | None = None,
    who: Who | None = None,
) -> None:
    task, where = _find(store, user_id, task_id, who)
    authorize(where.role, Action.DELETE_TASK)
    _delete_subtree(store, task, where, user_id, on_deleted)


def _delete_subtree(
    store: TaskStore, task: Task, where: ProjectAccess, actor: str, on_deleted: TaskDeletionListener | None
) -> list[str]:
    """Delete a task with its subtasks: the deepest level first, so every deletion counts off a parent that still
    exists (a crash midway leaves a smaller tree with right counts). A task whose subtasks were just deleted is
    read again (their deletions moved its version on). Returns the deleted ids."""
    deleted: list[str] = []
    levels = [[task], *_levels(store, task)]
    for level in reversed(levels):
        stale = [t.id for t in level if t.subtask_count]
        fresh = store.get_tasks(task.user_id, stale) if stale else {}
        for read in level:
            gone = fresh.get(read.id, read)
            store.delete_task(gone, activity=_activity(where, gone, None, actor))
            if on_deleted is not None:  # after the task: its attachments go with it (in the task's partition)
                on_deleted.task_deleted(gone.user_id, gone.id)
            deleted.append(gone.id)
    return deleted


_BULK_ACTION = {"complete": Action.COMPLETE_TASK, "reopen": Action.COMPLETE_TASK, "move": Action.EDIT_TASK}


def bulk(
    *,
    store: TaskStore,
    user_id: str,
    action: BulkAction,
    clock: UserClock,
    on_deleted: TaskDeletionListener | None = None,
    quotas: Quotas = DEFAULT_QUOTAS,
    who: Who | None = None,
) -> tuple[list[Task], list[str]]:
    """All or nothing on access: one id the caller cannot see → 404, one their role does not allow → 403, before
    anything changes. The caller's own tasks are one BatchGetItem; a shared one costs at most two reads more."""
    ids = list(dict.fromkeys(action.ids))
    found = _bulk_tasks(store, user_id, ids, who)
    needed = Action.DELETE_TASK if action.action == "delete" else _BULK_ACTION[action.action]
    for _, where in found.values():
        authorize(where.role, needed)
    if action.action == "delete":
        _bulk_delete(store, user_id, ids, found, on_deleted)
        return [], ids
    if action.action == "move":
        if action.project_id is None:
            raise InvalidInputError("Say where to move the tasks.", fields={"project_id": "is required for move"})
        target = _open_project(store, user_id, action.project_id, clock.now, who)
    else:
        target = None
    updated: list[Task] = []
    for task_id in ids:
        task, where = found[task_id]
        if target is not None:
            if _moves_with_parent(task, found):
                continue
            updated.append(
                _bulk_move(store, user_id=user_id, task=task, where=where, target=target, now=clock.now, who=who)
            )
            continue
        if action.action == "complete":
            changed = _completed(task, complete(task, now=clock.now, today=clock.today), user_id)
        else:
            changed = _completed(task, reopen(task, now=clock.now), user_id)
        if changed == task:
            updated.append(task)
            continue
        activity = _activity(where, task, changed, user_id)
        updated.append(_save(store, changed, previous=task, quotas=quotas, activity=activity))
    return updated, []


@dataclass(frozen=True)
class BulkEditOutcome:
    """One item of a bulk edit: the task before and after, or the error a PATCH of it alone would have raised (a
    stale version's error carries the task as stored now)."""

    id: str
    previous: Task | None = None
    task: Task | None = None
    error: DomainError | None = None


_BULK_EDIT_FIELDS = ("project_id", "section", "priority", "due_date", "due_time", "assignee_id")


def bulk_edit(
    *, store: TaskStore, user_id: str, items: list[BulkEditItem], now: datetime, who: Who | None = None
) -> list[BulkEditOutcome]:
    """Each item as a PATCH of its task on its own (issue 14): a task the caller may not see (404) or edit (403), or
    one changed since the item's ``version`` (409: reported, never overwritten, so an undo cannot clobber someone
    else's edit), fails alone and the others still apply. Not one transaction: a task is the unit of consistency
    everywhere else too, and the per-item result tells the client exactly what happened."""
    if len({item.id for item in items}) != len(items):
        raise InvalidInputError("Each task may appear once.", fields={"items": "name a task more than once"})
    own_labels: set[str] | None = None
    outcomes: list[BulkEditOutcome] = []
    for item in items:
        try:
            current, where = _find(store, user_id, item.id, who)
            values: dict[str, Any] = {
                name: getattr(item, name) for name in _BULK_EDIT_FIELDS if name in item.model_fields_set
            }
            if item.add_labels or item.remove_labels:
                if own_labels is None:  # labels are personal: only the caller's own are theirs to add or remove
                    own_labels = {label.id for label in store.list_labels(user_id)}
                mine = [label for label in current.labels if label in own_labels or not where.shared]
                removed = set(item.remove_labels)
                values["labels"] = [
                    *(label for label in mine if label not in removed),
                    *(label for label in item.add_labels if label not in mine),
                ]
                if len(values["labels"]) > MAX_LABELS_PER_TASK:
                    raise InvalidInputError(
                        f"A task has at most {MAX_LABELS_PER_TASK} labels.", fields={"add_labels": "too many labels"}
                    )
            changes = TaskUpdate.model_validate({"version": item.version or current.version, **values})
            changed = _update(store, user_id=user_id, current=current, where=where, changes=changes, now=now, who=who)
            outcomes.append(BulkEditOutcome(id=item.id, previous=current, task=changed))
        except DomainError as error:
            outcomes.append(BulkEditOutcome(id=item.id, error=error))
    return outcomes


def _bulk_delete(
    store: TaskStore,
    user_id: str,
    ids: list[str],
    found: dict[str, tuple[Task, ProjectAccess]],
    on_deleted: TaskDeletionListener | None,
) -> None:
    gone: set[str] = set()
    for task_id in ids:  # a subtask of a task deleted before it went with it
        if task_id not in gone:
            gone.update(_delete_subtree(store, *found[task_id], user_id, on_deleted))


def _moves_with_parent(task: Task, selected: dict[str, Any]) -> bool:
    """A subtask in a bulk move goes with its parent, which must be selected too (else 400)."""
    if task.parent_id is None:
        return False
    if task.parent_id not in selected:
        raise InvalidInputError(
            "A subtask stays in its parent's project: move the parent.", fields={"ids": f"{task.id} is a subtask"}
        )
    return True


def _bulk_tasks(
    store: TaskStore, user_id: str, ids: list[str], who: Who | None
) -> dict[str, tuple[Task, ProjectAccess]]:
    """Every task of a bulk action with the caller's access to it; 404 naming the ids the caller cannot see."""
    own = store.get_tasks(user_id, ids)
    found = {task_id: (task, _personal(user_id, task.project_id)) for task_id, task in own.items()}
    missing = [task_id for task_id in ids if task_id not in own]
    if missing and who is not None and who.user.shared_projects:
        for task_id in list(missing):
            try:
                found[task_id] = access.task(who.user, task_id, tasks=store, memberships=who.memberships)
            except NotFoundError:
                continue
            missing.remove(task_id)
    if missing:
        raise NotFoundError("No such task.", fields={"ids": ", ".join(missing) + " do(es) not exist"})
    return found


def _bulk_move(
    store: TaskStore,
    *,
    user_id: str,
    task: Task,
    where: ProjectAccess,
    target: ProjectAccess,
    now: datetime,
    who: Who | None,
) -> Task:
    position = position_after(store.last_position(target.partition, target.project_id))
    changed = replace(
        task, project_id=target.project_id, section=None, position=position, updated_at=now, updated_by=user_id
    )
    if changed == task:
        return task
    if target.partition != where.partition and task.assignee_id is not None:
        changed = replace(changed, assignee_id=_kept_assignee(store, target, task.assignee_id, user_id, who))
    return _store_edit(store, changed, previous=task, source=where, target=target, actor=user_id, now=now, who=who)


def parse_quick_add(
    *,
    store: TaskStore,
    user_id: str,
    text: str,
    clock: UserClock,
    who: Who | None = None,
    date_order: quick_add.DateOrder | None = None,
) -> QuickAddParsed:
    """What quick add understands of ``text``, without saving anything: "#name" among the projects the caller may
    add to (their own and, with ``who``, shared ones where they are an editor or more), "/name" among its sections,
    which "@name"s are new labels; numeric dates in ``date_order`` (the profile's)."""
    parsed = quick_add.parse(text, now=clock.now, tz=clock.tz, date_order=date_order)
    destinations = (
        quick_add_destinations(store=store, user_id=user_id, now=clock.now, who=who)
        if parsed.project or parsed.section
        else []
    )
    resolved = quick_add.resolve(parsed, destinations)
    known = [label.name for label in store.list_labels(user_id)] if parsed.labels else []
    return QuickAddParsed.of(
        text, parsed, resolved.project_id, section=resolved.section, warnings=resolved.warnings, known_labels=known
    )


def quick_add_destinations(
    *, store: TaskStore, user_id: str, now: datetime, who: Who | None
) -> list[quick_add.Destination]:
    """The projects a task may be added to, in the sidebar's order (the Inbox first, then by the caller's position;
    a shared project at their membership's): personal ones with one Query, shared ones with one BatchGetItem."""
    listed = [(p, True) for p in project_service.list_projects(store=store, user_id=user_id, now=now)]
    if who is not None and who.user.shared_projects:
        shared = who.memberships.projects_of(user_id, who.user.shared_projects)
        ids = {project.id for project, _ in shared}
        listed = [entry for entry in listed if entry[0].id not in ids]
        listed += [
            (replace(project, position=mine.position), mine.role.at_least(Role.EDITOR)) for project, mine in shared
        ]
    listed.sort(key=lambda entry: (not entry[0].is_inbox, entry[0].position))
    return [
        quick_add.Destination(id=p.id, name=p.name, sections=p.sections, shared=p.user_id != user_id)
        for p, may_add in listed
        if may_add and not p.archived
    ]


def validated(task: Task, sections: tuple[str, ...] | None) -> Task:
    """The cross-field rules a create checks, for a caller that builds its tasks itself (import, issue 14)."""
    return _check_rules(task, sections)
