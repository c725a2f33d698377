"""The statistics part of ``make bench`` (issue 8): ``GET /api/stats`` next to one raw DynamoDB get of the same
user's summary item, and the local stream-to-aggregate lag (task written through the API -> its contribution
stored by the analytics handler, delivered by the local stream pump)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import httpx

from backend.adapters.stats_store import STAT_SUMMARY, STAT_TASK


def stream_lag(
    *, http: httpx.Client, headers: dict[str, str], dynamodb: Any, table: str, user_id: str, n: int
) -> dict[str, float]:
    """Seconds from the API's answer to a create until the aggregates include the task (polled every 2 ms)."""
    samples: list[float] = []
    for i in range(n):
        response = http.post("/tasks", headers=headers, json={"title": f"lag probe {i}", "due_date": "2030-01-01"})
        response.raise_for_status()
        written = time.perf_counter()
        key = {"user_id": {"S": user_id}, "sk": {"S": STAT_TASK + response.json()["id"]}}
        deadline = written + 30
        while "Item" not in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True):
            if time.perf_counter() > deadline:
                raise RuntimeError("the aggregates did not catch up within 30 s")
            time.sleep(0.002)
        samples.append(time.perf_counter() - written)
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return {
        "n": n,
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(cuts[18] * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


def run_stats(
    *,
    http: httpx.Client,
    headers: dict[str, str],
    dynamodb: Any,
    table: str,
    user_id: str,
    n: int,
    measure: Callable[[str, int, Callable[[], None]], Any],
) -> dict[str, Any]:
    lag = stream_lag(http=http, headers=headers, dynamodb=dynamodb, table=table, user_id=user_id, n=max(n // 10, 10))
    summary = {"user_id": {"S": user_id}, "sk": {"S": STAT_SUMMARY}}
    if "Item" not in dynamodb.get_item(TableName=table, Key=summary):
        raise RuntimeError("the summary item is missing")

    def get_stats() -> None:
        http.get("/stats", headers=headers, params={"range": "30d"}).raise_for_status()

    def get_item() -> None:
        dynamodb.get_item(TableName=table, Key=summary, ConsistentRead=True)

    stats_fig = measure("GET /api/stats?range=30d", n, get_stats)
    item_fig = measure("raw get_item (stats summary)", n, get_item)
    return {
        "figures": [asdict(stats_fig), asdict(item_fig)],
        "ratio_p50_stats_over_get_item": round(stats_fig.p50_ms / item_fig.p50_ms, 2),
        "ratio_p95_stats_over_get_item": round(stats_fig.p95_ms / item_fig.p95_ms, 2),
        "stream_to_aggregate_lag": lag,
    }


def print_stats(report: dict[str, Any]) -> None:
    print("\nstatistics (issue 8)\n")
    for row in report["figures"]:
        print(f"{row['name']:44} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['mean_ms']:8.2f} {row['max_ms']:8.2f}")
    print(
        f"\nGET /api/stats / get_item: {report['ratio_p50_stats_over_get_item']}x at p50, "
        f"{report['ratio_p95_stats_over_get_item']}x at p95"
    )
    lag = report["stream_to_aggregate_lag"]
    print(
        f"stream-to-aggregate lag (local pump, 0.1 s poll): p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms, "
        f"max {lag['max_ms']} ms over {lag['n']} creates"
    )
