"""The Tasks table (one per stage): tasks, projects, labels and label links of every user.

Single-table design, partitioned by user (see docs/data-model.md):
  user_id (PK) | sk (SK)
  ``TASK#<id>``            a task (ULID id: the base table lists a user's tasks by creation time)
  ``PROJECT#<id>``         a project (the Inbox has the id ``inbox``)
  ``LABEL#<id>``           a label
  ``LT#<label>#<task>``    "task has label" link, written in the same transaction as the task
  ``W#<word>#<task>``      search index: "task has word" (backend/domain/search.py), same transaction as the task
  ``WIDX``                 the user's tasks are all in the search index (written with the Inbox, or by the backfill)
  ``USAGE#tasks``          how many tasks the user has (all, open): atomic counters, same transaction as the task
GSIs (all keys prefixed with the user id, so no query can cross users):
  by_status_due  status_pk = user#status       due_sk = due_key#id           Today, Upcoming, overdue, sort=due
  by_priority    status_pk                     priority_sk = p#due_key#id    sort=priority
  by_project     project_pk = user#project     project_sk = status#pos#id    project lists and boards (manual)
  by_completed   done_pk = user (done only)    completed_sk = iso#id         completed view, newest first
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import time as time_module
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import STREAM_NEW_AND_OLD_IMAGE
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.domain import quotas, search
from backend.domain.tasks import Completion, Label, Project, Status, Subtask, Task, TaskQuery
from backend.errors import ConflictError, InvalidInputError

TASK, PROJECT, LABEL, LINK, WORD, INDEXED = "TASK#", "PROJECT#", "LABEL#", "LT#", "W#", "WIDX"
TASK_COUNTS = "USAGE#tasks"
_T = TypeVar("_T")
TRANSACTION_LIMIT = 100
MAX_LINKS_PER_SAVE = 20  # 10 labels added + 10 removed
# the task, its label links, its search words and the task counters
assert 2 + MAX_LINKS_PER_SAVE + 2 * search.MAX_TERMS <= TRANSACTION_LIMIT, "a task save must fit one transaction"
LAST_DATE = "9999-12-31"


class _Meta:
    table_name = "tasks"  # set by configure_models()
    billing_mode = "PAY_PER_REQUEST"
    region = "us-east-1"
    host: str | None = None


class StatusDueIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_status_due"
        projection = AllProjection()

    status_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class PriorityIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_priority"
        projection = AllProjection()

    status_pk = UnicodeAttribute(hash_key=True)
    priority_sk = UnicodeAttribute(range_key=True)


class ProjectIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_project"
        projection = AllProjection()

    project_pk = UnicodeAttribute(hash_key=True)
    project_sk = UnicodeAttribute(range_key=True)


class CompletedIndex(GlobalSecondaryIndex["TaskModel"]):
    class Meta:
        index_name = "by_completed"
        projection = AllProjection()

    done_pk = UnicodeAttribute(hash_key=True)
    completed_sk = UnicodeAttribute(range_key=True)


class SubtaskAttribute(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    title = UnicodeAttribute()
    done = BooleanAttribute(default=False)


class CompletionAttribute(MapAttribute[str, Any]):
    due_date = UnicodeAttribute(null=True)
    completed_at = UTCDateTimeAttribute()


class TaskModel(Model):
    class Meta(_Meta):
        # The analytics Lambda reads the table's stream (backend/handlers/analytics.py); the CDK sets the same.
        stream_view_type = STREAM_NEW_AND_OLD_IMAGE

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    title = UnicodeAttribute()
    notes = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    priority = NumberAttribute()
    due_date = UnicodeAttribute(null=True)
    due_time = UnicodeAttribute(null=True)
    start_date = UnicodeAttribute(null=True)
    section = UnicodeAttribute(null=True)
    labels = ListAttribute(of=UnicodeAttribute, default=list)
    subtasks = ListAttribute(of=SubtaskAttribute, default=list)
    recurrence = UnicodeAttribute(null=True)
    recurrence_anchor = UnicodeAttribute(null=True)
    position = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    completed_at = UTCDateTimeAttribute(null=True)
    history = ListAttribute(of=CompletionAttribute, default=list)
    search_text = UnicodeAttribute(default="")
    # index keys, derived from the fields above on every write
    status_pk = UnicodeAttribute()
    due_sk = UnicodeAttribute()
    priority_sk = UnicodeAttribute()
    project_pk = UnicodeAttribute()
    project_sk = UnicodeAttribute()
    done_pk = UnicodeAttribute(null=True)
    completed_sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    attachment_count = NumberAttribute(null=True)  # ready attachments (adapters/attachments.py keeps it)

    by_status_due = StatusDueIndex()
    by_priority = PriorityIndex()
    by_project = ProjectIndex()
    by_completed = CompletedIndex()


class ProjectModel(Model):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    project_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()
    position = UnicodeAttribute()
    is_inbox = BooleanAttribute(default=False)
    archived = BooleanAttribute(default=False)
    sections = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class LabelModel(Model):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    label_id = UnicodeAttribute()
    name = UnicodeAttribute()
    color = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()


class LabelLinkModel(Model):
    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()


class SearchWordModel(Model):
    """``W#<word>#<task id>``: the task has this word (a prefix Query of ``W#<start>`` finds the tasks)."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    task_id = UnicodeAttribute()


