"""The tasks part of ``make bench`` (issue 4): list / get / patch next to raw DynamoDB calls, DynamoDB calls per
API operation, and list latency for a user with 100 tasks vs one with 10 000 (the ratio should stay near 1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from backend.adapters.dynamodb import UserModel
from backend.adapters.task_store import TaskModel, _task_item
from backend.domain.tasks import Task, new_id, position_after

CALLS_OF: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/tasks?limit=50", None),
    ("GET", "/tasks?view=today&limit=50", None),
    ("GET", "/tasks/{id}", None),
    ("PATCH", "/tasks/{id}", {"title": "renamed"}),
    ("POST", "/tasks", {"title": "counted", "due_date": "2026-12-24"}),
    ("POST", "/tasks/{id}/complete", None),
    ("POST", "/quick-add/parse", {"text": "Call mom tomorrow 5pm p1 #Inbox @phone"}),
]


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Counts the DynamoDB operations the API makes (hooks on the PynamoDB clients of both tables)."""
    counter: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counter[model.name] += 1

    clients = [model._get_connection().connection.client for model in (UserModel, TaskModel)]
    for client in clients:
        client.meta.events.register("before-call.dynamodb.*", count)
    try:
        yield counter
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb.*", count)


def seed(user_id: str, count: int) -> list[str]:
    """``count`` tasks written straight to the table in batches (the API would take minutes for 10 000)."""
    now = datetime.now(UTC)
    position: str | None = None
    ids: list[str] = []
    with TaskModel.batch_write() as batch:
        for i in range(count):
            position = position_after(position)
            task = Task(
                id=new_id(),
                user_id=user_id,
                project_id="inbox",
                title=f"seeded task {i}",
                created_at=now,
                updated_at=now,
                due_date=date.today() + timedelta(days=i % 30 - 5),
                priority=i % 4 + 1,
                position=position,
            )
            item = _task_item(task)
            item.version = 1
            batch.save(item)
            ids.append(task.id)
    return ids


def run_tasks(
    *,
    http: httpx.Client,
    headers: dict[str, str],
    dynamodb: Any,
    table: str,
    user_id: str,
    n: int,
    measure: Callable[[str, int, Callable[[], None]], Any],
) -> dict[str, Any]:
    for i in range(50):
        http.post("/tasks", headers=headers, json={"title": f"bench {i}", "priority": i % 4 + 1}).raise_for_status()
    task = http.get("/tasks?limit=1", headers=headers).json()["items"][0]
    version = {"v": task["version"]}

    def list_50() -> None:
        http.get("/tasks?limit=50", headers=headers).raise_for_status()

    def get_one() -> None:
        http.get(f"/tasks/{task['id']}", headers=headers).raise_for_status()

    def patch_one() -> None:
        answer = http.patch(f"/tasks/{task['id']}", headers=headers, json={"version": version["v"], "notes": "x"})
        answer.raise_for_status()
        version["v"] = answer.json()["version"]

    def raw_query_50() -> None:
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="user_id = :u AND begins_with(sk, :t)",
            ExpressionAttributeValues={":u": {"S": user_id}, ":t": {"S": "TASK#"}},
            Limit=50,
        )

    def raw_get() -> None:
        dynamodb.get_item(TableName=table, Key={"user_id": {"S": user_id}, "sk": {"S": f"TASK#{task['id']}"}})

    figures = [
        measure("GET /api/tasks?limit=50 (50 tasks)", n, list_50),
        measure("raw query, 50 items", n, raw_query_50),
        measure("GET /api/tasks/{id}", n, get_one),
        measure("PATCH /api/tasks/{id}", n, patch_one),
        measure("raw get_item (Tasks table)", n, raw_get),
    ]
    by_name = {f.name: f for f in figures}

    calls: dict[str, dict[str, int]] = {}
    for method, path, body in CALLS_OF:
        target = http.get("/tasks?limit=1", headers=headers).json()["items"][0]
        url = path.replace("{id}", target["id"])
        payload = {**body, "version": target["version"]} if body and method == "PATCH" else body
        with dynamodb_calls() as counter:
            http.request(method, url, headers=headers, json=payload).raise_for_status()
        calls[f"{method} {path}"] = dict(counter)

    scale: dict[str, Any] = {}
    for count in (100, 10_000):
        owner = f"bench-scale-{count}-{new_id()}"
        seed(owner, count)
        scale[str(count)] = owner
    return {
        "figures": [asdict(f) for f in figures],
        "ratio_p50_list_over_query": round(
            by_name["GET /api/tasks?limit=50 (50 tasks)"].p50_ms / by_name["raw query, 50 items"].p50_ms, 2
        ),
        "ratio_p50_get_over_get_item": round(
            by_name["GET /api/tasks/{id}"].p50_ms / by_name["raw get_item (Tasks table)"].p50_ms, 2
        ),
        "ratio_p50_patch_over_get_item": round(
            by_name["PATCH /api/tasks/{id}"].p50_ms / by_name["raw get_item (Tasks table)"].p50_ms, 2
        ),
        "dynamodb_calls_per_operation": calls,
        "scale_owners": scale,
    }


def measure_scale(
    *, owners: dict[str, str], n: int, measure: Callable[[str, int, Callable[[], None]], Any]
) -> dict[str, Any]:
    """List latency (Today view and newest-first page of 50) for the 100-task and the 10 000-task user, in-process
    through the service layer, which is what differs between them (the HTTP and token parts are equal)."""
    from zoneinfo import ZoneInfo

    from backend.adapters.task_store import DynamoTaskStore
    from backend.services import tasks as task_service

    store = DynamoTaskStore()
    results: dict[str, Any] = {}
    clock = task_service.UserClock(tz=ZoneInfo("UTC"), now=datetime.now(UTC))
    for count, owner in owners.items():
        for view in ("today", "all"):
            request = task_service.ListRequest(view=view, limit=50)

            def list_page(owner: str = owner, request: task_service.ListRequest = request) -> None:
                task_service.list_tasks(store=store, user_id=owner, request=request, clock=clock)

            results[f"{view}@{count}"] = asdict(measure(f"list {view}, user with {count} tasks", n, list_page))
    for view in ("today", "all"):
        results[f"ratio_{view}_10000_over_100"] = round(
            results[f"{view}@10000"]["p50_ms"] / results[f"{view}@100"]["p50_ms"], 2
        )
    return results
