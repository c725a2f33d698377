"""Live updates' lag on the local stack: an API write -> the ``Change`` out of ``backend.client.live.changes()``.

``python -m scripts.bench_live [-n 100]`` (``make bench`` runs it). Starts its own local AWS and local API on free
ports, signs up one user, subscribes as the Reflex backend does (its own event loop in a thread), then, one write
at a time: create a task (``POST /api/tasks``) or edit it (``PATCH``), and time from just before the request to
the change of that task (that version) arriving (Tasks stream -> the stream pump -> live Lambda -> Redis ->
subscriber). Also ``POST /api/tasks`` alone, and the answer -> change part (what the stream path adds). p50 / p95
in ms; JSON in .local/bench/live.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from backend.client.live import Change, changes
from backend.local.testing import free_port, local_aws, serve_local_api
from scripts.bench import signed_in_user

OUTPUT = Path(".local/bench/live.json")
WARMUP = 5
TIMEOUT = 5.0


def _subscribe(url: str, into: queue.Queue[tuple[float, Change]], ready: threading.Event) -> None:
    async def consume() -> None:
        async for change in changes(url):
            into.put((time.perf_counter(), change))

    async def main() -> None:
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)  # the PSUBSCRIBE round trip
        ready.set()
        await task

    asyncio.run(main())


def _summary(name: str, samples: list[float]) -> dict[str, Any]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "name": name,
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(max(samples), 1),
    }


def run(n: int) -> dict[str, Any]:
    with local_aws(port=free_port()) as local, serve_local_api(free_port()) as api_url:
        assert local.redis is not None
        _, tokens = signed_in_user(api_url)
        received: queue.Queue[tuple[float, Change]] = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=_subscribe, args=(local.redis.url, received, ready), daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("the subscriber did not start")
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        with httpx.Client(base_url=api_url, headers=headers, timeout=10) as http:

            def arrival(task_id: str, version: int) -> float:
                deadline = time.perf_counter() + TIMEOUT
                while (left := deadline - time.perf_counter()) > 0:
                    try:
                        at, change = received.get(timeout=left)
                    except queue.Empty:
                        break
                    if change.id == task_id and change.task is not None and change.task.version == version:
                        return at
                raise RuntimeError(f"no change for {task_id} v{version} within {TIMEOUT} s")

            created_ms: list[float] = []
            edited_ms: list[float] = []
            api_ms: list[float] = []
            after_answer_ms: list[float] = []
            for i in range(WARMUP + n):
                start = time.perf_counter()
                answer = http.post("/tasks", json={"title": f"live bench {i}"})
                api_done = time.perf_counter()
                answer.raise_for_status()
                task = answer.json()
                got = arrival(task["id"], task["version"])
                start_edit = time.perf_counter()
                edited = http.patch(f"/tasks/{task['id']}", json={"title": f"edited {i}", "version": task["version"]})
                edited.raise_for_status()
                got_edit = arrival(task["id"], edited.json()["version"])
                if i >= WARMUP:
                    created_ms.append((got - start) * 1000)
                    api_ms.append((api_done - start) * 1000)
                    after_answer_ms.append((got - api_done) * 1000)
                    edited_ms.append((got_edit - start_edit) * 1000)
    return {
        "results": [
            _summary("POST /api/tasks -> change received", created_ms),
            _summary("PATCH /api/tasks/{id} -> change received", edited_ms),
            _summary("POST /api/tasks answered (same run)", api_ms),
            _summary("API answer -> change received (stream path)", after_answer_ms),
        ]
    }


def print_report(report: dict[str, Any]) -> None:
    print("\nlive updates: write -> change out of backend.client.live.changes() (local stack)")
    print(f"{'':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for row in report["results"]:
        print(f"{row['name']:44} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['max_ms']:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_live", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="writes of each kind (default 100)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write the JSON (default {OUTPUT})")
    args = parser.parse_args(argv)
    report = run(args.n)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
