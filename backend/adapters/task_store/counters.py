"""The ``USAGE#tasks`` counters (tasks, open tasks), kept in each task write's transaction, and the quotas on them."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition

from backend.adapters.task_store.models import TASK_COUNTS, TaskCountsModel
from backend.adapters.write_errors import is_conditional_failure
from backend.domain import quotas
from backend.domain.tasks import Status, Task

_T = TypeVar("_T")
DELETE_DONE = "Delete some completed tasks to add more."
COMPLETE_SOME = "Complete or delete some to add more."
CONFLICT_RETRIES = 3  # DynamoDB cancels a transaction that meets another on the same item (the counters)


class CountsRefused(Exception):
    """The task counters' condition refused a write: not counted yet, or at a quota."""


def count_change(previous: Task | None, task: Task) -> tuple[int, int]:
    """(tasks added, open tasks added) by saving ``task`` over ``previous``."""
    was_open = previous is not None and previous.status is Status.OPEN
    return (1 if previous is None else 0), int(task.status is Status.OPEN) - int(was_open)


def within(limits: quotas.Quotas | None, *, added: int, opened: int) -> Condition | None:
    """The counters' condition for a write adding ``added`` tasks and ``opened`` open ones (only growth is limited)."""
    if limits is None or (added <= 0 and opened <= 0):
        return None
    condition: Condition = TaskCountsModel.counted == True  # noqa: E712  # a PynamoDB condition, not a comparison
    if added > 0:
        condition &= TaskCountsModel.tasks < limits.tasks
    if opened > 0:
        condition &= TaskCountsModel.open_tasks < limits.open_tasks
    return condition


def retry_conflicts(write: Callable[[], _T]) -> _T:
    """Run a transaction again, after a short random pause, when it only met a concurrent one (``TransactionConflict``):
    every create, completion and delete of a user updates ``USAGE#tasks``, so two at the same moment collide."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return write()
        except TransactWriteError as exc:
            codes = {getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []} - {None}
            if attempt == CONFLICT_RETRIES or codes != {"TransactionConflict"}:
                raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311  # jitter, not a secret
    raise AssertionError("unreachable")


def counts_refused(exc: TransactWriteError, *, updates_after: int = 0) -> bool:
    """The counters' update refused the transaction: PynamoDB sends updates after deletes and puts, in the order they
    were added, and a task save adds the counters' first, so its reason is the last but ``updates_after`` (a
    subtask's save also updates its parent's counts, after the counters)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    index = len(reasons) - 1 - updates_after
    return 0 <= index < len(reasons) and getattr(reasons[index], "code", None) == "ConditionalCheckFailed"


def read_counts(user_id: str) -> TaskCountsModel:
    """The user's counters (empty, not ``counted``, when there are none yet)."""
    try:
        return TaskCountsModel.get(user_id, TASK_COUNTS, consistent_read=True)
    except DoesNotExist:
        return TaskCountsModel(user_id=user_id)


def start_counts(user_id: str, *, tasks: int, open_tasks: int) -> None:
    """Write the first count of a user's tasks (a new user's zeros, or an older user's counted tasks)."""
    counts = TaskCountsModel(user_id=user_id, tasks=tasks, open_tasks=open_tasks, counted=True)
    try:  # replaces what deletes ADDed before the count (the count has them); a concurrent first count wins
        counts.save(condition=TaskCountsModel.counted.does_not_exist())
    except PutError as exc:
        if not is_conditional_failure(exc):
            raise
