"""The activity log of a shared project (issue 13): what happened, who did it, and before/after of what changed. Pure.

A write in a shared project builds one ``ActivityEntry`` with a function of this module and puts it (as an ``L#``
row, ``backend/adapters/task_store/activity.py``) in **its own transaction**, so the log never misses a change nor
shows one that did not happen. Personal projects keep no log: their writes never call these builders.

``before`` / ``after`` hold only the fields that changed, as JSON values (dates as ISO strings, times ``HH:MM``,
tuples as lists), each text cut to ``MAX_TEXT`` characters so a row stays small whatever was edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import Enum, StrEnum
from typing import Any

from backend.domain.tasks import Project, Status, Task

MAX_TEXT = 1_000  # characters of one text value kept in a row (a task's notes or a comment may be 10 000)
RETENTION_DAYS = 365  # rows expire by TTL after a year

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


class What(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    ASSIGNED = "assigned"  # only the assignee changed
    COMPLETED = "completed"  # a recurring task's occurrence too
    REOPENED = "reopened"
    MOVED = "moved"  # to another project (the row is in the project it left, and one in the project it joined)
    DELETED = "deleted"
    COMMENTED = "commented"
    COMMENT_EDITED = "comment_edited"
    COMMENT_DELETED = "comment_deleted"
    INVITED = "invited"
    MEMBER_ADDED = "member_added"
    ROLE_CHANGED = "role_changed"
    MEMBER_REMOVED = "member_removed"
    LEFT = "left"
    TRANSFERRED = "transferred"
    RENAMED = "renamed"  # name, colour or sections
    ARCHIVED = "archived"
    UNARCHIVED = "unarchived"
    SHARED = "shared"  # the project became shared (its first invitation): where its log starts


@dataclass(frozen=True)
class ActivityEntry:
    """One row of a project's log. ``actor``: the member's sub. ``member_id``: the member a membership event is
    about. ``id``: the row's ULID once stored (None while being built)."""

    actor: str
    what: What
    at: datetime
    task_id: str | None = None
    task_title: str | None = None
    member_id: str | None = None
    before: Mapping[str, JsonValue] = field(default_factory=dict)
    after: Mapping[str, JsonValue] = field(default_factory=dict)
    id: str | None = None


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """A text as kept in a row: at most ``limit`` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_value(value: Any) -> JsonValue:
    """A field's value as the row keeps it (JSON: what the API returns and the UI shows)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, str):
        return cut(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return [json_value(item) for item in items]
    if hasattr(value, "__dataclass_fields__"):  # a subtask
        return {name: json_value(getattr(value, name)) for name in value.__dataclass_fields__}
    return cut(str(value))


# --- tasks ------------------------------------------------------------------------------------------------------
# What a member sees change on a task. Not: labels (personal to each member), position (every drag would log),
# timestamps, version, history (a completion is its own event), attachment and comment counts (their own events).
TRACKED_TASK_FIELDS = (
    "title",
    "notes",
    "status",
    "priority",
    "due_date",
    "due_time",
    "start_date",
    "section",
    "subtasks",
    "recurrence",
    "project_id",
    "assignee_id",  # added by the tasks of shared projects; read as None where the Task has no such field
)


def _task_fields(task: Task) -> dict[str, JsonValue]:
    return {name: json_value(getattr(task, name, None)) for name in TRACKED_TASK_FIELDS}


def _completions(task: Task) -> int:
    return len(task.history) + (task.status is Status.DONE)


def task_changed(
    previous: Task | None, task: Task | None, actor: str, *, at: datetime | None = None
) -> ActivityEntry | None:
    """The entry for a task write: created (``previous`` None), deleted (``task`` None), completed / reopened (a
    recurring task's occurrence counts), moved (another project), assigned (only the assignee changed) or edited;
    None when nothing a member sees changed (a drag, a label of one member), so such a write logs nothing.

    ``at``: the write's time; by default the task's ``updated_at`` (now, for a deletion)."""
    if previous is None and task is None:
        return None
    when = at or (task.updated_at if task is not None else datetime.now(UTC))
    if task is None:
        assert previous is not None
        return ActivityEntry(
            actor=actor,
            what=What.DELETED,
            at=when,
            task_id=previous.id,
            task_title=cut(previous.title),
            before={"title": json_value(previous.title)},
        )
    if previous is None:
        after: dict[str, JsonValue] = {
            name: value for name, value in _task_fields(task).items() if value is not None and value not in ("", [])
        }
        after.pop("status", None)  # always open when created
        return ActivityEntry(
            actor=actor, what=What.CREATED, at=when, task_id=task.id, task_title=cut(task.title), after=after
        )
    old, new = _task_fields(previous), _task_fields(task)
    changed = [name for name in TRACKED_TASK_FIELDS if old[name] != new[name]]
    done_before, done_after = _completions(previous), _completions(task)
    if not changed and done_before == done_after:
        return None
    before = {name: old[name] for name in changed}
    after = {name: new[name] for name in changed}
    if done_after > done_before:
        what = What.COMPLETED
    elif done_after < done_before:
        what = What.REOPENED
    elif "project_id" in changed:
        what = What.MOVED
    elif changed == ["assignee_id"]:
        what = What.ASSIGNED
    else:
        what = What.EDITED
    return ActivityEntry(
        actor=actor,
        what=what,
        at=when,
        task_id=task.id,
        task_title=cut(task.title),
        before=before,
        after=after,
    )


# --- comments ---------------------------------------------------------------------------------------------------
# A comment's words are in one row only, its "commented" row (id: the comment's own ULID, so its key is known):
# an edit rewrites that row's text and a deletion removes it, in the comment's transaction. Edit and deletion rows
# carry no text, so a comment deleted (an admin may delete one for its words) leaves none of them in the log.
def comment_added(actor: str, task: Task, *, comment_id: str, row_id: str, body: str, at: datetime) -> ActivityEntry:
    return ActivityEntry(
        id=row_id,
        actor=actor,
        what=What.COMMENTED,
        at=at,
        task_id=task.id,
        task_title=cut(task.title),
        after=comment_words(comment_id, body),
    )


def comment_words(comment_id: str, body: str | None) -> dict[str, JsonValue]:
    """The ``after`` of a "commented" row: the comment and its words now (None: deleted, no words)."""
    return {"comment_id": comment_id} if body is None else {"comment_id": comment_id, "body": cut(body)}


def comment_edited(actor: str, task: Task, *, comment_id: str, at: datetime) -> ActivityEntry:
    return ActivityEntry(
        actor=actor,
        what=What.COMMENT_EDITED,
        at=at,
        task_id=task.id,
        task_title=cut(task.title),
        after={"comment_id": comment_id},
    )


def comment_deleted(actor: str, task: Task, *, comment_id: str, author_id: str, at: datetime) -> ActivityEntry:
    """No words: a deleted comment is gone, also from the log (its "commented" row loses its text too)."""
    return ActivityEntry(
        actor=actor,
        what=What.COMMENT_DELETED,
        at=at,
        task_id=task.id,
        task_title=cut(task.title),
        member_id=author_id,
        before={"comment_id": comment_id},
    )


# --- membership and the project ---------------------------------------------------------------------------------
def invited(actor: str, *, email: str, role: str, at: datetime) -> ActivityEntry:
    return ActivityEntry(actor=actor, what=What.INVITED, at=at, after={"email": cut(email), "role": json_value(role)})


def member_added(actor: str, *, member_id: str, role: str, at: datetime) -> ActivityEntry:
    """``actor``: who invited (or the member themselves, accepting: then ``actor == member_id``)."""
    return ActivityEntry(
        actor=actor, what=What.MEMBER_ADDED, at=at, member_id=member_id, after={"role": json_value(role)}
    )


def role_changed(actor: str, *, member_id: str, before: str, after: str, at: datetime) -> ActivityEntry:
    return ActivityEntry(
        actor=actor,
        what=What.ROLE_CHANGED,
        at=at,
        member_id=member_id,
        before={"role": json_value(before)},
        after={"role": json_value(after)},
    )


def member_removed(actor: str, *, member_id: str, role: str, at: datetime) -> ActivityEntry:
    """An admin removed a member, or (``actor == member_id``) the member left."""
    what = What.LEFT if actor == member_id else What.MEMBER_REMOVED
    return ActivityEntry(actor=actor, what=what, at=at, member_id=member_id, before={"role": json_value(role)})


def transferred(actor: str, *, new_owner_id: str, at: datetime) -> ActivityEntry:
    """The owner handed the project to ``new_owner_id`` (and stays an admin)."""
    return ActivityEntry(
        actor=actor,
        what=What.TRANSFERRED,
        at=at,
        member_id=new_owner_id,
        before={"owner_id": actor},
        after={"owner_id": new_owner_id},
    )


def shared(actor: str, project: Project, *, at: datetime) -> ActivityEntry:
    return ActivityEntry(actor=actor, what=What.SHARED, at=at, after={"name": json_value(project.name)})


PROJECT_FIELDS = ("name", "color", "sections", "archived")


def project_changed(previous: Project, project: Project, actor: str, *, at: datetime) -> ActivityEntry | None:
    """Archived / unarchived (when that changed), else renamed (name, colour or sections); None if nothing did."""
    old = {name: json_value(getattr(previous, name)) for name in PROJECT_FIELDS}
    new = {name: json_value(getattr(project, name)) for name in PROJECT_FIELDS}
    changed = [name for name in PROJECT_FIELDS if old[name] != new[name]]
    if not changed:
        return None
    what = (What.ARCHIVED if project.archived else What.UNARCHIVED) if "archived" in changed else What.RENAMED
    return ActivityEntry(
        actor=actor,
        what=what,
        at=at,
        before={name: old[name] for name in changed},
        after={name: new[name] for name in changed},
    )