class SearchIndexedModel(Model):
    """``WIDX``: every task of the user is in the search index (older tasks are backfilled on first search)."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=INDEXED)
    indexed_at = UTCDateTimeAttribute(null=True)


class TaskCountsModel(Model):
    """``USAGE#tasks``: the user's tasks (``tasks``: all, ``open_tasks``: open), changed by ``ADD`` in the transaction
    of every write that changes them; a write that adds one is conditional on the quota. ``counted``: the counters
    hold the whole partition (written with the Inbox; a user from before them is counted on their first create)."""

    class Meta(_Meta):
        pass

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TASK_COUNTS)
    tasks = NumberAttribute(null=True)
    open_tasks = NumberAttribute(null=True)
    counted = BooleanAttribute(null=True)


TASK_TABLE_MODELS: tuple[type[Model], ...] = (
    TaskCountsModel,
    TaskModel,
    ProjectModel,
    LabelModel,
    LabelLinkModel,
    SearchWordModel,
    SearchIndexedModel,
)


# --- mapping ---------------------------------------------------------------------------------------
def _task_item(task: Task) -> TaskModel:
    done = task.status is Status.DONE
    item = TaskModel(
        user_id=task.user_id,
        sk=TASK + task.id,
        task_id=task.id,
        project_id=task.project_id,
        title=task.title,
        notes=task.notes,
        status=task.status.value,
        priority=task.priority,
        due_date=task.due_date.isoformat() if task.due_date else None,
        due_time=task.due_time.strftime("%H:%M") if task.due_time else None,
        start_date=task.start_date.isoformat() if task.start_date else None,
        section=task.section,
        labels=list(task.labels),
        subtasks=[SubtaskAttribute(id=s.id, title=s.title, done=s.done) for s in task.subtasks],
        recurrence=task.recurrence,
        recurrence_anchor=task.recurrence_anchor.isoformat() if task.recurrence_anchor else None,
        position=task.position,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
        history=[
            CompletionAttribute(due_date=c.due_date.isoformat() if c.due_date else None, completed_at=c.completed_at)
            for c in task.history
        ],
        search_text=task.search_text,
        status_pk=f"{task.user_id}#{task.status.value}",
        due_sk=f"{task.due_key}#{task.id}",
        priority_sk=f"{task.priority}#{task.due_key}#{task.id}",
        project_pk=f"{task.user_id}#{task.project_id}",
        project_sk=f"{task.status.value}#{task.position}#{task.id}",
        done_pk=task.user_id if done else None,
        completed_sk=f"{task.completed_at.isoformat()}#{task.id}" if done and task.completed_at else None,
        attachment_count=task.attachment_count or None,
    )
    if task.version:
        item.version = task.version
    return item


def _task(item: TaskModel) -> Task:
    return Task(
        id=item.task_id,
        user_id=item.user_id,
        project_id=item.project_id,
        title=item.title,
        notes=item.notes or "",
        status=Status(item.status),
        priority=int(item.priority),
        due_date=date.fromisoformat(item.due_date) if item.due_date else None,
        due_time=time.fromisoformat(item.due_time) if item.due_time else None,
        start_date=date.fromisoformat(item.start_date) if item.start_date else None,
        section=item.section,
        labels=tuple(str(label) for label in item.labels or ()),
        subtasks=tuple(Subtask(id=s.id, title=s.title, done=bool(s.done)) for s in item.subtasks or ()),
        recurrence=item.recurrence,
        recurrence_anchor=date.fromisoformat(item.recurrence_anchor) if item.recurrence_anchor else None,
        position=item.position,
        created_at=item.created_at,
        updated_at=item.updated_at,
        completed_at=item.completed_at,
        history=tuple(
            Completion(due_date=date.fromisoformat(c.due_date) if c.due_date else None, completed_at=c.completed_at)
            for c in item.history or ()
        ),
        version=int(item.version or 0),
        attachment_count=int(item.attachment_count or 0),
    )


def _project(item: ProjectModel) -> Project:
    return Project(
        id=item.project_id,
        user_id=item.user_id,
        name=item.name,
        color=item.color,
        position=item.position,
        is_inbox=bool(item.is_inbox),
        archived=bool(item.archived),
        sections=tuple(str(section) for section in item.sections or ()),
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


def _project_item(project: Project) -> ProjectModel:
    item = ProjectModel(
        user_id=project.user_id,
        sk=PROJECT + project.id,
        project_id=project.id,
        name=project.name,
        color=project.color,
        position=project.position,
        is_inbox=project.is_inbox,
        archived=project.archived,
        sections=list(project.sections),
        created_at=project.created_at,
        updated_at=project.updated_at,
    )
    if project.version:
        item.version = project.version
    return item


def _label(item: LabelModel) -> Label:
    return Label(
        id=item.label_id,
        user_id=item.user_id,
        name=item.name,
        color=item.color,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


def _label_item(label: Label) -> LabelModel:
    item = LabelModel(
        user_id=label.user_id,
        sk=LABEL + label.id,
        label_id=label.id,
        name=label.name,
        color=label.color,
        created_at=label.created_at,
        updated_at=label.updated_at,
    )
    if label.version:
        item.version = label.version
    return item


def _link(user_id: str, label_id: str, task_id: str) -> LabelLinkModel:
    return LabelLinkModel(user_id=user_id, sk=f"{LINK}{label_id}#{task_id}", task_id=task_id)


def _word(user_id: str, term: str, task_id: str) -> SearchWordModel:
    return SearchWordModel(user_id=user_id, sk=f"{WORD}{term}#{task_id}", task_id=task_id)


def _terms(task: Task | None) -> frozenset[str]:
    return search.index_terms(task.title, task.notes) if task is not None else frozenset()


def index_items(task: Task) -> list[SearchWordModel]:
    """The search index entries of a task (what the write path keeps; the bench seeds them with its tasks)."""
    return [_word(task.user_id, term, task.id) for term in sorted(_terms(task))]


def is_conditional_failure(exc: PutError | UpdateError | TransactWriteError) -> bool:
    """A write refused by its condition (version, existence), alone or inside a transaction."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", None) for r in reasons if r is not None}
    return exc.cause_response_code == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in codes


