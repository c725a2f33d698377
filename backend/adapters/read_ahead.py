"""What a request is known to read first, fetched in one BatchGetItem (issue 15, the API's cost per call).

Every API request reads the caller's Users row (the session check, ``backend/api/auth.py``); a route that then
reads items whose keys follow from the request alone (``GET``/``PATCH /tasks/{id}``: the task in the caller's own
partition; ``GET /stats``: the summary and the day items; ``GET /me``: the task email's secret) has them fetched
in the same BatchGetItem, across both tables, instead of a call each. The adapters take their first read of such
a key from ``prefetched``; a key the route never reads costs one read capacity unit and nothing else. Strongly
consistent, as the reads it replaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from backend.adapters import prefetched
from backend.adapters.dynamodb import UserModel
from backend.adapters.stats_store import STAT_DAY, STAT_SUMMARY
from backend.adapters.task_addresses import MAILIN
from backend.adapters.task_store.models import TASK, TaskModel, connection

BATCH_LIMIT = 100  # keys per BatchGetItem (DynamoDB's)
_ATTEMPTS = 8


@dataclass(frozen=True)
class ReadPlan:
    user_id: str  # the caller: their Users row
    task_id: str | None = None  # a task in the caller's own partition
    stats_days: tuple[date, date] | None = None  # the caller's day items first..last (and the summary)
    task_address: bool = False  # the caller's task email secret (``GET /me`` shows the address)


def _keys(plan: ReadPlan) -> tuple[list[prefetched.Key], list[prefetched.Range]]:
    users, tasks = UserModel.Meta.table_name, TaskModel.Meta.table_name
    keys: list[prefetched.Key] = [(users, plan.user_id, "")]
    ranges: list[prefetched.Range] = []
    if plan.task_id is not None:
        keys.append((tasks, plan.user_id, TASK + plan.task_id))
    if plan.task_address:
        keys.append((tasks, plan.user_id, MAILIN))
    first, last = plan.stats_days or (date.max, date.min)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if days and len(keys) + len(days) + 1 <= BATCH_LIMIT:  # (a year's days: the Query, as without a read-ahead)
        keys += [(tasks, plan.user_id, f"{STAT_DAY}{day.isoformat()}") for day in days]
        keys.append((tasks, plan.user_id, STAT_SUMMARY))
        # The Query's range (day items from ``first`` on, then the summary): complete as long as no day after
        # ``last`` has been counted, which the caller's choice of ``last`` (the latest local date anywhere) ensures.
        ranges.append((tasks, plan.user_id, f"{STAT_DAY}{first.isoformat()}", STAT_SUMMARY))
    return keys, ranges


def _key_of(table: str, item: dict[str, Any]) -> prefetched.Key:
    return (table, item["user_id"]["S"], item["sk"]["S"] if "sk" in item else "")


def _fetch(keys: list[prefetched.Key]) -> dict[prefetched.Key, dict[str, Any] | None]:
    client: Any = connection().client  # botocore's: one BatchGetItem across both tables
    found: dict[prefetched.Key, dict[str, Any] | None] = dict.fromkeys(keys)
    for start in range(0, len(keys), BATCH_LIMIT):
        request: dict[str, Any] = {}
        for table, pk, sk in keys[start : start + BATCH_LIMIT]:
            key = {"user_id": {"S": pk}, **({"sk": {"S": sk}} if sk else {})}
            request.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        for _ in range(_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            for table, items in answer.get("Responses", {}).items():
                for item in items:
                    found[_key_of(table, item)] = item
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB kept refusing a batch get")
    return found


@contextmanager
def read_ahead(plan: ReadPlan) -> Iterator[None]:
    """Fetch what ``plan`` names in one call; the adapters serve their first read of each key from it in the block."""
    keys, ranges = _keys(plan)
    if len(keys) == 1:  # the Users row alone: its own GetItem, as without a read-ahead
        yield
        return
    with prefetched.holding(_fetch(keys), ranges):
        yield
