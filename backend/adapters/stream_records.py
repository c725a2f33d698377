"""DynamoDB stream records of the Tasks and Notifications tables -> the item writes users see (``ItemWrite``).

The item layouts are the stores' (task_store/, notifications.py): only tasks, projects, labels, comments and inbox
rows are something a screen shows. Every other item (label links ``LT#``, aggregates ``STAT#``, the activity list,
attachment rows and references, usage counters, reminder lists ``REM#``, phone codes, search-index entries, the
idempotency records...) gives None. A task's NEW_IMAGE is read with the repository's own mapping
(``task_from_image``): a stream upsert carries exactly the task the API would answer with. ``task_record`` is the
analytics' reading of the same records: every task write, with its version, so no handler needs the item layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from backend.adapters.notifications import NOTE
from backend.adapters.task_store.comments import COMMENT, comment_from_image, comment_key
from backend.adapters.task_store.mapping import task_from_image
from backend.adapters.task_store.models import LABEL, MEMBER, PROJECT, TASK
from backend.domain.comments import Comment, public_id
from backend.domain.sharing import is_project_partition, project_of_partition
from backend.domain.tasks import Status, Task
from backend.domain.webhooks import EventType
from backend.observability import logger

Table = Literal["tasks", "notifications"]
Kind = Literal["task", "project", "label", "notification", "comment"]
_TASK_TABLE_KINDS: tuple[tuple[str, Kind], ...] = ((TASK, "task"), (PROJECT, "project"), (LABEL, "label"))
_USER_PK = "USER#"
_COPY_AGE_SECONDS = 60  # a comment inserted this much after it was written is a copy (a task's move)


@dataclass(frozen=True)
class ItemWrite:
    """One write of an item a user sees: whose (``user_id``: the partition, a user's sub or a shared project's
    ``P#<p>``), what, and (for a task upsert) the task as now stored."""

    user_id: str
    kind: Kind
    id: str
    op: Literal["upsert", "delete"]
    at: float  # epoch seconds of the write (ApproximateCreationDateTime)
    task: Task | None = None
    # A membership row of a shared project (``P#<p>/M#<sub>``): published as a change of the project (``id``), and
    # ``member_id`` names the member it is about, who hears of it even once removed (their screen drops the project).
    member_id: str | None = None
    version: int | None = None  # a task delete's: the version removed (a move's tombstone names it)
    # A comment (``C#<task>#<ulid>``, ``id`` its public ``<task>.<ulid>``): as stored now, or as it was when deleted
    # (the old image; None if the record has none).
    comment: Comment | None = None


def table_of(event_source_arn: str, *, tasks_table: str, notifications_table: str) -> Table | None:
    """Which of our tables a record's ``eventSourceARN`` (``arn:...:table/<name>/stream/<label>``) is from."""
    name = event_source_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
    if name == tasks_table:
        return "tasks"
    if name == notifications_table:
        return "notifications"
    return None


def item_write(raw: dict[str, Any], table: Table) -> ItemWrite | None:
    """The write a stream record describes, or None when it is not of an item users see."""
    body = raw["dynamodb"]
    keys = body["Keys"]
    sk = keys["sk"]["S"]
    op: Literal["upsert", "delete"] = "delete" if raw.get("eventName") == "REMOVE" else "upsert"
    at = float(body.get("ApproximateCreationDateTime") or 0)
    if table == "notifications":
        pk = keys["pk"]["S"]
        if not (sk.startswith(NOTE) and pk.startswith(_USER_PK)):
            return None
        return ItemWrite(user_id=pk.removeprefix(_USER_PK), kind="notification", id=sk.removeprefix(NOTE), op=op, at=at)
    partition = keys["user_id"]["S"]
    if sk.startswith(MEMBER) and is_project_partition(partition):
        project_id = project_of_partition(partition) or ""
        return ItemWrite(
            user_id=partition, kind="project", id=project_id, op=op, at=at, member_id=sk.removeprefix(MEMBER)
        )
    if (named := comment_key(sk)) is not None:
        return _comment_write(partition, named, body, op, at)
    found = next(((prefix, kind) for prefix, kind in _TASK_TABLE_KINDS if sk.startswith(prefix)), None)
    if found is None:
        return None
    prefix, kind = found
    user_id, item_id = keys["user_id"]["S"], sk.removeprefix(prefix)
    task = None
    version = None
    if kind == "task" and op == "delete":
        old = body.get("OldImage") or {}
        version = int(old["version"]["N"]) if "version" in old else None
    if kind == "task" and op == "upsert":
        try:
            task = task_from_image(body["NewImage"])
        except (KeyError, ValueError, TypeError, AttributeError):
            # Not a whole task (an attribute update of an item that is not one): nothing to show, and a retry
            # would not change the image.
            logger.warning("stream image is not a whole task: nothing published", extra={"task_id": item_id})
            return None
    return ItemWrite(user_id=user_id, kind=kind, id=item_id, op=op, at=at, task=task, version=version)


def _comment_write(
    partition: str, named: tuple[str, str], body: dict[str, Any], op: Literal["upsert", "delete"], at: float
) -> ItemWrite | None:
    """A comment's write: the comment itself rides along (a screen shows it without asking the API)."""
    image = body.get("NewImage") if op == "upsert" else body.get("OldImage")
    comment = None
    if image:
        try:
            comment = comment_from_image(image)
        except (KeyError, ValueError, TypeError, AttributeError):
            logger.warning("stream image is not a whole comment", extra={"task_id": named[0]})
            if op == "upsert":
                return None  # nothing to show, and a retry would not change the image
    return ItemWrite(user_id=partition, kind="comment", id=public_id(*named), op=op, at=at, comment=comment)


@dataclass(frozen=True)
class TaskRecord:
    """One task write of the Tasks table's stream: the task after it (None once deleted) and its version."""

    user_id: str
    task_id: str
    version: int
    task: Task | None


def task_record(raw: dict[str, Any]) -> TaskRecord | None:
    """The task write a Tasks-table stream record describes, or None for any other item of the table. A new image
    that is not a whole task raises (the caller reports the record as failed); a delete's version is its old image's."""
    keys = raw["dynamodb"]["Keys"]
    sk = keys["sk"]["S"]
    if not sk.startswith(TASK):
        return None
    new, old = raw["dynamodb"].get("NewImage"), raw["dynamodb"].get("OldImage")
    task = task_from_image(new) if new else None
    version = task.version if task else int((old or {}).get("version", {}).get("N", "0"))
    return TaskRecord(user_id=keys["user_id"]["S"], task_id=sk.removeprefix(TASK), version=version, task=task)


@dataclass(frozen=True)
class SourceEvent:
    """A write that is a webhook event (issue 16): its type, the stream record's ``eventID`` (the event's stable id is
    derived from it), whose partition it is in, and what it is about (the task after it, before it for a delete; the
    comment; the reminder's inbox row)."""

    type: EventType
    record_id: str
    partition: str
    at: float
    task: Task | None = None
    comment: Comment | None = None
    reminder: dict[str, str] | None = None
    version: int | None = None  # a task delete's (a move's tombstone names it)


def _completed(old: Task | None, new: Task) -> bool:
    """Done now and not before, or one more occurrence of a recurring task done (it stays open, its history grows)."""
    if old is None:
        return False
    return (new.status is Status.DONE and old.status is not Status.DONE) or len(new.history) > len(old.history)


def webhook_event(raw: dict[str, Any], table: Table) -> SourceEvent | None:
    """The webhook event a stream record is, or None: task inserts, changes and removals; comment inserts (a move
    copies a task's comments: a copy is older than its record and is no new comment); reminder inbox rows inserted
    (a reminder fired, once: the row is its claim)."""
    body, name = raw["dynamodb"], raw.get("eventName")
    keys, record_id = body["Keys"], str(raw.get("eventID") or "")
    at = float(body.get("ApproximateCreationDateTime") or 0)
    sk = keys["sk"]["S"]
    if table == "notifications":
        new = body.get("NewImage") or {}
        if name != "INSERT" or not sk.startswith(NOTE) or new.get("kind", {}).get("S") != "reminder":
            return None
        reminder = {
            "notification_id": sk.removeprefix(NOTE),
            "task_id": new.get("task_id", {}).get("S", ""),
            "reminder_id": new.get("reminder_id", {}).get("S", ""),
            "title": new.get("title", {}).get("S", ""),
            "fire_at": new.get("fire_at", {}).get("S", ""),
        }
        user = keys["pk"]["S"].removeprefix(_USER_PK)
        return SourceEvent("reminder.fired", record_id, user, at, reminder=reminder)
    partition = keys["user_id"]["S"]
    if sk.startswith(COMMENT) and name == "INSERT":
        comment = comment_from_image(body["NewImage"])
        if at and comment.created_at.timestamp() < at - _COPY_AGE_SECONDS:
            return None  # a move's copy of an old comment
        return SourceEvent("comment.created", record_id, partition, at, comment=comment)
    if not sk.startswith(TASK):
        return None
    if name == "REMOVE":
        old = task_from_image(body["OldImage"]) if body.get("OldImage") else None
        version = old.version if old else None
        return SourceEvent("task.deleted", record_id, partition, at, task=old, version=version)
    task = task_from_image(body["NewImage"])
    if name == "INSERT":
        return SourceEvent("task.created", record_id, partition, at, task=task)
    before = task_from_image(body["OldImage"]) if body.get("OldImage") else None
    kind: EventType = "task.completed" if _completed(before, task) else "task.updated"
    return SourceEvent(kind, record_id, partition, at, task=task)
