"""The tasks part of ``make bench`` (issue 4): list / get / patch next to raw DynamoDB calls, DynamoDB calls per
API operation, and list and search latency for a user with 100 tasks vs one with 10 000 (the ratios should stay
near 1)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from backend.adapters.task_store.mapping import index_items, task_item
from backend.adapters.task_store.models import (
    INDEXED,
    TASK_TABLE_MODELS,
    SearchIndexedModel,
    SearchWordModel,
    TaskModel,
)
from backend.domain.tasks import Task, new_id, position_after
from backend.local.dynamodb_calls import recorded_calls

CALLS_OF: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/tasks?limit=50", None),
    ("GET", "/tasks?view=today&limit=50", None),
    ("GET", "/tasks/{id}", None),
    ("PATCH", "/tasks/{id}", {"title": "renamed"}),
    ("POST", "/tasks", {"title": "counted", "due_date": "2026-12-24"}),
    ("POST", "/tasks/{id}/complete", None),
    ("POST", "/quick-add/parse", {"text": "Call mom tomorrow 5pm p1 #Inbox @phone"}),
]


SEARCHED = "invoice"  # in the titles of the first SEARCH_MATCHES seeded tasks of every user
SEARCH_MATCHES = 10


def seed(user_id: str, count: int) -> list[str]:
    """``count`` tasks written straight to the table in batches (the API would take minutes for 10 000), with their
    search index entries as the write path makes them; the first ``SEARCH_MATCHES`` have the word ``SEARCHED``."""
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
                title=f"seeded task {i}" + (f" {SEARCHED} to send" if i < SEARCH_MATCHES else ""),
                created_at=now,
                updated_at=now,
                due_date=date.today() + timedelta(days=i % 30 - 5),
                priority=i % 4 + 1,
                position=position,
            )
            item = task_item(task)
            item.version = 1
            batch.save(item)
            ids.append(task.id)
    with SearchWordModel.batch_write() as words:
        for task_id, i in zip(ids, range(count), strict=True):
            title = f"seeded task {i}" + (f" {SEARCHED} to send" if i < SEARCH_MATCHES else "")
            shape = Task(id=task_id, user_id=user_id, project_id="inbox", title=title, created_at=now, updated_at=now)
            for word in index_items(shape):
                words.save(word)
    SearchIndexedModel(user_id=user_id, sk=INDEXED, indexed_at=now).save()
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

    def list_50() -> None:
        http.get("/tasks?limit=50", headers=headers).raise_for_status()

    def raw_query_50() -> None:
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="user_id = :u AND begins_with(sk, :t)",
            ExpressionAttributeValues={":u": {"S": user_id}, ":t": {"S": "TASK#"}},
            Limit=50,
        )

    # (GET and PATCH of one task: the API cost part, scripts/bench_cost.py)
    figures = [
        measure("GET /api/tasks?limit=50 (50 tasks)", n, list_50),
        measure("raw query, 50 items", n, raw_query_50),
    ]
    by_name = {f.name: f for f in figures}

    calls: dict[str, dict[str, int]] = {}
    for method, path, body in CALLS_OF:
        target = http.get("/tasks?limit=1", headers=headers).json()["items"][0]
        url = path.replace("{id}", target["id"])
        payload = {**body, "version": target["version"]} if body and method == "PATCH" else body
        with recorded_calls(request_threads_only=True) as recorded:
            http.request(method, url, headers=headers, json=payload).raise_for_status()
        calls[f"{method} {path}"] = dict(Counter(name for name, _ in recorded))

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
        "dynamodb_calls_per_operation": calls,
        "scale_owners": scale,
    }


def measure_scale(
    *,
    owners: dict[str, str],
    n: int,
    measure: Callable[[str, int, Callable[[], None]], Any],
    dynamodb: Any,
    table: str,
) -> dict[str, Any]:
    """List latency (Today view and newest-first page of 50) for the 100-task and the 10 000-task user, in-process
    through the service layer, which is what differs between them (the HTTP and token parts are equal), next to the
    raw Query each view makes (the Today view's on the ``by_status_due`` GSI, the page's on the table): the raw
    ratio is the emulator's own growth (moto walks the whole index on each Query), the rest is ours."""
    from zoneinfo import ZoneInfo

    from backend.adapters.task_store.store import DynamoTaskStore
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
        raw = {"today": _raw_today_query(dynamodb, table, owner), "all": _raw_page_query(dynamodb, table, owner)}
        for view, call in raw.items():
            results[f"raw_{view}@{count}"] = asdict(measure(f"raw Query of view {view}, {count} tasks", n, call))
    for view in ("today", "all"):
        for prefix in ("", "raw_"):
            results[f"ratio_{prefix}{view}_10000_over_100"] = round(
                results[f"{prefix}{view}@10000"]["p50_ms"] / results[f"{prefix}{view}@100"]["p50_ms"], 2
            )
        for count in ("100", "10000"):
            results[f"ratio_{view}_service_over_raw_{count}"] = round(
                results[f"{view}@{count}"]["p50_ms"] / results[f"raw_{view}@{count}"]["p50_ms"], 2
            )
    return results


