"""The user's data as files (export) and "delete everything". No HTTP, no boto3."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from backend.adapters.ports import (
    ApiTokens,
    AttachmentStore,
    CalendarFeeds,
    CommentStore,
    ErasureRecord,
    Inbox,
    MembershipStore,
    ObjectStorage,
    ReminderExport,
    Schedules,
    StatsStore,
    TaskAddresses,
    TaskDeletionListener,
    TaskStore,
    UserNotifications,
)
from backend.domain import attachments, schedules
from backend.domain.comments import Comment
from backend.domain.reminders import Reminder
from backend.domain.sharing import Membership, is_project_partition, project_partition
from backend.domain.tasks import Label, Project, Status, Task
from backend.domain.users import User
from backend.services import attachments as attachment_service
from backend.services import sharing
from backend.services.stats import all_tasks

TASK_COLUMNS = (
    "id",
    "title",
    "notes",
    "status",
    "priority",
    "project_id",
    "project",
    "section",
    "labels",
    "due_date",
    "due_time",
    "start_date",
    "recurrence",
    "created_at",
    "updated_at",
    "completed_at",
    "completions",
    # Shared work (issue 13): "shared" marks a task of a shared project (``project`` names it); who made it, who did
    # it last and to whom it is assigned are member ids (the JSON export and the API use the same ids).
    "shared",
    "created_by",
    "completed_by",
    "assignee_id",
)
PROJECT_COLUMNS = ("id", "name", "color", "is_inbox", "archived", "sections", "created_at", "updated_at")
SHARED_PROJECT_COLUMNS = (*PROJECT_COLUMNS, "shared", "role")
LABEL_COLUMNS = ("id", "name", "color", "created_at", "updated_at")


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else ("" if value is None else value)


def task_row(task: Task, projects: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "notes": task.notes,
        "status": task.status.value,
        "priority": task.priority,
        "project_id": task.project_id,
        "project": projects.get(task.project_id, ""),
        "section": task.section or "",
        "labels": ", ".join(labels.get(label, label) for label in task.labels),
        "due_date": _iso(task.due_date),
        "due_time": task.due_time.strftime("%H:%M") if task.due_time else "",
        "start_date": _iso(task.start_date),
        "recurrence": task.recurrence or "",
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
        "completed_at": _iso(task.completed_at),
        "completions": len(task.history) + (1 if task.completed_at else 0),
        "shared": is_project_partition(task.user_id),
        "created_by": task.created_by or "",
        "completed_by": task.completed_by or "",
        "assignee_id": task.assignee_id or "",
    }


def project_row(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "color": project.color,
        "is_inbox": project.is_inbox,
        "archived": project.archived,
        "sections": ", ".join(project.sections),
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }


def label_row(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "name": label.name,
        "color": label.color,
        "created_at": _iso(label.created_at),
        "updated_at": _iso(label.updated_at),
    }


def _reminder_json(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "at": _iso(reminder.at) or None,
        "minutes_before": reminder.minutes_before,
        "days_before": reminder.days_before,
        "time": reminder.time.strftime("%H:%M") if reminder.time else None,
    }


def _task_json(task: Task, reminders: dict[str, list[Reminder]] | None = None) -> dict[str, Any]:
    """A task with everything an import needs to make it again (issue 14's round trip): its place (``position``,
    ``parent_id``), the series' anchor, its own reminders (null: none of its own, the default applies)."""
    row = task_row(task, {}, {})
    own = (reminders or {}).get(task.id)
    row.update(
        labels=list(task.labels),
        subtasks=[{"id": s.id, "title": s.title, "done": s.done} for s in task.subtasks],
        history=[{"due_date": _iso(c.due_date), "completed_at": _iso(c.completed_at)} for c in task.history],
        version=task.version,
        recurrence_anchor=_iso(task.recurrence_anchor),
        position=task.position,
        parent_id=task.parent_id,
        depth=task.depth,
        subtask_count=task.subtask_count,
        subtask_done=task.subtask_done,
        reset_subtasks=task.reset_subtasks,
        assignee_id=task.assignee_id,
        reminders=None if own is None else [_reminder_json(r) for r in own],
    )
    row.pop("project")
    return row


