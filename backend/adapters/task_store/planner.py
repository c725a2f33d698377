"""The query planner: a ``TaskQuery`` becomes one Query (the index that serves its sort, the key condition, a filter
of the other criteria); lists read by id (label, search) check the same criteria in memory and sort the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.condition import Condition

from backend.adapters.task_store.models import TASK, TaskModel
from backend.domain.tasks import Status, Task, TaskQuery

LAST_DATE = "9999-12-31"


@dataclass(frozen=True)
class Plan:
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


def plan(q: TaskQuery) -> Plan:
    """Pick the index that serves the sort, turn the other criteria into a filter. Always a Query."""
    filters: list[Condition] = []
    if q.priority is not None and q.sort != "priority":
        filters.append(TaskModel.priority == q.priority)
    if q.has_attachments is not None:
        with_files = TaskModel.attachment_count > 0
        filters.append(with_files if q.has_attachments else ~with_files)
    statuses = [Status.OPEN.value, Status.DONE.value] if q.status == "all" else [q.status]
    due_range = between(TaskModel.due_sk, q.due_from, q.due_to)

    if q.parent_id is not None:
        # a task's children (issue 14): by status (done, open), each in manual order; one Query in its partition
        range_key = TaskModel.project_sk.startswith(f"{statuses[0]}#") if len(statuses) == 1 else None
        return Plan("by_parent", TaskModel.by_parent, f"{q.user_id}#{q.parent_id}", range_key, all_of(filters))

    if q.assignee_id is not None:
        # "assigned to me": one Query across every partition (the service allows one status and the due order)
        _add(filters, q.project_id and TaskModel.project_id == q.project_id)
        hash_key = f"{q.assignee_id}#{statuses[0]}"
        return Plan("by_assignee", TaskModel.by_assignee, hash_key, due_range, all_of(filters))

    if q.sort == "completed" or (q.status == "done" and q.sort == "created" and q.project_id is None):
        _add(filters, q.project_id and TaskModel.project_id == q.project_id, due_range)
        return Plan("by_completed", TaskModel.by_completed, q.user_id, None, all_of(filters), forward=False)
    if q.project_id is not None and q.sort == "manual":
        _add(filters, due_range)
        range_key = TaskModel.project_sk.startswith(f"{statuses[0]}#") if len(statuses) == 1 else None
        return Plan("by_project", TaskModel.by_project, f"{q.user_id}#{q.project_id}", range_key, all_of(filters))
    if len(statuses) == 1 and q.sort in {"due", "priority"}:
        _add(filters, q.project_id and TaskModel.project_id == q.project_id)
        if q.sort == "due":
            due = between(TaskModel.due_sk, q.due_from, q.due_to)
            return Plan("by_status_due", TaskModel.by_status_due, f"{q.user_id}#{statuses[0]}", due, all_of(filters))
        priority_range = TaskModel.priority_sk.startswith(f"{q.priority}#") if q.priority else None
        _add(filters, due_range)
        hash_key = f"{q.user_id}#{statuses[0]}"
        return Plan("by_priority", TaskModel.by_priority, hash_key, priority_range, all_of(filters))
    # created (and anything else): the base table, newest ids last
    status_filter = TaskModel.status == statuses[0] if len(statuses) == 1 else None
    _add(filters, status_filter, q.project_id and TaskModel.project_id == q.project_id, due_range)
    return Plan("table", TaskModel, q.user_id, TaskModel.sk.startswith(TASK), all_of(filters))


def sort_attribute(index: str) -> str:
    """The attribute an index orders by (what merging several partitions' pages of it compares)."""
    return {
        "table": "sk",
        "by_status_due": "due_sk",
        "by_priority": "priority_sk",
        "by_project": "project_sk",
        "by_completed": "completed_sk",
        "by_assignee": "due_sk",
        "by_parent": "project_sk",
    }[index]


def _add(filters: list[Condition], *conditions: Any) -> None:
    filters.extend(c for c in conditions if isinstance(c, Condition))


def between(attribute: UnicodeAttribute, low: str | None, high: str | None) -> Any:
    """A condition on a ``due_key``-prefixed attribute, both bounds inclusive (``~`` sorts after any suffix)."""
    if low is None and high is None:
        return None
    # Every due_key starts with a digit ("~" is "no due date", outside any range).
    return attribute.between(low or "0", (high or LAST_DATE) + "~")


def all_of(conditions: list[Condition]) -> Condition | None:
    combined: Condition | None = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


# --- the same criteria and orders, on tasks read by id (label and search lists) ---
def matches(q: TaskQuery, task: Task) -> bool:
    """The list's criteria checked on a task read by id (label and search lists); the search words are not."""
    return (
        q.status in ("all", task.status.value)
        and (q.project_id is None or task.project_id == q.project_id)
        and (q.label_id is None or q.label_id in task.labels)
        and (q.priority is None or task.priority == q.priority)
        and (q.due_from is None or (task.due_date is not None and task.due_key >= q.due_from))
        and (q.due_to is None or (task.due_date is not None and task.due_key <= q.due_to + "~"))
        and (q.has_attachments is None or (task.attachment_count > 0) == q.has_attachments)
        and (q.assignee_id is None or task.assignee_id == q.assignee_id)
        and (q.parent_id is None or task.parent_id == q.parent_id)
    )


def sort_key(sort: str) -> Callable[[Task], tuple[Any, ...]]:
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


_SORT_KEY_LENGTH = {"due": 3, "priority": 4, "manual": 3, "completed": 3}  # of sort_key's tuples; else 2


def sort_key_length(sort: str) -> int:
    """How many values ``sort_key(sort)`` gives (a search cursor carries exactly that many)."""
    return _SORT_KEY_LENGTH.get(sort, 2)


def group(tasks: Iterable[Task], by: str | None) -> dict[str, int]:
    """How many of ``tasks`` per section or status (``by``); empty when ``by`` is None."""
    counts: dict[str, int] = {}
    if by is None:
        return counts
    for task in tasks:
        value = (task.section or "") if by == "section" else task.status.value
        counts[value] = counts.get(value, 0) + 1
    return counts