# --- queries -----------------------------------------------------------------------------------------
def encode_cursor(index: str, key: dict[str, Any]) -> str:
    raw = json.dumps({"i": index, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def list_id(index: str, query: TaskQuery) -> str:
    """Names one list (an index and every criterion): a cursor only continues the list it came from."""
    digest = hashlib.sha256(json.dumps(asdict(query), sort_keys=True).encode()).hexdigest()[:16]
    return f"{index}:{digest}"


def decode_cursor(cursor: str, *, index: str, query: TaskQuery) -> dict[str, Any]:
    """The start key of a cursor, after checking it belongs to this list and this user."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = payload["k"]
        valid = (
            payload.get("i") == list_id(index, query)
            and isinstance(key, dict)
            and set(key) == {"user_id", "sk", *_INDEX_KEYS[index]}
            and key.get("user_id") == {"S": query.user_id}
            and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInputError("The cursor is not valid for this list.", fields={"cursor": "is not valid"})
    return dict(key)


_INDEX_KEYS = {
    "table": ("user_id", "sk"),
    "by_status_due": ("status_pk", "due_sk"),
    "by_priority": ("status_pk", "priority_sk"),
    "by_project": ("project_pk", "project_sk"),
    "by_completed": ("done_pk", "completed_sk"),
    "labels": ("user_id", "sk"),
}


def _key_of(item: Model, index: str) -> dict[str, Any]:
    names = {"user_id", "sk", *_INDEX_KEYS[index]}
    return {name: {"S": getattr(item, name)} for name in sorted(names)}


_INDEXED_USERS: set[str] = set()  # per process: users whose tasks are all in the search index


@dataclass(frozen=True)
class _Plan:
    """One list as a Query: the index, its key condition and the filter of the other criteria."""

    index: str
    source: Any  # TaskModel or one of its GlobalSecondaryIndex attributes
    hash_key: str
    range_key: Condition | None
    filter: Condition | None
    forward: bool = True

    def query(self, **kwargs: Any) -> Iterator[TaskModel]:
        return iter(
            self.source.query(
                self.hash_key,
                self.range_key,
                filter_condition=self.filter,
                scan_index_forward=self.forward,
                **kwargs,
            )
        )

    def count(self) -> int:
        """``Select=COUNT`` through every page (PynamoDB follows LastEvaluatedKey)."""
        return int(self.source.count(self.hash_key, self.range_key, filter_condition=self.filter))


def _matches(q: TaskQuery, task: Task) -> bool:
    """The list's criteria checked on a task read by id (label and search lists); the search words are not."""
    return (
        q.status in ("all", task.status.value)
        and (q.project_id is None or task.project_id == q.project_id)
        and (q.label_id is None or q.label_id in task.labels)
        and (q.priority is None or task.priority == q.priority)
        and (q.due_from is None or (task.due_date is not None and task.due_key >= q.due_from))
        and (q.due_to is None or (task.due_date is not None and task.due_key <= q.due_to + "~"))
        and (q.has_attachments is None or (task.attachment_count > 0) == q.has_attachments)
    )


def _sort_key(sort: str) -> Callable[[Task], tuple[Any, ...]]:
    """The order of a search result: open tasks first, then the list's sort (as its index would order it)."""

    def rank(task: Task) -> int:
        return 0 if task.status is Status.OPEN else 1

    if sort == "due":
        return lambda t: (rank(t), t.due_key, t.id)
    if sort == "priority":
        return lambda t: (rank(t), t.priority, t.due_key, t.id)
    if sort == "manual":
        return lambda t: (rank(t), t.position, t.id)
    if sort == "completed":  # newest first
        return lambda t: (rank(t), -(t.completed_at.timestamp() if t.completed_at else 0.0), t.id)
    return lambda t: (rank(t), t.id)


def _decode_search_cursor(cursor: str, q: TaskQuery) -> list[Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = payload["k"]["after"]
        valid = (
            payload.get("i") == list_id("search", q)
            and isinstance(after, list)
            and len(after) == _SORT_KEY_LENGTH.get(q.sort, 2)
            and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in after)
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInputError("The cursor is not valid for this list.", fields={"cursor": "is not valid"})
    return list(after)


_SORT_KEY_LENGTH = {"due": 3, "priority": 4, "manual": 3, "completed": 3}  # of _sort_key's tuples; else 2


def _group(tasks: Iterable[Task], by: str | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    if by is None:
        return counts
    for task in tasks:
        value = (task.section or "") if by == "section" else task.status.value
        counts[value] = counts.get(value, 0) + 1
    return counts


_DELETE_DONE = "Delete some completed tasks to add more."
_COMPLETE_SOME = "Complete or delete some to add more."


class _CountsRefused(Exception):
    """The task counters' condition refused a write: not counted yet, or at a quota."""


def _count_change(previous: Task | None, task: Task) -> tuple[int, int]:
    """(tasks added, open tasks added) by saving ``task`` over ``previous``."""
    was_open = previous is not None and previous.status is Status.OPEN
    return (1 if previous is None else 0), int(task.status is Status.OPEN) - int(was_open)


def _within(limits: quotas.Quotas | None, *, added: int, opened: int) -> Condition | None:
    """The counters' condition for a write adding ``added`` tasks and ``opened`` open ones (only growth is limited)."""
    if limits is None or (added <= 0 and opened <= 0):
        return None
    condition: Condition = TaskCountsModel.counted == True  # noqa: E712  # a PynamoDB condition, not a comparison
    if added > 0:
        condition &= TaskCountsModel.tasks < limits.tasks
    if opened > 0:
        condition &= TaskCountsModel.open_tasks < limits.open_tasks
    return condition


CONFLICT_RETRIES = 3  # DynamoDB cancels a transaction that meets another on the same item (the counters)


def _retry_conflicts(write: Callable[[], _T]) -> _T:
    """Run a transaction again, after a short random pause, when it only met a concurrent one (``TransactionConflict``):
    every create, completion and delete of a user updates ``USAGE#tasks``, so two at the same moment collide."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return write()
        except TransactWriteError as exc:
            codes = {getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []} - {None}
            if attempt == CONFLICT_RETRIES or codes != {"TransactionConflict"}:
                raise
            time_module.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311  # jitter, not a secret
    raise AssertionError("unreachable")


def _counts_refused(exc: TransactWriteError) -> bool:
    """The counters' update refused the transaction: PynamoDB sends updates after deletes and puts, and a task save
    has one update (the counters), so its reason is the last one."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return bool(reasons) and getattr(reasons[-1], "code", None) == "ConditionalCheckFailed"


class DynamoTaskStore:
    """Repositories for tasks, projects and labels on the Tasks table."""

    # --- tasks ---
    def get_task(self, user_id: str, task_id: str) -> Task | None:
        try:
            return _task(TaskModel.get(user_id, TASK + task_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_tasks(self, user_id: str, task_ids: Iterable[str]) -> dict[str, Task]:
        keys = [(user_id, TASK + task_id) for task_id in dict.fromkeys(task_ids)]
        return {item.task_id: _task(item) for item in TaskModel.batch_get(keys, consistent_read=True)}

    def save_task(self, task: Task, *, previous: Task | None, limits: quotas.Quotas | None = None) -> Task:
        """Create (``previous`` None) or update a task if its version is still ``previous.version``.

        With ``limits``, a write that adds a task or an open one is refused (``QuotaExceededError``) at the quota."""
        try:
            return self._save_task(task, previous=previous, limits=limits)
        except _CountsRefused:
            assert limits is not None  # only limits make a condition
            if self._count_tasks_once(task.user_id):  # a user from before the counters: counted now, once more
                try:
                    return self._save_task(task, previous=previous, limits=limits)
                except _CountsRefused:
                    pass
        if previous is None and int(self._counts(task.user_id).tasks or 0) >= limits.tasks:
            raise quotas.exceeded("tasks", limits.tasks, field="tasks", hint=_DELETE_DONE)
        raise quotas.exceeded("open tasks", limits.open_tasks, field="tasks", hint=_COMPLETE_SOME)

    def _save_task(self, task: Task, *, previous: Task | None, limits: quotas.Quotas | None) -> Task:
        item = _task_item(task)
        return _task(_retry_conflicts(lambda: self._write_task(item, task, previous=previous, limits=limits)))

    def _write_task(
        self, item: TaskModel, task: Task, *, previous: Task | None, limits: quotas.Quotas | None
    ) -> TaskModel:
        old_labels = set(previous.labels) if previous else set()
        old_terms, new_terms = _terms(previous), _terms(task)
        added, opened = _count_change(previous, task)
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                if added or opened:
                    transaction.update(
                        TaskCountsModel(user_id=task.user_id),
                        actions=[
                            *([TaskCountsModel.tasks.add(added)] if added else []),
                            *([TaskCountsModel.open_tasks.add(opened)] if opened else []),
                        ],
                        condition=_within(limits, added=added, opened=opened),
                    )
                transaction.save(item)  # conditional on the version (absent when creating)
                for label_id in set(task.labels) - old_labels:
                    transaction.save(_link(task.user_id, label_id, task.id))
                for label_id in old_labels - set(task.labels):
                    transaction.delete(_link(task.user_id, label_id, task.id))
                # the search index follows title and notes (a completion or a move changes no word)
                for term in sorted(new_terms - old_terms):
                    transaction.save(_word(task.user_id, term, task.id))
                for term in sorted(old_terms - new_terms):
                    transaction.delete(_word(task.user_id, term, task.id))
        except TransactWriteError as exc:
            if (added > 0 or opened > 0) and _counts_refused(exc):
                raise _CountsRefused from exc
            if is_conditional_failure(exc):
                raise ConflictError("The task was changed meanwhile; reload it and try again.") from exc
            raise
        return item

    def _counts(self, user_id: str) -> TaskCountsModel:
        try:
            return TaskCountsModel.get(user_id, TASK_COUNTS, consistent_read=True)
        except DoesNotExist:
            return TaskCountsModel(user_id=user_id)

    def _count_tasks_once(self, user_id: str) -> bool:
        """Count a user's tasks from before the counters (one paged COUNT Query each); False if already counted.
        A delete racing with this leaves the count one too high for good: a quota errs on the safe side."""
        if self._counts(user_id).counted:
            return False
        everything, _ = self.count_tasks(TaskQuery(user_id=user_id, status="all"))
        still_open, _ = self.count_tasks(TaskQuery(user_id=user_id, status="open", sort="due"))
        self._start_counts(user_id, tasks=everything, open_tasks=still_open)
        return True

    @staticmethod
    def _start_counts(user_id: str, *, tasks: int, open_tasks: int) -> None:
        counts = TaskCountsModel(user_id=user_id, tasks=tasks, open_tasks=open_tasks, counted=True)
        try:  # replaces what deletes ADDed before the count (the count has them); a concurrent first count wins
            counts.save(condition=TaskCountsModel.counted.does_not_exist())
        except PutError as exc:
            if not is_conditional_failure(exc):
                raise

    def delete_task(self, task: Task) -> None:
        _retry_conflicts(lambda: self._delete_task(task))

    def _delete_task(self, task: Task) -> None:
        try:
            with TransactWrite(connection=self._connection()) as transaction:
                fewer: list[Action] = [TaskCountsModel.tasks.add(-1)]
                if task.status is Status.OPEN:
                    fewer.append(TaskCountsModel.open_tasks.add(-1))
                transaction.update(TaskCountsModel(user_id=task.user_id), actions=fewer)
                transaction.delete(_task_item(task))  # conditional on the version we read
                for label_id in task.labels:
                    transaction.delete(_link(task.user_id, label_id, task.id))
                for word in index_items(task):
                    transaction.delete(word)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The task was changed meanwhile; reload it and try again.") from exc
            raise

    def last_position(self, user_id: str, project_id: str) -> str | None:
        """The manual-order key of the last open task of a project."""
        items = TaskModel.by_project.query(
            f"{user_id}#{project_id}",
            TaskModel.project_sk.startswith(f"{Status.OPEN.value}#"),
            scan_index_forward=False,
            limit=1,
        )
        return next((item.position for item in items), None)

    def tasks_in_project(self, user_id: str, project_id: str) -> list[Task]:
        return [_task(item) for item in TaskModel.by_project.query(f"{user_id}#{project_id}")]

    def task_ids_with_label(self, user_id: str, label_id: str) -> list[str]:
        links = LabelLinkModel.query(user_id, LabelLinkModel.sk.startswith(f"{LINK}{label_id}#"))
        return [link.task_id for link in links]

    def list_tasks(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        if query.search is not None:
            return self._search(query, limit=limit, cursor=cursor)
        if query.label_id is not None:
            return self._list_by_label(query, limit=limit, cursor=cursor)
        plan = self._plan(query)
        index = plan.index
        items = plan.query(last_evaluated_key=self._start(cursor, index, query), page_size=100)
        page: list[Task] = []
        last: TaskModel | None = None
        for item in items:
            page.append(_task(item))
            last = item
            if len(page) == limit:
                break
        more = last is not None and len(page) == limit and self._has_more(items)
        cursor_out = encode_cursor(list_id(index, query), _key_of(last, index)) if more and last is not None else None
        return page, cursor_out

    def count_tasks(self, query: TaskQuery, *, by: str | None = None) -> tuple[int, dict[str, int]]:
        """How many tasks the whole list holds, and (``by`` = ``section`` | ``status``) how many per value.

        A plain list: a ``Select=COUNT`` Query with the list's key condition and filter (paged through
        LastEvaluatedKey); grouped: the same Query projecting only the grouped attribute. Search and label lists
        count the tasks they match (the same reads as their listing)."""
        if query.search is not None or query.label_id is not None:
            tasks = self._search_matches(query) if query.search is not None else self._label_matches(query)
            return len(tasks), _group(tasks, by)
        plan = self._plan(query)
        if by is None:
            return plan.count(), {}
        counts: dict[str, int] = {}
        for item in plan.query(attributes_to_get=[by], page_size=500):
            value = (getattr(item, by) or "") if by == "section" else item.status
            counts[value] = counts.get(value, 0) + 1
        return sum(counts.values()), counts

    @staticmethod
    def _has_more(items: Iterator[Any]) -> bool:
        return next(items, None) is not None

    def _plan(self, q: TaskQuery) -> _Plan:
        """Pick the index that serves the sort, turn the other criteria into a filter. Always a Query."""
        filters: list[Condition] = []
        if q.priority is not None and q.sort != "priority":
            filters.append(TaskModel.priority == q.priority)
        if q.has_attachments is not None:
            with_files = TaskModel.attachment_count > 0
            filters.append(with_files if q.has_attachments else ~with_files)
        statuses = [Status.OPEN.value, Status.DONE.value] if q.status == "all" else [q.status]
        due_range = _between(TaskModel.due_sk, q.due_from, q.due_to)

        if q.sort == "completed" or (q.status == "done" and q.sort == "created" and q.project_id is None):
            self._add(filters, q.project_id and TaskModel.project_id == q.project_id, due_range)
            return _Plan("by_completed", TaskModel.by_completed, q.user_id, None, _all(filters), forward=False)
        if q.project_id is not None and q.sort == "manual":
            self._add(filters, due_range)
            range_key = TaskModel.project_sk.startswith(f"{statuses[0]}#") if len(statuses) == 1 else None
            return _Plan("by_project", TaskModel.by_project, f"{q.user_id}#{q.project_id}", range_key, _all(filters))
        if len(statuses) == 1 and q.sort in {"due", "priority"}:
            self._add(filters, q.project_id and TaskModel.project_id == q.project_id)
            if q.sort == "due":
                due = _between(TaskModel.due_sk, q.due_from, q.due_to)
                return _Plan("by_status_due", TaskModel.by_status_due, f"{q.user_id}#{statuses[0]}", due, _all(filters))
            priority_range = TaskModel.priority_sk.startswith(f"{q.priority}#") if q.priority else None
            self._add(filters, due_range)
            hash_key = f"{q.user_id}#{statuses[0]}"
            return _Plan("by_priority", TaskModel.by_priority, hash_key, priority_range, _all(filters))
        # created (and anything else): the base table, newest ids last
        status_filter = TaskModel.status == statuses[0] if len(statuses) == 1 else None
        self._add(filters, status_filter, q.project_id and TaskModel.project_id == q.project_id, due_range)
        return _Plan("table", TaskModel, q.user_id, TaskModel.sk.startswith(TASK), _all(filters))

    @staticmethod
    def _add(filters: list[Condition], *conditions: Any) -> None:
        filters.extend(c for c in conditions if isinstance(c, Condition))

    @staticmethod
    def _start(cursor: str | None, index: str, query: TaskQuery) -> dict[str, Any] | None:
        return decode_cursor(cursor, index=index, query=query) if cursor else None

    def _list_by_label(self, q: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        """Tasks with a label: walk its links (by task id = creation order), fetch the tasks in batches."""
        start = self._start(cursor, "labels", q)
        links = LabelLinkModel.query(
            q.user_id, LabelLinkModel.sk.startswith(f"{LINK}{q.label_id}#"), last_evaluated_key=start, page_size=100
        )
        page: list[Task] = []
        last_link: LabelLinkModel | None = None
        batch: list[LabelLinkModel] = []

        def flush() -> bool:
            nonlocal last_link
            tasks = self.get_tasks(q.user_id, [link.task_id for link in batch])
            for link in batch:
                task = tasks.get(link.task_id)
                last_link = link
                if task is not None and _matches(q, task):
                    page.append(task)
                    if len(page) == limit:
                        return True
            batch.clear()
            return False

        full = False
        for link in links:
            batch.append(link)
            if len(batch) == 50 and (full := flush()):
                break
        if not full and batch:
            full = flush()
        # More links wait either in the batch the page filled up in, or further in the query.
        more = full and ((bool(batch) and last_link is not batch[-1]) or self._has_more(links))
        return page, encode_cursor(list_id("labels", q), _key_of(last_link, "labels")) if more and last_link else None

    def _label_matches(self, q: TaskQuery) -> list[Task]:
        tasks = self.get_tasks(q.user_id, self.task_ids_with_label(q.user_id, str(q.label_id)))
        return [task for task in tasks.values() if _matches(q, task)]

    # --- search (the W# index) ---
    def _search(self, q: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        """One page of the tasks matching ``q.search`` (and every other criterion), in the list's order, open first.

        The cursor is the sort key of the last task returned: the next page starts after it, so an unchanged task is
        never skipped or repeated while others change."""
        key = _sort_key(q.sort)
        matches = sorted(self._search_matches(q), key=key)
        if cursor:
            after = _decode_search_cursor(cursor, q)
            try:
                matches = [task for task in matches if list(key(task)) > after]
            except TypeError:  # a cursor of another sort
                raise InvalidInputError(
                    "The cursor is not valid for this list.", fields={"cursor": "is not valid"}
                ) from None
        page = matches[:limit]
        if len(matches) <= limit:
            return page, None
        return page, encode_cursor(list_id("search", q), {"after": list(key(page[-1]))})

    def _search_matches(self, q: TaskQuery) -> list[Task]:
        """Every task of the user matching the search and the list's criteria: index lookups give candidate ids
        (the most selective term first, intersected until a single BatchGet is left), then the tasks are read and
        checked against every word they have. Reads grow with the matches, not with the user's tasks."""
        parsed = search.parse_query(q.search)
        if parsed is None:
            return []
        self._ensure_indexed(q.user_id)
        candidates: set[str] | None = None
        for term, is_prefix in parsed.lookups():
            if candidates is not None and len(candidates) <= 100:
                break  # one BatchGet: the remaining words are checked on the tasks themselves
            found = self._ids_with_term(q.user_id, term, is_prefix=is_prefix)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return []
        tasks = self.get_tasks(q.user_id, sorted(candidates or ()))
        return [
            task
            for task in tasks.values()
            if parsed.matches(search.task_words(task.title, task.notes)) and _matches(q, task)
        ]

    @staticmethod
    def _ids_with_term(user_id: str, term: str, *, is_prefix: bool) -> set[str]:
        start = f"{WORD}{term}" if is_prefix else f"{WORD}{term}#"
        items = SearchWordModel.query(
            user_id,
            SearchWordModel.sk.startswith(start),
            consistent_read=True,  # a task saved a moment ago is found
            attributes_to_get=["task_id"],
            page_size=1000,
        )
        return {item.task_id for item in items}

    def _ensure_indexed(self, user_id: str) -> None:
        """Index a user's older tasks (saved before the search index existed) on their first search."""
        if user_id in _INDEXED_USERS:
            return
        try:
            SearchIndexedModel.get(user_id, INDEXED)
        except DoesNotExist:
            self.backfill_search_index(user_id)
        _INDEXED_USERS.add(user_id)

    def backfill_search_index(self, user_id: str) -> int:
        """Write the index entries of every task of the user, then the ``WIDX`` marker; returns the entries written.

        Idempotent (puts of the same keys). An edit racing with it can leave an entry of an old word: harmless, every
        candidate is checked against the task's current words. ``scripts/backfill_search_index.py`` runs it."""
        written = 0
        with SearchWordModel.batch_write() as batch:
            for item in TaskModel.query(user_id, TaskModel.sk.startswith(TASK), page_size=200):
                for word in index_items(_task(item)):
                    batch.save(word)
                    written += 1
        SearchIndexedModel(user_id=user_id, sk=INDEXED, indexed_at=datetime.now(UTC)).save()
        return written

    def mark_search_indexed(self, user_id: str) -> None:
        """Record that the user's tasks all went through the write path (a new user: the Inbox is created first)."""
        SearchIndexedModel(user_id=user_id, sk=INDEXED, indexed_at=datetime.now(UTC)).save()

    # --- projects ---
    def list_projects(self, user_id: str) -> list[Project]:
        items = ProjectModel.query(user_id, ProjectModel.sk.startswith(PROJECT), consistent_read=True)
        return sorted((_project(item) for item in items), key=lambda p: (not p.is_inbox, p.position))

    def get_project(self, user_id: str, project_id: str) -> Project | None:
        try:
            return _project(ProjectModel.get(user_id, PROJECT + project_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save_project(self, project: Project) -> Project:
        item = _project_item(project)
        try:
            item.save()
        except PutError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The project was changed meanwhile; reload it and try again.") from exc
            raise
        return _project(item)

    def add_project_once(self, project: Project) -> Project:
        """Create unless it exists (the Inbox, created on first use by concurrent requests)."""
        try:
            saved = self.save_project(project)
        except ConflictError:
            existing = self.get_project(project.user_id, project.id)
            if existing is None:
                raise
            return existing
        if project.is_inbox:
            # A new user's Inbox comes before any of their tasks, so every task will go through the write path
            # and its search index and counters: nothing to backfill, nothing to count.
            self.mark_search_indexed(project.user_id)
            self._start_counts(project.user_id, tasks=0, open_tasks=0)
        return saved

    def delete_project(self, project: Project) -> None:
        _project_item(project).delete(add_version_condition=False)  # a delete wins over a concurrent rename

    # --- labels ---
    def list_labels(self, user_id: str) -> list[Label]:
        items = LabelModel.query(user_id, LabelModel.sk.startswith(LABEL), consistent_read=True)
        return sorted((_label(item) for item in items), key=lambda label: label.name.lower())

    def get_label(self, user_id: str, label_id: str) -> Label | None:
        try:
            return _label(LabelModel.get(user_id, LABEL + label_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save_label(self, label: Label) -> Label:
        item = _label_item(label)
        try:
            item.save()
        except PutError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The label was changed meanwhile; reload it and try again.") from exc
            raise
        return _label(item)

    def delete_label(self, label: Label) -> None:
        _label_item(label).delete(add_version_condition=False)  # a delete wins over a concurrent rename

    @staticmethod
    def _connection() -> Connection:
        return TaskModel._get_connection().connection


def _between(attribute: UnicodeAttribute, low: str | None, high: str | None) -> Any:
    """A condition on a ``due_key``-prefixed attribute, both bounds inclusive (``~`` sorts after any suffix)."""
    if low is None and high is None:
        return None
    # Every due_key starts with a digit ("~" is "no due date", outside any range).
    return attribute.between(low or "0", (high or LAST_DATE) + "~")


def _all(conditions: list[Condition]) -> Condition | None:
    combined: Condition | None = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def task_from_image(image: dict[str, Any]) -> Task:
    """The task in a stream record's image (DynamoDB JSON), as the repository would read it."""
    return _task(TaskModel.from_raw_data(image))
