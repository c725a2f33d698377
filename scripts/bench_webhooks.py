"""Webhooks on the local stack (issue 16): delivery lag, and the retry schedule against a receiver failing 3 times.

``python -m scripts.bench_webhooks [-n 50] [--scale 0.02]`` (``make bench`` runs it). Starts its own local AWS and
local API on free ports and an HTTP receiver (``http.server``) on a third; signs up one user and subscribes two
webhooks:
- ``/ok`` (``task.created``, answers 200): ``n`` tasks created one at a time, timed from just before
  ``POST /api/tasks`` to the signed POST arriving at the receiver (Tasks stream -> webhook events handler -> the
  emulator's EventBridge bus -> its rule -> SQS -> the delivery handler -> HTTP). p50 / p95 / max in ms.
- ``/flaky`` (``task.updated``, answers 500, 503, 502, then 200): one edit, and the gaps between the 4 attempts.
  The schedule is the real one (``RETRY_SCHEDULE``) times ``--scale`` through its setting (1/50 by default: 30 s
  -> 0.6 s), and the observed gaps are reported both as measured and scaled back to real seconds.
JSON in .local/bench/webhooks.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from backend.domain.webhooks import RETRY_SCHEDULE
from backend.local.testing import free_port, local_aws, serve_local_api
from scripts.bench import signed_in_user

OUTPUT = Path(".local/bench/webhooks.json")
WARMUP = 3
TIMEOUT = 20.0
FLAKY = [500, 503, 502, 200]


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[float, str, dict[str, str]]] = []
        self.plans: dict[str, list[int]] = {"/flaky": list(FLAKY)}
        self.cond = threading.Condition()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.cond:
                    receiver.got.append((time.perf_counter(), self.path, dict(self.headers.items())))
                    plan = receiver.plans.get(self.path) or [200]
                    status = plan.pop(0) if len(plan) > 1 else plan[0]
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, path: str, count: int) -> list[tuple[float, str, dict[str, str]]]:
        deadline = time.perf_counter() + TIMEOUT
        with self.cond:
            while len(found := [g for g in self.got if g[1] == path]) < count:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise RuntimeError(f"{path}: {len(found)} of {count} requests within {TIMEOUT} s")
                self.cond.wait(left)
            return found


def _summary(samples: list[float]) -> dict[str, Any]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(max(samples), 1),
    }


def run(n: int, scale: float) -> dict[str, Any]:
    schedule = [round(s * scale, 3) for s in RETRY_SCHEDULE]
    os.environ["TMP_WEBHOOK_RETRY_SCHEDULE"] = json.dumps(schedule)
    receiver = Receiver()
    with local_aws(port=free_port()), serve_local_api(free_port()) as api_url:
        _, tokens = signed_in_user(api_url)
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        with httpx.Client(base_url=api_url, headers=headers, timeout=10) as http:
            for path, event in (("/ok", "task.created"), ("/flaky", "task.updated")):
                answer = http.post("/webhooks", json={"url": receiver.url + path, "events": [event]})
                answer.raise_for_status()
            lags: list[float] = []
            for i in range(WARMUP + n):
                began = time.perf_counter()
                http.post("/tasks", json={"title": f"Webhook bench {i}"}).raise_for_status()
                arrived = receiver.wait("/ok", i + 1)[-1][0]
                if i >= WARMUP:
                    lags.append((arrived - began) * 1000)
            task = http.post("/tasks", json={"title": "Retried"}).json()
            http.patch(
                f"/tasks/{task['id']}", json={"title": "Retried!", "version": task["version"]}
            ).raise_for_status()
            attempts = receiver.wait("/flaky", 4)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(attempts)]
    event_ids = {a[2].get("X-TaskManager-Event-Id") for a in attempts}
    return {
        "delivery_lag_ms": _summary(lags),
        "retry": {
            "receiver_answers": FLAKY,
            "attempts": len(attempts),
            "one_event_id": len(event_ids) == 1,
            "scale": scale,
            "planned_gaps_s": list(RETRY_SCHEDULE[: len(gaps)]),
            "observed_gaps_ms": [round(g * 1000, 1) for g in gaps],
            "observed_gaps_scaled_back_s": [round(g / scale, 1) for g in gaps],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="deliveries timed")
    parser.add_argument("--scale", type=float, default=0.02, help="the retry schedule's time scale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    figures = run(args.n, args.scale)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2))
    lag, retry = figures["delivery_lag_ms"], figures["retry"]
    print(f"webhook delivery lag (event -> receiver): p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms (n={lag['n']})")
    print(
        f"retries against {retry['receiver_answers']}: {retry['attempts']} attempts, gaps "
        f"{retry['observed_gaps_ms']} ms at scale {retry['scale']} = {retry['observed_gaps_scaled_back_s']} s "
        f"(planned {retry['planned_gaps_s']} s); one event id: {retry['one_event_id']}"
    )


if __name__ == "__main__":
    main()