def _raw_today_query(dynamodb: Any, table: str, owner: str) -> Callable[[], None]:
    """The Today view's Query as the planner makes it: open tasks due up to today, on the ``by_status_due`` GSI."""
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    def call() -> None:
        dynamodb.query(
            TableName=table,
            IndexName="by_status_due",
            KeyConditionExpression="status_pk = :p AND due_sk < :d",
            ExpressionAttributeValues={":p": {"S": f"{owner}#open"}, ":d": {"S": tomorrow}},
            Limit=50,
        )

    return call


def _raw_page_query(dynamodb: Any, table: str, owner: str) -> Callable[[], None]:
    """A page of 50 of the user's tasks from the table (the "all" view's Query)."""

    def call() -> None:
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="user_id = :u AND begins_with(sk, :t)",
            ExpressionAttributeValues={":u": {"S": owner}, ":t": {"S": "TASK#"}},
            Limit=50,
        )

    return call


SEARCHES = (SEARCHED, SEARCHED[:4])  # a word, and the prefix typed so far


def items_read(call: Callable[[], None]) -> int:
    """Items DynamoDB reads for one call (Query ScannedCount + BatchGetItem answers): what its cost follows."""
    read = [0]

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            read[0] += int(parsed.get("ScannedCount", 0))
        elif model.name == "BatchGetItem":
            read[0] += sum(len(items) for items in parsed.get("Responses", {}).values())

    clients = {id(c): c for c in (m._get_connection().connection.client for m in TASK_TABLE_MODELS)}
    for client in clients.values():
        client.meta.events.register("after-call.dynamodb", count)
    try:
        call()
    finally:
        for client in clients.values():
            client.meta.events.unregister("after-call.dynamodb", count)
    return read[0]


