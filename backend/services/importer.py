"""Import (issue 14): Todoist's project CSV or our own JSON export → projects, labels and tasks. No HTTP.

Every row is read and checked before anything is written (``domain.importing`` + the API's own field rules): a bad
row is skipped and reported by line, the others are imported. Projects and labels come first, checked against the
quotas before any is created; tasks are written one transaction each, in file order, under the task quota: when it
is reached the import stops and says at which line, so nothing is half-imported silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from backend.adapters.ports import MembershipStore, ReminderLists, Schedules, TaskStore, UserRepository
from backend.domain import importing
from backend.domain.importing import Draft, Parsed, Problem
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas, exceeded
from backend.domain.sharing import Action, authorize
from backend.domain.tasks import (
    Completion,
    Label,
    Project,
    Status,
    Subtask,
    Task,
    child_depth,
    new_id,
    position_after,
)
from backend.domain.users import User
from backend.errors import DomainError, InvalidInputError, QuotaExceededError
from backend.schemas import DEFAULT_COLOR, MAX_SECTIONS, LabelCreate, ProjectCreate, SubtaskIn, TaskCreate
from backend.services import access
from backend.services import projects as project_service
from backend.services import reminders as reminder_service
from backend.services import tasks as task_service
from backend.services.reminders import ReminderInput

TODOIST_PROJECT = "Imported from Todoist"
# The API Lambda has 10 s (deploy/stacks/functions.py): writing stops after this many seconds, so the answer (with
# the line where it stopped) always gets out; a Lambda killed mid-import would leave an import half-done silently.
WRITE_BUDGET_SECONDS = 6.0


@dataclass(frozen=True)
class ReminderPorts:
    """What importing reminders needs: the lists, the scheduler and the profiles (their time zones)."""

    lists: ReminderLists
    scheduler: Schedules
    users: UserRepository


@dataclass
class Outcome:
    tasks: int = 0
    projects: int = 0
    labels: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Run:
    store: TaskStore
    user: User
    now: datetime
    quotas: Quotas
    outcome: Outcome
    deadline: float | None
    monotonic: Callable[[], float]


@dataclass(frozen=True)
class _Target:
    partition: str
    project: Project


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def import_file(
    *,
    store: TaskStore,
    memberships: MembershipStore,
    user: User,
    file_format: str,
    content: str,
    project_id: str | None,
    now: datetime,
    quotas: Quotas = DEFAULT_QUOTAS,
    budget: float | None = WRITE_BUDGET_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
    reminders: ReminderPorts | None = None,
) -> Outcome:
    """``budget``: seconds of writing tasks this request may spend (None: no bound); past it the import stops at a
    row boundary and says from which line on nothing was imported (re-import those lines)."""
    tz = ZoneInfo(user.timezone or "UTC")
    outcome = Outcome()
    deadline = monotonic() + budget if budget is not None else None
    run = _Run(store=store, user=user, now=now, quotas=quotas, outcome=outcome, deadline=deadline, monotonic=monotonic)
    if file_format == "todoist-csv":
        parsed = importing.parse_todoist_csv(content, now=now, tz=tz)
        targets = _todoist_target(run, memberships, parsed, project_id)
    else:
        if project_id is not None:
            raise InvalidInputError(
                "Our JSON export brings its own projects.", fields={"project_id": "only for todoist-csv"}
            )
        parsed = importing.parse_taskmanager_json(content)
        targets = {}
    outcome.problems.extend(parsed.problems)
    if not parsed.drafts:
        return outcome
    labels = _labels(run, parsed)
    if file_format == "taskmanager-json":
        targets = _json_projects(run, parsed)
    _write_tasks(run, parsed.drafts, targets, labels, reminders)
    outcome.problems.sort(key=lambda problem: problem.line)
    return outcome


def _todoist_target(
    run: _Run, memberships: MembershipStore, parsed: Parsed, project_id: str | None
) -> dict[str | None, _Target]:
    """The project the rows go to: the one named (editor+, not archived; its sections gain the file's), else a new
    one holding the file's sections."""
    if project_id is None:
        if not parsed.drafts:
            return {}
        data = ProjectCreate(name=TODOIST_PROJECT, sections=parsed.sections[:MAX_SECTIONS])
        project = project_service.create_project(
            store=run.store, user_id=run.user.id, data=data, now=run.now, quotas=run.quotas
        )
        run.outcome.projects += 1
        return {None: _Target(run.user.id, project)}
    where = access.project(run.user, project_id, tasks=run.store, memberships=memberships)
    authorize(where.role, Action.ADD_TASK)
    project = where.project or project_service.ensure_inbox(store=run.store, user_id=run.user.id, now=run.now)
    if project.archived:
        raise InvalidInputError("This project is archived.", fields={"project_id": "is archived"})
    missing = [name for name in parsed.sections if name not in project.sections]
    if missing and parsed.drafts:
        authorize(where.role, Action.RENAME_PROJECT)  # sections are the project's settings
        sections = (*project.sections, *missing)[:MAX_SECTIONS]
        project = run.store.save_project(replace(project, sections=sections, updated_at=run.now))
    return {None: _Target(where.partition, project)}


def _labels(run: _Run, parsed: Parsed) -> dict[str, str]:
    """Label name (lowercase) -> id: existing ones by name, the missing ones created (all within the quota)."""
    known = {label.name.lower(): label.id for label in run.store.list_labels(run.user.id)}
    wanted: dict[str, str] = {}
    for draft in parsed.drafts:
        for name in draft.label_names:
            wanted.setdefault(name.lower(), name)
    missing = [name for key, name in wanted.items() if key not in known]
    if len(known) + len(missing) > run.quotas.labels:
        raise exceeded("labels", run.quotas.labels, field="content", hint="Delete some labels or import fewer.")
    for name in missing:
        try:
            data = LabelCreate(name=name, color=parsed.labels.get(name) or DEFAULT_COLOR)
        except ValidationError:
            try:  # a colour we do not take: the default one
                data = LabelCreate(name=name)
            except ValidationError as exc:
                run.outcome.problems.append(Problem(0, f"label {name[:60]!r}: {_first_error(exc)}; not added"))
                continue
        # the quota and the names were checked above on one read of the labels: no read per label
        label = run.store.save_label(
            Label(
                id=new_id(),
                user_id=run.user.id,
                name=data.name,
                color=data.color,
                created_at=run.now,
                updated_at=run.now,
            )
        )
        known[name.lower()] = label.id
        run.outcome.labels += 1
    return known


def _json_projects(run: _Run, parsed: Parsed) -> dict[str | None, _Target]:
    """The file's projects, created anew (new ids; the Inbox is the Inbox): file id -> target."""
    inbox = project_service.ensure_inbox(store=run.store, user_id=run.user.id, now=run.now)
    targets: dict[str | None, _Target] = {None: _Target(run.user.id, inbox)}
    existing = [
        p for p in project_service.list_projects(store=run.store, user_id=run.user.id, now=run.now) if not p.is_inbox
    ]
    wanted = [p for p in parsed.projects if not p.is_inbox]
    if len(existing) + len(wanted) > run.quotas.projects:
        raise exceeded("projects", run.quotas.projects, field="content", hint="Delete some projects or import fewer.")
    last = max((p.position for p in existing), default="a0")
    for source in parsed.projects:
        if source.is_inbox:
            targets[source.ref] = targets[None]
            continue
        try:
            data = ProjectCreate(name=source.name, color=source.color or DEFAULT_COLOR)
            data = ProjectCreate(name=source.name, color=data.color, sections=list(source.sections))
        except ValidationError as exc:
            run.outcome.problems.append(
                Problem(
                    0,
                    f"project {source.name!r}: {_first_error(exc)}; its tasks go to the Inbox",
                )
            )
            continue
        last = position_after(last)
        project = Project(
            id=new_id(),
            user_id=run.user.id,
            name=data.name,
            color=data.color,
            position=last,
            sections=tuple(dict.fromkeys(data.sections)),
            archived=source.archived,
            created_at=run.now,
            updated_at=run.now,
        )
        targets[source.ref] = _Target(run.user.id, run.store.save_project(project))
        run.outcome.projects += 1
    return targets


def _build(
    run: _Run, draft: Draft, target: _Target, labels: dict[str, str], position: str, *, parent: Task | None
) -> Task:
    """The task of a draft, checked by the API's own rules (``ValidationError`` / ``InvalidInputError``)."""
    data = TaskCreate(
        title=draft.title,
        notes=draft.notes,
        priority=draft.priority,
        due_date=draft.due_date,
        due_time=draft.due_time,
        start_date=draft.start_date,
        section=draft.section,
        subtasks=[SubtaskIn(title=title, done=done) for title, done in draft.subtasks],
        recurrence=draft.recurrence,
    )
    done = draft.completed_at is not None
    task = Task(
        id=new_id(),
        user_id=target.partition,
        project_id=target.project.id,
        title=data.title,
        notes=data.notes,
        priority=data.priority,
        due_date=data.due_date,
        due_time=data.due_time,
        start_date=data.start_date,
        section=data.section,
        labels=tuple(dict.fromkeys(labels[n.lower()] for n in draft.label_names if n.lower() in labels)),
        subtasks=tuple(Subtask(id=new_id(), title=s.title, done=s.done) for s in data.subtasks),
        recurrence=data.recurrence,
        recurrence_anchor=draft.recurrence_anchor or data.due_date,
        position=position,
        reset_subtasks=draft.reset_subtasks,
        assignee_id=run.user.id if draft.assigned_to_me else None,
        status=Status.DONE if done else Status.OPEN,
        completed_at=draft.completed_at,
        history=tuple(Completion(due_date=day, completed_at=at) for day, at in draft.history),
        created_at=run.now,
        updated_at=run.now,
        created_by=run.user.id,
        updated_by=run.user.id,
        completed_by=run.user.id if done else None,
    )
    if parent is not None:
        task = replace(task, parent_id=parent.id, depth=child_depth(parent))
    return task_service.validated(task, target.project.sections)


def _positions(drafts: list[Draft], targets: dict[str | None, _Target], run: _Run) -> dict[int, str]:
    """Each draft's place in its project (by id in ``drafts``): after the project's last task, in the file's own
    order of the project (``source_position``, our export) or else the file's order."""
    groups: dict[str, list[Draft]] = {}
    for draft in drafts:
        target = _target_of(draft, targets)
        groups.setdefault(f"{target.partition}/{target.project.id}", []).append(draft)
    places: dict[int, str] = {}
    for key, group in groups.items():
        partition, project_id = key.split("/", 1)
        last = run.store.last_position(partition, project_id)
        for draft in sorted(group, key=lambda d: (d.source_position or "", d.line)):
            last = position_after(last)
            places[id(draft)] = last
    return places


def _target_of(draft: Draft, targets: dict[str | None, _Target]) -> _Target:
    return targets.get(draft.project_ref) or targets[None]


def _write_tasks(
    run: _Run,
    drafts: list[Draft],
    targets: dict[str | None, _Target],
    labels: dict[str, str],
    reminders: ReminderPorts | None = None,
) -> None:
    built: list[tuple[Task, Draft]] = []
    by_ref: dict[str, Task] = {}  # a draft's name in the file -> its task (a subtask's parent comes first)
    places = _positions(drafts, targets, run)
    for draft in drafts:
        parent = by_ref.get(draft.parent_ref) if draft.parent_ref else None
        if draft.parent_ref and parent is None:
            run.outcome.problems.append(
                Problem(draft.line, "its parent task is not above it in the file: imported as a task")
            )
        target = _target_of(draft, targets)
        if parent is not None:  # a subtask goes where its parent went
            target = next(t for t in targets.values() if t.project.id == parent.project_id)
        if draft.section is not None and draft.section not in target.project.sections:
            run.outcome.problems.append(
                Problem(
                    draft.line,
                    f"section {draft.section!r} is not in the project (at most {MAX_SECTIONS}); "
                    "imported without a section",
                )
            )
            draft.section = None
        try:
            task = _build(run, draft, target, labels, places[id(draft)], parent=parent)
        except ValidationError as exc:
            run.outcome.problems.append(Problem(draft.line, f"{_first_error(exc)}; skipped"))
            continue
        except DomainError as exc:
            details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
            run.outcome.problems.append(Problem(draft.line, f"{details}; skipped"))
            continue
        built.append((task, draft))
        if draft.ref is not None:
            by_ref[draft.ref] = task
    written = set()
    for number, (task, draft) in enumerate(built):
        if run.deadline is not None and run.monotonic() > run.deadline:
            run.outcome.problems.append(
                Problem(
                    draft.line,
                    f"stopped here: one request imports what it can write in {WRITE_BUDGET_SECONDS:.0f} s; "
                    f"this and the {len(built) - number - 1} tasks after it were not imported (import them again).",
                )
            )
            return
        if task.parent_id is not None and task.parent_id not in written:
            run.outcome.problems.append(Problem(draft.line, "its parent task was not imported; skipped"))
            continue
        try:
            run.store.save_task(task, previous=None, limits=run.quotas)
        except QuotaExceededError as exc:
            left = len(built) - number
            run.outcome.problems.append(
                Problem(
                    draft.line,
                    f"{exc.message} This and the {left - 1} tasks after it were not imported.",
                )
            )
            return
        written.add(task.id)
        run.outcome.tasks += 1
        if draft.reminders is not None:
            _reminders(run, task, draft, reminders)


def _reminders(run: _Run, task: Task, draft: Draft, ports: ReminderPorts | None) -> None:
    """The task's own reminders from the file, scheduled as if set in the app (same checks and quota)."""
    if ports is None:
        run.outcome.problems.append(Problem(draft.line, "its reminders were not imported"))
        return
    assert draft.reminders is not None
    try:
        items = [
            ReminderInput(
                at=_instant(r.get("at")),
                minutes_before=r.get("minutes_before"),
                days_before=r.get("days_before"),
                time=dt_time.fromisoformat(r["time"]) if r.get("time") else None,
            )
            for r in draft.reminders
        ]
        reminder_service.set_reminders(
            store=run.store,
            reminders=ports.lists,
            scheduler=ports.scheduler,
            users=ports.users,
            user_id=run.user.id,
            task_id=task.id,
            items=items,
            now=run.now,
            quotas=run.quotas,
        )
    except (DomainError, ValueError, TypeError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        run.outcome.problems.append(Problem(draft.line, f"its reminders were not imported: {message}"))


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("a reminder's time needs its UTC offset")
    return at