def _comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.public_id,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "body": comment.body,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def export_json(
    *,
    store: TaskStore,
    user_id: str,
    now: datetime,
    user: User | None = None,
    memberships: MembershipStore | None = None,
    comments: CommentStore | None = None,
    reminders: ReminderExport | None = None,
) -> str:
    """Everything the user owns, one JSON document (ids kept, so it can be re-imported). With the caller's row and
    the memberships: also ``shared_projects``, each shared project the user is in (owned or not) with their role and
    all its tasks (everyone's: the user may read them all, and a shared project is the work they share). With the
    comments: the comments on their own tasks, and theirs in each shared project (not the other members' words).
    With ``reminders``: each task's own reminder list (the caller's, shared tasks included)."""
    my_labels = store.list_labels(user_id)
    mine_only = frozenset(label.id for label in my_labels)  # a shared task's labels: the user's own, not the others'
    lists = reminders.reminder_lists(user_id) if reminders is not None else None
    document: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "exported_by": user_id,  # whose "assigned to me" the tasks' assignee_id is (an import keeps only those)
        "tasks": [_task_json(t, lists) for t in all_tasks(store, user_id)],
        "projects": [project_row(p) for p in store.list_projects(user_id)],
        "labels": [label_row(label) for label in my_labels],
    }
    if comments is not None:
        document["comments"] = [_comment_json(c) for c in comments.in_partition(user_id)]
    if user is not None and memberships is not None and user.shared_projects:
        document["shared_projects"] = [
            {
                **project_row(project),
                "role": mine.role.value,
                "tasks": [
                    _task_json(replace(t, labels=tuple(x for x in t.labels if x in mine_only)), lists)
                    for t in all_tasks(store, project_partition(project.id))
                ],
                **(
                    {
                        "comments": [
                            _comment_json(c)
                            for c in comments.in_partition(project_partition(project.id), author_id=user.id)
                        ]
                    }
                    if comments is not None
                    else {}
                ),
            }
            for project, mine in memberships.projects_of(user.id, user.shared_projects)
        ]
    return json.dumps(document, ensure_ascii=False, indent=2)


def export_csv(
    *,
    store: TaskStore,
    user_id: str,
    part: str,
    user: User | None = None,
    memberships: MembershipStore | None = None,
) -> str:
    """One CSV: the tasks (with project and label names), the projects or the labels. With the caller's row and the
    memberships, the shared projects the user is in count as theirs, as in the JSON export: the projects CSV lists
    them too (``shared``, the user's ``role``), the tasks CSV holds all their tasks (everyone's: the work the user
    shares and may read), each marked ``shared`` and named by its project. A shared task's labels are the user's
    own only (the others' are personal to them). Labels stay personal: the labels CSV is the user's."""
    buffer = io.StringIO()
    shared = _shared_projects(user, memberships)
    if part == "tasks":
        projects = {p.id: p.name for p in store.list_projects(user_id)}
        projects.update({project.id: project.name for project, _ in shared})
        labels = {label.id: label.name for label in store.list_labels(user_id)}
        rows = [task_row(t, projects, labels) for t in all_tasks(store, user_id)]
        seen = {row["id"] for row in rows}
        for project, _ in shared:
            for task in all_tasks(store, project_partition(project.id)):
                if task.id not in seen:  # (a share stopped midway has a task in both partitions for a moment)
                    mine = replace(task, labels=tuple(x for x in task.labels if x in labels))
                    rows.append(task_row(mine, projects, labels))
                    seen.add(task.id)
        columns: tuple[str, ...] = TASK_COLUMNS
    elif part == "projects":
        ids = {project.id for project, _ in shared}
        personal = [p for p in store.list_projects(user_id) if p.id not in ids]
        rows = [{**project_row(p), "shared": False, "role": "owner"} for p in personal]
        rows += [{**project_row(project), "shared": True, "role": mine.role.value} for project, mine in shared]
        columns = SHARED_PROJECT_COLUMNS
    else:
        rows, columns = [label_row(label) for label in store.list_labels(user_id)], LABEL_COLUMNS
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def _shared_projects(user: User | None, memberships: MembershipStore | None) -> list[tuple[Project, Membership]]:
    """The shared projects the user is in, with their membership (one BatchGetItem; none without the ports)."""
    if user is None or memberships is None or not user.shared_projects:
        return []
    return memberships.projects_of(user.id, user.shared_projects)


