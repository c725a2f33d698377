"""DynamoDB stream records of the Tasks and Notifications tables -> the item writes users see (``ItemWrite``).

The item layouts are the stores' (task_store.py, notifications.py): only tasks, projects, labels and inbox rows
are something a screen shows. Every other item (label links ``LT#``, aggregates ``STAT#``, the activity list,
attachment rows and references, usage counters, reminder lists ``REM#``, phone codes, search-index entries, the
idempotency records...) gives None. A task's NEW_IMAGE is read with the repository's own mapping
(``task_from_image``): a stream upsert carries exactly the task the API would answer with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from backend.adapters.notifications import NOTE
from backend.adapters.task_store import LABEL, PROJECT, TASK, task_from_image
from backend.domain.tasks import Task
from backend.observability import logger

Table = Literal["tasks", "notifications"]
Kind = Literal["task", "project", "label", "notification"]
_TASK_TABLE_KINDS: tuple[tuple[str, Kind], ...] = ((TASK, "task"), (PROJECT, "project"), (LABEL, "label"))
_USER_PK = "USER#"


@dataclass(frozen=True)
class ItemWrite:
    """One write of an item a user sees: whose, what, and (for a task upsert) the task as now stored."""

    user_id: str
    kind: Kind
    id: str
    op: Literal["upsert", "delete"]
    at: float  # epoch seconds of the write (ApproximateCreationDateTime)
    task: Task | None = None


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
    found = next(((prefix, kind) for prefix, kind in _TASK_TABLE_KINDS if sk.startswith(prefix)), None)
    if found is None:
        return None
    prefix, kind = found
    user_id, item_id = keys["user_id"]["S"], sk.removeprefix(prefix)
    task = None
    if kind == "task" and op == "upsert":
        try:
            task = task_from_image(body["NewImage"])
        except (KeyError, ValueError, TypeError, AttributeError):
            # Not a whole task (an attribute update of an item that is not one): nothing to show, and a retry
            # would not change the image.
            logger.warning("stream image is not a whole task: nothing published", extra={"task_id": item_id})
            return None
    return ItemWrite(user_id=user_id, kind=kind, id=item_id, op=op, at=at, task=task)
