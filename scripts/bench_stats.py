"""The statistics part of ``make bench`` (issue 8): the local stream-to-aggregate lag (task written through the API
-> its contribution stored by the analytics handler, delivered by the local stream pump)."""

from __future__ import annotations

import statistics
import time
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
    *, http: httpx.Client, headers: dict[str, str], dynamodb: Any, table: str, user_id: str, n: int
) -> dict[str, Any]:
    """The stream-to-aggregate lag; ``GET /api/stats``'s cost per call is in the API cost part
    (``scripts/bench_cost.py``), next to a raw get of the summary item."""
    lag = stream_lag(http=http, headers=headers, dynamodb=dynamodb, table=table, user_id=user_id, n=max(n // 10, 10))
    summary = {"user_id": {"S": user_id}, "sk": {"S": STAT_SUMMARY}}
    if "Item" not in dynamodb.get_item(TableName=table, Key=summary):
        raise RuntimeError("the summary item is missing")
    return {"stream_to_aggregate_lag": lag}


def print_stats(report: dict[str, Any]) -> None:
    lag = report["stream_to_aggregate_lag"]
    print(
        f"\nstatistics (issue 8): stream-to-aggregate lag (local pump, 0.1 s poll): p50 {lag['p50_ms']} ms, "
        f"p95 {lag['p95_ms']} ms, max {lag['max_ms']} ms over {lag['n']} creates"
    )