# OWASP's list: a cell starting with any of these is read as a formula by Excel, LibreOffice or Sheets
# (TAB and CR included: spreadsheets skip them and then see the = that follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, quoted so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


@dataclass(frozen=True)
class Credentials:
    """What lets the world in without a sign-in: the calendar feed, the task email address, personal API tokens.
    Each is a row of the user's and a pointer found by a hash, in another partition: erasing the user's partition
    alone would leave the pointers behind (inert, as every read checks the user's row, but residue)."""

    feeds: CalendarFeeds
    addresses: TaskAddresses
    tokens: ApiTokens


def end_credentials(credentials: Credentials, user_id: str) -> int:
    """Revoke every credential of the user, pointers included; returns how many items went (a row and a pointer
    each)."""
    ended = sum(credentials.tokens.revoke(user_id, token.id) for token in credentials.tokens.list_for(user_id))
    ended += credentials.feeds.revoke(user_id)
    ended += credentials.addresses.forget(user_id)
    return 2 * ended


def delete_everything(
    *,
    tasks: TaskStore,
    stats: StatsStore,
    notifications: UserNotifications,
    storage: ObjectStorage,
    scheduler: Schedules | None,
    user_id: str,
    shared: tuple[User, sharing.Ports] | None = None,
    inbox: Inbox | None = None,
    on_deleted: TaskDeletionListener | None = None,
    attachment_store: AttachmentStore | None = None,
    erasure: ErasureRecord | None = None,
    credentials: Credentials | None = None,
) -> int:
    """Everything the user made: tasks, projects, labels, statistics, files, inbox and pending reminders (the
    account itself is the caller's business). Returns how many items and files went. Safe to run again, and a run
    that failed midway is finished by the next one.

    Shared projects first (``shared``: the user's row and the sharing ports; ``sharing.leave_everything``): deleted
    when the user is alone in them, handed to the next member when the user owns them (the members are told in
    their inbox), left otherwise; nobody else loses a task. The files of the user's tasks in those that go on stay:
    found through the projects the user was in when the erasure began, which ``erasure`` remembers before any is left
    (a retry after a failure midway no longer finds the projects already left in the user's row).

    ``credentials`` end first, so nothing is served from the account while it is being erased.
    """
    ended = end_credentials(credentials, user_id) if credentials is not None else 0
    keep: frozenset[str] = frozenset()
    if shared is not None:
        user, ports = shared
        now = _now()
        projects = frozenset(user.shared_projects)
        if erasure is not None:
            projects = erasure.remember_projects(user_id, projects)
        if attachment_store is not None:  # read while the memberships still name the projects
            partitions = [project_partition(p) for p in sorted(projects)]
            keep = attachment_service.moved_files(store=attachment_store, partitions=partitions, owner=user_id)
        sharing.leave_everything(user=user, ports=ports, inbox=inbox, now=now, on_deleted=on_deleted)
        for project_id in sorted(projects - set(user.shared_projects)):  # left by an earlier attempt: finished
            partition = project_partition(project_id)
            sharing.unassign(tasks=ports.tasks, partition=partition, project_id=project_id, member_id=user_id, now=now)
    # Tasks whose reminders may be scheduled: open ones with a due date (the default reminder) and those with a list
    # of their own. A schedule left behind would only fire into a missing task and be skipped, but it names the task.
    pending = {task.id for task in all_tasks(tasks, user_id) if task.status is Status.OPEN and task.due_date}
    rows, with_reminder_lists = notifications.erase_user(user_id)
    pending.update(with_reminder_lists)
    if scheduler is not None:
        for task_id in sorted(pending):
            for name in scheduler.names(schedules.reminder_prefix(task_id)):
                scheduler.delete(name)
    # The files of the user's tasks moved into shared projects that go on stay where they are (``keep``): their rows
    # there point at them (``key_owner``). Those of projects deleted with the account went with their tasks.
    files = sum(storage.delete_prefix(prefix, keep=keep) for prefix in attachments.user_prefixes(user_id))
    return ended + stats.erase_user(user_id) + rows + files