def measure_search(
    *,
    owners: dict[str, str],
    n: int,
    measure: Callable[[str, int, Callable[[], None]], Any],
    dynamodb: Any,
    table: str,
) -> dict[str, Any]:
    """Search latency (issue 18) for the 100-task and the 10 000-task user, through the service layer as
    ``GET /api/tasks?q=...&view=all&status=open`` calls it, next to the raw DynamoDB calls it cannot do without (the
    index Query of the word, one BatchGetItem of the matches) and the raw Query the old ``contains`` search made."""
    from zoneinfo import ZoneInfo

    from backend.adapters.task_store.store import DynamoTaskStore
    from backend.services import tasks as task_service

    store = DynamoTaskStore()
    clock = task_service.UserClock(tz=ZoneInfo("UTC"), now=datetime.now(UTC))
    results: dict[str, Any] = {}
    for typed in SEARCHES:
        for count, owner in owners.items():
            request = task_service.ListRequest(view="all", status="open", search=typed, limit=50)
            items, _ = task_service.list_tasks(store=store, user_id=owner, request=request, clock=clock)
            if len(items) != SEARCH_MATCHES:
                raise RuntimeError(f"search {typed!r} found {len(items)} tasks of {count}, not {SEARCH_MATCHES}")

            def search(owner: str = owner, request: task_service.ListRequest = request) -> None:
                task_service.list_tasks(store=store, user_id=owner, request=request, clock=clock)

            results[f"{typed}@{count}"] = asdict(measure(f"search {typed!r}, user with {count} tasks", n, search))
            results[f"{typed}@{count}"]["items_read"] = items_read(search)
        results[f"ratio_{typed}_10000_over_100"] = round(
            results[f"{typed}@10000"]["p50_ms"] / results[f"{typed}@100"]["p50_ms"], 2
        )
        results[f"ratio_p95_{typed}_10000_over_100"] = round(
            results[f"{typed}@10000"]["p95_ms"] / results[f"{typed}@100"]["p95_ms"], 2
        )

    owner = owners["10000"]
    ids: list[str] = []

    def raw_index_query(owner: str = owner) -> None:
        answer = dynamodb.query(
            TableName=table,
            KeyConditionExpression="user_id = :u AND begins_with(sk, :w)",
            ExpressionAttributeValues={":u": {"S": owner}, ":w": {"S": f"W#{SEARCHED}#"}},
            ProjectionExpression="task_id",
            ConsistentRead=True,
        )
        ids[:] = [item["task_id"]["S"] for item in answer["Items"]]

    def raw_index_and_batch_get(owner: str = owner) -> None:
        raw_index_query(owner)
        keys = [{"user_id": {"S": owner}, "sk": {"S": f"TASK#{task_id}"}} for task_id in ids]
        dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})

    def raw_contains_scan_of_partition() -> None:  # what search did before the index: the whole partition
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "user_id = :u AND begins_with(sk, :t)",
            "FilterExpression": "contains(search_text, :q)",
            "ExpressionAttributeValues": {":u": {"S": owner}, ":t": {"S": "TASK#"}, ":q": {"S": SEARCHED}},
        }
        while True:
            page = dynamodb.query(**kwargs)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # The emulator's own growth: moto walks every item of the table on each Query (DynamoDB reads a key range).
    raw_small = measure("raw index Query + BatchGetItem, 100", n, lambda: raw_index_and_batch_get(owners["100"]))
    raw = measure("raw index Query + BatchGetItem, 10 000", n, raw_index_and_batch_get)
    results["raw@100"], results["raw@10000"] = asdict(raw_small), asdict(raw)
    results["ratio_raw_10000_over_100"] = round(raw.p50_ms / raw_small.p50_ms, 2)
    results["ratio_service_over_raw_10000"] = round(results[f"{SEARCHED}@10000"]["p50_ms"] / raw.p50_ms, 2)
    results["ratio_service_over_raw_100"] = round(results[f"{SEARCHED}@100"]["p50_ms"] / raw_small.p50_ms, 2)
    samples = []
    for _ in range(3):  # a few seconds each on the emulator: no warm-up, three calls
        start = time.perf_counter()
        raw_contains_scan_of_partition()
        samples.append((time.perf_counter() - start) * 1000)
    results["old_contains_ms@10000"] = round(statistics.median(samples), 1)
    return results


def print_search(search: dict[str, Any]) -> None:
    print("\nsearch latency (service layer, q + view=all + status=open), user with 100 vs 10 000 tasks:")
    for typed in SEARCHES:
        small, large = search[f"{typed}@100"], search[f"{typed}@10000"]
        print(
            f"  q={typed!r:14} p50 {small['p50_ms']:7.2f} / {large['p50_ms']:7.2f} ms, "
            f"p95 {small['p95_ms']:7.2f} / {large['p95_ms']:7.2f} ms "
            f"(ratio p50 {search[f'ratio_{typed}_10000_over_100']}, "
            f"p95 {search[f'ratio_p95_{typed}_10000_over_100']}); "
            f"items read {small['items_read']} / {large['items_read']}"
        )
    small, large = search["raw@100"], search["raw@10000"]
    print(
        f"  raw index Query + BatchGetItem: p50 {small['p50_ms']:.2f} / {large['p50_ms']:.2f} ms "
        f"(ratio {search['ratio_raw_10000_over_100']}: the emulator's own growth); service / raw "
        f"{search['ratio_service_over_raw_100']}x at 100, {search['ratio_service_over_raw_10000']}x at 10 000"
    )
    print(f"  the old contains() Query over the partition at 10 000: {search['old_contains_ms@10000']:.0f} ms")
